//! One hand-built series per pattern, each citing the sentence of Esri's definition it
//! satisfies ("Learn more about Emerging Hot Spot Analysis", ArcGIS Pro). Twelve monthly
//! steps; `1` a significant hot bin, `-1` cold, `0` neither; the z series sets the trend.

use super::*;

fn pattern(state: [i8; 12], z: [f64; 12]) -> Pattern {
    classify(&state, &mann_kendall(&z), 0.05, 0.9)
}

const FLAT: [f64; 12] = [5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0];

fn rising() -> [f64; 12] {
    std::array::from_fn(|i| 3.0 + f64::from(u8::try_from(i).unwrap()))
}

fn falling() -> [f64; 12] {
    let mut z = rising();
    z.reverse();
    z
}

fn neg(z: [f64; 12]) -> [f64; 12] {
    z.map(|v| -v)
}

fn flip(state: [i8; 12]) -> [i8; 12] {
    state.map(|s| -s)
}

const NEW: [i8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const CONSECUTIVE: [i8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1];
const ALWAYS: [i8; 12] = [1; 12];
const SPORADIC: [i8; 12] = [1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1];
const OSCILLATING: [i8; 12] = [-1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
const HISTORICAL: [i8; 12] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0];

#[test]
fn the_trend_series_are_what_they_claim() {
    assert!(mann_kendall(&rising()).p < 0.05 && mann_kendall(&rising()).z > 0.0);
    assert!(mann_kendall(&falling()).p < 0.05 && mann_kendall(&falling()).z < 0.0);
    assert!(mann_kendall(&FLAT).p >= 0.05);
}

/// "A location that is a statistically significant hot spot for the final time step and has
/// never been a statistically significant hot spot before."
#[test]
fn new_hot_spot() {
    assert_eq!(pattern(NEW, FLAT), Pattern::NewHot);
}

/// "A location with a single uninterrupted run of at least two statistically significant hot
/// spot bins in the final time-step intervals. The location has never been a statistically
/// significant hot spot prior to the final hot spot run and less than ninety percent of all
/// bins are statistically significant hot spots."
#[test]
fn consecutive_hot_spot() {
    assert_eq!(pattern(CONSECUTIVE, FLAT), Pattern::ConsecutiveHot);
}

/// "A location that has been a statistically significant hot spot for ninety percent of the
/// time-step intervals, including the final time step. In addition, the intensity of
/// clustering of high counts in each time step is increasing overall and that increase is
/// statistically significant."
#[test]
fn intensifying_hot_spot() {
    assert_eq!(pattern(ALWAYS, rising()), Pattern::IntensifyingHot);
}

/// "A location that has been a statistically significant hot spot for ninety percent of the
/// time-step intervals with no discernible trend indicating an increase or decrease in the
/// intensity of clustering over time."
#[test]
fn persistent_hot_spot() {
    assert_eq!(pattern(ALWAYS, FLAT), Pattern::PersistentHot);
}

/// "A location that has been a statistically significant hot spot for ninety percent of the
/// time-step intervals, including the final time step. In addition, the intensity of
/// clustering in each time step is decreasing overall and that decrease is statistically
/// significant."
#[test]
fn diminishing_hot_spot() {
    assert_eq!(pattern(ALWAYS, falling()), Pattern::DiminishingHot);
}

/// "A statistically significant hot spot for the final time-step interval with a history of
/// also being an on-again then off-again hot spot. Less than ninety percent of the time-step
/// intervals have been statistically significant hot spots and none of the time-step
/// intervals have been statistically significant cold spots."
#[test]
fn sporadic_hot_spot() {
    assert_eq!(pattern(SPORADIC, FLAT), Pattern::SporadicHot);
}

/// "A statistically significant hot spot for the final time-step interval that has a history
/// of also being a statistically significant cold spot during a prior time step. Less than
/// ninety percent of the time-step intervals have been statistically significant hot spots."
#[test]
fn oscillating_hot_spot() {
    assert_eq!(pattern(OSCILLATING, FLAT), Pattern::OscillatingHot);
}

/// "The most recent time period is not hot, but at least ninety percent of the time-step
/// intervals have been statistically significant hot spots."
#[test]
fn historical_hot_spot() {
    assert_eq!(pattern(HISTORICAL, FLAT), Pattern::HistoricalHot);
}

/// Cold spots: the same sentences with "cold" for "hot" and "low counts" for "high counts";
/// an intensifying cold spot's z falls (clustering of low values grows), a diminishing one's rises.
#[test]
fn cold_spots_mirror_hot_spots() {
    assert_eq!(pattern(flip(NEW), neg(FLAT)), Pattern::NewCold);
    assert_eq!(pattern(flip(CONSECUTIVE), neg(FLAT)), Pattern::ConsecutiveCold);
    assert_eq!(pattern(flip(ALWAYS), neg(rising())), Pattern::IntensifyingCold);
    assert_eq!(pattern(flip(ALWAYS), neg(FLAT)), Pattern::PersistentCold);
    assert_eq!(pattern(flip(ALWAYS), neg(falling())), Pattern::DiminishingCold);
    assert_eq!(pattern(flip(SPORADIC), neg(FLAT)), Pattern::SporadicCold);
    assert_eq!(pattern(flip(OSCILLATING), neg(FLAT)), Pattern::OscillatingCold);
    assert_eq!(pattern(flip(HISTORICAL), neg(FLAT)), Pattern::HistoricalCold);
}

/// "Does not fall into any of the hot or cold spot patterns defined below."
#[test]
fn no_pattern() {
    assert_eq!(pattern([0; 12], FLAT), Pattern::NoPattern);
    // Hot once, long ago, and not since: none of the hot definitions requires that.
    assert_eq!(pattern([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], FLAT), Pattern::NoPattern);
}

#[test]
fn seventeen_distinct_labels_and_slugs() {
    let labels: std::collections::HashSet<_> = Pattern::ALL.iter().map(|p| p.label()).collect();
    let slugs: std::collections::HashSet<_> = Pattern::ALL.iter().map(|p| p.slug()).collect();
    assert_eq!((labels.len(), slugs.len()), (17, 17));
    assert_eq!(Pattern::IntensifyingHot.slug(), "intensifying-hot");
}
