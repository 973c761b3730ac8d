//! Roles and the disclosure rule of the public role.
//!
//! The public map sees counts only through a *public cube*: every count the public role
//! can ask for (H3 cells at the public resolutions, the study area, each ward, all
//! incidents) × the fixed category groups ([`CategoryGroup`]) × the fixed periods
//! ([`Period`]: calendar months, quarters and years). A count below k (default 5) is
//! withheld (primary suppression); then, until nothing changes, every published total
//! whose parts reveal a withheld count gets a further part withheld (complementary
//! suppression, [`suppress`]). The totals checked are: a parent cell and its seven (or
//! fewer) children, the study area and its resolution-5 cells, all incidents and the wards
//! with the rest, a category group and its categories, all crime and a group with the
//! categories outside it, a quarter and its months, a year and its quarters.
//!
//! This is the cell-suppression method of statistical disclosure control (Hundepool et
//! al., *Statistical Disclosure Control*, Wiley 2012, §4.3 "primary and secondary
//! suppression"; the check per equation is the "hypercube" idea of Repsilber, 1994, as in
//! τ-ARGUS), simplified: each linear relation is checked on its own, which covers the
//! attacks of the hardening issue (parent minus children, all categories minus all but
//! one, a quarter minus two of its months) but is not a full linear-programming audit.

use std::collections::{HashMap, VecDeque};

use h3o::{CellIndex, Resolution};

use crate::category::CategoryId;
use crate::incident::IncidentTable;
use crate::kde::{DensityGrid, KernelSum};
use crate::stats::{GiStar, GiStarParams, Neighbours, gi_star};
use crate::time::YearMonth;

/// Who a response is computed for. Every cache key includes the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Role {
    /// The public map: subject to the disclosure policy.
    #[default]
    Public,
    /// Partnership analysts with access to exact counts.
    Partner,
}

impl Role {
    /// Stable lowercase name (`"public"`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Partner => "partner",
        }
    }
}

/// What the public role may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisclosurePolicy {
    /// k: counts from 1 to k − 1 are withheld from the public role (0 or 1 withholds
    /// nothing). Default 5.
    pub min_count: u32,
    /// The finest H3 resolution the public role sees (default 9, cells of about 0.1 km²;
    /// finer zooms show resolution-9 cells).
    pub max_public_resolution: Resolution,
    /// The finest H3 resolution of a sensitive category (default 7, about 5 km²).
    pub max_sensitive_resolution: Resolution,
}

impl Default for DisclosurePolicy {
    fn default() -> Self {
        Self {
            min_count: 5,
            max_public_resolution: Resolution::Nine,
            max_sensitive_resolution: Resolution::Seven,
        }
    }
}

impl DisclosurePolicy {
    /// No suppression at all (k = 0): what the partner role sees.
    #[must_use]
    pub const fn none() -> Self {
        Self {
            min_count: 0,
            max_public_resolution: Resolution::Fifteen,
            max_sensitive_resolution: Resolution::Fifteen,
        }
    }

    /// The count a role may see by the primary rule alone: `None` when it is withheld.
    /// Tables of related counts need [`PublicCube`] (complementary suppression) instead.
    #[must_use]
    pub const fn visible_count(&self, role: Role, count: u32) -> Option<u32> {
        match role {
            Role::Partner => Some(count),
            Role::Public if count > 0 && count < self.min_count => None,
            Role::Public => Some(count),
        }
    }

    /// The resolution the public role gets for a request at `resolution`: capped at
    /// [`Self::max_public_resolution`], and at [`Self::max_sensitive_resolution`] for a
    /// sensitive group.
    #[must_use]
    pub fn public_resolution(&self, resolution: Resolution, sensitive: bool) -> Resolution {
        let cap = if sensitive { self.max_sensitive_resolution } else { self.max_public_resolution };
        resolution.min(cap)
    }
}

/// Police.uk slugs of the categories shown only at coarse resolution: violence and sexual
/// offences (the category that holds sexual offences and most domestic abuse). Partner
/// categories whose slug names a sexual or domestic offence are sensitive too
/// ([`is_sensitive_slug`]).
pub const SENSITIVE_SLUGS: [&str; 1] = ["violent-crime"];

/// Whether a category slug is sensitive: [`SENSITIVE_SLUGS`], or a slug containing
/// `sexual`, `domestic`, `rape` or `stalking` (partner data).
#[must_use]
pub fn is_sensitive_slug(slug: &str) -> bool {
    SENSITIVE_SLUGS.contains(&slug)
        || ["sexual", "domestic", "rape", "stalking"].iter().any(|w| slug.contains(w))
}

