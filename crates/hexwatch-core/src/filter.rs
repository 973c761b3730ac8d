//! The selection shared by tiles and the API: categories, month range, area.

use crate::area::{AreaId, AreaSets};
use crate::category::CategoryId;
use crate::incident::{IncidentTable, LocationId};
use crate::time::YearMonth;

/// Most values a category list may hold (police.uk has 14 types; partner data adds a few).
const MAX_CATEGORY_VALUES: usize = 64;

/// Which incidents an area filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AreaFilter {
    /// Every located incident, in or out of any ward.
    #[default]
    All,
    /// The study area: incidents in any ward of the boundary set (`area=bcp`).
    AnyWard,
    /// One ward (`area=ward:E05012649`).
    Ward(AreaId),
    /// One LSOA (`area=lsoa:E01034271`): membership from the source's own LSOA code where
    /// it has one, otherwise by position.
    Lsoa(AreaId),
    /// One area of a custom set (`area=custom:<set>/<name>`), by position.
    Custom {
        /// Index of the set in [`AreaSets::custom`].
        set: u16,
        /// The area within the set.
        area: AreaId,
    },
}

/// A parsed selection. The default keeps every incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Filter {
    /// Categories kept, sorted and unique; `None` keeps all.
    pub categories: Option<Vec<CategoryId>>,
    /// First month kept (inclusive); `None` is unbounded.
    pub from: Option<YearMonth>,
    /// Last month kept (inclusive); `None` is unbounded.
    pub to: Option<YearMonth>,
    /// Area kept.
    pub area: AreaFilter,
    /// Local hours kept (bit h = h:00–h:59), `None` keeps all; see
    /// [`crate::parse_hours`]. Needs hour-precision times.
    pub hours: Option<u32>,
    /// Local weekdays kept (bit d = day d, Monday 0), `None` keeps all; see
    /// [`crate::parse_weekdays`]. Needs day-precision times.
    pub weekdays: Option<u8>,
    /// Flags, any of which keeps an incident (bits of [`IncidentTable::flag_names`]);
    /// `None` keeps all.
    pub flags: Option<u32>,
}

/// Why a filter could not be built. Each variant names the query parameter at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A category slug or name that the data does not have.
    #[error("invalid category (got {value:?}): known categories are {known}")]
    UnknownCategory {
        /// The value given.
        value: String,
        /// The known slugs, comma-separated.
        known: String,
    },
    /// More category values than there can be distinct categories worth listing.
    #[error("invalid category: {given} values given; at most {max}")]
    TooManyCategories {
        /// Values given.
        given: usize,
        /// Most accepted.
        max: usize,
    },
    /// `from` is after `to`.
    #[error("invalid from (got {from}): after to ({to})")]
    FromAfterTo {
        /// `from` given.
        from: YearMonth,
        /// `to` given.
        to: YearMonth,
    },
    /// An area that is not `all`, `bcp`, `ward:<code>`, `lsoa:<code>` or
    /// `custom:<set>/<name>` of a known area.
    #[error(
        "invalid area (got {value:?}): {reason}; expected all, bcp, ward:<code>, lsoa:<code> or custom:<set>/<name> \
         (see /api/meta areas)"
    )]
    UnknownArea {
        /// The value given.
        value: String,
        /// Which part is unknown.
        reason: String,
    },
}

impl FilterError {
    /// The query parameter the error is about.
    #[must_use]
    pub const fn parameter(&self) -> &'static str {
        match self {
            Self::UnknownCategory { .. } | Self::TooManyCategories { .. } => "category",
            Self::FromAfterTo { .. } => "from",
            Self::UnknownArea { .. } => "area",
        }
    }
}

