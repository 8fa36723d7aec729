//! A string interner: each distinct string is stored once and named by a `u32`.
//!
//! Invoices, stock codes, descriptions, customers and countries repeat on every line;
//! holding them as small integers keeps the clean table at a few dozen bytes a line
//! and makes exact duplicate detection and grouping cheap.

use hashbrown::HashTable;
use xxhash_rust::xxh3::xxh3_64;

#[derive(Debug, Default)]
pub(crate) struct Interner {
    /// The strings one after the other (one allocation, not one per string: batches
    /// typed in parallel each fill an interner of their own).
    text: String,
    /// Where each string ends in `text`, by id.
    ends: Vec<usize>,
    /// [`content_hash`] of each string, by id: absorbing a batch's interner and
    /// growing the index never hash a string twice, and a line's duplicate key is
    /// made of its strings' hashes on the worker that typed it.
    hashes: Vec<u64>,
    index: HashTable<u32>,
}

/// The hash of a string's text, the same in every interner (a fixed seed), so that a
/// batch's hashes hold in the run's interner.
fn content_hash(text: &str) -> u64 {
    xxh3_64(text.as_bytes())
}

impl Interner {
    /// The id of `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> u32 {
        self.intern_hashed(text, content_hash(text))
    }

    /// [`Interner::intern`] of a string whose [`content_hash`] is `hash`.
    fn intern_hashed(&mut self, text: &str, hash: u64) -> u32 {
        let (all, ends) = (&self.text, &self.ends);
        if let Some(&id) = self
            .index
            .find(hash, |&id| string_at(all, ends, id) == text)
        {
            return id;
        }
        let id = u32::try_from(self.ends.len()).expect("fewer than 4 billion distinct values");
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.hashes.push(hash);
        let hashes = &self.hashes;
        self.index
            .insert_unique(hash, id, |&id| hashes[id as usize]);
        id
    }

    /// The [`content_hash`] of the string `id` names.
    pub fn hash_of(&self, id: u32) -> u64 {
        self.hashes[id as usize]
    }

    /// Adds the strings of `other` in its id order; returns the id here of each of
    /// `other`'s ids.
    pub fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        (0..other.ends.len() as u32)
            .map(|id| {
                self.intern_hashed(string_at(&other.text, &other.ends, id), other.hash_of(id))
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// All strings, in id order.
    pub fn into_strings(self) -> Vec<Box<str>> {
        (0..self.ends.len() as u32)
            .map(|id| string_at(&self.text, &self.ends, id).into())
            .collect()
    }
}

fn string_at<'a>(text: &'a str, ends: &[usize], id: u32) -> &'a str {
    let id = id as usize;
    let start = if id == 0 { 0 } else { ends[id - 1] };
    &text[start..ends[id]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_an_id() {
        let mut interner = Interner::default();
        let a = interner.intern("85123A");
        let b = interner.intern("22423");
        assert_eq!(interner.intern("85123A"), a);
        assert_ne!(a, b);
        assert_eq!(interner.len(), 2);
        assert_eq!(&*interner.into_strings()[b as usize], "22423");
    }

    #[test]
    fn absorbing_gives_the_ids_of_interning_in_order() {
        let mut whole = Interner::default();
        let mut merged = Interner::default();
        let mut batch = Interner::default();
        for text in ["a", "b"] {
            whole.intern(text);
            merged.intern(text);
        }
        for text in ["c", "a", "d"] {
            whole.intern(text);
            batch.intern(text);
        }
        assert_eq!(merged.absorb(&batch), vec![2, 0, 3]);
        assert_eq!(merged.into_strings(), whole.into_strings());
    }
}