/// The acquisitive crime group: police.uk types where property is taken.
pub const ACQUISITIVE_SLUGS: [&str; 7] = [
    "burglary",
    "robbery",
    "vehicle-crime",
    "theft-from-the-person",
    "shoplifting",
    "bicycle-theft",
    "other-theft",
];

/// A fixed category group the public role may select: all crime, one category, or a
/// documented group (acquisitive crime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryGroup {
    /// The value of `category=` that selects it (`all`, a category slug, `acquisitive`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Member categories, ascending.
    pub members: Vec<CategoryId>,
    /// Shown only at coarse resolution ([`DisclosurePolicy::max_sensitive_resolution`]).
    pub sensitive: bool,
}

/// The public role's category groups of `table`: index 0 is all crime, 1 + i the category
/// with id i, then acquisitive crime when the data have at least two of its categories.
#[must_use]
pub fn category_groups(table: &IncidentTable) -> Vec<CategoryGroup> {
    let categories = table.categories();
    let ids = (0..categories.len()).filter_map(|i| u16::try_from(i).ok()).map(CategoryId);
    let mut groups = vec![CategoryGroup {
        slug: "all".to_owned(),
        name: "All crime and ASB".to_owned(),
        members: ids.clone().collect(),
        sensitive: false,
    }];
    for id in ids.clone() {
        let c = &categories[id.index()];
        groups.push(CategoryGroup {
            slug: c.slug.clone(),
            name: c.name.clone(),
            members: vec![id],
            sensitive: is_sensitive_slug(&c.slug),
        });
    }
    let acquisitive: Vec<CategoryId> =
        ids.filter(|id| ACQUISITIVE_SLUGS.contains(&categories[id.index()].slug.as_str())).collect();
    if acquisitive.len() >= 2 {
        groups.push(CategoryGroup {
            slug: "acquisitive".to_owned(),
            name: "Acquisitive crime".to_owned(),
            members: acquisitive,
            sensitive: false,
        });
    }
    groups
}

/// The group whose members are exactly `categories` (`None`: all crime), or `None` when no
/// fixed group matches.
#[must_use]
pub fn group_of(groups: &[CategoryGroup], categories: Option<&[CategoryId]>) -> Option<usize> {
    match categories {
        None => Some(0),
        Some(c) => groups.iter().position(|g| g.members == c),
    }
}

/// A fixed period: a calendar month, quarter or year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// One calendar month.
    Month(YearMonth),
    /// A calendar quarter (1–4) of a year.
    Quarter {
        /// The year.
        year: i32,
        /// 1 = January–March.
        quarter: u8,
    },
    /// A calendar year.
    Year(i32),
}

impl Period {
    /// The period that runs exactly from `from` to `to` (both included), or `None` when the
    /// range is not a month, a calendar quarter or a calendar year.
    #[must_use]
    pub fn of_range(from: YearMonth, to: YearMonth) -> Option<Self> {
        let span = from.months_through(to);
        match span {
            1 => Some(Self::Month(from)),
            3 if from.month() % 3 == 1 => Some(Self::Quarter {
                year: from.year(),
                quarter: u8::try_from(from.month().div_ceil(3)).ok()?,
            }),
            12 if from.month() == 1 => Some(Self::Year(from.year())),
            _ => None,
        }
    }

    /// The first and last month (`None` only for a year outside 1900–2999).
    #[must_use]
    pub fn range(self) -> Option<(YearMonth, YearMonth)> {
        let (start, months) = match self {
            Self::Month(m) => return Some((m, m)),
            Self::Quarter { year, quarter } => (YearMonth::new(year, u32::from(quarter) * 3 - 2).ok()?, 3),
            Self::Year(year) => (YearMonth::new(year, 1).ok()?, 12),
        };
        Some((start, start.add_months(months - 1)))
    }

