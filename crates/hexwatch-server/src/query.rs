//! Query parameters shared by tiles and the API.

use h3o::Resolution;
use hexwatch_core::{AreaSets, Filter, IncidentTable, TimePrecision, YearMonth};

use crate::error::ApiError;

/// A parsed selection: the filter plus an optional pinned resolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selection {
    /// What to count.
    pub filter: Filter,
    /// `res=N`: pins the H3 resolution (5–12) instead of following zoom.
    pub res: Option<Resolution>,
}

impl Selection {
    /// A canonical text of the selection for cache keys (same selection, same key).
    #[must_use]
    pub fn cache_key(&self) -> String {
        let f = &self.filter;
        format!(
            "c={:?};f={:?};t={:?};a={:?};r={:?};h={:?};w={:?};fl={:?}",
            f.categories.as_ref().map(|c| c.iter().map(|i| i.0).collect::<Vec<_>>()),
            f.from.map(|m| m.to_string()),
            f.to.map(|m| m.to_string()),
            f.area,
            self.res.map(u8::from),
            f.hours,
            f.weekdays,
            f.flags,
        )
    }
}

/// Parameters that only some routes take; each route says which.
pub(crate) const SELECTION_PARAMS: [&str; 8] =
    ["category", "from", "to", "area", "res", "hours", "weekdays", "flag"];

/// Parses `method` (`count`, the default, gives `None`) and the statistics' settings.
///
/// # Errors
/// [`ApiError`] 400 naming the parameter: unknown method, `k` outside 1–3, `permutations`
/// outside 0–9999 (Moran needs at least 1), a non-numeric seed.
pub(crate) fn parse_stat_options(
    pairs: &[(String, String)],
) -> Result<(Option<hexwatch_core::stats::Method>, hexwatch_core::stats::StatOptions), ApiError> {
    use hexwatch_core::stats::{Method, StatOptions};
    let value = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let method = match value("method").unwrap_or("count") {
        "count" => None,
        m => Some(Method::parse(m).ok_or_else(|| {
            ApiError::bad_parameter(
                "method",
                format!("invalid method (got {m:?}): count, gistar, moran or emerging"),
            )
        })?),
    };
    let mut options = StatOptions::default();
    if let Some(k) = value("k") {
        options.k = k.parse().ok().filter(|k| (1..=3).contains(k)).ok_or_else(|| {
            ApiError::bad_parameter("k", format!("invalid k (got {k:?}): the neighbourhood ring, 1 to 3"))
        })?;
    }
    if let Some(p) = value("permutations") {
        options.permutations = p.parse().ok().filter(|p| *p <= 9_999).ok_or_else(|| {
            ApiError::bad_parameter("permutations", format!("invalid permutations (got {p:?}): 0 to 9999"))
        })?;
        options.gi_permutations = options.permutations > 0;
        if method == Some(Method::Moran) && options.permutations == 0 {
            return Err(ApiError::bad_parameter(
                "permutations",
                "local Moran needs at least 1 permutation (999 by default)",
            ));
        }
    }
    if let Some(s) = value("seed") {
        options.seed = s.parse().map_err(|_| {
            ApiError::bad_parameter("seed", format!("invalid seed (got {s:?}): a whole number"))
        })?;
    }
    Ok((method, options))
}

/// Answers 400 naming the first parameter of a route that takes none.
///
/// # Errors
/// [`ApiError`] 400 when `pairs` is not empty.
pub(crate) fn no_parameters(pairs: &[(String, String)], route: &str) -> Result<(), ApiError> {
    match pairs.first() {
        None => Ok(()),
        Some((k, _)) => {
            Err(ApiError::bad_parameter(k, format!("unknown parameter {k:?}: {route} takes no parameters")))
        }
    }
}

