//! Spatial weights on H3 cells as compressed neighbour lists.

use rayon::prelude::*;

use super::study_area::StudyArea;

/// Binary neighbour lists of a study area (compressed rows): cell `i`'s neighbours are
/// `indices[offsets[i]..offsets[i + 1]]`, positions in the area, ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbours {
    offsets: Vec<usize>,
    indices: Vec<u32>,
}

impl Neighbours {
    /// The cells within `k` grid steps (`grid_disk(k)`) that lie in the study area, with or
    /// without the cell itself. Near pentagons or the area's edge a cell has fewer than
    /// 1 + 3k(k+1) neighbours; the statistics use the actual count.
    #[must_use]
    pub fn k_ring(area: &StudyArea, k: u32, include_self: bool) -> Self {
        let rows: Vec<Vec<u32>> = area
            .cells()
            .par_iter()
            .enumerate()
            .map(|(i, cell)| {
                let mut row: Vec<u32> = cell
                    .grid_disk::<Vec<_>>(k)
                    .into_iter()
                    .filter_map(|c| area.position(c))
                    .filter(|&j| include_self || j != i)
                    .filter_map(|j| u32::try_from(j).ok())
                    .collect();
                row.sort_unstable();
                row
            })
            .collect();
        Self::from_rows(&rows)
    }

    /// Neighbour lists from explicit rows (positions; each row sorted and unique).
    #[must_use]
    pub fn from_rows(rows: &[Vec<u32>]) -> Self {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        offsets.push(0);
        for row in rows {
            indices.extend_from_slice(row);
            offsets.push(indices.len());
        }
        Self { offsets, indices }
    }

    /// Number of rows (cells).
    #[must_use]
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The neighbours of row `i`.
    #[must_use]
    pub fn row(&self, i: usize) -> &[u32] {
        &self.indices[self.offsets[i]..self.offsets[i + 1]]
    }
}