    /// Its name: `2025-03`, `2025-Q1`, `2025`.
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Self::Month(m) => m.to_string(),
            Self::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
            Self::Year(y) => y.to_string(),
        }
    }

    /// The quarter a month lies in.
    #[must_use]
    pub fn quarter_of(month: YearMonth) -> Self {
        let quarter = u8::try_from(month.month().div_ceil(3)).unwrap_or(4);
        Self::Quarter { year: month.year(), quarter }
    }

    /// The period before this one of the same kind (the previous month, quarter or year).
    #[must_use]
    pub fn previous(self) -> Self {
        match self {
            Self::Month(m) => Self::Month(m.add_months(-1)),
            Self::Quarter { year, quarter: 1 } => Self::Quarter { year: year - 1, quarter: 4 },
            Self::Quarter { year, quarter } => Self::Quarter { year, quarter: quarter - 1 },
            Self::Year(y) => Self::Year(y - 1),
        }
    }

    /// The coarser period holding this one (month → quarter → year), `None` for a year.
    #[must_use]
    pub fn parent(self) -> Option<Self> {
        match self {
            Self::Month(m) => Some(Self::quarter_of(m)),
            Self::Quarter { year, .. } => Some(Self::Year(year)),
            Self::Year(_) => None,
        }
    }
}

/// Why a period cannot be published: the parameter at fault (`from` or `to`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PeriodError {
    /// `from` or `to`.
    pub parameter: &'static str,
    /// For the user.
    pub message: String,
}

/// The fixed period of a public request: `from`/`to` must together be a calendar month,
/// quarter or year; both absent gives the calendar year of `latest` (the data's last
/// month).
///
/// # Errors
/// [`PeriodError`] naming `from` (absent while `to` is given, or any other range) or `to`
/// (absent while `from` is given).
pub fn public_period(
    from: Option<YearMonth>,
    to: Option<YearMonth>,
    latest: YearMonth,
) -> Result<Period, PeriodError> {
    let help = "the public map shows single calendar months (from=to=2025-03), calendar quarters \
                (from=2025-01&to=2025-03) or calendar years (from=2025-01&to=2025-12); other ranges \
                need a partner token";
    match (from, to) {
        (None, None) => Ok(Period::Year(latest.year())),
        (Some(_), None) => Err(PeriodError { parameter: "to", message: format!("to is missing: {help}") }),
        (None, Some(_)) => {
            Err(PeriodError { parameter: "from", message: format!("from is missing: {help}") })
        }
        (Some(f), Some(t)) => Period::of_range(f, t).ok_or_else(|| PeriodError {
            parameter: if f.months_through(t) > 12 || f.month() % 3 != 1 { "from" } else { "to" },
            message: format!("{f} to {t} is not a fixed period: {help}"),
        }),
    }
}

/// A linear relation between published counts: `total` = Σ `parts` (indices into a value
/// table).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Relation {
    /// The total's index.
    pub total: usize,
    /// The parts' indices.
    pub parts: Vec<usize>,
}

/// Cell suppression of a table of counts with linear relations between them.
///
/// Primary: a count c with 0 < c < k is withheld, and so is every non-zero count marked
/// `forced` (counts not published at all, e.g. a sensitive category at a fine
/// resolution). Zeros are published (an empty cell is not a disclosure about anyone, and
/// an empty map area shows it anyway). Complementary, until nothing changes: for each
/// relation, if the total is published and its withheld parts are exactly one, or sum to
/// less than k (two withheld 1s under a total that differs by 2 reveal both), the smallest
/// published non-zero part is withheld too (the total itself when no part is left); if the
/// total is withheld and none of its parts, the smallest non-zero part is withheld.
/// Withholding only grows, so this ends. Afterwards every relation has no withheld member,
/// or at least two whose sum the public can bound but not fix: the attacker's equation has
/// at least two solutions in positive whole numbers.
///
/// Returns `withheld[i]` for each count. `values`, `forced`: one per count. Runs in time
/// linear in the relations' sizes times the number of withheld counts they touch.
///
/// # Panics
/// When `forced` is not as long as `values`, or a relation names a count out of range.
#[must_use]
pub fn suppress(values: &[u64], forced: &[bool], relations: &[Relation], k: u64) -> Vec<bool> {
    assert_eq!(values.len(), forced.len(), "one forced flag per count");
    let mut withheld: Vec<bool> = values.iter().zip(forced).map(|(&v, &f)| v > 0 && (f || v < k)).collect();
    // Which relations each count belongs to (compressed rows).
    let mut starts = vec![0_usize; values.len() + 1];
    for r in relations {
        starts[r.total + 1] += 1;
        for &p in &r.parts {
            starts[p + 1] += 1;
        }
    }
    for i in 0..values.len() {
        starts[i + 1] += starts[i];
    }
    let mut fill = starts.clone();
    let mut member_of = vec![0_u32; starts[values.len()]];
    for (ri, r) in relations.iter().enumerate() {
        let ri = u32::try_from(ri).expect("relations fit u32");
        for &i in std::iter::once(&r.total).chain(&r.parts) {
            member_of[fill[i]] = ri;
            fill[i] += 1;
        }
    }
    let mut queued = vec![true; relations.len()];
    let mut queue: VecDeque<usize> = (0..relations.len()).collect();
    while let Some(ri) = queue.pop_front() {
        queued[ri] = false;
        let Some(next) = next_to_withhold(&relations[ri], values, &withheld, k) else { continue };
        withheld[next] = true;
        for &r2 in &member_of[starts[next]..starts[next + 1]] {
            let r2 = r2 as usize;
            if !queued[r2] {
                queued[r2] = true;
                queue.push_back(r2);
            }
        }
    }
    withheld
}

