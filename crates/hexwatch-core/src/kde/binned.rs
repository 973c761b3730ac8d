//! The binned path: linear binning of the points onto the grid's cell centres, then a direct
//! convolution with the kernel sampled at the grid spacing.
//!
//! This is the binned estimator of Wand (1994, "Fast computation of multivariate kernel
//! estimators", J. Comput. Graph. Stat. 3:433–445) that KDEpy's `FFTKDE` also uses; the
//! convolution here is a direct sum over the kernel's stencil (at most (2h/δ + 1)² taps),
//! which for the bandwidths and cell sizes of crime mapping is faster than an FFT of the
//! padded grid, and exact given the bins.
//!
//! # Error bound
//! Linear (bilinear) binning gives each grid node g the value Σ_j w_j·(I K_g)(x_j), where
//! I is bilinear interpolation on the grid and K_g(u) = K(g − u). The bilinear
//! interpolation error of a function f with bounded second derivatives on squares of side
//! δ is at most (δ²/8)(‖f_xx‖∞ + ‖f_yy‖∞). For the quartic kernel
//! K = c(1 − r²/h²)² with c = 3/(πh²), K_xx = −(4c/h²)(1 − 3x²/h² − y²/h²) inside the disc
//! and 0 outside (its gradient is continuous across r = h), so ‖K_xx‖∞ = ‖K_yy‖∞ = 8c/h²
//! and each point of weight w moves a node's value by at most w·2cδ²/h² = w·6δ²/(πh⁴) per
//! m². Only points within h + δ√2 of the node (the farthest a bin corner can be from its
//! point) change it, so
//!
//! |binned(g) − exact(g)| ≤ 6δ²/(πh⁴) · W(g, h + δ√2)
//!
//! per m², where W(g, r) is the total weight within r of g ([`binned_error_bound_per_m2`]
//! gives the factor). Relative to one point's peak 3/(πh²) that is 2δ²/h²: 8 % for 50 m
//! cells and h = 250 m, 0.8 % at 25 m / 400 m. Kernels whose gradient jumps
//! (Epanechnikov, triangular, uniform, truncated Gaussian) have no such second-order bound
//! and are refused.

use rayon::prelude::*;

use super::grid::{DensityGrid, GridSpec, WeightedPoint, per_km2_month};
use super::kernel::Kernel;

/// Stencils wider than this many cells each side are refused: the direct convolution's
/// cost grows with the stencil's area.
pub const MAX_STENCIL_RADIUS_CELLS: usize = 100;

/// Why the binned path cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BinnedError {
    /// Only the quartic kernel has the stated error bound.
    #[error(
        "kernel: the binned path supports the quartic kernel only (got {0}); its error bound needs a \
         kernel with a continuous gradient: use the exact path"
    )]
    Kernel(&'static str),
    /// The bandwidth is below one cell: binning would move mass by more than the kernel's
    /// reach.
    #[error(
        "bandwidth_m: the binned path needs a bandwidth of at least one cell ({bandwidth_m} m < {cell_size_m} m)"
    )]
    BandwidthBelowCell {
        /// Bandwidth, metres.
        bandwidth_m: f64,
        /// Cell side, metres.
        cell_size_m: f64,
    },
    /// The bandwidth spans too many cells for the direct convolution.
    #[error(
        "cell_size_m: the bandwidth spans {cells} cells (limit {MAX_STENCIL_RADIUS_CELLS}); use larger cells \
         or the exact path"
    )]
    StencilTooLarge {
        /// h ÷ δ, rounded down.
        cells: usize,
    },
}

/// The factor of the binned path's error bound: |binned − exact| at a grid node is at most
/// this times the total weight within h + δ√2 of the node, per m² (see the module docs).
///
/// # Units
/// `bandwidth_m` (h) and `cell_size_m` (δ) in metres; result per m² per unit weight:
/// 6δ²/(πh⁴).
#[must_use]
pub fn binned_error_bound_per_m2(bandwidth_m: f64, cell_size_m: f64) -> f64 {
    6.0 * cell_size_m * cell_size_m / (std::f64::consts::PI * bandwidth_m.powi(4))
}

