//! Fragment roots and segment proofs, on BLAKE3's own hash tree.
//!
//! A fragment's root is its BLAKE3 hash. BLAKE3 already hashes its input as a binary tree
//! of 1 KiB chunks, so a segment of `2^k` KiB that starts at a multiple of its size is a
//! complete subtree of that tree, and a challenged segment is proven by its bytes plus the
//! chaining values of its siblings on the way to the root: no second tree is built, and
//! the node hashes a fragment at BLAKE3's SIMD speed (several chunks per instruction)
//! rather than one small hash per segment.
//!
//! The tree over a fragment's `m` segments is the one BLAKE3 defines: the left child of a
//! node covers the largest power of two of segments that leaves something on the right.
//! That is the same shape as pairing neighbours level by level and promoting an unpaired
//! last node, which is how [`levels`] and [`verify_segment`] walk it. Leaves are the
//! segments' chaining values at their offsets, inner nodes merge two chaining values, and
//! the topmost merge is finalised as the root; a fragment of one segment has no merge, its
//! root is the BLAKE3 hash of its bytes. Chaining values bind the position of their bytes
//! (BLAKE3's chunk counter) and root finalisation differs from inner merges, so a segment
//! cannot be shown at another index and an inner node cannot pass as a root.
//!
//! The same code builds trees in the node and checks proofs in the runtime.

use alloc::vec::Vec;
use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, HasherExt, Mode};

/// A node of the tree: a BLAKE3 chaining value, or the root.
pub type Node = [u8; 32];

/// BLAKE3's chunk: the smallest segment.
pub const CHUNK_LEN: u32 = blake3::CHUNK_LEN as u32;

/// Whether a segment of `segment_size` bytes is a subtree of BLAKE3's tree wherever it
/// starts: a power of two of at least one chunk.
pub fn is_segment_size(segment_size: u32) -> bool {
	segment_size >= CHUNK_LEN && segment_size.is_power_of_two()
}

/// The root of a fragment: the BLAKE3 hash of its bytes.
pub fn fragment_root(data: &[u8]) -> Node {
	*blake3::hash(data).as_bytes()
}

/// The number of segments (leaves) of a fragment of `len` bytes, at least one; `None` if
/// `segment_size` is not a segment size.
pub fn leaves_of(len: u64, segment_size: u32) -> Option<u64> {
	is_segment_size(segment_size).then(|| len.div_ceil(segment_size as u64).max(1))
}

/// The chaining value of `data` as the subtree that starts at byte `offset` of a fragment.
///
/// `None` when `data` is empty or could not be one subtree there: `offset` not a multiple
/// of the chunk, or `data` longer than the largest subtree that starts at `offset`.
/// Whether the subtree is one the fragment's tree has is the caller's to know.
pub fn subtree(data: &[u8], offset: u64) -> Option<Node> {
	if data.is_empty() || offset % CHUNK_LEN as u64 != 0 {
		return None;
	}
	if let Some(max) = blake3::hazmat::max_subtree_len(offset) {
		if data.len() as u64 > max {
			return None;
		}
	}
	let mut hasher = blake3::Hasher::new();
	hasher.set_input_offset(offset);
	hasher.update(data);
	Some(hasher.finalize_non_root())
}

/// The leaf of segment `index`: its chaining value at its offset. `None` if the segment is
/// empty, longer than `segment_size`, or `segment_size` is not a segment size.
pub fn leaf(segment: &[u8], index: u64, segment_size: u32) -> Option<Node> {
	if !is_segment_size(segment_size) || segment.len() > segment_size as usize {
		return None;
	}
	subtree(segment, index.checked_mul(segment_size as u64)?)
}

/// The inner node over two neighbouring subtrees.
pub fn inner_hash(left: &Node, right: &Node) -> Node {
	merge_subtrees_non_root(left, right, Mode::Hash)
}

/// The root over the two subtrees under it.
pub fn root_hash(left: &Node, right: &Node) -> Node {
	*merge_subtrees_root(left, right, Mode::Hash).as_bytes()
}

