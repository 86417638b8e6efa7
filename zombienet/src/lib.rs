//! Network tests live in `tests/`; see the README there.
