//! The study area as a set of H3 cells covering a polygon.

use std::collections::{HashMap, HashSet};

use geo::{Intersects, MultiPolygon};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

use crate::aggregate::CellAggregate;

/// Why a study area could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StudyAreaError {
    /// h3o refused a polygon (non-finite or invalid coordinates).
    #[error("study-area polygon {index}: {reason}")]
    Polygon {
        /// Position of the polygon in the input.
        index: usize,
        /// What h3o said.
        reason: String,
    },
}

/// Every H3 cell at one resolution that covers the study-area polygons, including cells
/// with no incidents, in ascending cell order.
///
/// Built with h3o's [`ContainmentMode::Covers`]: a cell is in when it overlaps the polygon
/// at all. The default centroid mode would drop coastal cells whose centre is at sea: for
/// the BCP wards at resolution 9 it keeps 1,657 of the 1,881 covering cells and loses 22
/// occupied cells holding 391 incidents.
#[derive(Debug, Clone)]
pub struct StudyArea {
    resolution: Resolution,
    cells: Vec<CellIndex>,
    position: HashMap<CellIndex, usize>,
}

impl StudyArea {
    /// The cells covering `polygons` (WGS84 degrees, x = longitude) at `resolution`.
    ///
    /// # Errors
    /// [`StudyAreaError::Polygon`] when h3o cannot tile a polygon.
    pub fn covering(polygons: &[MultiPolygon<f64>], resolution: Resolution) -> Result<Self, StudyAreaError> {
        // h3o's own Covers mode is exact but slow on detailed coastlines (1.5 s for the BCP
        // wards at resolution 9, 6 s at 10 in a release build), so: the cells whose centre
        // is inside (h3o's fast default mode), plus the cells along every ring, found by
        // walking each edge on the grid and keeping the walked cells and their neighbours
        // that really intersect the polygon. The result is the Covers set (tested against
        // h3o's Covers mode and h3-py's overlap mode).
        let mut cells = Vec::new();
        for (index, mp) in polygons.iter().enumerate() {
            let err = |e: &dyn std::fmt::Display| StudyAreaError::Polygon { index, reason: e.to_string() };
            let mut tiler =
                TilerBuilder::new(resolution).containment_mode(ContainmentMode::ContainsCentroid).build();
            for polygon in mp {
                tiler.add(polygon.clone()).map_err(|e| err(&e))?;
            }
            cells.extend(tiler.into_coverage());
            let mut boundary = HashSet::new();
            for polygon in mp {
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    for line in ring.lines() {
                        let a =
                            LatLng::new(line.start.y, line.start.x).map_err(|e| err(&e))?.to_cell(resolution);
                        let b = LatLng::new(line.end.y, line.end.x).map_err(|e| err(&e))?.to_cell(resolution);
                        let path: Vec<CellIndex> = match a.grid_path_cells(b) {
                            Ok(path) => path.filter_map(Result::ok).collect(),
                            Err(_) => vec![a, b],
                        };
                        for c in path {
                            boundary.extend(c.grid_disk::<Vec<_>>(1));
                        }
                    }
                }
            }
            cells.extend(
                boundary
                    .into_par_iter()
                    .filter(|c| MultiPolygon::from(*c).0.iter().any(|hexagon| mp.intersects(hexagon)))
                    .collect::<Vec<_>>(),
            );
        }
        Ok(Self::from_cells(resolution, cells))
    }

    /// The cells covering `polygons` by h3o's own [`ContainmentMode::Covers`] (slow on
    /// detailed polygons; kept as the oracle for [`StudyArea::covering`]).
    ///
    /// # Errors
    /// [`StudyAreaError::Polygon`] when h3o cannot tile a polygon.
    pub fn covering_h3o(
        polygons: &[MultiPolygon<f64>],
        resolution: Resolution,
    ) -> Result<Self, StudyAreaError> {
        let mut tiler = TilerBuilder::new(resolution).containment_mode(ContainmentMode::Covers).build();
        for (index, mp) in polygons.iter().enumerate() {
            for polygon in mp {
                tiler
                    .add(polygon.clone())
                    .map_err(|e| StudyAreaError::Polygon { index, reason: e.to_string() })?;
            }
        }
        Ok(Self::from_cells(resolution, tiler.into_coverage()))
    }

    /// A study area from given cells (duplicates removed; cells of other resolutions dropped).
    #[must_use]
    pub fn from_cells(resolution: Resolution, cells: impl IntoIterator<Item = CellIndex>) -> Self {
        let mut cells: Vec<CellIndex> = cells.into_iter().filter(|c| c.resolution() == resolution).collect();
        cells.sort_unstable();
        cells.dedup();
        let position = cells.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        Self { resolution, cells, position }
    }

    /// The resolution of the cells.
    #[must_use]
    pub const fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// The cells, ascending.
    #[must_use]
    pub fn cells(&self) -> &[CellIndex] {
        &self.cells
    }

    /// Number of cells.
    #[must_use]
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the area has no cell.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Position of a cell in [`StudyArea::cells`].
    #[must_use]
    pub fn position(&self, cell: CellIndex) -> Option<usize> {
        self.position.get(&cell).copied()
    }

    /// Incident counts aligned with [`StudyArea::cells`] (0 for empty cells), and the number
    /// of incidents in cells outside the area (which the statistics leave out).
    ///
    /// # Panics
    /// When the aggregate's resolution differs from the area's (a programming error).
    #[must_use]
    pub fn counts(&self, aggregate: &CellAggregate) -> (Vec<f64>, u64) {
        assert_eq!(aggregate.resolution(), self.resolution, "aggregate and study area resolutions differ");
        let mut values = vec![0.0; self.cells.len()];
        let mut outside = 0;
        for (cell, counts) in aggregate.iter() {
            match self.position(cell) {
                Some(i) => values[i] = f64::from(counts.total()),
                None => outside += u64::from(counts.total()),
            }
        }
        (values, outside)
    }
}
