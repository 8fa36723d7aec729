//! A string interner: each distinct string is stored once and named by a `u32`.
//!
//! Invoices, stock codes, descriptions, customers and countries repeat on every line;
//! holding them as small integers keeps the clean table at a few dozen bytes a line
//! and makes exact duplicate detection and grouping cheap.

use hashbrown::DefaultHashBuilder;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Debug, Default)]
pub(crate) struct Interner {
    strings: Vec<Box<str>>,
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Interner {
    /// The id of `text`, adding it when new.
    pub fn intern(&mut self, text: &str) -> u32 {
        let hash = self.hasher.hash_one(text);
        let strings = &self.strings;
        if let Some(&id) = self.index.find(hash, |&id| &*strings[id as usize] == text) {
            return id;
        }
        let id = u32::try_from(self.strings.len()).expect("fewer than 4 billion distinct values");
        self.strings.push(text.into());
        let (strings, hasher) = (&self.strings, &self.hasher);
        self.index
            .insert_unique(hash, id, |&id| hasher.hash_one(&*strings[id as usize]));
        id
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// All strings, in id order.
    pub fn into_strings(self) -> Vec<Box<str>> {
        self.strings
    }
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
}
