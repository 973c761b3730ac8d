//! What the public role may ask for: fixed category groups, fixed periods, the whole area,
//! the study area or one ward, and no time-of-day, weekday or flag filters (each would
//! create new totals to protect). See [`hexwatch_core::PublicCube`] for the counts.

use h3o::Resolution;
use hexwatch_core::{AreaFilter, Period, PublicArea, YearMonth, category_groups, group_of, public_period};

use crate::error::ApiError;
use crate::query::Selection;
use crate::state::Snapshot;

/// A public request's place in the public cube.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PublicQuery {
    /// Index into [`hexwatch_core::category_groups`].
    pub(crate) group: usize,
    /// The fixed period.
    pub(crate) period: Period,
    /// Whether the group is shown only at coarse resolution.
    pub(crate) sensitive: bool,
}

/// Which areas a route may take from the public role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicAreas {
    /// Only the whole data (cell layers: an area filter would clip cells into new totals).
    None,
    /// The whole data, the study area (`bcp`) or one ward.
    Wards,
}

/// The message of a filter the public role may not use.
fn partner_filter(parameter: &str, why: &str) -> ApiError {
    ApiError::bad_parameter(
        parameter,
        format!(
            "{parameter} needs a partner token (Authorization: Bearer <token>): {why}; the public map shows \
             fixed categories and periods"
        ),
    )
}

/// Checks `selection` for the public role and pins its period (the calendar year of the
/// data's last month when `from`/`to` are absent), so the cache key and the counts are of
/// the fixed period.
///
/// # Errors
/// 400 naming the parameter: `category` not a fixed group, `from`/`to` not a calendar
/// month, quarter or year, `area` other than those `areas` allows, `hours`, `weekdays`,
/// `flag`, or `res` finer than the public resolution of the group.
pub(crate) fn public_selection(
    selection: &mut Selection,
    snapshot: &Snapshot,
    policy: hexwatch_core::DisclosurePolicy,
    areas: PublicAreas,
) -> Result<PublicQuery, ApiError> {
    let f = &selection.filter;
    if f.hours.is_some() {
        return Err(partner_filter("hours", "hour-of-day counts are not published"));
    }
    if f.weekdays.is_some() {
        return Err(partner_filter("weekdays", "weekday counts are not published"));
    }
    if f.flags.is_some() {
        return Err(partner_filter(
            "flag",
            "flagged incidents (e.g. domestic abuse) are not published by flag",
        ));
    }
    let groups = category_groups(&snapshot.table);
    let group = group_of(&groups, f.categories.as_deref()).ok_or_else(|| {
        let list: Vec<&str> = groups.iter().map(|g| g.slug.as_str()).collect();
        ApiError::bad_parameter(
            "category",
            format!(
                "the public map shows fixed category groups only: {}; other lists need a partner token",
                list.join(", ")
            ),
        )
    })?;
    let area_ok = matches!(
        (areas, f.area),
        (_, AreaFilter::All) | (PublicAreas::Wards, AreaFilter::AnyWard | AreaFilter::Ward(_))
    );
    if !area_ok {
        return Err(partner_filter(
            "area",
            match areas {
                PublicAreas::None => "cells clipped to an area are not published",
                PublicAreas::Wards => {
                    "the public map shows the study area (bcp) and wards, not LSOAs or custom areas"
                }
            },
        ));
    }
    let latest = snapshot.month_span.map_or_else(|| YearMonth::new(2000, 1), |s| Ok(s.1));
    let latest = latest.map_err(|e| ApiError::internal(&e))?;
    let period =
        public_period(f.from, f.to, latest).map_err(|e| ApiError::bad_parameter(e.parameter, e.message))?;
    let (from, to) = period.range().ok_or_else(|| ApiError::bad_parameter("from", "year out of range"))?;
    selection.filter.from = Some(from);
    selection.filter.to = Some(to);
    let sensitive = groups[group].sensitive;
    if let Some(res) = selection.res {
        let cap = policy.public_resolution(res, sensitive);
        if cap < res {
            return Err(ApiError::bad_parameter(
                "res",
                format!(
                    "the public map shows {} at resolution {} or coarser; finer cells need a partner token",
                    if sensitive { groups[group].name.as_str() } else { "counts" },
                    u8::from(cap)
                ),
            ));
        }
    }
    Ok(PublicQuery { group, period, sensitive })
}

/// The public query of a selection already pinned by [`public_selection`] (for caches that
/// see only the selection).
pub(crate) fn pinned_query(selection: &Selection, snapshot: &Snapshot) -> Option<PublicQuery> {
    let groups = category_groups(&snapshot.table);
    let group = group_of(&groups, selection.filter.categories.as_deref())?;
    let period = Period::of_range(selection.filter.from?, selection.filter.to?)?;
    Some(PublicQuery { group, period, sensitive: groups[group].sensitive })
}

/// The public cube's area of an area filter (`None` for LSOAs and custom areas).
pub(crate) const fn public_area(area: AreaFilter) -> Option<PublicArea> {
    match area {
        AreaFilter::All => Some(PublicArea::All),
        AreaFilter::AnyWard => Some(PublicArea::Wards),
        AreaFilter::Ward(id) => Some(PublicArea::Ward(id.0)),
        AreaFilter::Lsoa(_) | AreaFilter::Custom { .. } => None,
    }
}

/// The resolution a public cell layer uses at `res` (capped, see
/// [`hexwatch_core::DisclosurePolicy::public_resolution`]).
pub(crate) fn public_resolution(
    policy: hexwatch_core::DisclosurePolicy,
    res: Resolution,
    query: &PublicQuery,
) -> Resolution {
    policy.public_resolution(res, query.sensitive)
}
