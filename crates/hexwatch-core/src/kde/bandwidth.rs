//! Default bandwidth rules.

/// Which rule chose a bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BandwidthRule {
    /// Given by the user (`bandwidth_m`).
    Given,
    /// ArcGIS Kernel Density's default (10.2.1+): 0.9·min(SD, √(1/ln 2)·Dm)·n^(−0.2).
    ArcGis,
}

impl BandwidthRule {
    /// A description for outputs ("ArcGIS default: 0.9·min(SD, √(1/ln 2)·Dm)·n^−0.2").
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::ArcGis => "ArcGIS default: 0.9·min(SD, √(1/ln 2)·Dm)·n^−0.2",
        }
    }
}

/// A bandwidth with how it was chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bandwidth {
    /// The kernel's support radius, metres.
    pub bandwidth_m: f64,
    /// The rule.
    pub rule: BandwidthRule,
    /// Standard distance of the points from their weighted mean centre, metres (ArcGIS rule).
    pub standard_distance_m: f64,
    /// Weighted median distance to the mean centre, metres (ArcGIS rule).
    pub median_distance_m: f64,
    /// n: the sum of weights.
    pub n: f64,
}

/// ArcGIS Kernel Density's default search radius for points `(x_m, y_m, weight)`:
///
/// ```text
/// h = 0.9 · min(SD, √(1/ln 2) · Dm) · n^(−0.2)
/// SD = √( Σw(x − x̄)²/n + Σw(y − ȳ)²/n ),   Dm = weighted median distance to (x̄, ȳ),   n = Σw
/// ```
///
/// `None` for no points or no positive weight. With unit weights Dm is the ordinary median
/// (the mean of the two middle distances for an even count, as numpy computes it).
///
/// # References
/// Esri, "How Kernel Density works" (ArcGIS 10.2.1 and later); Silverman (1986).
#[must_use]
pub fn arcgis_bandwidth(points: &[(f64, f64, f64)]) -> Option<Bandwidth> {
    let n: f64 = points.iter().map(|p| p.2).sum();
    if points.is_empty() || n <= 0.0 {
        return None;
    }
    let mx = points.iter().map(|p| p.0 * p.2).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1 * p.2).sum::<f64>() / n;
    let var = points.iter().map(|p| p.2 * ((p.0 - mx).powi(2) + (p.1 - my).powi(2))).sum::<f64>() / n;
    let sd = var.sqrt();
    let mut distances: Vec<(f64, f64)> = points.iter().map(|p| ((p.0 - mx).hypot(p.1 - my), p.2)).collect();
    distances.sort_by(|a, b| a.0.total_cmp(&b.0));
    let dm = weighted_median(&distances, n);
    let h = 0.9 * sd.min((1.0 / std::f64::consts::LN_2).sqrt() * dm) * n.powf(-0.2);
    Some(Bandwidth {
        bandwidth_m: h,
        rule: BandwidthRule::ArcGis,
        standard_distance_m: sd,
        median_distance_m: dm,
        n,
    })
}

/// Median of sorted `(value, weight)` pairs: the value where the cumulative weight reaches
/// half; exactly between two values (an even count of unit weights), their mean.
fn weighted_median(sorted: &[(f64, f64)], total: f64) -> f64 {
    let half = total / 2.0;
    let mut cumulative = 0.0;
    for (i, (v, w)) in sorted.iter().enumerate() {
        cumulative += w;
        if cumulative > half {
            return *v;
        }
        if cumulative == half {
            return sorted.get(i + 1).map_or(*v, |next| (v + next.0) / 2.0);
        }
    }
    sorted.last().map_or(0.0, |l| l.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand: points (0,0), (600,0), (0,800), (600,800), unit weights. Mean centre
    /// (300, 400); every distance is 500, so SD = 500 and Dm = 500; n = 4.
    /// h = 0.9 · min(500, 1.2011224087864498·500) · 4^−0.2 = 450 · 0.757858283255199
    ///   = 341.03622746483955.
    #[test]
    fn arcgis_rule_by_hand() {
        let b =
            arcgis_bandwidth(&[(0.0, 0.0, 1.0), (600.0, 0.0, 1.0), (0.0, 800.0, 1.0), (600.0, 800.0, 1.0)])
                .unwrap();
        assert!((b.standard_distance_m - 500.0).abs() < 1e-9);
        assert!((b.median_distance_m - 500.0).abs() < 1e-9);
        assert!((b.bandwidth_m - 341.036_227_464_839_55).abs() < 1e-9, "{}", b.bandwidth_m);
    }

    #[test]
    fn even_count_median_is_the_mean_of_the_middle_two() {
        assert_eq!(weighted_median(&[(1.0, 1.0), (2.0, 1.0), (4.0, 1.0), (9.0, 1.0)], 4.0), 3.0);
        assert_eq!(weighted_median(&[(1.0, 1.0), (2.0, 1.0), (4.0, 1.0)], 3.0), 2.0);
    }
}
