//! Segment migration between two runs: where each customer of the earlier run is in
//! the later one. Rows are the segment in the earlier run (plus [`NEW`]: customers
//! only the later run has), columns the segment in the later run (plus [`GONE`]:
//! customers only the earlier run has); a cell counts its customers and their net
//! spend (`monetary` of customers.csv: the later run's, the earlier run's for those
//! who are gone).

use crate::run::RunData;

/// The row of customers the earlier run does not have.
pub const NEW: &str = "New";
/// The column of customers the later run does not have.
pub const GONE: &str = "Gone";

/// Which run's customers.csv holds a customer's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Earlier,
    Later,
}

/// One customer's move: segment before and after, and the row that describes them
/// (the later run's, the earlier run's for one who is gone).
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    pub was: &'a str,
    pub now: &'a str,
    pub side: Side,
    pub row: usize,
}

/// Every customer of either run, once: the earlier run's in file order, then the ones
/// new in the later run.
pub fn moves<'a>(earlier: &'a RunData, later: &'a RunData) -> impl Iterator<Item = Move<'a>> {
    let before = &earlier.customers;
    let after = &later.customers;
    let kept = (0..before.len()).map(move |row| {
        let id = &before.customer_id[row];
        match after.row_of(id) {
            Some(later_row) => Move {
                was: &before.rfm_segment[row],
                now: &after.rfm_segment[later_row],
                side: Side::Later,
                row: later_row,
            },
            None => Move {
                was: &before.rfm_segment[row],
                now: GONE,
                side: Side::Earlier,
                row,
            },
        }
    });
    let new = (0..after.len())
        .filter(move |&row| before.row_of(&after.customer_id[row]).is_none())
        .map(move |row| Move {
            was: NEW,
            now: &after.rfm_segment[row],
            side: Side::Later,
            row,
        });
    kept.chain(new)
}

/// Customers and their net spend.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    pub customers: usize,
    pub revenue: f64,
}

/// The migration matrix.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Row names: the segments, then [`NEW`].
    pub was: Vec<String>,
    /// Column names: the segments, then [`GONE`].
    pub now: Vec<String>,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<Cell>>,
}

impl Migration {
    /// The matrix between two runs. Both axes list the segments in one order (the
    /// later run's, largest first, then any only the earlier run has), so the
    /// customers who kept their segment are on the diagonal.
    pub fn between(earlier: &RunData, later: &RunData) -> Migration {
        let mut segments: Vec<String> = later.segments.iter().map(|s| s.name.clone()).collect();
        for s in &earlier.segments {
            if !segments.contains(&s.name) {
                segments.push(s.name.clone());
            }
        }
        let was: Vec<String> = segments.iter().cloned().chain([NEW.to_string()]).collect();
        let now: Vec<String> = segments.into_iter().chain([GONE.to_string()]).collect();
        let mut cells = vec![vec![Cell::default(); now.len()]; was.len()];
        let spend = |side: Side| match side {
            Side::Earlier => earlier.customers.required("monetary"),
            Side::Later => later.customers.required("monetary"),
        };
        let (spend_before, spend_after) = (spend(Side::Earlier), spend(Side::Later));
        for step in moves(earlier, later) {
            let (Some(row), Some(column)) = (
                was.iter().position(|s| s == step.was),
                now.iter().position(|s| s == step.now),
            ) else {
                continue;
            };
            let cell = &mut cells[row][column];
            cell.customers += 1;
            cell.revenue += match step.side {
                Side::Earlier => spend_before.get(step.row),
                Side::Later => spend_after.get(step.row),
            };
        }
        Migration { was, now, cells }
    }

    pub fn cell(&self, was: &str, now: &str) -> Option<Cell> {
        let row = self.was.iter().position(|s| s == was)?;
        let column = self.now.iter().position(|s| s == now)?;
        Some(self.cells[row][column])
    }

    /// Customers in every row: all the customers of either run.
    pub fn total(&self) -> usize {
        self.cells.iter().flatten().map(|c| c.customers).sum()
    }

    /// Customers who kept their segment.
    pub fn kept(&self) -> usize {
        self.was
            .iter()
            .enumerate()
            .filter_map(|(row, was)| {
                let column = self.now.iter().position(|now| now == was)?;
                Some(self.cells[row][column].customers)
            })
            .sum()
    }
}

/// The customers of one cell, as rows of the run that holds them (the later run, the
/// earlier for [`GONE`]).
pub fn movers(earlier: &RunData, later: &RunData, was: &str, now: &str) -> (Side, Vec<usize>) {
    let side = if now == GONE {
        Side::Earlier
    } else {
        Side::Later
    };
    let rows = moves(earlier, later)
        .filter(|m| m.was == was && m.now == now)
        .map(|m| m.row)
        .collect();
    (side, rows)
}

/// A cell's customers in words: "Champions who moved to At Risk".
pub fn cell_title(was: &str, now: &str) -> String {
    match (was, now) {
        (NEW, now) => format!("New customers, now {now}"),
        (was, GONE) => format!("{was} who are gone from the later run"),
        (was, now) if was == now => format!("{was} who stayed {now}"),
        (was, now) => format!("{was} who moved to {now}"),
    }
}
