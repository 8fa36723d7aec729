//! The exact-duplicate rule, applied once all lines are read.
//!
//! Every kept line carries a 64-bit key made from its eight fields on the worker that
//! typed it. Lines are bucketed by the top bits of that key into partitions of about
//! 64k lines; each partition is de-duplicated on its own, in input order, with a hash
//! table small enough to stay in cache, and the partitions run on the rayon workers.
//! One table over all lines, probed as lines arrived, cost a cache miss per line on
//! the thread that merges batches: a third of all reading time on 10M lines
//! (docs/benchmarks.md, "Duplicates after reading").

use crate::clean::Columns;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rayon::prelude::*;

/// Lines per partition aimed at (the table of one fits in a core's cache).
const PARTITION_LINES: usize = 1 << 16;

/// Removes every line equal in all eight fields to an earlier one (the first copy
/// stays, the order of the others is kept); `keys[i]` is line `i`'s key. Returns the
/// number of lines removed.
pub(crate) fn remove_exact_duplicates(columns: &mut Columns, keys: Vec<u64>) -> u64 {
    let duplicate = mark_duplicates(columns, keys);
    let removed = duplicate.iter().filter(|&&d| d).count();
    if removed > 0 {
        columns.retain(&duplicate);
    }
    removed as u64
}

/// For each line, whether it repeats an earlier one.
fn mark_duplicates(columns: &Columns, keys: Vec<u64>) -> Vec<bool> {
    let bits = (keys.len() / PARTITION_LINES).max(1).ilog2().min(16);
    let partition = |key: u64| {
        if bits == 0 {
            0
        } else {
            (key >> (64 - bits)) as usize
        }
    };
    // Line numbers and the low half of their keys, bucketed by partition, each bucket
    // in input order (a counting sort): a partition's table then reads only its own
    // contiguous slices, never the whole key column.
    let mut starts = vec![0usize; (1 << bits) + 1];
    for &key in &keys {
        starts[partition(key) + 1] += 1;
    }
    for p in 1..starts.len() {
        starts[p] += starts[p - 1];
    }
    let mut next = starts.clone();
    let mut lines = vec![0u32; keys.len()];
    let mut tags = vec![0u32; keys.len()];
    for (line, &key) in keys.iter().enumerate() {
        let slot = &mut next[partition(key)];
        lines[*slot] = line as u32;
        tags[*slot] = key as u32;
        *slot += 1;
    }
    let line_count = keys.len();
    drop(keys);
    let repeats: Vec<Vec<u32>> = starts
        .par_windows(2)
        .map(|range| {
            let range = range[0]..range[1];
            repeats_in(columns, &lines[range.clone()], &tags[range])
        })
        .collect();
    let mut duplicate = vec![false; line_count];
    for line in repeats.into_iter().flatten() {
        duplicate[line as usize] = true;
    }
    duplicate
}

/// The lines of one partition (given in input order, with the low half of their
/// keys) that repeat an earlier one.
fn repeats_in(columns: &Columns, lines: &[u32], tags: &[u32]) -> Vec<u32> {
    let hash = |tag: u32| u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // Positions in `lines` of the first copies seen so far.
    let mut seen: HashTable<u32> = HashTable::with_capacity(lines.len());
    let mut repeats = Vec::new();
    for (at, (&line, &tag)) in lines.iter().zip(tags).enumerate() {
        let entry = seen.entry(
            hash(tag),
            |&kept| {
                tags[kept as usize] == tag
                    && columns.same_line(lines[kept as usize] as usize, line as usize)
            },
            |&kept| hash(tags[kept as usize]),
        );
        match entry {
            Entry::Occupied(_) => repeats.push(line),
            Entry::Vacant(vacant) => {
                vacant.insert(at as u32);
            }
        }
    }
    repeats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns_of(lines: &[(u32, i64, f64)]) -> Columns {
        let mut columns = Columns::default();
        for &(invoice, timestamp, price) in lines {
            columns.customer.push(1);
            columns.invoice.push(invoice);
            columns.stock_code.push(2);
            columns.description.push(3);
            columns.country.push(4);
            columns.timestamp.push(timestamp);
            columns.quantity.push(1.0);
            columns.price.push(price);
            columns.is_return.push(false);
        }
        columns
    }

    #[test]
    fn later_copies_go_and_the_order_stays() {
        let lines = [
            (1, 10, 2.0),
            (2, 10, 2.0),
            (1, 10, 2.0),
            (3, 5, 1.5),
            (2, 10, 2.0),
        ];
        let mut columns = columns_of(&lines);
        let keys: Vec<u64> = lines.iter().map(|l| u64::from(l.0) * 7919).collect();
        assert_eq!(remove_exact_duplicates(&mut columns, keys), 2);
        assert_eq!(columns.invoice, vec![1, 2, 3]);
        assert_eq!(columns.timestamp, vec![10, 10, 5]);
    }

    #[test]
    fn equal_keys_of_different_lines_are_not_duplicates() {
        // Every key collides: only the field-by-field comparison tells lines apart.
        let lines: Vec<(u32, i64, f64)> = (0..20_000).map(|i| (i % 100, 7, 1.0)).collect();
        let mut columns = columns_of(&lines);
        let keys = vec![42; lines.len()];
        assert_eq!(remove_exact_duplicates(&mut columns, keys), 19_900);
        assert_eq!(columns.invoice, (0..100).collect::<Vec<u32>>());
    }

    #[test]
    fn many_partitions_give_what_one_table_gives() {
        let lines: Vec<(u32, i64, f64)> = (0..300_000u32)
            .map(|i| {
                (
                    i.wrapping_mul(2_654_435_761) % 250_000,
                    i64::from(i % 3),
                    1.0,
                )
            })
            .collect();
        let keys: Vec<u64> = lines
            .iter()
            .map(|&(invoice, day, _)| {
                (u64::from(invoice) << 2 | day as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let expected: Vec<u32> = lines
            .iter()
            .filter(|&&(invoice, day, _)| seen.insert((invoice, day)))
            .map(|l| l.0)
            .collect();
        let mut columns = columns_of(&lines);
        let removed = remove_exact_duplicates(&mut columns, keys);
        assert_eq!(removed as usize, lines.len() - expected.len());
        assert_eq!(columns.invoice, expected);
    }
}
