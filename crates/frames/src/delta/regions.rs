//! Which rectangles of MCUs a frame's changes go out in.
//!
//! Every tile carries its own headers (some hundreds of bytes), and every unchanged MCU inside
//! a tile costs its coded bits, so the grouping weighs the two: the changed MCUs that touch
//! (side or corner) start as one rectangle each, their bounding box, and two rectangles are
//! merged into their common bounding box whenever that costs no more than sending them apart
//! (a spinner becomes one tile, two changes with a stretch of plain background between them
//! one, two changes with paragraphs of text between them two). When more than `max` remain,
//! the merges that cost least are made until `max` do. An MCU's cost is its length in the
//! frame's scan, summed over rectangles with a table of prefix sums.
//!
//! Changes scattered all over a frame would make the pairwise merging slow, so when they start
//! as more than `MAX_START` rectangles the grid is looked at in cells of 2×2, 4×4, … MCUs
//! (changed MCUs in neighbouring cells touch) until they do not.

/// Rectangles the pairwise merging starts with at most.
const MAX_START: usize = 64;

/// A rectangle of MCUs: columns `x0..x1`, rows `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Region {
    pub(super) x0: usize,
    pub(super) y0: usize,
    pub(super) x1: usize,
    pub(super) y1: usize,
}

impl Region {
    fn mcu(x: usize, y: usize) -> Self {
        Self { x0: x, y0: y, x1: x + 1, y1: y + 1 }
    }

    /// The bounding box of both.
    fn union(self, other: Self) -> Self {
        Self {
            x0: self.x0.min(other.x0),
            y0: self.y0.min(other.y0),
            x1: self.x1.max(other.x1),
            y1: self.y1.max(other.y1),
        }
    }
}

/// What sending rectangles of MCUs costs, in bits.
pub(super) struct Costs {
    /// `sums[y * (mcus_x + 1) + x]`: the bits of the MCUs above row `y` and left of column `x`.
    sums: Vec<u64>,
    /// MCUs across the frame.
    mcus_x: usize,
    /// A tile's headers.
    overhead: u64,
}

impl Costs {
    /// Costs of MCUs `bits` long (in scan order, `mcus_x` a row), tiles with headers
    /// `overhead` bits long.
    pub(super) fn new(bits: &[u32], mcus_x: usize, overhead: u64) -> Self {
        let width = mcus_x + 1;
        let mcus_y = bits.len() / mcus_x.max(1);
        let mut sums = vec![0u64; width * (mcus_y + 1)];
        for y in 0..mcus_y {
            let mut row = 0;
            for x in 0..mcus_x {
                row += u64::from(bits[y * mcus_x + x]);
                sums[(y + 1) * width + x + 1] = sums[y * width + x + 1] + row;
            }
        }
        Self { sums, mcus_x, overhead }
    }

    /// The bits of a tile of `region`.
    pub(super) fn of(&self, region: Region) -> u64 {
        let width = self.mcus_x + 1;
        let at = |x: usize, y: usize| self.sums[y * width + x];
        let inside = at(region.x1, region.y1) + at(region.x0, region.y0)
            - at(region.x0, region.y1)
            - at(region.x1, region.y0);
        self.overhead + inside
    }
}

/// Rectangles covering every MCU marked in `changed` (scan order, `mcus_x` a row) at about the
/// least cost, at most `max` of them, top to bottom and left to right.
pub(super) fn group(changed: &[bool], mcus_x: usize, costs: &Costs, max: usize) -> Vec<Region> {
    let mut cell = 1;
    let mut regions = touching(changed, mcus_x, cell);
    while regions.len() > MAX_START {
        cell *= 2;
        regions = touching(changed, mcus_x, cell);
    }
    merge(&mut regions, costs, max.max(1));
    regions.sort_by_key(|r| (r.y0, r.x0));
    regions
}

/// The bounding boxes of the changed MCUs that touch, looking at the grid in cells of
/// `cell`×`cell` MCUs: changed MCUs in the same or neighbouring cells touch.
fn touching(changed: &[bool], mcus_x: usize, cell: usize) -> Vec<Region> {
    let mcus_y = changed.len() / mcus_x.max(1);
    let (cells_x, cells_y) = (mcus_x.div_ceil(cell), mcus_y.div_ceil(cell));
    // The box of the changed MCUs in each cell.
    let mut boxes: Vec<Option<Region>> = vec![None; cells_x * cells_y];
    for (mcu, _) in changed.iter().enumerate().filter(|(_, &c)| c) {
        let (x, y) = (mcu % mcus_x, mcu / mcus_x);
        let cell_box = &mut boxes[(y / cell) * cells_x + x / cell];
        let one = Region::mcu(x, y);
        *cell_box = Some(cell_box.map_or(one, |b| b.union(one)));
    }
    let mut regions = Vec::new();
    let mut stack = Vec::new();
    for start in 0..boxes.len() {
        let Some(mut region) = boxes[start].take() else {
            continue;
        };
        stack.push(start);
        while let Some(at) = stack.pop() {
            let (cx, cy) = (at % cells_x, at / cells_x);
            for ny in cy.saturating_sub(1)..(cy + 2).min(cells_y) {
                for nx in cx.saturating_sub(1)..(cx + 2).min(cells_x) {
                    if let Some(found) = boxes[ny * cells_x + nx].take() {
                        region = region.union(found);
                        stack.push(ny * cells_x + nx);
                    }
                }
            }
        }
        regions.push(region);
    }
    regions
}

