//! Per-connection state that stays bounded however long the capture: a map that forgets the
//! entries used longest ago once it holds [`LIMIT`] of them.
//!
//! tshark remembers every connection of a capture, which is why it needs gigabytes for big
//! files. netlayers keeps at most `LIMIT` per table (relative sequence numbers, stream indices,
//! the TCP expert's history, HTTP connections): when a table is full, the half used longest ago
//! is dropped. Output differs from tshark's only for a connection that comes back after more
//! than `LIMIT` others were seen since it was last used — it then counts as new.

use std::collections::HashMap;
use std::hash::Hash;

/// A hash map whose entries carry the time they were last used.
#[derive(Debug, Clone)]
pub struct Recent<K, V> {
    map: HashMap<K, (V, u64), foldhash::fast::RandomState>,
    /// Counts uses; an entry's stamp is the count at its last use.
    clock: u64,
    limit: usize,
}

/// Entries kept per table: 8,192 connections (at most a few MB per table, whatever the state).
pub const LIMIT: usize = 1 << 13;

impl<K, V> Default for Recent<K, V> {
    fn default() -> Recent<K, V> {
        Recent { map: HashMap::default(), clock: 0, limit: LIMIT }
    }
}

impl<K: Hash + Eq, V> Recent<K, V> {
    /// A map that keeps at most `limit` entries (at least 2).
    pub fn with_limit(limit: usize) -> Recent<K, V> {
        Recent { limit: limit.max(2), ..Recent::default() }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn contains_key(&self, k: &K) -> bool {
        self.map.contains_key(k)
    }

    /// Looks without counting as a use.
    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k).map(|(v, _)| v)
    }

    /// Looks and counts as a use.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(k).map(|(v, t)| {
            *t = now;
            v
        })
    }

    /// Takes an entry out.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k).map(|(v, _)| v)
    }

    /// Inserts or replaces, as a use.
    pub fn insert(&mut self, k: K, v: V) {
        self.make_room(&k);
        self.clock += 1;
        self.map.insert(k, (v, self.clock));
    }

    /// The entry for `k`, made with `make` if absent; a use.
    pub fn get_or_insert_with(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        self.make_room(&k);
        self.clock += 1;
        let now = self.clock;
        let (v, t) = self.map.entry(k).or_insert_with(|| (make(), now));
        *t = now;
        v
    }

    /// Before a new key goes in: if the table is full, forget the half used longest ago.
    fn make_room(&mut self, k: &K) {
        if self.map.len() < self.limit || self.map.contains_key(k) {
            return;
        }
        let mut stamps: Vec<u64> = self.map.values().map(|(_, t)| *t).collect();
        // The newest stamp of the older half: it and everything older go.
        let older = stamps.len() / 2 - 1;
        let (_, &mut cut, _) = stamps.select_nth_unstable(older);
        self.map.retain(|_, (_, t)| *t > cut);
    }
}

impl<K: Hash + Eq, V: Default> Recent<K, V> {
    /// The entry for `k`, a default one if absent; a use.
    pub fn get_or_default(&mut self, k: K) -> &mut V {
        self.get_or_insert_with(k, V::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_was_used_lately_and_stays_bounded() {
        let mut r: Recent<u32, u32> = Recent::with_limit(8);
        for k in 0..8 {
            r.insert(k, k * 10);
        }
        // 0 and 1 are used again: the oldest are now 2, 3, 4, 5.
        assert_eq!(r.get_mut(&0), Some(&mut 0));
        *r.get_or_default(1) += 1;
        r.insert(100, 1);
        assert!(r.len() <= 8);
        for k in [0, 1, 6, 7, 100] {
            assert!(r.contains_key(&k), "{k} was used lately");
        }
        for k in [2, 3, 4, 5] {
            assert!(!r.contains_key(&k), "{k} was the oldest");
        }
        assert_eq!(r.get(&1), Some(&11));
        for k in 1000..100_000 {
            r.insert(k, 0);
            assert!(r.len() <= 8);
        }
    }
}