/// All levels of the tree over `leaves`, leaves first; the last level holds one node.
///
/// With two leaves or more, that node is the root. With one leaf it is the leaf itself,
/// which is not the root: a one-segment fragment's root is [`fragment_root`] of its bytes.
pub fn levels(leaves: Vec<Node>) -> Vec<Vec<Node>> {
	build_levels(leaves, true)
}

/// The levels of a subtree over `leaves` (chaining values only, no root finalisation):
/// the part of a fragment's tree under one of its nodes.
pub fn subtree_levels(leaves: Vec<Node>) -> Vec<Vec<Node>> {
	build_levels(leaves, false)
}

fn build_levels(leaves: Vec<Node>, finalise: bool) -> Vec<Vec<Node>> {
	let mut levels = Vec::new();
	let mut level = leaves;
	while level.len() > 1 {
		let top = finalise && level.len() == 2;
		let next = level
			.chunks(2)
			.map(|pair| match pair {
				[l, r] if top => root_hash(l, r),
				[l, r] => inner_hash(l, r),
				[single] => *single,
				_ => unreachable!("chunks(2) yields one or two nodes"),
			})
			.collect();
		levels.push(core::mem::replace(&mut level, next));
	}
	levels.push(level);
	levels
}

/// The root over the leaves of a fragment of two segments or more; `None` for fewer.
pub fn root(leaves: &[Node]) -> Option<Node> {
	if leaves.len() < 2 {
		return None;
	}
	levels(leaves.to_vec()).last()?.first().copied()
}

/// The sibling path of leaf `index`, from the leaf's level up; `None` if out of range.
pub fn proof(levels: &[Vec<Node>], index: u64) -> Option<Vec<Node>> {
	let width = levels.first()?.len() as u64;
	if index >= width {
		return None;
	}
	let mut path = Vec::new();
	let mut idx = index as usize;
	for level in &levels[..levels.len() - 1] {
		let sibling = idx ^ 1;
		if sibling < level.len() {
			path.push(level[sibling]);
		}
		idx /= 2;
	}
	Some(path)
}

