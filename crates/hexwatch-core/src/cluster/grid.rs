//! The sorted grid both clusterings run on: points bucketed into square cells of side
//! r/√2 (r the linking radius), sorted by cell so that each cell's points are contiguous in
//! memory (a counting sort over the grid's cells when the grid has at most max(4n, 2¹⁶)
//! cells, else a radix sort on the cells' keys), every cell's neighbours within r listed
//! once, and a lock-free union-find over cells. No hash map anywhere.
//!
//! With side s = r/√2 any two points of one cell are within r of each other (the cell's
//! diagonal is r), so a cell's linked points form one group without a distance test; two
//! points within r lie at most two cells apart on each axis (r/s = √2 < 2), so a cell's
//! neighbours are found in the 5 × 5 block around it. The side is shrunk by one part in a
//! million so that rounding in the cell assignment can never put two points more than r
//! apart into one cell (the assignment's error is about the extent × 2⁻⁵², far below
//! r × 10⁻⁶ while the grid has fewer than 2³¹ cells per axis, which [`Grid::build`] checks).

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::ClusterError;
use crate::units::BngPoint;

/// The cell side as a fraction of r/√2 (see the module docs).
const SIDE_SHRINK: f64 = 1.0 - 1e-6;

/// Most cells along one axis (cell coordinates are `u32`; half the range keeps the
/// neighbour arithmetic clear of overflow).
const MAX_CELLS_PER_AXIS: f64 = 2_147_483_648.0;

/// Below this many points a comparison sort beats the radix sort's 2¹⁶-bucket passes.
const RADIX_MIN_POINTS: usize = 4096;

/// Whether a squared distance links two points: `d² ≤ r²` (DBSCAN's neighbourhood) or,
/// with `STRICT`, `d² < r²` (CrimeStat's "closer than the threshold").
#[inline]
pub(crate) fn links<const STRICT: bool>(distance_sq_m2: f64, radius_sq_m2: f64) -> bool {
    if STRICT { distance_sq_m2 < radius_sq_m2 } else { distance_sq_m2 <= radius_sq_m2 }
}

/// Squared distance between two points, computed as `dx·dx + dy·dy` (the order
/// scikit-learn's Euclidean metric uses, so ties at exactly r agree).
#[inline]
pub(crate) fn distance_sq(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    dx * dx + dy * dy
}

/// Squared distance from a point to a box `[xmin, ymin, xmax, ymax]` (0 inside).
#[inline]
fn point_box_distance_sq(p: [f64; 2], b: [f64; 4]) -> f64 {
    let dx = (b[0] - p[0]).max(0.0).max(p[0] - b[2]);
    let dy = (b[1] - p[1]).max(0.0).max(p[1] - b[3]);
    dx * dx + dy * dy
}

/// Squared distance between two boxes (0 when they touch or overlap).
#[inline]
fn box_box_distance_sq(a: [f64; 4], b: [f64; 4]) -> f64 {
    let dx = (b[0] - a[2]).max(0.0).max(a[0] - b[2]);
    let dy = (b[1] - a[3]).max(0.0).max(a[1] - b[3]);
    dx * dx + dy * dy
}

/// The bounding box of points, `[xmin, ymin, xmax, ymax]`.
fn bbox_of(points: &[[f64; 2]]) -> [f64; 4] {
    points.iter().fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, p| {
        [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]
    })
}

/// Points sorted into cells, with each cell's neighbours.
#[derive(Debug)]
pub(crate) struct Grid {
    /// Coordinates `[easting_m, northing_m]` in cell order.
    pub(crate) xy: Vec<[f64; 2]>,
    /// `order[i]`: the input index of sorted point `i` (ascending within a cell).
    pub(crate) order: Vec<u32>,
    /// `cell_of[i]`: the cell of sorted point `i`.
    pub(crate) cell_of: Vec<u32>,
    /// Cell `c` holds sorted points `starts[c]..starts[c + 1]`.
    starts: Vec<u32>,
    /// Bounding box of each cell's points.
    bbox: Vec<[f64; 4]>,
    /// Cell `c`'s neighbours are `neighbours[neighbour_starts[c]..neighbour_starts[c + 1]]`:
    /// itself first, then the others nearest ring first, each with the ring it lies in.
    neighbour_starts: Vec<u32>,
    neighbours: Vec<(u32, Ring)>,
    /// The linking radius r, metres, and r².
    radius_sq_m2: f64,
}

