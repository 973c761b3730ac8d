//! Point → H3 indexing of many incidents, each distinct location indexed once.

use std::collections::HashMap;

use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

/// A point H3 cannot index (a coordinate that is not finite).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("point {index} ({lon}, {lat}) cannot be indexed: coordinates must be finite degrees")]
pub struct InvalidPoint {
    /// Position of the point in the input.
    pub index: usize,
    /// Its longitude, degrees.
    pub lon: f64,
    /// Its latitude, degrees.
    pub lat: f64,
}

/// A chunk's distinct points (coordinate bits, first-seen order) and each point's index
/// among them.
type ChunkDistinct = (Vec<(u64, u64)>, Vec<u32>);

/// Points per chunk of the parallel deduplication.
const CHUNK: usize = 1 << 16;

/// The H3 cell at `resolution` of every `(lon, lat)` point (WGS84 degrees), one per input
/// point in order.
///
/// Police data snap incidents to a few anonymised map points (the national 2025 H1 set:
/// 404,319 distinct points for 2,018,895 rows), so each distinct point (exact coordinate
/// bits) is indexed once: chunks are deduplicated in parallel, their distinct points merged,
/// indexed in parallel with h3o (`LatLng::to_cell`), and the cells mapped back.
///
/// # Errors
/// [`InvalidPoint`] for the first point (in input order) whose coordinates are not finite.
pub fn cells_of_points(
    points: &[(f64, f64)],
    resolution: Resolution,
) -> Result<Vec<CellIndex>, InvalidPoint> {
    // Chunk-local distinct points and each point's chunk-local id.
    let chunks: Vec<ChunkDistinct> = points
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut ids: HashMap<(u64, u64), u32> = HashMap::with_capacity(chunk.len() / 2);
            let mut distinct = Vec::new();
            let local = chunk
                .iter()
                .map(|&(lon, lat)| {
                    let key = (lon.to_bits(), lat.to_bits());
                    *ids.entry(key).or_insert_with(|| {
                        distinct.push(key);
                        u32::try_from(distinct.len() - 1).expect("chunks are small")
                    })
                })
                .collect();
            (distinct, local)
        })
        .collect();
    let mut global: HashMap<(u64, u64), u32> = HashMap::new();
    let mut keys: Vec<(u64, u64)> = Vec::new();
    let remaps: Vec<Vec<u32>> = chunks
        .iter()
        .map(|(distinct, _)| {
            distinct
                .iter()
                .map(|key| {
                    let next = u32::try_from(keys.len()).expect("fewer than 2^32 distinct points");
                    *global.entry(*key).or_insert_with(|| {
                        keys.push(*key);
                        next
                    })
                })
                .collect()
        })
        .collect();
    let cells: Vec<Option<CellIndex>> = keys
        .par_iter()
        .map(|&(lon, lat)| {
            LatLng::new(f64::from_bits(lat), f64::from_bits(lon)).ok().map(|ll| ll.to_cell(resolution))
        })
        .collect();
    let mut out = Vec::with_capacity(points.len());
    for ((_, local), remap) in chunks.iter().zip(&remaps) {
        out.par_extend(local.par_iter().map(|&id| cells[remap[id as usize] as usize]));
    }
    match out.iter().position(Option::is_none) {
        Some(index) => {
            let (lon, lat) = points[index];
            Err(InvalidPoint { index, lon, lat })
        }
        None => Ok(out.into_iter().flatten().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_indexing_every_point_and_names_a_bad_one() {
        let points: Vec<(f64, f64)> = (0..200_000_u32)
            .map(|i| (-1.9 + f64::from(i % 977) * 1e-4, 50.7 + f64::from(i % 613) * 1e-4))
            .collect();
        let got = cells_of_points(&points, Resolution::Nine).unwrap();
        for (p, cell) in points.iter().zip(&got) {
            assert_eq!(*cell, LatLng::new(p.1, p.0).unwrap().to_cell(Resolution::Nine));
        }
        let mut bad = points;
        bad[150_001].1 = f64::NAN;
        assert_eq!(cells_of_points(&bad, Resolution::Nine).unwrap_err().index, 150_001);
    }
}