/// Parses the shared filters from query pairs. `extra` lists the other parameters the
/// route accepts; anything else is a 400 naming it (a misspelt filter must not silently
/// select everything), as is an empty or repeated parameter.
///
/// `category` takes slugs, comma-separated, or a group's slug: `all` (every category) or
/// `acquisitive` (see [`hexwatch_core::category_groups`]).
///
/// # Errors
/// [`ApiError`] 400 naming the parameter: unknown category slug, malformed month, `from`
/// after `to`, unknown area, resolution outside 5–12, an unknown parameter, or `hours`,
/// `weekdays`, `flag` on month-precision data.
pub fn parse_selection(
    pairs: &[(String, String)],
    table: &IncidentTable,
    areas: &AreaSets,
    extra: &[&str],
) -> Result<Selection, ApiError> {
    let mut selection = Selection::default();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(k, _)| k == key) {
            return Err(ApiError::bad_parameter(key, format!("{key} is given more than once; give it once")));
        }
        if value.trim().is_empty() {
            return Err(ApiError::bad_parameter(
                key,
                format!("{key} is empty; give a value or leave it out"),
            ));
        }
        let month = |v: &str| v.parse::<YearMonth>().map_err(|e| ApiError::bad_parameter(key, e.to_string()));
        match key.as_str() {
            "category" => {
                // A group's slug (`all`, `acquisitive`) stands for its categories.
                let groups = hexwatch_core::category_groups(table);
                if let Some(g) = groups.iter().find(|g| g.slug == value.trim() && g.members.len() != 1) {
                    selection.filter.categories = (g.slug != "all").then(|| g.members.clone());
                    continue;
                }
                let ids = Filter::parse_categories(table, value)
                    .map_err(|e| ApiError::bad_parameter(e.parameter(), e.to_string()))?;
                selection.filter.categories = Some(ids);
            }
            "from" => selection.filter.from = Some(month(value)?),
            "to" => selection.filter.to = Some(month(value)?),
            "area" => {
                selection.filter.area = Filter::parse_area(areas, value)
                    .map_err(|e| ApiError::bad_parameter(e.parameter(), e.to_string()))?;
            }
            "res" => {
                let res = value
                    .parse::<u8>()
                    .ok()
                    .filter(|r| hexwatch_core::INDEXED_RESOLUTIONS.contains(r))
                    .and_then(|r| Resolution::try_from(r).ok())
                    .ok_or_else(|| {
                        ApiError::bad_parameter(
                            "res",
                            format!("invalid res (got {value:?}): an H3 resolution from 5 to 12"),
                        )
                    })?;
                selection.res = Some(res);
            }
            "hours" => {
                let mask = hexwatch_core::parse_hours(value).map_err(|e| {
                    ApiError::bad_parameter("hours", format!("invalid hours (got {value:?}): {e}"))
                })?;
                selection.filter.hours = Some(mask);
            }
            "weekdays" => {
                let mask = hexwatch_core::parse_weekdays(value).map_err(|e| {
                    ApiError::bad_parameter("weekdays", format!("invalid weekdays (got {value:?}): {e}"))
                })?;
                selection.filter.weekdays = Some(mask);
            }
            "flag" => {
                let mut mask = 0;
                for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    mask |= table.flag_bit(name).ok_or_else(|| {
                        let known = table.flag_names().join(", ");
                        ApiError::bad_parameter(
                            "flag",
                            if known.is_empty() {
                                format!("invalid flag (got {name:?}): no incident in the data carries a flag")
                            } else {
                                format!("invalid flag (got {name:?}): known flags are {known}")
                            },
                        )
                    })?;
                }
                selection.filter.flags = Some(mask);
            }
            k if extra.contains(&k) => {}
            k => {
                let mut known: Vec<&str> = SELECTION_PARAMS.to_vec();
                known.extend_from_slice(extra);
                return Err(ApiError::bad_parameter(
                    k,
                    format!("unknown parameter {k:?}; this route takes {}", known.join(", ")),
                ));
            }
        }
    }
    selection.filter.validate().map_err(|e| ApiError::bad_parameter(e.parameter(), e.to_string()))?;
    check_time_precision(&selection.filter, table)?;
    Ok(selection)
}

/// Hour filters need times to the hour and weekday filters times to the day in every
/// category selected: otherwise a 400 that says which precision the data have.
fn check_time_precision(filter: &Filter, table: &IncidentTable) -> Result<(), ApiError> {
    let coarsest = table.coarsest_precision_of(filter.categories.as_deref()).unwrap_or(TimePrecision::Month);
    let need = |key: &str, needed: TimePrecision, what: &str| {
        if coarsest >= needed {
            return Ok(());
        }
        Err(ApiError::bad_parameter(
            key,
            format!(
                "{key} cannot be used: the selected incidents include some known only to the {} \
                 (police.uk gives the month only), and {key} needs {what}; choose categories from \
                 timestamped partner data",
                coarsest.as_str()
            ),
        ))
    };
    if filter.hours.is_some() {
        need("hours", TimePrecision::Hour, "times to the hour")?;
    }
    if filter.weekdays.is_some() {
        need("weekdays", TimePrecision::Day, "dates")?;
    }
    Ok(())
}