/// Merges pairs of `regions` while that costs nothing, then while more than `max` remain.
fn merge(regions: &mut Vec<Region>, costs: &Costs, max: usize) {
    let mut own: Vec<u64> = regions.iter().map(|&r| costs.of(r)).collect();
    while regions.len() > 1 {
        // The merge that saves the most, or loses the least.
        let mut best: Option<(i64, usize, usize, u64)> = None;
        for i in 0..regions.len() {
            for j in i + 1..regions.len() {
                let cost = costs.of(regions[i].union(regions[j]));
                let saving = (own[i] + own[j]) as i64 - cost as i64;
                if best.is_none_or(|(most, ..)| saving > most) {
                    best = Some((saving, i, j, cost));
                }
            }
        }
        let Some((saving, i, j, cost)) = best else {
            break;
        };
        if saving < 0 && regions.len() <= max {
            break;
        }
        regions[i] = regions[i].union(regions[j]);
        own[i] = cost;
        regions.swap_remove(j);
        own.swap_remove(j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grid from rows of `#` (changed) and `.` (not).
    fn grid(rows: &[&str]) -> (Vec<bool>, usize) {
        let changed = rows.iter().flat_map(|row| row.chars().map(|c| c == '#')).collect();
        (changed, rows[0].len())
    }

    fn region(x0: usize, y0: usize, x1: usize, y1: usize) -> Region {
        Region { x0, y0, x1, y1 }
    }

    #[test]
    fn costs_sum_the_bits_inside_a_rectangle_and_one_overhead() {
        let bits: Vec<u32> = (1..=12).collect();
        let costs = Costs::new(&bits, 4, 100);
        assert_eq!(costs.of(region(0, 0, 4, 3)), 100 + 78);
        assert_eq!(costs.of(region(1, 1, 3, 3)), 100 + 6 + 7 + 10 + 11);
        assert_eq!(costs.of(region(3, 2, 4, 3)), 100 + 12);
    }

    #[test]
    fn changed_mcus_that_touch_are_one_rectangle() {
        let (changed, mcus_x) = grid(&[
            "........", //
            "..#.....", "...##...", "..#.#...", "........",
        ]);
        let costs = Costs::new(&vec![50; changed.len()], mcus_x, 2000);
        assert_eq!(group(&changed, mcus_x, &costs, 32), [region(2, 1, 5, 4)]);
    }

    #[test]
    fn changes_apart_merge_across_cheap_gaps_and_not_across_dear_ones() {
        let (changed, mcus_x) = grid(&[
            "#......#", //
            "........",
        ]);
        let plain = Costs::new(&vec![10; changed.len()], mcus_x, 2000);
        assert_eq!(group(&changed, mcus_x, &plain, 32), [region(0, 0, 8, 1)]);
        let text = Costs::new(&vec![500; changed.len()], mcus_x, 2000);
        assert_eq!(group(&changed, mcus_x, &text, 32), [region(0, 0, 1, 1), region(7, 0, 8, 1)]);
    }

    #[test]
    fn no_more_than_max_rectangles_come_out() {
        let (changed, mcus_x) = grid(&[
            "#.#.#.#.#", //
            ".........",
            "#.#.#.#.#",
        ]);
        let costs = Costs::new(&vec![1000; changed.len()], mcus_x, 10);
        assert_eq!(group(&changed, mcus_x, &costs, 32).len(), 10);
        let few = group(&changed, mcus_x, &costs, 3);
        assert_eq!(few.len(), 3);
        for (mcu, _) in changed.iter().enumerate().filter(|(_, &c)| c) {
            let (x, y) = (mcu % mcus_x, mcu / mcus_x);
            assert!(few.iter().any(|r| (r.x0..r.x1).contains(&x) && (r.y0..r.y1).contains(&y)));
        }
    }

    #[test]
    fn scattered_changes_are_looked_at_in_cells_and_every_one_is_covered() {
        let (mcus_x, mcus_y) = (80, 45);
        let changed: Vec<bool> = (0..mcus_x * mcus_y)
            .map(|mcu| (mcu % mcus_x) % 3 == 0 && (mcu / mcus_x) % 3 == 0)
            .collect();
        let costs = Costs::new(&vec![300; changed.len()], mcus_x, 3000);
        let regions = group(&changed, mcus_x, &costs, 32);
        assert!(!regions.is_empty() && regions.len() <= 32);
        for (mcu, _) in changed.iter().enumerate().filter(|(_, &c)| c) {
            let (x, y) = (mcu % mcus_x, mcu / mcus_x);
            assert!(regions.iter().any(|r| (r.x0..r.x1).contains(&x) && (r.y0..r.y1).contains(&y)));
        }
    }
}
