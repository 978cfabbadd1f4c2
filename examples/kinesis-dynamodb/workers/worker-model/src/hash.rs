//! A fast string hash for the model's own lookup tables.
//!
//! std's SipHash resists collision flooding, which matters for tables whose
//! keys an attacker chooses. The tables here (feature names, category
//! vocabularies) are built from the model file at load and never grow; request
//! strings are only looked up in them, so the worst an adversarial key can do
//! is probe a fixed, small table. SipHash costs more than the rest of a lookup
//! put together on keys this short, and scoring does one per request feature.

use std::{collections::HashMap, hash::BuildHasherDefault, hash::Hasher};

/// A table built at load and only read while scoring.
pub(super) type FixedMap<V> = HashMap<String, V, BuildHasherDefault<WordHasher>>;

/// Odd constant with well-spread bits (from FxHash), for multiplicative mixing.
const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Mixes eight bytes at a time: one multiply per word.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(K).rotate_left(26);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        // The length keeps keys that differ only in trailing zero bytes apart.
        self.add(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        // hashbrown picks buckets with the low bits and tags with the top
        // seven; a final multiply spreads the last word into both.
        (self.0 ^ (self.0 >> 32)).wrapping_mul(K)
    }
}
