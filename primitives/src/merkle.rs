//! The binary Merkle tree over a fragment's segments.
//!
//! Leaves are the BLAKE2b-256 hashes of the segments; an inner node hashes its two
//! children. A node without a sibling at the end of a level is promoted unchanged to the
//! next level. Leaves and inner nodes are hashed with different one-byte prefixes, so that
//! an inner node can never pass as a segment (a second-preimage defence).
//!
//! The same code builds trees in the node and checks proofs in the runtime.

use alloc::vec::Vec;
use polkadot_sdk::sp_crypto_hashing::blake2_256;

/// A node of the tree.
pub type Node = [u8; 32];

const LEAF_PREFIX: u8 = 0;
const INNER_PREFIX: u8 = 1;

/// The leaf of a segment.
pub fn leaf_hash(segment: &[u8]) -> Node {
	// Segments are 1 KiB by default: hash them from the stack, without an allocation.
	const STACK: usize = 4096;
	if segment.len() < STACK {
		let mut buf = [0u8; STACK];
		buf[0] = LEAF_PREFIX;
		buf[1..=segment.len()].copy_from_slice(segment);
		blake2_256(&buf[..=segment.len()])
	} else {
		let mut buf = Vec::with_capacity(segment.len() + 1);
		buf.push(LEAF_PREFIX);
		buf.extend_from_slice(segment);
		blake2_256(&buf)
	}
}

/// The parent of two nodes.
pub fn inner_hash(left: &Node, right: &Node) -> Node {
	let mut buf = [0u8; 65];
	buf[0] = INNER_PREFIX;
	buf[1..33].copy_from_slice(left);
	buf[33..].copy_from_slice(right);
	blake2_256(&buf)
}

/// Builds a root from leaves given one at a time, in `O(log n)` memory.
///
/// It keeps one complete subtree per set bit of the leaf count, like a binary counter;
/// [`MerkleBuilder::root`] folds them from the smallest up, which gives the same root as
/// the level-by-level construction with promotion.
#[derive(Default, Clone, Debug)]
pub struct MerkleBuilder {
	/// `(height, root of a complete subtree of 2^height leaves)`, heights decreasing.
	stack: Vec<(u32, Node)>,
	leaves: u64,
}

impl MerkleBuilder {
	/// An empty builder.
	pub fn new() -> Self {
		Self::default()
	}

	/// Adds the next leaf.
	pub fn push_leaf(&mut self, leaf: Node) {
		let mut node = (0u32, leaf);
		while let Some(&(height, left)) = self.stack.last() {
			if height != node.0 {
				break;
			}
			self.stack.pop();
			node = (height + 1, inner_hash(&left, &node.1));
		}
		self.stack.push(node);
		self.leaves += 1;
	}

	/// Adds the leaf of a segment.
	pub fn push_segment(&mut self, segment: &[u8]) {
		self.push_leaf(leaf_hash(segment));
	}

	/// How many leaves have been added.
	pub fn leaf_count(&self) -> u64 {
		self.leaves
	}

	/// The root, or `None` for a tree without leaves.
	pub fn root(&self) -> Option<Node> {
		let mut nodes = self.stack.iter().rev();
		let mut acc = nodes.next()?.1;
		for (_, left) in nodes {
			acc = inner_hash(left, &acc);
		}
		Some(acc)
	}
}

/// All levels of a tree, leaves first; the last level holds the root alone.
pub fn levels(leaves: Vec<Node>) -> Vec<Vec<Node>> {
	let mut levels = Vec::new();
	let mut level = leaves;
	while level.len() > 1 {
		let next = level
			.chunks(2)
			.map(|pair| match pair {
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

/// The root of the given leaves, or `None` if there are none.
pub fn root(leaves: &[Node]) -> Option<Node> {
	let mut builder = MerkleBuilder::new();
	leaves.iter().for_each(|l| builder.push_leaf(*l));
	builder.root()
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

/// Checks that `leaf` is leaf `index` of a tree of `leaf_count` leaves with this `root`.
///
/// The path must be exactly as long as the tree requires: a path with extra nodes fails.
pub fn verify(root: &Node, leaf_count: u64, index: u64, leaf: Node, path: &[Node]) -> bool {
	if index >= leaf_count {
		return false;
	}
	let mut acc = leaf;
	let mut idx = index;
	let mut width = leaf_count;
	let mut siblings = path.iter();
	while width > 1 {
		if idx % 2 == 1 {
			let Some(left) = siblings.next() else {
				return false;
			};
			acc = inner_hash(left, &acc);
		} else if idx + 1 < width {
			let Some(right) = siblings.next() else {
				return false;
			};
			acc = inner_hash(&acc, right);
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

	fn leaves(n: usize) -> Vec<Node> {
		(0..n).map(|i| leaf_hash(&(i as u64).to_le_bytes())).collect()
	}

	#[test]
	fn empty_tree_has_no_root() {
		assert_eq!(root(&[]), None);
	}

	#[test]
	fn single_leaf_is_its_own_root() {
		let l = leaves(1);
		assert_eq!(root(&l), Some(l[0]));
		assert!(verify(&l[0], 1, 0, l[0], &[]));
	}

	#[test]
	fn odd_node_is_promoted() {
		let l = leaves(3);
		let expected = inner_hash(&inner_hash(&l[0], &l[1]), &l[2]);
		assert_eq!(root(&l), Some(expected));
	}

	#[test]
	fn leaf_and_inner_hashes_differ_for_the_same_bytes() {
		let a = [1u8; 32];
		let b = [2u8; 32];
		let mut concat = a.to_vec();
		concat.extend_from_slice(&b);
		assert_ne!(leaf_hash(&concat), inner_hash(&a, &b));
	}

	#[test]
	fn wrong_index_or_extra_sibling_fails() {
		let l = leaves(5);
		let lv = levels(l.clone());
		let r = root(&l).unwrap();
		let p = proof(&lv, 2).unwrap();
		assert!(verify(&r, 5, 2, l[2], &p));
		assert!(!verify(&r, 5, 3, l[2], &p));
		assert!(!verify(&r, 5, 5, l[2], &p));
		let mut longer = p.clone();
		longer.push([0; 32]);
		assert!(!verify(&r, 5, 2, l[2], &longer));
		assert!(!verify(&r, 5, 2, l[2], &p[..p.len() - 1]));
	}

	proptest! {
		#[test]
		fn streaming_root_equals_level_root(n in 1usize..300) {
			let l = leaves(n);
			let lv = levels(l.clone());
			prop_assert_eq!(root(&l).unwrap(), lv.last().unwrap()[0]);
		}

		#[test]
		fn every_proof_verifies_and_a_tampered_leaf_does_not(n in 1usize..200, pick in any::<prop::sample::Index>()) {
			let l = leaves(n);
			let lv = levels(l.clone());
			let r = root(&l).unwrap();
			let i = pick.index(n);
			let p = proof(&lv, i as u64).unwrap();
			prop_assert!(p.len() as u32 <= max_path_len(n as u64));
			prop_assert!(verify(&r, n as u64, i as u64, l[i], &p));
			let mut bad = l[i];
			bad[0] ^= 1;
			prop_assert!(!verify(&r, n as u64, i as u64, bad, &p));
		}
	}
}
