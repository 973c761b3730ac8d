//! Cells that turn into new, consecutive or intensifying hot spots from one period to the
//! next in the emerging hot spot analysis.

use h3o::CellIndex;

use super::AlertError;
use crate::stats::{EmergingParams, Neighbours, Pattern, emerging_hot_spots};

/// The patterns whose onset is an alert: new, consecutive and intensifying hot spots.
pub const EMERGING_HOT: [Pattern; 3] = [Pattern::NewHot, Pattern::ConsecutiveHot, Pattern::IntensifyingHot];

/// A cell whose pattern changed into one of [`EMERGING_HOT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatternTransition {
    /// The cell.
    pub cell: CellIndex,
    /// Its pattern with the data up to the period before.
    pub before: Pattern,
    /// Its pattern with the data up to the period.
    pub after: Pattern,
}

/// The cells whose pattern is new, consecutive or intensifying hot spot in `after` (the
/// analysis with data up to period t) and was anything else in `before` (data up to t − 1),
/// in the order of `cells`. A cell that stays e.g. intensifying is not listed again; one that
/// moves on from new to consecutive is.
///
/// # Errors
/// [`AlertError::PatternLengths`] when the three slices differ in length.
///
/// # Example
/// ```
/// use hexwatch_core::alerts::hot_spot_transitions;
/// use hexwatch_core::stats::Pattern;
/// use h3o::CellIndex;
///
/// let cells: Vec<CellIndex> = ["891959710bbffff", "8919597154fffff"]
///     .iter()
///     .map(|c| c.parse())
///     .collect::<Result<_, _>>()?;
/// let before = [Pattern::NoPattern, Pattern::IntensifyingHot];
/// let after = [Pattern::NewHot, Pattern::IntensifyingHot];
/// let turned = hot_spot_transitions(&cells, &before, &after)?;
/// assert_eq!(turned.len(), 1);
/// assert_eq!((turned[0].cell, turned[0].after), (cells[0], Pattern::NewHot));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hot_spot_transitions(
    cells: &[CellIndex],
    before: &[Pattern],
    after: &[Pattern],
) -> Result<Vec<PatternTransition>, AlertError> {
    if cells.len() != before.len() || cells.len() != after.len() {
        return Err(AlertError::PatternLengths {
            cells: cells.len(),
            before: before.len(),
            after: after.len(),
        });
    }
    Ok(cells
        .iter()
        .zip(before.iter().zip(after))
        .filter(|(_, (b, a))| EMERGING_HOT.contains(a) && a != b)
        .map(|(&cell, (&before, &after))| PatternTransition { cell, before, after })
        .collect())
}

/// Runs [`emerging_hot_spots`] on the cube `counts[cell][step]` cut after step `step − 1` and
/// after step `step`, and gives [`hot_spot_transitions`] between the two. Each run uses only
/// the steps it holds (including, for the cube's global mean and standard deviation), as a
/// monthly re-run of the analysis would.
///
/// # Errors
/// [`AlertError::StepOutOfRange`] when `step` is 0 or not in the cube;
/// [`AlertError::PatternLengths`] when `cells` and `counts` differ in length.
///
/// # Panics
/// When `counts` and `neighbours` differ in length (as [`emerging_hot_spots`]).
pub fn emerging_transitions(
    cells: &[CellIndex],
    counts: &[Vec<f64>],
    neighbours: &Neighbours,
    step: usize,
    params: EmergingParams,
) -> Result<Vec<PatternTransition>, AlertError> {
    let steps = counts.iter().map(Vec::len).min().unwrap_or(0);
    if step == 0 || step >= steps {
        return Err(AlertError::StepOutOfRange { step, steps });
    }
    let up_to = |last: usize| -> Vec<Vec<f64>> { counts.iter().map(|c| c[..=last].to_vec()).collect() };
    let (before, after) = rayon::join(
        || emerging_hot_spots(&up_to(step - 1), neighbours, params).pattern,
        || emerging_hot_spots(&up_to(step), neighbours, params).pattern,
    );
    hot_spot_transitions(cells, &before, &after)
}