impl Filter {
    /// Resolves comma-separated category slugs or names against `table`'s categories.
    ///
    /// # Errors
    /// [`FilterError::UnknownCategory`] for the first value that matches no category;
    /// [`FilterError::TooManyCategories`] for more than 64 values.
    pub fn parse_categories(table: &IncidentTable, list: &str) -> Result<Vec<CategoryId>, FilterError> {
        let values: Vec<&str> = list.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
        if values.len() > MAX_CATEGORY_VALUES {
            return Err(FilterError::TooManyCategories { given: values.len(), max: MAX_CATEGORY_VALUES });
        }
        let mut ids = Vec::new();
        for value in values {
            let id = table.find_category(value).ok_or_else(|| FilterError::UnknownCategory {
                value: value.to_owned(),
                known: table.categories().iter().map(|c| c.slug.as_str()).collect::<Vec<_>>().join(", "),
            })?;
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Resolves `all`, `bcp` (any ward), `ward:<code>`, `lsoa:<code>` or
    /// `custom:<set>/<name>` against the boundary sets.
    ///
    /// # Errors
    /// [`FilterError::UnknownArea`] for anything else, saying which part is unknown.
    pub fn parse_area(sets: &AreaSets, value: &str) -> Result<AreaFilter, FilterError> {
        let unknown = |reason: String| FilterError::UnknownArea { value: value.to_owned(), reason };
        let v = value.trim();
        if v.is_empty() || v == "all" {
            return Ok(AreaFilter::All);
        }
        if v == "bcp" {
            return sets
                .wards
                .as_ref()
                .map(|_| AreaFilter::AnyWard)
                .ok_or_else(|| unknown("no ward boundaries are loaded".into()));
        }
        let Some((kind, rest)) = v.split_once(':') else {
            return Err(unknown(format!("{v:?} is not an area")));
        };
        let in_set = |set: Option<&crate::area::AreaSet>, what: &str| {
            let set = set.ok_or_else(|| unknown(format!("no {what} boundaries are loaded")))?;
            set.find_code(rest).ok_or_else(|| unknown(format!("no {what} with code {rest:?}")))
        };
        match kind {
            "ward" => in_set(sets.wards.as_ref(), "ward").map(AreaFilter::Ward),
            "lsoa" => in_set(sets.lsoas.as_ref(), "LSOA").map(AreaFilter::Lsoa),
            "custom" => {
                let (set_name, name) = rest
                    .split_once('/')
                    .ok_or_else(|| unknown("custom areas are custom:<set>/<name>".into()))?;
                let set = sets.custom_index(set_name).ok_or_else(|| {
                    let known: Vec<&str> = sets.custom.iter().map(crate::area::AreaSet::name).collect();
                    let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
                    unknown(format!("no custom area set {set_name:?} (custom sets: {known})"))
                })?;
                let area = sets.custom[usize::from(set)]
                    .find_name(name)
                    .ok_or_else(|| unknown(format!("custom set {set_name:?} has no area named {name:?}")))?;
                Ok(AreaFilter::Custom { set, area })
            }
            other => Err(unknown(format!("unknown kind of area {other:?}"))),
        }
    }

    /// Checks that the month range is not reversed.
    ///
    /// # Errors
    /// [`FilterError::FromAfterTo`].
    pub fn validate(&self) -> Result<(), FilterError> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if from > to => Err(FilterError::FromAfterTo { from, to }),
            _ => Ok(()),
        }
    }

    /// Whether the month is inside the range.
    #[must_use]
    pub fn keeps_month(&self, month: YearMonth) -> bool {
        self.from.is_none_or(|f| month >= f) && self.to.is_none_or(|t| month <= t)
    }

    /// A per-category lookup table: `mask[id]` is whether the category is kept.
    #[must_use]
    pub fn category_mask(&self, n_categories: usize) -> Vec<bool> {
        match &self.categories {
            None => vec![true; n_categories],
            Some(ids) => {
                let mut mask = vec![false; n_categories];
                for id in ids {
                    if let Some(m) = mask.get_mut(id.index()) {
                        *m = true;
                    }
                }
                mask
            }
        }
    }

