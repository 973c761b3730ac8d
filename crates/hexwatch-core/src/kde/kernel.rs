//! Kernels: each surface integrates to 1 over the plane, so a point of weight w adds w.

use std::f64::consts::PI;

/// A radially symmetric kernel with support radius `h` (the bandwidth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Kernel {
    /// Quartic (biweight), the ArcGIS and QGIS default: 3/(πh²)·(1 − (d/h)²)² for d < h
    /// (Silverman 1986, eq. 4.5).
    #[default]
    Quartic,
    /// Epanechnikov: 2/(πh²)·(1 − (d/h)²) for d < h.
    Epanechnikov,
    /// Triangular (cone): 3/(πh²)·(1 − d/h) for d < h.
    Triangular,
    /// Uniform (disc): 1/(πh²) for d < h.
    Uniform,
    /// Gaussian with σ = h/3, truncated at d = h and renormalised so the truncated surface
    /// integrates to 1: exp(−d²/2σ²) / (2πσ²·(1 − e^(−9/2))).
    Gaussian,
}

impl Kernel {
    /// All kernels.
    pub const ALL: [Self; 5] =
        [Self::Quartic, Self::Epanechnikov, Self::Triangular, Self::Uniform, Self::Gaussian];

    /// The name used on the command line and in URLs (`quartic`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Quartic => "quartic",
            Self::Epanechnikov => "epanechnikov",
            Self::Triangular => "triangular",
            Self::Uniform => "uniform",
            Self::Gaussian => "gaussian",
        }
    }

    /// Parses [`Kernel::as_str`].
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kernel's value per m² at distance `d_m` from the point, for bandwidth `h_m`.
    ///
    /// # Units
    /// `d_m`, `h_m`: metres; result: per m² (multiply by 1e6 for per km²).
    #[must_use]
    pub fn value_per_m2(self, d_m: f64, h_m: f64) -> f64 {
        if d_m.is_nan() || d_m >= h_m || h_m <= 0.0 {
            return 0.0;
        }
        let h2 = h_m * h_m;
        let u = d_m / h_m;
        match self {
            Self::Quartic => {
                let t = 1.0 - u * u;
                3.0 / (PI * h2) * t * t
            }
            Self::Epanechnikov => 2.0 / (PI * h2) * (1.0 - u * u),
            Self::Triangular => 3.0 / (PI * h2) * (1.0 - u),
            Self::Uniform => 1.0 / (PI * h2),
            Self::Gaussian => {
                let sigma = h_m / 3.0;
                let s2 = sigma * sigma;
                (-d_m * d_m / (2.0 * s2)).exp() / (2.0 * PI * s2 * (1.0 - (-4.5_f64).exp()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kernel integrates to 1 over the disc (midpoint rule over 200,000 rings).
    #[test]
    fn every_kernel_integrates_to_one() {
        let h = 300.0;
        let rings = 200_000;
        for k in Kernel::ALL {
            let dr = h / f64::from(rings);
            let total: f64 = (0..rings)
                .map(|i| {
                    let r = (f64::from(i) + 0.5) * dr;
                    k.value_per_m2(r, h) * 2.0 * PI * r * dr
                })
                .sum();
            assert!((total - 1.0).abs() < 1e-6, "{k:?}: {total}");
        }
    }

    /// The quartic peak is 3/(πh²): 1.0610329539459689e-5 per m² for h = 300 m.
    #[test]
    fn quartic_peak() {
        assert!((Kernel::Quartic.value_per_m2(0.0, 300.0) - 3.0 / (PI * 90_000.0)).abs() < 1e-20);
        assert_eq!(Kernel::Quartic.value_per_m2(300.0, 300.0), 0.0);
    }
}
