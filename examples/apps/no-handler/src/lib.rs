//! A component whose only import is the wall clock and which exports no
//! `wasi:http/incoming-handler`: it links, but it is no app.

/// The time, for whoever would call it (nobody can: it is not exported as a component
/// function).
#[no_mangle]
pub extern "C" fn seconds() -> u64 {
	wasip2::clocks::wall_clock::now().seconds
}