/// How far a neighbouring cell is, by its offset (dx, dy) in cells: the union-find links
/// near cells first so that far checks mostly find both cells already joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ring {
    /// The cell itself.
    Own,
    /// dx² + dy² ≤ 2 (the 8 cells around).
    Near,
    /// dx² + dy² ∈ {4, 5}.
    Middle,
    /// dx² + dy² = 8 (the block's corners).
    Corner,
}

impl Ring {
    /// The ring of the cell at offset (dx, dy), both within −2…2.
    const fn of(dx: i64, dy: i64) -> Self {
        match dx * dx + dy * dy {
            0 => Self::Own,
            1 | 2 => Self::Near,
            4 | 5 => Self::Middle,
            _ => Self::Corner,
        }
    }
}

impl Grid {
    /// Buckets `points` into cells of side r/√2 (shrunk by 10⁻⁶) and lists each cell's
    /// neighbours that may hold a point within `radius_m` of one of its points.
    ///
    /// # Errors
    /// [`ClusterError::NonFinitePoint`] for a NaN or infinite coordinate (the first one),
    /// [`ClusterError::TooManyPoints`] beyond `u32::MAX` points,
    /// [`ClusterError::ExtentTooLarge`] when the grid would have 2³¹ cells or more per axis.
    pub(crate) fn build(points: &[BngPoint], radius_m: f64) -> Result<Self, ClusterError> {
        let n = u32::try_from(points.len()).map_err(|_| ClusterError::TooManyPoints { n: points.len() })?;
        if let Some((index, p)) =
            points.iter().enumerate().find(|(_, p)| !(p.easting_m.is_finite() && p.northing_m.is_finite()))
        {
            return Err(ClusterError::NonFinitePoint {
                index,
                easting_m: p.easting_m,
                northing_m: p.northing_m,
            });
        }
        let radius_sq_m2 = radius_m * radius_m;
        if n == 0 {
            return Ok(Self {
                xy: Vec::new(),
                order: Vec::new(),
                cell_of: Vec::new(),
                starts: vec![0],
                bbox: Vec::new(),
                neighbour_starts: vec![0],
                neighbours: Vec::new(),
                radius_sq_m2,
            });
        }
        let extent = points
            .par_iter()
            .fold(
                || [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY],
                |b, p| {
                    [
                        b[0].min(p.easting_m),
                        b[1].min(p.northing_m),
                        b[2].max(p.easting_m),
                        b[3].max(p.northing_m),
                    ]
                },
            )
            .reduce(
                || [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY],
                |a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])],
            );
        let side = radius_m * std::f64::consts::FRAC_1_SQRT_2 * SIDE_SHRINK;
        let span_m = (extent[2] - extent[0]).max(extent[3] - extent[1]);
        // side > 0 (radius validated by the callers) unless it underflowed.
        if side <= 0.0 || span_m / side >= MAX_CELLS_PER_AXIS {
            return Err(ClusterError::ExtentTooLarge { radius_m, extent_m: span_m });
        }
        let (x0, y0) = (extent[0], extent[1]);
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "non-negative and below 2^31 (checked above); `as` floors non-negative values"
        )]
        let cell_xy = |e: f64, n: f64| (((e - x0) / side) as u32, ((n - y0) / side) as u32);
        let coords: Vec<(u32, u32)> = points.par_iter().map(|p| cell_xy(p.easting_m, p.northing_m)).collect();
        let (max_cx, max_cy) = cell_xy(extent[2], extent[3]);
        let (ncols, nrows) = (u64::from(max_cx) + 1, u64::from(max_cy) + 1);
        let dense_limit = (4 * u64::from(n)).max(DENSE_MIN_CELLS);
        let (order, cells, locator) = if ncols * nrows <= dense_limit {
            sort_dense(&coords, ncols, nrows)
        } else {
            sort_sparse(&coords)
        };
        drop(coords);
        let cell_count = cells.coords.len();
        let starts = cells.starts;
        let cell_of: Vec<u32> = {
            let mut cell_of = vec![0_u32; order.len()];
            cell_of.par_chunks_mut(CHUNK).enumerate().for_each(|(k, chunk)| {
                let first = k * CHUNK;
                // The cell of the chunk's first point, then walk forward.
                #[expect(clippy::cast_possible_truncation, reason = "cells ≤ u32::MAX")]
                let mut c = starts.partition_point(|&s| s as usize <= first) as u32 - 1;
                for (i, slot) in (first..).zip(chunk.iter_mut()) {
                    while starts[c as usize + 1] as usize <= i {
                        c += 1;
                    }
                    *slot = c;
                }
            });
            cell_of
        };
        let xy: Vec<[f64; 2]> = order
            .par_iter()
            .map(|&i| [points[i as usize].easting_m, points[i as usize].northing_m])
            .collect();
        let bbox: Vec<[f64; 4]> =
            starts.par_windows(2).map(|w| bbox_of(&xy[w[0] as usize..w[1] as usize])).collect();

        // Neighbour lists, each cell's bounding box pruned against its own.
        let (locator, bbox_ref, cell_coords) = (&locator, &bbox, &cells.coords);
        // The cell itself first, then the rest of its 5 × 5 block row by row, less cells whose
        // bounding box is farther than r from its own.
        let push_neighbours = |c: usize, out: &mut Vec<(u32, Ring)>| {
            let (cx, cy) = cell_coords[c];
            #[expect(clippy::cast_possible_truncation, reason = "cells ≤ u32::MAX")]
            out.push((c as u32, Ring::Own));
            for dy in -2_i64..=2 {
                let Ok(row) = u32::try_from(i64::from(cy) + dy) else { continue };
                locator.row(row, cx.saturating_sub(2), cx.saturating_add(2), |x, j| {
                    let dx = i64::from(x) - i64::from(cx);
                    if (dx, dy) != (0, 0)
                        && box_box_distance_sq(bbox_ref[c], bbox_ref[j as usize]) <= radius_sq_m2
                    {
                        out.push((j, Ring::of(dx, dy)));
                    }
                });
            }
        };
        // One pass over chunks of cells in parallel, then the chunks' lists joined in order.
        let chunks: Vec<NeighbourChunk> = (0..cell_count.div_ceil(CELL_CHUNK))
            .into_par_iter()
            .map(|k| {
                let cells = k * CELL_CHUNK..((k + 1) * CELL_CHUNK).min(cell_count);
                let mut counts = Vec::with_capacity(cells.len());
                let mut list = Vec::with_capacity(cells.len() * 9);
                for c in cells {
                    let before = list.len();
                    push_neighbours(c, &mut list);
                    #[expect(clippy::cast_possible_truncation, reason = "at most 25")]
                    counts.push((list.len() - before) as u32);
                }
                (counts, list)
            })
            .collect();
        let mut neighbour_starts = Vec::with_capacity(cell_count + 1);
        let mut neighbours = Vec::with_capacity(chunks.iter().map(|(_, l)| l.len()).sum());
        let mut total = 0_u32;
        for (counts, list) in chunks {
            for k in counts {
                neighbour_starts.push(total);
                total += k;
            }
            neighbours.extend(list);
        }
        neighbour_starts.push(total);
        Ok(Self { xy, order, cell_of, starts, bbox, neighbour_starts, neighbours, radius_sq_m2 })
    }

    /// Number of points.
    pub(crate) fn len(&self) -> usize {
        self.xy.len()
    }

    /// Number of (non-empty) cells.
    pub(crate) fn cell_count(&self) -> usize {
        self.bbox.len()
    }

    /// The sorted points of cell `c`, as a range.
    fn range(&self, c: u32) -> std::ops::Range<usize> {
        self.starts[c as usize] as usize..self.starts[c as usize + 1] as usize
    }

    /// The neighbours of cell `c` (itself first).
    fn neighbours(&self, c: u32) -> &[(u32, Ring)] {
        &self.neighbours
            [self.neighbour_starts[c as usize] as usize..self.neighbour_starts[c as usize + 1] as usize]
    }

    /// How many points lie within r of sorted point `i` (itself included), counting no
    /// further than `limit`.
    pub(crate) fn count_within<const STRICT: bool>(&self, i: usize, limit: usize) -> usize {
        let own = self.cell_of[i];
        // Every point of the cell is within r of every other (the cell's diagonal is r).
        let in_own = self.range(own).len();
        if in_own >= limit {
            return in_own;
        }
        let p = self.xy[i];
        let mut count = 0;
        for &(c, _) in self.neighbours(own) {
            // A box no nearer than r holds no point within r.
            if !links::<STRICT>(point_box_distance_sq(p, self.bbox[c as usize]), self.radius_sq_m2) {
                continue;
            }
            for q in &self.xy[self.range(c)] {
                if links::<STRICT>(distance_sq(p, *q), self.radius_sq_m2) {
                    count += 1;
                    if count >= limit {
                        return count;
                    }
                }
            }
        }
        count
    }

    /// The groups of linked points among those with `member[i]` (sorted order): two members
    /// are in one group when a chain of members, each within r of the next, joins them.
    ///
    /// Returns the group of every cell holding a member (`u32::MAX` for cells without),
    /// groups numbered 0, 1, 2… in the order of their smallest input index, and the number
    /// of groups. Any thread count gives the same result: the groups are the connected
    /// components, and their numbers depend only on input indices.
    pub(crate) fn components<const STRICT: bool>(&self, member: &[bool]) -> (Vec<u32>, usize) {
        let cells = self.cell_count();
        // Each cell's members, contiguous, with their bounding box; and the smallest input
        // index among them (the first: indices ascend within a cell).
        let (member_counts, first_member): (Vec<u32>, Vec<u32>) = (0..cells)
            .into_par_iter()
            .map(|c| {
                #[expect(clippy::cast_possible_truncation, reason = "cells ≤ u32::MAX")]
                let range = self.range(c as u32);
                let mut mine = range.filter(|&i| member[i]);
                let first = mine.next().map_or(u32::MAX, |i| self.order[i]);
                #[expect(clippy::cast_possible_truncation, reason = "at most n ≤ u32::MAX members")]
                let count = (mine.count() + usize::from(first != u32::MAX)) as u32;
                (count, first)
            })
            .unzip();
        let mut member_starts = Vec::with_capacity(cells + 1);
        let mut total = 0_u32;
        for k in &member_counts {
            member_starts.push(total);
            total += k;
        }
        member_starts.push(total);
        let member_xy: Vec<[f64; 2]> =
            self.xy.par_iter().zip(member.par_iter()).filter(|(_, m)| **m).map(|(p, _)| *p).collect();
        let members_of =
            |c: u32| &member_xy[member_starts[c as usize] as usize..member_starts[c as usize + 1] as usize];
        let member_box: Vec<[f64; 4]> = (0..cells)
            .into_par_iter()
            .map(|c| {
                #[expect(clippy::cast_possible_truncation, reason = "cells ≤ u32::MAX")]
                bbox_of(members_of(c as u32))
            })
            .collect();

        let sets = UnionFind::new(cells);
        let r2 = self.radius_sq_m2;
        // Near rings first: by the corner ring most cells are joined already and skip the search.
        for ring in [Ring::Near, Ring::Middle, Ring::Corner] {
            (0..cells).into_par_iter().for_each(|a| {
                #[expect(clippy::cast_possible_truncation, reason = "cells ≤ u32::MAX")]
                let a = a as u32;
                let mine = members_of(a);
                if mine.is_empty() {
                    return;
                }
                for &(b, r) in self.neighbours(a) {
                    if r != ring || b < a || members_of(b).is_empty() || sets.find(a) == sets.find(b) {
                        continue;
                    }
                    let theirs = members_of(b);
                    let boxed = member_box[b as usize];
                    let joined = mine.iter().any(|p| {
                        links::<STRICT>(point_box_distance_sq(*p, boxed), r2)
                            && theirs.iter().any(|q| links::<STRICT>(distance_sq(*p, *q), r2))
                    });
                    if joined {
                        sets.union(a, b);
                    }
                }
            });
        }

        // Number the groups by their smallest input index.
        let mut smallest = vec![u32::MAX; cells];
        let mut roots = vec![u32::MAX; cells];
        for c in 0..cells {
            if first_member[c] != u32::MAX {
                #[expect(clippy::cast_possible_truncation, reason = "cells ≤ u32::MAX")]
                let root = sets.find(c as u32);
                roots[c] = root;
                smallest[root as usize] = smallest[root as usize].min(first_member[c]);
            }
        }
        let mut groups: Vec<(u32, u32)> = (0..cells)
            .filter(|&c| smallest[c] != u32::MAX)
            .map(|c| {
                #[expect(clippy::cast_possible_truncation, reason = "cells ≤ u32::MAX")]
                (smallest[c], c as u32)
            })
            .collect();
        groups.sort_unstable();
        let mut number_of_root = vec![u32::MAX; cells];
        for (k, &(_, root)) in (0_u32..).zip(&groups) {
            number_of_root[root as usize] = k;
        }
        let group_of_cell = roots
            .iter()
            .map(|&r| if r == u32::MAX { u32::MAX } else { number_of_root[r as usize] })
            .collect();
        (group_of_cell, groups.len())
    }

    /// The smallest group among the cells within r of sorted point `i` that hold a member
    /// within r of it (`group_of_cell` from [`Grid::components`]); `None` when there is none.
    pub(crate) fn smallest_linked_group<const STRICT: bool>(
        &self,
        i: usize,
        member: &[bool],
        group_of_cell: &[u32],
    ) -> Option<u32> {
        let p = self.xy[i];
        let mut best = u32::MAX;
        for &(c, _) in self.neighbours(self.cell_of[i]) {
            let group = group_of_cell[c as usize];
            // Every member of a cell is in the cell's group: a smaller group found already
            // makes the cell irrelevant.
            if group >= best {
                continue;
            }
            if !links::<STRICT>(point_box_distance_sq(p, self.bbox[c as usize]), self.radius_sq_m2) {
                continue;
            }
            let range = self.range(c);
            if range
                .clone()
                .any(|j| member[j] && links::<STRICT>(distance_sq(p, self.xy[j]), self.radius_sq_m2))
            {
                best = group;
            }
        }
        (best != u32::MAX).then_some(best)
    }
}

