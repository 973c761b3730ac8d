//! Emerging hot spot transitions on a hand-built cube: 37 cells (a k = 3 disk at resolution 9)
//! with a varying background, and a cluster (a centre cell and its ring) that jumps at step 12
//! and stays high at step 13. The centre turns into a new hot spot at step 12 and into a
//! consecutive hot spot at step 13; only cells whose Gi* neighbourhood (k = 1) touches the
//! cluster turn at all.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test set-up fails loudly")]

use h3o::{CellIndex, Resolution};
use hexwatch_core::alerts::{AlertError, emerging_transitions, hot_spot_transitions};
use hexwatch_core::stats::{EmergingParams, Neighbours, Pattern, StudyArea};

#[test]
fn a_jumping_cluster_turns_new_then_consecutive() {
    let centre: CellIndex = "891959710bbffff".parse().unwrap();
    let area = StudyArea::from_cells(Resolution::Nine, centre.grid_disk::<Vec<_>>(3));
    let cluster: Vec<CellIndex> = centre.grid_disk(1);
    let touching: Vec<CellIndex> = centre.grid_disk(2);
    let steps = 14;
    let counts: Vec<Vec<f64>> = area
        .cells()
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            (0..steps)
                .map(|t| {
                    let background = f64::from(u32::try_from((i * 7 + t * 3) % 5).unwrap());
                    if t >= 12 && cluster.contains(cell) { background + 25.0 } else { background }
                })
                .collect()
        })
        .collect();
    let neighbours = Neighbours::k_ring(&area, 1, true);
    let params = EmergingParams::default();
    let cells = area.cells();

    let at_12 = emerging_transitions(cells, &counts, &neighbours, 12, params).unwrap();
    assert!(!at_12.is_empty());
    for t in &at_12 {
        assert!(touching.contains(&t.cell), "{} turned {:?}", t.cell, t.after);
        assert_eq!(t.after, Pattern::NewHot);
        assert_ne!(t.before, Pattern::NewHot);
    }
    assert!(at_12.iter().any(|t| t.cell == centre));

    let at_13 = emerging_transitions(cells, &counts, &neighbours, 13, params).unwrap();
    let centre_13 = at_13.iter().find(|t| t.cell == centre).unwrap();
    assert_eq!((centre_13.before, centre_13.after), (Pattern::NewHot, Pattern::ConsecutiveHot));
    assert!(at_13.iter().all(|t| touching.contains(&t.cell)));

    assert_eq!(
        emerging_transitions(cells, &counts, &neighbours, 14, params),
        Err(AlertError::StepOutOfRange { step: 14, steps: 14 })
    );
    assert!(emerging_transitions(cells, &counts, &neighbours, 0, params).is_err());
}

#[test]
fn staying_in_a_pattern_is_not_a_transition() {
    let cells: Vec<CellIndex> = "891959710bbffff".parse::<CellIndex>().unwrap().grid_disk(1);
    let before = [
        Pattern::IntensifyingHot,
        Pattern::NoPattern,
        Pattern::NewHot,
        Pattern::PersistentHot,
        Pattern::NewCold,
        Pattern::SporadicHot,
        Pattern::NoPattern,
    ];
    let after = [
        Pattern::IntensifyingHot,
        Pattern::NewHot,
        Pattern::ConsecutiveHot,
        Pattern::IntensifyingHot,
        Pattern::NoPattern,
        Pattern::PersistentHot,
        Pattern::SporadicHot,
    ];
    let turned: Vec<(CellIndex, Pattern)> =
        hot_spot_transitions(&cells, &before, &after).unwrap().iter().map(|t| (t.cell, t.after)).collect();
    assert_eq!(
        turned,
        [
            (cells[1], Pattern::NewHot),
            (cells[2], Pattern::ConsecutiveHot),
            (cells[3], Pattern::IntensifyingHot)
        ]
    );
    assert_eq!(
        hot_spot_transitions(&cells, &before[..2], &after),
        Err(AlertError::PatternLengths { cells: 7, before: 2, after: 7 })
    );
}