/// The binned kernel density at every cell centre of `spec`, incidents per km² per month;
/// cells whose centre `keep` rejects are NoData (NaN). Within the bound of
/// [`binned_error_bound_per_m2`] of [`super::kde_exact`].
///
/// # Errors
/// [`BinnedError`] for a kernel other than quartic, a bandwidth below the cell size, or a
/// stencil over [`MAX_STENCIL_RADIUS_CELLS`].
pub fn kde_binned(
    points: &[WeightedPoint],
    spec: &GridSpec,
    kernel: Kernel,
    bandwidth_m: f64,
    months: u32,
    keep: &(dyn Fn(f64, f64) -> bool + Sync),
) -> Result<DensityGrid, BinnedError> {
    let delta = spec.cell_size_m;
    if kernel != Kernel::Quartic {
        return Err(BinnedError::Kernel(kernel.as_str()));
    }
    if bandwidth_m.is_nan() || bandwidth_m < delta {
        return Err(BinnedError::BandwidthBelowCell { bandwidth_m, cell_size_m: delta });
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "positive and checked below")]
    let radius = (bandwidth_m / delta).floor().min(1e6) as usize;
    if radius > MAX_STENCIL_RADIUS_CELLS {
        return Err(BinnedError::StencilTooLarge { cells: radius });
    }
    // Nodes `pad` cells past the grid catch every point within the bandwidth of a grid
    // node; points beyond them are farther than h from every node and add nothing.
    let pad = radius + 1;
    let width = spec.ncols + 2 * pad;
    let height = spec.nrows + 2 * pad;
    let bins = bin_points(points, spec, pad, width, height);

    let side = 2 * radius + 1;
    let stencil: Vec<f64> = (0..side * side)
        .map(|k| {
            #[expect(clippy::cast_precision_loss, reason = "stencil offsets are small")]
            let (di, dj) = ((k / side) as f64 - radius as f64, (k % side) as f64 - radius as f64);
            kernel.value_per_m2((di * delta).hypot(dj * delta), bandwidth_m)
        })
        .collect();
    let row_has_mass: Vec<bool> = bins.chunks(width).map(|row| row.iter().any(|v| *v != 0.0)).collect();

    let scale = per_km2_month(months);
    let mut values = vec![0.0; spec.len()];
    values.par_chunks_mut(spec.ncols.max(1)).enumerate().for_each(|(r, out)| {
        for i in 0..side {
            // Output row r sits at padded row r + pad; stencil row i reaches r + pad + i − radius.
            let bin_row = r + 1 + i;
            if !row_has_mass[bin_row] {
                continue;
            }
            let src_row = &bins[bin_row * width..(bin_row + 1) * width];
            for j in 0..side {
                let k = stencil[i * side + j];
                if k == 0.0 {
                    continue;
                }
                let src = &src_row[1 + j..1 + j + out.len()];
                for (o, s) in out.iter_mut().zip(src) {
                    *o += k * s;
                }
            }
        }
        for (c, v) in out.iter_mut().enumerate() {
            let (x, y) = spec.centre(r, c);
            *v = if keep(x, y) { *v * scale } else { f64::NAN };
        }
    });
    Ok(DensityGrid { spec: *spec, values, kernel, bandwidth_m, months })
}

/// Spreads each point's weight over the four surrounding nodes of the padded grid with
/// bilinear weights (linear binning), in parallel over chunks of points.
fn bin_points(
    points: &[WeightedPoint],
    spec: &GridSpec,
    pad: usize,
    width: usize,
    height: usize,
) -> Vec<f64> {
    let delta = spec.cell_size_m;
    #[expect(clippy::cast_precision_loss, reason = "padding is a few hundred cells")]
    let offset = pad as f64 - 0.5;
    let chunk = points.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
    points
        .par_chunks(chunk)
        .map(|chunk| {
            let mut bins = vec![0.0; width * height];
            for p in chunk {
                let fx = (p.easting_m - spec.xmin_m) / delta + offset;
                let fy = (spec.ymax_m - p.northing_m) / delta + offset;
                if fx.is_nan() || fy.is_nan() || fx < 0.0 || fy < 0.0 {
                    continue; // west or north of the padded grid, or not finite
                }
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "non-negative; compared with the grid size next"
                )]
                let (c0, r0) = (fx.floor().min(1e15) as usize, fy.floor().min(1e15) as usize);
                if c0 + 1 >= width || r0 + 1 >= height {
                    continue; // east or south of the padded grid
                }
                #[expect(clippy::cast_precision_loss, reason = "grid sizes are far below 2^52")]
                let (tx, ty) = (fx - c0 as f64, fy - r0 as f64);
                let w = p.weight;
                let top = r0 * width + c0;
                let bottom = top + width;
                bins[top] += w * (1.0 - tx) * (1.0 - ty);
                bins[top + 1] += w * tx * (1.0 - ty);
                bins[bottom] += w * (1.0 - tx) * ty;
                bins[bottom + 1] += w * tx * ty;
            }
            bins
        })
        .reduce(
            || vec![0.0; width * height],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(&b) {
                    *x += y;
                }
                a
            },
        )
}