/// The count a relation needs withheld next ([`suppress`]'s complementary rule), if any.
fn next_to_withhold(relation: &Relation, values: &[u64], withheld: &[bool], k: u64) -> Option<usize> {
    let (mut m, mut sum) = (0_usize, 0_u64);
    let mut smallest: Option<usize> = None;
    for &p in &relation.parts {
        if withheld[p] {
            m += 1;
            sum += values[p];
        } else if values[p] > 0 && smallest.is_none_or(|s| (values[p], p) < (values[s], s)) {
            smallest = Some(p);
        }
    }
    if withheld[relation.total] {
        return if m == 0 { smallest } else { None };
    }
    if m == 0 || (m >= 2 && sum >= k) {
        return None;
    }
    Some(smallest.unwrap_or(relation.total))
}

/// Where a public count is: an H3 cell, one ward, all wards (the study area), or every
/// incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicArea {
    /// Every located incident.
    All,
    /// Incidents in any ward (`area=bcp`).
    Wards,
    /// One ward, by its index in the ward set.
    Ward(u16),
    /// Incidents outside every ward (never published; a part of [`PublicArea::All`]).
    OutsideWards,
    /// An H3 cell.
    Cell(CellIndex),
}

/// A count as the public role sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicCount {
    /// Published.
    Count(u64),
    /// Withheld by the disclosure rule.
    Withheld,
}

impl PublicCount {
    /// The count, `None` when withheld.
    #[must_use]
    pub const fn value(self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(n),
            Self::Withheld => None,
        }
    }
}

/// One count of the public cube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    area: PublicArea,
    group: u16,
    period: Period,
}

/// The public cube of a table: every count the public role can see, after primary and
/// complementary suppression (module docs). Build it once per data version.
#[derive(Debug)]
pub struct PublicCube {
    index: HashMap<Key, usize>,
    values: Vec<u64>,
    withheld: Vec<bool>,
    relations: Vec<Relation>,
    groups: Vec<CategoryGroup>,
    policy: DisclosurePolicy,
}

/// The coarsest H3 resolution in the public cube (the coarsest the server indexes).
pub const MIN_PUBLIC_RESOLUTION: Resolution = Resolution::Five;

