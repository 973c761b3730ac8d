//! The selection shared by tiles and the API: categories, month range, area.

use crate::area::{AreaId, WardIndex};
use crate::category::CategoryId;
use crate::incident::IncidentTable;
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
    /// An area that is not `bcp` or `ward:<known code>`.
    #[error("invalid area (got {value:?}): expected bcp or ward:<code> of a known ward")]
    UnknownArea {
        /// The value given.
        value: String,
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

    /// Resolves `bcp` (any ward) or `ward:<code>`.
    ///
    /// # Errors
    /// [`FilterError::UnknownArea`] for anything else.
    pub fn parse_area(wards: Option<&WardIndex>, value: &str) -> Result<AreaFilter, FilterError> {
        let unknown = || FilterError::UnknownArea { value: value.to_owned() };
        match value.trim() {
            "" | "all" => Ok(AreaFilter::All),
            "bcp" if wards.is_some() => Ok(AreaFilter::AnyWard),
            v => {
                let code = v.strip_prefix("ward:").ok_or_else(unknown)?;
                wards.and_then(|w| w.find_code(code)).map(AreaFilter::Ward).ok_or_else(unknown)
            }
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
    /// [`Filter::category_mask`]), month, area, time of week and flags.
    #[must_use]
    #[inline]
    pub fn keeps_incident(&self, table: &IncidentTable, mask: &[bool], i: usize) -> bool {
        mask[table.category_column()[i].index()]
            && self.keeps_month(table.month_column()[i])
            && self.keeps_area(table.ward_column()[i])
            && self.keeps_flags(table.flag_column()[i])
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

    /// Whether an incident in `ward` passes the area filter.
    #[must_use]
    pub fn keeps_area(&self, ward: Option<AreaId>) -> bool {
        match self.area {
            AreaFilter::All => true,
            AreaFilter::AnyWard => ward.is_some(),
            AreaFilter::Ward(id) => ward == Some(id),
        }
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
