//! OpenAttestation's Merkle tree: leaves sorted bytewise, pairs sorted before hashing (so
//! proofs need no left/right flags), an odd last node promoted unchanged.

use super::hash::combine;

pub(crate) struct MerkleTree {
    /// layers[0] = the sorted leaves; the last layer holds the root alone.
    layers: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
    pub fn new(mut leaves: Vec<[u8; 32]>) -> MerkleTree {
        leaves.sort_unstable();
        let mut layers = vec![leaves];
        while layers.last().is_some_and(|l| l.len() > 1) {
            let below = layers.last().map(Vec::as_slice).unwrap_or_default();
            let next = below.chunks(2).map(|pair| if let [a, b] = pair { combine(a, b) } else { pair[0] }).collect();
            layers.push(next);
        }
        MerkleTree { layers }
    }

    pub fn root(&self) -> [u8; 32] {
        self.layers.last().and_then(|l| l.first()).copied().unwrap_or([0; 32])
    }

    /// The sibling at each layer, from the leaf up; the first occurrence of a leaf that is
    /// in the batch twice (as the official library does).
    pub fn proof(&self, leaf: &[u8; 32]) -> Vec<[u8; 32]> {
        let Some(first) = self.layers.first() else { return Vec::new() };
        let mut i = first.partition_point(|h| h < leaf);
        let mut proof = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let sibling = if i % 2 == 0 { i + 1 } else { i - 1 };
            if let Some(h) = layer.get(sibling) {
                proof.push(*h);
            }
            i /= 2;
        }
        proof
    }
}

/// Whether applying `proof` in order to `target` yields `root`.
pub(crate) fn check_proof(target: &[u8; 32], proof: &[[u8; 32]], root: &[u8; 32]) -> bool {
    proof.iter().fold(*target, |acc, p| combine(&acc, p)) == *root
}

/// Every hash a verifier asks a revocation responder about: the target hash, then each
/// intermediate node up to the merkle root (oa-verify's `getIntermediateHashes`).
pub(crate) fn intermediate_hashes(target: &[u8; 32], proof: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let mut out = vec![*target];
    let mut acc = *target;
    for p in proof {
        acc = combine(&acc, p);
        out.push(acc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: u8) -> [u8; 32] {
        super::super::hash::keccak256(&[n])
    }

    #[test]
    fn every_leaf_proves_to_the_root() {
        for size in 1..=17u8 {
            let leaves: Vec<_> = (0..size).map(leaf).collect();
            let tree = MerkleTree::new(leaves.clone());
            for l in &leaves {
                assert!(check_proof(l, &tree.proof(l), &tree.root()), "size {size}");
            }
            if size == 1 {
                assert_eq!(tree.root(), leaves[0]);
                assert!(tree.proof(&leaves[0]).is_empty());
            }
        }
    }

    #[test]
    fn proof_lengths_match_the_official_library() {
        let lengths = |n: u8| {
            let leaves: Vec<_> = (0..n).map(leaf).collect();
            let tree = MerkleTree::new(leaves.clone());
            let mut l: Vec<usize> = leaves.iter().map(|x| tree.proof(x).len()).collect();
            l.sort_unstable();
            l
        };
        assert_eq!(lengths(3), vec![1, 2, 2]);
        assert_eq!(lengths(4), vec![2, 2, 2, 2]);
        assert_eq!(lengths(5), vec![1, 3, 3, 3, 3]);
    }

    #[test]
    fn a_reversed_proof_fails() {
        let leaves: Vec<_> = (0..4).map(leaf).collect();
        let tree = MerkleTree::new(leaves.clone());
        let mut p = tree.proof(&leaves[0]);
        p.reverse();
        assert!(!check_proof(&leaves[0], &p, &tree.root()));
    }
}
