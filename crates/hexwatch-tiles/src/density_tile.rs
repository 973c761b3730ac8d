//! Density raster tiles: each pixel is the mean density over its footprint.

use hexwatch_core::kde::DensityGrid;

use crate::density_png::density_rgba;
use crate::tile::TileCoord;

/// Pixels per side of a density tile.
pub const DENSITY_TILE_SIZE: u32 = 256;

/// Control points per side used to map pixel corners to British National Grid (every
/// 8 pixels, then bilinear in between: the projection is smooth at tile scale).
const STEP: u32 = 8;

/// The mean density (incidents per km² per month) over each pixel's footprint of `tile`,
/// row-major from the north-west pixel; NaN where the footprint covers only NoData or lies
/// off the grid.
///
/// Mass-preserving, not a point sample: a pixel's value is the area-weighted mean of the
/// grid cells its footprint overlaps (NoData cells excluded), the footprint being the
/// bounding box in British National Grid metres of the pixel's four projected corners.
/// `to_bng(lon, lat)` projects WGS84 degrees to metres.
#[must_use]
pub fn pixel_means(
    grid: &DensityGrid,
    tile: TileCoord,
    to_bng: &dyn Fn(f64, f64) -> Option<(f64, f64)>,
) -> Vec<f64> {
    let size = DENSITY_TILE_SIZE;
    let n_ctrl = size / STEP + 1;
    // Web Mercator y is not linear in latitude: place control points evenly in tile space.
    let corner = |px: f64, py: f64| -> Option<(f64, f64)> {
        let n = f64::from(1_u32 << tile.z);
        let fx = (f64::from(tile.x) + px / f64::from(size)) / n;
        let fy = (f64::from(tile.y) + py / f64::from(size)) / n;
        let lon = fx * 360.0 - 180.0;
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * fy)).sinh().atan().to_degrees();
        to_bng(lon, lat)
    };
    let mut ctrl = Vec::with_capacity((n_ctrl * n_ctrl) as usize);
    for j in 0..n_ctrl {
        for i in 0..n_ctrl {
            ctrl.push(corner(f64::from(i * STEP), f64::from(j * STEP)));
        }
    }
    let at = |px: u32, py: u32| -> Option<(f64, f64)> {
        let (i, j) = ((px / STEP).min(n_ctrl - 2), (py / STEP).min(n_ctrl - 2));
        let (tx, ty) =
            (f64::from(px - i * STEP) / f64::from(STEP), f64::from(py - j * STEP) / f64::from(STEP));
        let idx = |i: u32, j: u32| (j * n_ctrl + i) as usize;
        let (p00, p10, p01, p11) =
            (ctrl[idx(i, j)]?, ctrl[idx(i + 1, j)]?, ctrl[idx(i, j + 1)]?, ctrl[idx(i + 1, j + 1)]?);
        let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
        let x = lerp(lerp(p00.0, p10.0, tx), lerp(p01.0, p11.0, tx), ty);
        let y = lerp(lerp(p00.1, p10.1, tx), lerp(p01.1, p11.1, tx), ty);
        Some((x, y))
    };
    let mut corners = Vec::with_capacity(((size + 1) * (size + 1)) as usize);
    for py in 0..=size {
        for px in 0..=size {
            corners.push(at(px, py));
        }
    }
    let c = |px: u32, py: u32| corners[(py * (size + 1) + px) as usize];
    let mut out = Vec::with_capacity((size * size) as usize);
    for py in 0..size {
        for px in 0..size {
            let quad = [c(px, py), c(px + 1, py), c(px, py + 1), c(px + 1, py + 1)];
            let value = if quad.iter().all(Option::is_some) {
                let xs = quad.iter().flatten().map(|p| p.0);
                let ys = quad.iter().flatten().map(|p| p.1);
                let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
                let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
                footprint_mean(grid, x0, y0, x1, y1)
            } else {
                f64::NAN
            };
            out.push(value);
        }
    }
    out
}