/// Points per chunk when walking sorted points in parallel.
const CHUNK: usize = 1 << 14;

/// Cells per chunk when listing neighbours in parallel.
const CELL_CHUNK: usize = 1 << 12;

/// A chunk of cells' neighbour counts and their neighbours, in cell order.
type NeighbourChunk = (Vec<u32>, Vec<(u32, Ring)>);

/// A grid this small (cells across × cells down) is indexed densely even when points are
/// few.
const DENSE_MIN_CELLS: u64 = 1 << 16;

/// The non-empty cells in sorted order: their cell coordinates and where their points
/// start in the sorted order (`starts.len()` = cells + 1).
struct Cells {
    coords: Vec<(u32, u32)>,
    starts: Vec<u32>,
}

/// Finds a non-empty cell's index from its cell coordinates.
enum Locator {
    /// A table over every cell of the grid (`u32::MAX`: empty), when the grid has at most
    /// max(4n, 2¹⁶) cells.
    Dense { ncols: u32, nrows: u32, index: Vec<u32> },
    /// Binary search in the sorted keys (cy << 32 | cx) of the non-empty cells.
    Sparse { keys: Vec<u64> },
}

impl Locator {
    /// Calls `f(cx, cell)` for each non-empty cell of row `cy` with `x0 ≤ cx ≤ x1`, in
    /// ascending cx.
    fn row(&self, cy: u32, x0: u32, x1: u32, mut f: impl FnMut(u32, u32)) {
        match self {
            Self::Dense { ncols, nrows, index } => {
                if cy >= *nrows || x0 >= *ncols {
                    return;
                }
                let x1 = x1.min(ncols - 1);
                let base = cy as usize * *ncols as usize;
                for (x, &c) in (x0..=x1).zip(&index[base + x0 as usize..=base + x1 as usize]) {
                    if c != u32::MAX {
                        f(x, c);
                    }
                }
            }
            Self::Sparse { keys } => {
                let (lo, hi) = ((u64::from(cy) << 32) | u64::from(x0), (u64::from(cy) << 32) | u64::from(x1));
                let from = keys.partition_point(|k| *k < lo);
                for (j, &k) in keys.iter().enumerate().skip(from).take_while(|(_, k)| **k <= hi) {
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "cells ≤ u32::MAX; low 32 bits are cx"
                    )]
                    f((k & 0xFFFF_FFFF) as u32, j as u32);
                }
            }
        }
    }
}