impl PublicCube {
    /// Builds the cube of `table` (wards as assigned to it) under `policy`: cells of
    /// resolutions 5 to `policy.max_public_resolution`, wards, all wards and all
    /// incidents, × [`category_groups`] × every month, quarter and year with data.
    #[must_use]
    pub fn build(table: &IncidentTable, policy: DisclosurePolicy) -> Self {
        let groups = category_groups(table);
        let fine = policy.max_public_resolution.max(MIN_PUBLIC_RESOLUTION);
        // Incidents by (finest public cell, ward, category, month).
        let loc_cells = table.location_cells_at(fine);
        let mut base: HashMap<(CellIndex, Option<u16>, CategoryId, YearMonth), u64> = HashMap::new();
        let (locations, categories, months, wards) =
            (table.location_column(), table.category_column(), table.month_column(), table.ward_column());
        for i in 0..table.len() {
            let cell = loc_cells[locations[i].index()];
            *base.entry((cell, wards[i].map(|w| w.0), categories[i], months[i])).or_default() += 1;
        }
        // Groups of each category (beyond its own and all crime).
        let extra_groups: Vec<Vec<u16>> = (0..table.categories().len())
            .map(|c| {
                groups
                    .iter()
                    .enumerate()
                    .skip(1 + table.categories().len())
                    .filter(|(_, g)| g.members.iter().any(|m| m.index() == c))
                    .filter_map(|(gi, _)| u16::try_from(gi).ok())
                    .collect()
            })
            .collect();
        let mut index: HashMap<Key, usize> = HashMap::new();
        let mut values: Vec<u64> = Vec::new();
        let mut keys: Vec<Key> = Vec::new();
        let resolutions: Vec<Resolution> = Resolution::range(MIN_PUBLIC_RESOLUTION, fine).collect();
        // In a fixed order, so that the same data give the same counts their same indices and
        // so the same withheld set (ties go to the lower index): two suppression patterns of
        // one table, e.g. across restarts, could otherwise be combined.
        let mut base: Vec<_> = base.into_iter().collect();
        base.sort_unstable();
        for &((cell, ward, category, month), n) in &base {
            let mut areas: Vec<PublicArea> =
                resolutions.iter().filter_map(|r| cell.parent(*r)).map(PublicArea::Cell).collect();
            areas.push(PublicArea::All);
            match ward {
                Some(w) => areas.extend([PublicArea::Ward(w), PublicArea::Wards]),
                None => areas.push(PublicArea::OutsideWards),
            }
            let own = u16::try_from(category.index() + 1).unwrap_or(u16::MAX);
            let mut in_groups = vec![0, own];
            in_groups.extend(&extra_groups[category.index()]);
            let periods = [Period::Month(month), Period::quarter_of(month), Period::Year(month.year())];
            for &area in &areas {
                for &group in &in_groups {
                    for &period in &periods {
                        let key = Key { area, group, period };
                        let at = *index.entry(key).or_insert_with(|| {
                            values.push(0);
                            keys.push(key);
                            values.len() - 1
                        });
                        values[at] += n;
                    }
                }
            }
        }
        let relations = relations_of(&keys, &index, &groups, table.categories().len());
        let forced: Vec<bool> = keys
            .iter()
            .map(|k| match k.area {
                PublicArea::Cell(c) => {
                    groups[usize::from(k.group)].sensitive && c.resolution() > policy.max_sensitive_resolution
                }
                _ => false,
            })
            .collect();
        let withheld = suppress(&values, &forced, &relations, u64::from(policy.min_count));
        Self { index, values, withheld, relations, groups, policy }
    }

    /// The public count of `group` (an index into [`Self::groups`]) in `area` over
    /// `period`: zero when nothing happened there.
    #[must_use]
    pub fn count(&self, area: PublicArea, group: usize, period: Period) -> PublicCount {
        let Ok(group) = u16::try_from(group) else { return PublicCount::Withheld };
        match self.index.get(&Key { area, group, period }) {
            None => PublicCount::Count(0),
            Some(&i) if self.withheld[i] => PublicCount::Withheld,
            Some(&i) => PublicCount::Count(self.values[i]),
        }
    }

    /// The public count of one category (its own group).
    #[must_use]
    pub fn category_count(&self, area: PublicArea, category: CategoryId, period: Period) -> PublicCount {
        self.count(area, category.index() + 1, period)
    }

    /// The category groups, index 0 all crime (see [`category_groups`]).
    #[must_use]
    pub fn groups(&self) -> &[CategoryGroup] {
        &self.groups
    }

    /// The policy the cube was built with.
    #[must_use]
    pub const fn policy(&self) -> DisclosurePolicy {
        self.policy
    }

    /// Counts in the cube (non-zero ones), and how many of them are withheld.
    #[must_use]
    pub fn sizes(&self) -> (usize, usize) {
        (self.values.len(), self.withheld.iter().filter(|w| **w).count())
    }

    /// Relations that reveal a withheld count: a published total with exactly one
    /// withheld part, or whose withheld parts sum to less than k; a withheld total with
    /// every part published. Empty after [`suppress`] (an audit for tests).
    #[must_use]
    pub fn violations(&self) -> Vec<&Relation> {
        self.relations
            .iter()
            .filter(|r| {
                next_to_withhold(r, &self.values, &self.withheld, u64::from(self.policy.min_count)).is_some()
            })
            .collect()
    }
}