    /// Whether incident `i` of `table` is selected: category (`mask` from
    /// [`Filter::category_mask`]), month, area (`area` from [`Filter::area_test`]), time of
    /// week and flags.
    #[must_use]
    #[inline]
    pub fn keeps_incident(
        &self,
        table: &IncidentTable,
        mask: &[bool],
        area: &AreaTest<'_>,
        i: usize,
    ) -> bool {
        mask[table.category_column()[i].index()]
            && self.keeps_month(table.month_column()[i])
            && area.keeps(i)
            && self.keeps_flags(table.flags(i))
            && self.keeps_time(table, i)
    }

    /// Whether an incident with these flag bits passes the flag filter (any flag listed).
    #[must_use]
    #[inline]
    pub fn keeps_flags(&self, flags: u32) -> bool {
        self.flags.is_none_or(|f| flags & f != 0)
    }

    /// Whether incident `i` passes the hour and weekday filters: an incident whose time is
    /// a window passes only when the whole window lies in the kept hours and days; one
    /// known only to the month never passes a time filter.
    #[must_use]
    #[inline]
    pub fn keeps_time(&self, table: &IncidentTable, i: usize) -> bool {
        if self.hours.is_none() && self.weekdays.is_none() {
            return true;
        }
        table
            .week_time(i)
            .is_some_and(|w| w.within(self.hours.unwrap_or(u32::MAX), self.weekdays.unwrap_or(u8::MAX)))
    }

    /// Whether the filter selects by hour or weekday.
    #[must_use]
    pub const fn has_time_filter(&self) -> bool {
        self.hours.is_some() || self.weekdays.is_some()
    }

    /// The area test of this filter over `table`'s membership columns.
    #[must_use]
    pub fn area_test<'a>(&self, table: &'a IncidentTable) -> AreaTest<'a> {
        let kind = match self.area {
            AreaFilter::All => AreaTestKind::All,
            AreaFilter::AnyWard => AreaTestKind::Any(table.ward_column()),
            AreaFilter::Ward(id) => AreaTestKind::Incident(table.ward_column(), id),
            AreaFilter::Lsoa(id) => AreaTestKind::Incident(table.lsoa_column(), id),
            AreaFilter::Custom { set, area } => match table.custom_column(usize::from(set)) {
                Some(column) => AreaTestKind::Location(table.location_column(), column, area),
                None => AreaTestKind::Nothing,
            },
        };
        AreaTest { kind }
    }

    /// Number of months the selection spans for densities: the filter's range intersected
    /// with the months the data cover (`first..=last`); 0 when they do not overlap.
    #[must_use]
    pub fn months_selected(&self, first: YearMonth, last: YearMonth) -> u32 {
        let from = self.from.map_or(first, |f| f.max(first));
        let to = self.to.map_or(last, |t| t.min(last));
        from.months_through(to)
    }
}

/// Whether each incident of a table passes a filter's area, from the table's membership
/// columns (see [`Filter::area_test`]).
#[derive(Debug, Clone, Copy)]
pub struct AreaTest<'a> {
    kind: AreaTestKind<'a>,
}

#[derive(Debug, Clone, Copy)]
enum AreaTestKind<'a> {
    All,
    /// In any area of a per-incident column.
    Any(&'a [Option<AreaId>]),
    /// In this area of a per-incident column.
    Incident(&'a [Option<AreaId>], AreaId),
    /// In this area of a per-location column.
    Location(&'a [LocationId], &'a [Option<AreaId>], AreaId),
    /// A custom set the table was not assigned with: nothing passes.
    Nothing,
}

impl AreaTest<'_> {
    /// Whether incident `i` passes.
    #[inline]
    #[must_use]
    pub fn keeps(&self, i: usize) -> bool {
        match self.kind {
            AreaTestKind::All => true,
            AreaTestKind::Any(column) => column[i].is_some(),
            AreaTestKind::Incident(column, id) => column[i] == Some(id),
            AreaTestKind::Location(locations, column, id) => column[locations[i].index()] == Some(id),
            AreaTestKind::Nothing => false,
        }
    }
}