/// Counting sort of the points by dense cell index `cy · ncols + cx` (ascending input index
/// within a cell): the input index of each sorted point, the non-empty cells, and a dense
/// locator.
fn sort_dense(coords: &[(u32, u32)], ncols: u64, nrows: u64) -> (Vec<u32>, Cells, Locator) {
    #[expect(clippy::cast_possible_truncation, reason = "the dense grid has at most max(4n, 2^16) cells")]
    let (w, h) = (ncols as u32, nrows as u32);
    let dense = |&(cx, cy): &(u32, u32)| cy as usize * w as usize + cx as usize;
    let mut start = vec![0_u32; w as usize * h as usize + 1];
    for c in coords {
        start[dense(c) + 1] += 1;
    }
    let mut index = vec![u32::MAX; w as usize * h as usize];
    let mut cells = Cells { coords: Vec::new(), starts: Vec::new() };
    for d in 0..index.len() {
        let count = start[d + 1];
        start[d + 1] += start[d];
        if count > 0 {
            #[expect(clippy::cast_possible_truncation, reason = "cells ≤ n ≤ u32::MAX")]
            {
                index[d] = cells.coords.len() as u32;
                cells.coords.push(((d % w as usize) as u32, (d / w as usize) as u32));
            }
            cells.starts.push(start[d]);
        }
    }
    #[expect(clippy::cast_possible_truncation, reason = "n ≤ u32::MAX")]
    cells.starts.push(coords.len() as u32);
    let mut order = vec![0_u32; coords.len()];
    for (i, c) in (0_u32..).zip(coords) {
        let slot = &mut start[dense(c)];
        order[*slot as usize] = i;
        *slot += 1;
    }
    (order, cells, Locator::Dense { ncols: w, nrows: h, index })
}