/// Every relation among the cube's counts (module docs).
fn relations_of(
    keys: &[Key],
    index: &HashMap<Key, usize>,
    groups: &[CategoryGroup],
    n_categories: usize,
) -> Vec<Relation> {
    // (total, kind) → relation; kind 0 the cell hierarchy (a cell = its children, all
    // incidents = the resolution-5 cells), 1 the ward hierarchy (all wards = each ward, all
    // incidents = all wards + outside), 2 period, 3 all crime = Σ categories, 4 + g group g
    // = Σ members, 4 + groups.len() + g all crime = group g + the rest.
    let mut by_total: HashMap<(usize, usize), usize> = HashMap::new();
    let mut relations: Vec<Relation> = Vec::new();
    let mut add = |total: Key, kind: usize, part: usize| {
        let Some(&t) = index.get(&total) else { return };
        let r = *by_total.entry((t, kind)).or_insert_with(|| {
            relations.push(Relation { total: t, parts: Vec::new() });
            relations.len() - 1
        });
        relations[r].parts.push(part);
    };
    let extra: Vec<usize> = (1 + n_categories..groups.len()).collect();
    for (i, key) in keys.iter().enumerate() {
        let parent_area = match key.area {
            PublicArea::Cell(c) => match c.resolution().pred() {
                Some(r) if c.resolution() > MIN_PUBLIC_RESOLUTION => {
                    c.parent(r).map(|p| (PublicArea::Cell(p), 0))
                }
                _ => Some((PublicArea::All, 0)),
            },
            PublicArea::Ward(_) => Some((PublicArea::Wards, 1)),
            PublicArea::Wards | PublicArea::OutsideWards => Some((PublicArea::All, 1)),
            PublicArea::All => None,
        };
        if let Some((area, kind)) = parent_area {
            add(Key { area, ..*key }, kind, i);
        }
        if let Some(period) = key.period.parent() {
            add(Key { period, ..*key }, 2, i);
        }
        let g = usize::from(key.group);
        if (1..=n_categories).contains(&g) {
            add(Key { group: 0, ..*key }, 3, i);
            let category = CategoryId(u16::try_from(g - 1).unwrap_or(u16::MAX));
            for &e in &extra {
                let e16 = u16::try_from(e).unwrap_or(u16::MAX);
                if groups[e].members.contains(&category) {
                    add(Key { group: e16, ..*key }, 4 + e, i);
                } else {
                    add(Key { group: 0, ..*key }, 4 + groups.len() + e, i);
                }
            }
        } else if extra.contains(&g) {
            add(Key { group: 0, ..*key }, 4 + groups.len() + g, i);
        }
    }
    relations
}

/// Gi* as the public role sees it: the FDR bins (−3…3) only, computed with every withheld
/// count entered as k / 2, so the bins do not depend on any withheld count (the z-score
/// to count inversion of a 7-cell patch learns nothing). `counts` and `withheld` are
/// aligned with `neighbours`' rows (a study area's cells); Gi* itself is
/// [`crate::stats::gi_star`] (Getis and Ord 1992).
///
/// # Panics
/// When the lengths differ.
#[must_use]
pub fn public_gi_bins(counts: &[f64], withheld: &[bool], neighbours: &Neighbours, k: u32) -> Vec<i8> {
    assert_eq!(counts.len(), withheld.len(), "one withheld flag per count");
    let entered: Vec<f64> =
        counts.iter().zip(withheld).map(|(&c, &w)| if w { f64::from(k) / 2.0 } else { c }).collect();
    let GiStar { bin, .. } = gi_star(&entered, neighbours, GiStarParams::default());
    bin
}

/// Masks a density surface for the public role: every cell whose kernel support (the disc
/// of radius = bandwidth around its centre; every kernel here is zero beyond it) holds
/// fewer than `min_count` incidents becomes NoData (NaN), so the peak of an isolated
/// incident (3/(πh²) for the quartic kernel, which gives its exact weight away) is never
/// shown. `sum` is the surface's own points, kernel and bandwidth. Returns the cells masked.
pub fn mask_sparse_density(grid: &mut DensityGrid, sum: &KernelSum, min_count: u32) -> usize {
    let mut masked = 0;
    for row in 0..grid.spec.nrows {
        for col in 0..grid.spec.ncols {
            let at = row * grid.spec.ncols + col;
            if grid.values[at].is_nan() {
                continue;
            }
            let (x, y) = grid.spec.centre(row, col);
            if sum.support_weight(x, y) < f64::from(min_count) {
                grid.values[at] = f64::NAN;
                masked += 1;
            }
        }
    }
    masked
}

#[cfg(test)]
#[path = "disclosure_tests.rs"]
mod tests;