#[cfg(test)]
mod tests {
    use super::super::grid::{KernelSum, kde_exact};
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn clustered_points(n: usize, seed: u64) -> Vec<WeightedPoint> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|i| {
                let (cx, cy) = if i % 3 == 0 { (410_000.0, 92_000.0) } else { (411_200.0, 91_300.0) };
                WeightedPoint {
                    easting_m: cx + rng.random_range(-900.0..900.0) * rng.random::<f64>(),
                    northing_m: cy + rng.random_range(-700.0..700.0) * rng.random::<f64>(),
                    weight: if i % 5 == 0 { 2.5 } else { 1.0 },
                }
            })
            .collect()
    }

    /// At every node the binned value is within 6δ²/(πh⁴)·W(g, h + δ√2) of the exact one
    /// (W by brute force), and the bound is not loose by orders of magnitude.
    #[test]
    fn binned_is_within_its_stated_bound_of_exact() {
        let points = clustered_points(3_000, 7);
        for (h, delta) in [(250.0, 50.0), (400.0, 25.0), (300.0, 30.0)] {
            let spec = GridSpec::over_extent(408_500.0, 90_000.0, 413_000.0, 93_500.0, Some(delta)).unwrap();
            let exact = kde_exact(&points, &spec, Kernel::Quartic, h, 1, &|_, _| true);
            let binned = kde_binned(&points, &spec, Kernel::Quartic, h, 1, &|_, _| true).unwrap();
            let factor = binned_error_bound_per_m2(h, delta) * 1e6;
            // W(g, r) as a uniform-kernel density × πr² (the uniform kernel is 1/(πr²)).
            let reach = h + delta * std::f64::consts::SQRT_2 + 1e-6;
            let weight_within = KernelSum::new(&points, Kernel::Uniform, reach, 1);
            let mut worst: f64 = 0.0;
            for row in 0..spec.nrows {
                for col in 0..spec.ncols {
                    let (x, y) = spec.centre(row, col);
                    let w = weight_within.density_at(x, y) / 1e6 * std::f64::consts::PI * reach * reach;
                    let err = (binned.get(row, col) - exact.get(row, col)).abs();
                    let bound = factor * w;
                    assert!(err <= bound + 1e-9, "h {h} δ {delta} ({row},{col}): {err} > {bound}");
                    if bound > 0.0 {
                        worst = worst.max(err / bound);
                    }
                }
            }
            assert!(worst > 0.01, "h {h} δ {delta}: the bound is looser than 100× ({worst})");
        }
    }

    /// Binning preserves mass: Σ value × cell area equals the weight of points well inside.
    #[test]
    fn binned_preserves_mass() {
        let points = clustered_points(500, 3);
        let total: f64 = points.iter().map(|p| p.weight).sum();
        let spec = GridSpec::over_extent(407_000.0, 88_000.0, 415_000.0, 95_000.0, Some(20.0)).unwrap();
        let binned = kde_binned(&points, &spec, Kernel::Quartic, 200.0, 1, &|_, _| true).unwrap();
        let mass = binned.values.iter().sum::<f64>() / 1e6 * 400.0;
        assert!((mass - total).abs() < 0.005 * total, "{mass} vs {total}");
    }

    #[test]
    fn refuses_what_has_no_bound() {
        let spec = GridSpec { xmin_m: 0.0, ymax_m: 0.0, cell_size_m: 50.0, ncols: 4, nrows: 4 };
        let p = [WeightedPoint { easting_m: 10.0, northing_m: -10.0, weight: 1.0 }];
        let keep = |_: f64, _: f64| true;
        assert_eq!(
            kde_binned(&p, &spec, Kernel::Uniform, 250.0, 1, &keep).unwrap_err(),
            BinnedError::Kernel("uniform")
        );
        assert!(matches!(
            kde_binned(&p, &spec, Kernel::Quartic, 40.0, 1, &keep),
            Err(BinnedError::BandwidthBelowCell { .. })
        ));
        assert!(matches!(
            kde_binned(&p, &spec, Kernel::Quartic, 50_000.0, 1, &keep),
            Err(BinnedError::StencilTooLarge { cells: 1000 })
        ));
    }
}