/// Checks that `segment` is segment `index` of a fragment of `size` bytes cut into
/// `segment_size`-byte segments whose root is `root`, with sibling path `path`.
///
/// The segment must have exactly its length in the fragment (the last one may be short)
/// and the path exactly as many nodes as the tree requires.
pub fn verify_segment(root: &Node, size: u64, segment_size: u32, index: u64, segment: &[u8], path: &[Node]) -> bool {
	let Some(width) = leaves_of(size, segment_size) else { return false };
	if index >= width {
		return false;
	}
	let seg = segment_size as u64;
	// `index < width` keeps `index * seg` under `size + seg`: no overflow.
	let expected = seg.min(size - (index * seg).min(size));
	if segment.len() as u64 != expected {
		return false;
	}
	if width == 1 {
		return path.is_empty() && fragment_root(segment) == *root;
	}
	let Some(mut acc) = leaf(segment, index, segment_size) else { return false };
	let mut idx = index;
	let mut width = width;
	let mut siblings = path.iter();
	while width > 1 {
		let merge = if width == 2 { root_hash } else { inner_hash };
		if idx % 2 == 1 {
			let Some(left) = siblings.next() else { return false };
			acc = merge(left, &acc);
		} else if idx + 1 < width {
			let Some(right) = siblings.next() else { return false };
			acc = merge(&acc, right);
		}
		idx /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && acc == *root
}

/// How many siblings a proof for a tree of `leaf_count` leaves has at most.
pub fn max_path_len(leaf_count: u64) -> u32 {
	if leaf_count <= 1 {
		0
	} else {
		64 - (leaf_count - 1).leading_zeros()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn data(len: usize, tag: u8) -> Vec<u8> {
		(0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(tag) ^ (i >> 10) as u8).collect()
	}

	fn leaves(data: &[u8], segment_size: u32) -> Vec<Node> {
		data.chunks(segment_size as usize)
			.enumerate()
			.map(|(i, s)| leaf(s, i as u64, segment_size).unwrap())
			.collect()
	}

	/// Proves every segment of `data` and checks each proof.
	fn check_all(data: &[u8], segment_size: u32) -> Result<(), TestCaseError> {
		let root = fragment_root(data);
		let width = leaves_of(data.len() as u64, segment_size).unwrap();
		if width == 1 {
			prop_assert!(verify_segment(&root, data.len() as u64, segment_size, 0, data, &[]));
			return Ok(());
		}
		let lv = levels(leaves(data, segment_size));
		prop_assert_eq!(lv.last().unwrap()[0], root);
		for (i, segment) in data.chunks(segment_size as usize).enumerate() {
			let path = proof(&lv, i as u64).unwrap();
			prop_assert!(path.len() as u32 <= max_path_len(width));
			prop_assert!(verify_segment(&root, data.len() as u64, segment_size, i as u64, segment, &path));
		}
		Ok(())
	}

	#[test]
	fn segment_sizes_are_powers_of_two_from_one_chunk() {
		assert!(is_segment_size(1024) && is_segment_size(4096) && is_segment_size(1 << 20));
		assert!(!is_segment_size(0) && !is_segment_size(512) && !is_segment_size(3072) && !is_segment_size(1025));
		assert_eq!(leaves_of(0, 1024), Some(1));
		assert_eq!(leaves_of(1025, 1024), Some(2));
		assert_eq!(leaves_of(u64::MAX, 1024), Some(1 << 54));
		assert_eq!(leaves_of(10, 1000), None);
	}

	#[test]
	fn the_tree_root_is_the_blake3_hash() {
		for len in [1025, 2048, 3000, 5 * 1024, 64 * 1024 + 1, 200_000] {
			let d = data(len, 3);
			assert_eq!(root(&leaves(&d, 1024)), Some(fragment_root(&d)), "{len} bytes");
			assert_eq!(*blake3::hash(&d).as_bytes(), fragment_root(&d));
		}
	}

	#[test]
	fn one_segment_fragments_are_proven_by_their_hash() {
		for len in [0, 1, 1024] {
			let d = data(len, 1);
			let root = fragment_root(&d);
			assert!(verify_segment(&root, len as u64, 1024, 0, &d, &[]));
			assert!(!verify_segment(&root, len as u64, 1024, 0, &d, &[[0; 32]]));
		}
		// A one-leaf tree's only level is the leaf's chaining value, not the root.
		let d = data(1000, 2);
		assert_ne!(levels(leaves(&d, 1024))[0][0], fragment_root(&d));
	}

	#[test]
	fn wrong_index_length_or_path_fails() {
		let d = data(5 * 1024, 9);
		let root = fragment_root(&d);
		let lv = levels(leaves(&d, 1024));
		let path = proof(&lv, 2).unwrap();
		let seg = &d[2048..3072];
		assert!(verify_segment(&root, 5120, 1024, 2, seg, &path));
		assert!(!verify_segment(&root, 5120, 1024, 3, seg, &path));
		assert!(!verify_segment(&root, 5120, 1024, 5, seg, &path));
		assert!(!verify_segment(&root, 5120, 2048, 2, seg, &path));
		assert!(!verify_segment(&root, 9000, 1024, 2, seg, &path));
		assert!(!verify_segment(&root, 5120, 1024, 2, &seg[..1023], &path));
		let mut longer = path.clone();
		longer.push([0; 32]);
		assert!(!verify_segment(&root, 5120, 1024, 2, seg, &longer));
		assert!(!verify_segment(&root, 5120, 1024, 2, seg, &path[..path.len() - 1]));
	}

	#[test]
	fn a_short_last_segment_must_have_its_exact_length() {
		let d = data(3 * 1024 + 100, 4);
		let root = fragment_root(&d);
		let lv = levels(leaves(&d, 1024));
		let path = proof(&lv, 3).unwrap();
		assert!(verify_segment(&root, d.len() as u64, 1024, 3, &d[3072..], &path));
		let mut padded = d[3072..].to_vec();
		padded.push(0);
		assert!(!verify_segment(&root, d.len() as u64, 1024, 3, &padded, &path));
	}

	#[test]
	fn an_inner_node_is_not_a_root() {
		let d = data(4 * 1024, 5);
		let lv = levels(leaves(&d, 1024));
		let sub = subtree_levels(leaves(&d, 1024));
		assert_eq!(lv[1], sub[1]);
		assert_ne!(lv[2], sub[2]);
		assert_eq!(sub[2][0], subtree(&d, 0).unwrap());
	}

	#[test]
	fn misaligned_or_oversized_subtrees_are_refused() {
		assert_eq!(subtree(&[], 0), None);
		assert_eq!(subtree(&[1; 10], 100), None);
		assert_eq!(subtree(&[1; 2048], 1024), None);
		assert!(subtree(&[1; 2048], 2048).is_some());
		assert_eq!(leaf(&[1; 2048], 1, 1024), None);
		assert_eq!(leaf(&[1; 10], u64::MAX, 1024), None);
		assert_eq!(leaf(&[1; 10], 0, 1000), None);
	}

	proptest! {
		#[test]
		fn every_segment_is_proven_at_every_size(len in 0usize..40_000, shift in 0u32..6, tag in any::<u8>()) {
			check_all(&data(len, tag), 1024 << shift)?;
		}

		/// A path built from a subtree's levels continued by the levels over subtrees (as
		/// the store keeps them) is the path of the whole tree.
		#[test]
		fn split_proofs_equal_whole_proofs(len in 1usize..300_000, shift in 0u32..7, pick in any::<prop::sample::Index>()) {
			const BLOCK: usize = 64 * 1024;
			let segment_size = 1024u32 << shift;
			let d = data(len, 7);
			let width = leaves_of(len as u64, segment_size).unwrap();
			prop_assume!(width > 1);
			let index = pick.index(width as usize);
			let whole = proof(&levels(leaves(&d, segment_size)), index as u64).unwrap();
			let per_block = BLOCK / segment_size as usize;
			let block = index / per_block;
			let inner: Vec<Node> = d[block * BLOCK..d.len().min((block + 1) * BLOCK)]
				.chunks(segment_size as usize)
				.enumerate()
				.map(|(i, s)| leaf(s, (block * per_block + i) as u64, segment_size).unwrap())
				.collect();
			let mut split = proof(&subtree_levels(inner), (index % per_block) as u64).unwrap();
			let blocks: Vec<Node> =
				d.chunks(BLOCK).enumerate().map(|(i, b)| subtree(b, (i * BLOCK) as u64).unwrap()).collect();
			split.extend(proof(&subtree_levels(blocks), block as u64).unwrap());
			prop_assert_eq!(split, whole);
		}

		#[test]
		fn a_tampered_segment_or_sibling_fails(len in 1025usize..20_000, pick in any::<prop::sample::Index>(), bit in 0usize..8) {
			let d = data(len, 1);
			let root = fragment_root(&d);
			let lv = levels(leaves(&d, 1024));
			let i = pick.index(lv[0].len());
			let seg = d.chunks(1024).nth(i).unwrap();
			let path = proof(&lv, i as u64).unwrap();
			let mut bad = seg.to_vec();
			bad[0] ^= 1 << bit;
			prop_assert!(!verify_segment(&root, len as u64, 1024, i as u64, &bad, &path));
			let mut bad_path = path.clone();
			bad_path[0][5] ^= 1 << bit;
			prop_assert!(!verify_segment(&root, len as u64, 1024, i as u64, seg, &bad_path));
		}

		#[test]
		fn arbitrary_input_never_panics(
			root in any::<[u8; 32]>(), size in any::<u64>(), segment_size in any::<u32>(), index in any::<u64>(),
			segment in prop::collection::vec(any::<u8>(), 0..3000), path in prop::collection::vec(any::<[u8; 32]>(), 0..70),
		) {
			let _ = verify_segment(&root, size, segment_size, index, &segment, &path);
			let _ = leaf(&segment, index, segment_size);
			let _ = subtree(&segment, size);
		}
	}
}