/// Radix sort of the points by cell key `cy << 32 | cx` (ascending input index within a
/// cell), for grids too large to index densely: the input index of each sorted point, the
/// non-empty cells, and a locator by binary search.
fn sort_sparse(coords: &[(u32, u32)]) -> (Vec<u32>, Cells, Locator) {
    let mut keyed: Vec<(u64, u32)> =
        (0_u32..).zip(coords).map(|(i, &(cx, cy))| ((u64::from(cy) << 32) | u64::from(cx), i)).collect();
    sort_by_key(&mut keyed);
    let mut keys: Vec<u64> = Vec::new();
    let mut cells = Cells { coords: Vec::new(), starts: Vec::new() };
    for (i, &(key, _)) in (0_u32..).zip(&keyed) {
        if keys.last() != Some(&key) {
            keys.push(key);
            cells.coords.push(((key & 0xFFFF_FFFF) as u32, (key >> 32) as u32));
            cells.starts.push(i);
        }
    }
    #[expect(clippy::cast_possible_truncation, reason = "n ≤ u32::MAX")]
    cells.starts.push(coords.len() as u32);
    let order = keyed.into_iter().map(|(_, i)| i).collect();
    (order, cells, Locator::Sparse { keys })
}

/// Sorts `(key, index)` pairs by key, then index: a least-significant-digit radix sort on
/// 16-bit digits, skipping digits that no key varies in (for a city, cell keys vary in two
/// of the four), or a comparison sort for small inputs.
fn sort_by_key(pairs: &mut Vec<(u64, u32)>) {
    if pairs.len() < RADIX_MIN_POINTS {
        pairs.sort_unstable();
        return;
    }
    let (all, any) = pairs.iter().fold((u64::MAX, 0_u64), |(a, o), &(k, _)| (a & k, o | k));
    let varying = all ^ any;
    let mut scratch = vec![(0_u64, 0_u32); pairs.len()];
    let mut counts = vec![0_usize; 1 << 16];
    for shift in [0, 16, 32, 48] {
        if (varying >> shift) & 0xFFFF == 0 {
            continue;
        }
        let digit = |k: u64| ((k >> shift) & 0xFFFF) as usize;
        counts.fill(0);
        for &(k, _) in pairs.iter() {
            counts[digit(k)] += 1;
        }
        let mut sum = 0;
        for c in &mut counts {
            let here = *c;
            *c = sum;
            sum += here;
        }
        // Stable scatter: pairs with equal digits keep their order, so indices stay
        // ascending within a key.
        for &pair in pairs.iter() {
            let d = digit(pair.0);
            scratch[counts[d]] = pair;
            counts[d] += 1;
        }
        std::mem::swap(pairs, &mut scratch);
    }
}

