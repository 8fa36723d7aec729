//! The migration matrix as a Sankey chart, drawn here as inline SVG (no script, no
//! library): the earlier run's segments on the left, the later run's on the right, a
//! band per cell as wide as its customers, each a link to the cell's customer list.

use super::migration::Migration;
use crate::html::{escape, whole};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 440.0;
const NODE_WIDTH: f64 = 14.0;
const GAP: f64 = 8.0;
/// Room on each side for the segment names.
const LABEL_ROOM: f64 = 190.0;
/// Nodes thinner than this carry no label (it would overlap its neighbours); their
/// tooltip still names them.
const MIN_LABELED: f64 = 11.0;

/// The SVG; `color` gives a segment's colour, `href` the link of cell (row, column).
pub fn sankey(
    migration: &Migration,
    color: impl Fn(&str) -> &'static str,
    href: impl Fn(&str, &str) -> String,
) -> String {
    let rows = migration.was.len();
    let columns = migration.now.len();
    let row_total = |r: usize| -> usize { migration.cells[r].iter().map(|c| c.customers).sum() };
    let column_total =
        |c: usize| -> usize { (0..rows).map(|r| migration.cells[r][c].customers).sum() };
    let left: Vec<usize> = (0..rows).filter(|&r| row_total(r) > 0).collect();
    let right: Vec<usize> = (0..columns).filter(|&c| column_total(c) > 0).collect();
    let total = migration.total().max(1) as f64;
    let room = |nodes: usize| HEIGHT - GAP * nodes.saturating_sub(1) as f64;
    let scale = room(left.len()).min(room(right.len())) / total;
    let tops = |nodes: &[usize], size: &dyn Fn(usize) -> usize| -> Vec<(usize, f64)> {
        let mut y = 0.0;
        nodes
            .iter()
            .map(|&n| {
                let top = y;
                y += size(n) as f64 * scale + GAP;
                (n, top)
            })
            .collect()
    };
    let left_tops = tops(&left, &row_total);
    let right_tops = tops(&right, &column_total);
    let (x_left, x_right) = (LABEL_ROOM, WIDTH - LABEL_ROOM - NODE_WIDTH);
    let mut svg = String::new();
    // Bands first, so the nodes and names are drawn over them.
    let mut right_filled: Vec<f64> = right_tops.iter().map(|&(_, top)| top).collect();
    for &(r, top) in &left_tops {
        let mut y0 = top;
        for (slot, &(c, _)) in right_tops.iter().enumerate() {
            let cell = migration.cells[r][c];
            if cell.customers == 0 {
                continue;
            }
            let thickness = cell.customers as f64 * scale;
            let y1 = right_filled[slot];
            right_filled[slot] += thickness;
            let (x0, x1) = (x_left + NODE_WIDTH, x_right);
            let middle = (x0 + x1) / 2.0;
            let (was, now) = (&migration.was[r], &migration.now[c]);
            svg.push_str(&format!(
                "<a href=\"{href}\"><path class=\"band\" d=\"M{x0:.1},{y0:.1} C{middle:.1},{y0:.1} {middle:.1},{y1:.1} {x1:.1},{y1:.1} \
L{x1:.1},{y1b:.1} C{middle:.1},{y1b:.1} {middle:.1},{y0b:.1} {x0:.1},{y0b:.1} Z\" fill=\"{fill}\" fill-opacity=\"0.4\">\
<title>{was} &#8594; {now}: {count} customers</title></path></a>",
                href = escape(&href(was, now)),
                y1b = y1 + thickness,
                y0b = y0 + thickness,
                fill = color(was),
                was = escape(was),
                now = escape(now),
                count = whole(cell.customers as f64),
            ));
            y0 += thickness;
        }
    }
    let node = |name: &str, customers: usize, x: f64, top: f64, label_left: bool| {
        let height = (customers as f64 * scale).max(1.0);
        let label = if height >= MIN_LABELED {
            let (text_x, anchor) = if label_left {
                (x - 6.0, "end")
            } else {
                (x + NODE_WIDTH + 6.0, "start")
            };
            format!(
                "<text x=\"{text_x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" dominant-baseline=\"middle\">{} <tspan class=\"muted\">{}</tspan></text>",
                top + height / 2.0,
                escape(name),
                whole(customers as f64)
            )
        } else {
            String::new()
        };
        format!(
            "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{NODE_WIDTH}\" height=\"{height:.1}\" fill=\"{}\"><title>{}: {} customers</title></rect>{label}",
            color(name),
            escape(name),
            whole(customers as f64)
        )
    };
    for &(r, top) in &left_tops {
        svg.push_str(&node(&migration.was[r], row_total(r), x_left, top, true));
    }
    for &(c, top) in &right_tops {
        svg.push_str(&node(
            &migration.now[c],
            column_total(c),
            x_right,
            top,
            false,
        ));
    }
    format!(
        "<svg class=\"sankey\" id=\"sankey\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
aria-label=\"Customers from the earlier run's segments (left) to the later run's (right)\">{svg}</svg>"
    )
}
