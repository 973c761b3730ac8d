//! Accuracy measures of a hotspot map: hit rate, PAI, PEI*, RRI, and the area-share rule.

/// Hit rate n/N: the share of the test period's incidents inside the hotspots. `None` when
/// N = 0.
///
/// # Example
/// ```
/// use hexwatch_core::evaluation::hit_rate;
/// assert_eq!(hit_rate(6, 20), Some(0.3));
/// ```
#[must_use]
pub fn hit_rate(n: u64, total_n: u64) -> Option<f64> {
    (total_n > 0).then(|| as_f64(n) / as_f64(total_n))
}

/// Predictive Accuracy Index PAI = (n/N)/(a/A): the hit rate over the share of the study
/// area the hotspots take. `None` when N, a or A is 0.
///
/// # Units
/// `a_km2` and `study_km2` in the same unit (km²); PAI has none.
///
/// # Example
/// ```
/// use hexwatch_core::evaluation::pai;
/// // 6 of 20 incidents in 1.5 of 100 km²: 0.3 / 0.015 = 20.
/// assert!((pai(6, 20, 1.5, 100.0).unwrap() - 20.0).abs() < 1e-12);
/// ```
///
/// # References
/// Chainey, Tompson & Uhlig (2008), "The utility of hotspot mapping for predicting spatial
/// patterns of crime", *Security Journal* 21:4–28.
#[must_use]
pub fn pai(n: u64, total_n: u64, a_km2: f64, study_km2: f64) -> Option<f64> {
    (total_n > 0 && a_km2 > 0.0 && study_km2 > 0.0)
        .then(|| (as_f64(n) / as_f64(total_n)) / (a_km2 / study_km2))
}

/// NIJ's Predictive Efficiency Index PEI* = n/n*: the incidents the hotspots captured over the
/// most any selection of the same area could have captured ([`best_capture`]). 0–1; `None`
/// when n* = 0.
///
/// # References
/// National Institute of Justice, Real-Time Crime Forecasting Challenge (2016–17), scoring
/// notes on the winners' page.
#[must_use]
pub fn pei_star(n: u64, n_star: u64) -> Option<f64> {
    (n_star > 0).then(|| as_f64(n) / as_f64(n_star))
}

/// Recapture Rate Index RRI = (n₂/n₁)/(N₂/N₁), with n₁, n₂ the incidents inside the hotspots
/// in the input (training) and test periods and N₁, N₂ all incidents in them: how well the
/// hotspots keep their share of incidents from one period to the next (1: the same share;
/// above 1: the hotspots gained share).
///
/// Defined cases: `None` when n₁ = 0 (the hotspots held nothing in the input period, so there
/// is no rate to recapture; reported as "n/a", never as 0 or ∞), or when N₁ or N₂ is 0.
///
/// # Example
/// ```
/// use hexwatch_core::evaluation::rri;
/// // 10 of 100 in training, 4 of 20 in the test month: (4/10)/(20/100) = 2.
/// assert!((rri(10, 100, 4, 20).unwrap() - 2.0).abs() < 1e-12);
/// assert_eq!(rri(0, 100, 4, 20), None);
/// ```
///
/// # References
/// N. Levine (2008), "The 'hottest' part of a hotspot: comments on 'The utility of hotspot
/// mapping for predicting spatial patterns of crime'", *Security Journal* 21:295–302, which
/// proposed the index to correct the hit rate for a change in volume between the two periods.
/// Levine's text was not reachable from this machine; the definition was confirmed against
/// two independent statements of it that agree: (n₂/n₁)/(N₂/N₁) as used by Drawve (2016),
/// "A metric comparison of predictive hot spot techniques and RTM", *Justice Quarterly*
/// 33:369–397 (doi:10.1080/07418825.2014.904393) and Fan & Leitner, and PAI₂/PAI₁ for
/// the same selected places (the routineactivity PAI tool), which is the same quantity because
/// a/A cancels. Some packages (e.g. the `gbm_fit` evaluation in R) call predicted ÷ captured
/// counts an "RRI"; that is a calibration ratio, not Levine's index, and is not used here.
#[must_use]
pub fn rri(n1: u64, total_n1: u64, n2: u64, total_n2: u64) -> Option<f64> {
    (n1 > 0 && total_n1 > 0 && total_n2 > 0)
        .then(|| (as_f64(n2) / as_f64(n1)) / (as_f64(total_n2) / as_f64(total_n1)))
}

/// Units selected from ranked groups (a group is one unit, or a patrol patch of several)
/// under an area budget: groups are added in rank order until the next one would take the
/// total past `budget_km2` (that group and all after it are left out, so the selection is
/// always a prefix of the ranking). Returns the selected unit indices and their exact area.
///
/// # Units
/// `unit_area_km2[u]` and `budget_km2` in km².
#[must_use]
pub fn select_by_area(groups: &[Vec<usize>], unit_area_km2: &[f64], budget_km2: f64) -> (Vec<usize>, f64) {
    let mut chosen = Vec::new();
    let mut area = 0.0;
    for g in groups {
        let extra: f64 = g.iter().map(|&u| unit_area_km2[u]).sum();
        if area + extra > budget_km2 {
            break;
        }
        area += extra;
        chosen.extend_from_slice(g);
    }
    (chosen, area)
}

/// n*: the most test incidents any set of units of total area at most `budget_km2` could
/// capture. Exact (a 0/1 knapsack solved by dynamic programming over incident counts: the
/// least area that captures at least c incidents, for every c), because exact H3 cell areas
/// differ slightly and a greedy count ranking can miss the optimum.
///
/// # Example
/// ```
/// use hexwatch_core::evaluation::best_capture;
/// // Counts 5, 4, 4 in cells of 2, 1, 1 km²: with 2 km² the two small cells (8) beat the big one.
/// assert_eq!(best_capture(&[5, 4, 4], &[2.0, 1.0, 1.0], 2.0), 8);
/// ```
#[must_use]
pub fn best_capture(counts: &[u64], unit_area_km2: &[f64], budget_km2: f64) -> u64 {
    let total: u64 = counts.iter().sum();
    let Ok(total_usize) = usize::try_from(total) else {
        return 0;
    };
    // least[c] = least area capturing at least c incidents.
    let mut least = vec![f64::INFINITY; total_usize + 1];
    least[0] = 0.0;
    for (&n, &a) in counts.iter().zip(unit_area_km2) {
        let Ok(n) = usize::try_from(n) else { continue };
        if n == 0 {
            continue;
        }
        for c in (0..=total_usize).rev() {
            let from = c.saturating_sub(n);
            let with = least[from] + a;
            if with < least[c] {
                least[c] = with;
            }
        }
    }
    // A relative tolerance so that the hotspots' own selection, summed in another order,
    // always fits its own area.
    let limit = budget_km2 * (1.0 + 1e-12);
    least.iter().rposition(|&a| a <= limit).map_or(0, |c| c as u64)
}

#[expect(clippy::cast_precision_loss, reason = "incident counts are far below 2^52")]
pub(crate) const fn as_f64(n: u64) -> f64 {
    n as f64
}