/// A union-find over `n` elements whose `find` and `union` may run on many threads at
/// once: parents are atomics, `union` links the larger root under the smaller (so a parent
/// is never larger than its child and no cycle can form) with a compare-and-swap that
/// retries if another thread moved the root, and `find` halves paths as it goes.
#[derive(Debug)]
pub(crate) struct UnionFind {
    parent: Vec<AtomicU32>,
}

impl UnionFind {
    /// `n` singletons.
    pub(crate) fn new(n: usize) -> Self {
        #[expect(clippy::cast_possible_truncation, reason = "callers hold at most u32::MAX elements")]
        Self { parent: (0..n).map(|i| AtomicU32::new(i as u32)).collect() }
    }

    /// The root of `x`'s set. Two elements with the same root at any moment stay in one
    /// set: sets only ever merge.
    pub(crate) fn find(&self, mut x: u32) -> u32 {
        loop {
            let p = self.parent[x as usize].load(Ordering::Acquire);
            if p == x {
                return x;
            }
            let grand = self.parent[p as usize].load(Ordering::Acquire);
            if grand != p {
                // Path halving; losing the race only leaves the path longer.
                let _ =
                    self.parent[x as usize].compare_exchange(p, grand, Ordering::AcqRel, Ordering::Relaxed);
            }
            x = grand;
        }
    }