/// Area-weighted mean of the grid over the box `[x0, x1] × [y0, y1]` (metres).
#[must_use]
pub fn footprint_mean(grid: &DensityGrid, x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    let s = &grid.spec;
    let cell = s.cell_size_m;
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to the grid first")]
    let index = |v: f64, max: usize| -> usize { v.floor().clamp(0.0, max as f64) as usize };
    let (c0f, c1f) = ((x0 - s.xmin_m) / cell, (x1 - s.xmin_m) / cell);
    let (r0f, r1f) = ((s.ymax_m - y1) / cell, (s.ymax_m - y0) / cell);
    #[expect(clippy::cast_precision_loss, reason = "grid sizes are far below 2^52")]
    let (ncols, nrows) = (s.ncols as f64, s.nrows as f64);
    if c1f <= 0.0 || r1f <= 0.0 || c0f >= ncols || r0f >= nrows {
        return f64::NAN;
    }
    let (c0, c1) = (index(c0f, s.ncols - 1), index(c1f.min(ncols - 1e-9), s.ncols - 1));
    let (r0, r1) = (index(r0f, s.nrows - 1), index(r1f.min(nrows - 1e-9), s.nrows - 1));
    let (mut sum, mut area) = (0.0, 0.0);
    for r in r0..=r1 {
        #[expect(clippy::cast_precision_loss, reason = "grid sizes are far below 2^52")]
        let (top, bottom) = (r as f64, r as f64 + 1.0);
        let h = bottom.min(r1f) - top.max(r0f);
        if h <= 0.0 {
            continue;
        }
        for col in c0..=c1 {
            #[expect(clippy::cast_precision_loss, reason = "grid sizes are far below 2^52")]
            let (left, right) = (col as f64, col as f64 + 1.0);
            let w = right.min(c1f) - left.max(c0f);
            let v = grid.get(r, col);
            if w > 0.0 && !v.is_nan() {
                sum += v * w * h;
                area += w * h;
            }
        }
    }
    if area > 0.0 { sum / area } else { f64::NAN }
}

/// A 256 × 256 RGBA PNG of pixel means coloured on the fixed density legend.
///
/// # Errors
/// A [`png::EncodingError`] if encoding fails.
pub fn density_tile_png(values: &[f64]) -> Result<Vec<u8>, png::EncodingError> {
    let rgba: Vec<u8> = values.iter().flat_map(|v| density_rgba(*v)).collect();
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, DENSITY_TILE_SIZE, DENSITY_TILE_SIZE);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgba)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hexwatch_core::kde::{GridSpec, Kernel};

    fn grid(values: Vec<f64>, ncols: usize, nrows: usize) -> DensityGrid {
        let spec = GridSpec { xmin_m: 0.0, ymax_m: 100.0, cell_size_m: 10.0, ncols, nrows };
        DensityGrid { spec, values, kernel: Kernel::Quartic, bandwidth_m: 100.0, months: 1 }
    }

    /// By hand: a 2 × 2 grid [[1, 2], [3, 4]] of 10 m cells (north row first). The box
    /// x 5…15, y 85…95 covers a quarter of each cell: mean 2.5. The box x 0…10, y 90…100
    /// is cell (0, 0): 1. Half of it off the grid to the west: still 1.
    #[test]
    fn footprint_means_by_hand() {
        let g = grid(vec![1.0, 2.0, 3.0, 4.0], 2, 2);
        assert!((footprint_mean(&g, 5.0, 85.0, 15.0, 95.0) - 2.5).abs() < 1e-12);
        assert!((footprint_mean(&g, 0.0, 90.0, 10.0, 100.0) - 1.0).abs() < 1e-12);
        assert!((footprint_mean(&g, -5.0, 90.0, 5.0, 100.0) - 1.0).abs() < 1e-12);
        assert!(footprint_mean(&g, 50.0, 0.0, 60.0, 10.0).is_nan());
        // NoData cells do not count.
        let g = grid(vec![f64::NAN, 2.0, 3.0, 4.0], 2, 2);
        assert!((footprint_mean(&g, 0.0, 80.0, 20.0, 100.0) - 3.0).abs() < 1e-12);
    }
}