    /// Joins the sets of `a` and `b`; `true` when they were apart.
    pub(crate) fn union(&self, a: u32, b: u32) -> bool {
        loop {
            let (ra, rb) = (self.find(a), self.find(b));
            if ra == rb {
                return false;
            }
            let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
            if self.parent[high as usize]
                .compare_exchange(high, low, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_orders_by_key_then_index() {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut pairs: Vec<(u64, u32)> =
            (0..20_000).map(|i| (((next() % 50) << 32) | (next() % 300), i)).collect();
        let mut want = pairs.clone();
        want.sort_unstable();
        sort_by_key(&mut pairs);
        assert_eq!(pairs, want);
    }

    #[test]
    fn union_find_joins_across_threads() {
        let sets = UnionFind::new(10_000);
        (0..9_999_u32).into_par_iter().for_each(|i| {
            if i % 100 != 99 {
                sets.union(i, i + 1);
            }
        });
        for i in 0..10_000_u32 {
            assert_eq!(sets.find(i), i / 100 * 100);
        }
    }

    #[test]
    fn points_two_cells_apart_on_the_diagonal_are_neighbours() {
        // side = 100/√2·(1 − 1e-6) ≈ 70.71 m: (0, 0) and (141.4, 0.1) are 2 cells apart,
        // 141.4 m > 100 m: not within r. (0,0) and (99.9, 0) are within r, 1 cell apart.
        let points = [
            BngPoint { easting_m: 0.0, northing_m: 0.0 },
            BngPoint { easting_m: 99.9, northing_m: 0.0 },
            BngPoint { easting_m: 141.4, northing_m: 0.1 },
            BngPoint { easting_m: 70.0, northing_m: 70.0 },
        ];
        let grid = Grid::build(&points, 100.0).unwrap();
        let at = |input: u32| grid.order.iter().position(|&o| o == input).unwrap();
        assert_eq!(grid.count_within::<false>(at(0), usize::MAX), 3, "itself, 99.9 m and 98.99 m");
        assert_eq!(grid.count_within::<false>(at(2), usize::MAX), 3, "itself, 41.5 m and 99.9 m");
    }
}
