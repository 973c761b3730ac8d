//! Partner CSV files with a column mapping (TOML): which column is the reference, category,
//! sub-category, flags, time (a timestamp; a date and an hour; or a from–to window),
//! longitude/latitude or easting/northing, and weight.
//!
//! ```toml
//! source = "chicago-pd"            # names the source in identities and the store
//! time_zone = "America/Chicago"    # IANA zone of wall-clock times (default Europe/London)
//! projected_crs = "EPSG:32616"     # metres for KDE (default EPSG:27700, British National Grid)
//! extent = [-88.0, 41.6, -87.5, 42.1]   # west, south, east, north (default: the UK for
//!                                       # EPSG:27700, the whole world otherwise)
//!
//! [columns]
//! category_value = "Violence and sexual offences"  # or category = "<column>"
//! sub_category_value = "Aggravated assault"       # or sub_category = "<column>"
//! longitude = "longitude"                         # or easting = "…", northing = "…"
//! latitude = "latitude"
//! # reference, weight, partition, location, lsoa_code, outcome: optional columns
//!
//! [time]
//! column = "date"                  # or date = "…" (+ hour = "…"), or from = "…", to = "…"
//! format = "%Y-%m-%d %H:%M"        # strftime; a %z/%:::z offset makes it an instant
//! precision = "minute"             # minute (default), hour or day
//!
//! [categories]                     # source value → police.uk crime type (top level)
//! "Assault" = "Violence and sexual offences"
//!
//! [flags.knife]                    # flag name → column and the values that set it
//! column = "weapon"
//! values = ["knife", "sharp instrument"]   # default: y, yes, true, 1
//! ```
//!
//! Identity: the partition is (source, local month of the incident) unless `partition`
//! names a column; the content is every field of the row, so exact repeats in a file are
//! separate incidents, as for police.uk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hexwatch_core::{Bounds, TimePrecision};

use crate::bng::BngProjector;
use crate::ingest::{IngestError, IngestOptions, IngestReport, RowReader, StoredRow, ingest_records, open};
use crate::police_uk::{RowProblem, coordinate, find_column, header_names, problem, trimmed_fields};
use crate::store::Store;
use crate::time::{Transitions, Zone};

/// A column mapping, as read from TOML (see the module docs).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The source's name (identity partitions, the `source` column).
    pub source: String,
    /// IANA time zone of wall-clock times (default `Europe/London`).
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Projected CRS for metres (default `EPSG:27700`).
    #[serde(default)]
    pub projected_crs: Option<String>,
    /// Accepted box, `[west, south, east, north]` degrees.
    #[serde(default)]
    pub extent: Option<[f64; 4]>,
    /// Which column is what.
    pub columns: ColumnMap,
    /// How times are read.
    pub time: TimeMap,
    /// Source category values → police.uk crime types; unmapped values are kept as written.
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    /// Flags by name.
    #[serde(default)]
    pub flags: BTreeMap<String, FlagMap>,
}

fn default_time_zone() -> String {
    "Europe/London".to_owned()
}

/// Column names (as in the header, case-insensitive).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    /// The source's own reference for the incident.
    pub reference: Option<String>,
    /// Category column.
    pub category: Option<String>,
    /// A category for every row (instead of a column).
    pub category_value: Option<String>,
    /// Sub-category column (ASB themes, offence types).
    pub sub_category: Option<String>,
    /// A sub-category for every row.
    pub sub_category_value: Option<String>,
    /// WGS84 longitude, degrees.
    pub longitude: Option<String>,
    /// WGS84 latitude, degrees.
    pub latitude: Option<String>,
    /// Easting in the projected CRS, metres.
    pub easting: Option<String>,
    /// Northing in the projected CRS, metres.
    pub northing: Option<String>,
    /// Weight (e.g. a harm score); empty means 1.
    pub weight: Option<String>,
    /// The identity partition instead of the month.
    pub partition: Option<String>,
    /// Location description.
    pub location: Option<String>,
    /// LSOA code.
    pub lsoa_code: Option<String>,
    /// Outcome.
    pub outcome: Option<String>,
}

/// Time columns and their format.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeMap {
    /// A timestamp column.
    pub column: Option<String>,
    /// A date column (its date in the time zone; an instant's date after conversion).
    pub date: Option<String>,
    /// An hour column (0–23) with `date`.
    pub hour: Option<String>,
    /// Start of a from–to window.
    pub from: Option<String>,
    /// End of a from–to window.
    pub to: Option<String>,
    /// strftime format of `column`, `date`, `from` and `to`.
    pub format: String,
    /// `minute` (default), `hour` or `day`: how much of `column`/`from` is meaningful.
    pub precision: Option<String>,
}

/// A flag: the column and the values that set it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagMap {
    /// The column.
    pub column: String,
    /// Values (case-insensitive) that set the flag; default `y`, `yes`, `true`, `1`.
    #[serde(default)]
    pub values: Vec<String>,
}

impl Mapping {
    /// Reads a mapping from a TOML file.
    ///
    /// # Errors
    /// [`IngestError::Mapping`] naming the file and what is wrong.
    pub fn from_toml_file(path: &Path) -> Result<Self, IngestError> {
        let text =
            std::fs::read_to_string(path).map_err(|cause| IngestError::Io { path: path.into(), cause })?;
        Self::from_toml(&text).map_err(|reason| IngestError::Mapping { path: path.into(), reason })
    }

    /// Parses and checks a mapping.
    ///
    /// # Errors
    /// What is wrong, naming the key.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let mapping: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        mapping.check()?;
        Ok(mapping)
    }

    fn check(&self) -> Result<(), String> {
        if self.source.trim().is_empty() || self.source.contains('|') {
            return Err("source: give a non-empty name without '|'".to_owned());
        }
        Zone::new(&self.time_zone).map_err(|e| format!("time_zone: {e}"))?;
        BngProjector::for_crs(self.crs()).map_err(|e| format!("projected_crs: {e}"))?;
        let c = &self.columns;
        if c.category.is_some() == c.category_value.is_some() {
            return Err("columns: give exactly one of category and category_value".to_owned());
        }
        let lonlat = c.longitude.is_some() && c.latitude.is_some();
        let en = c.easting.is_some() && c.northing.is_some();
        if lonlat == en {
            return Err("columns: give longitude and latitude, or easting and northing".to_owned());
        }
        let t = &self.time;
        let modes = [t.column.is_some(), t.date.is_some(), t.from.is_some() || t.to.is_some()];
        if modes.iter().filter(|m| **m).count() != 1 || t.from.is_some() != t.to.is_some() {
            return Err("time: give column, or date (with hour), or from and to".to_owned());
        }
        if t.hour.is_some() && t.date.is_none() {
            return Err("time: hour needs date".to_owned());
        }
        self.precision()?;
        if let Some([w, s, e, n]) = self.extent
            && !(w < e && s < n)
        {
            return Err("extent: [west, south, east, north] with west < east and south < north".to_owned());
        }
        Ok(())
    }

    fn crs(&self) -> &str {
        self.projected_crs.as_deref().unwrap_or("EPSG:27700")
    }

    fn precision(&self) -> Result<TimePrecision, String> {
        match self.time.precision.as_deref().unwrap_or("minute") {
            "minute" => Ok(TimePrecision::Minute),
            "hour" => Ok(TimePrecision::Hour),
            "day" => Ok(TimePrecision::Day),
            other => Err(format!("time.precision: {other:?} is not minute, hour or day")),
        }
    }

    fn extent(&self) -> Bounds {
        match self.extent {
            Some([west, south, east, north]) => Bounds { west, south, east, north },
            None if self.crs() == "EPSG:27700" => Bounds::UNITED_KINGDOM,
            None => Bounds { west: -180.0, south: -90.0, east: 180.0, north: 90.0 },
        }
    }
}

/// Ingests a partner CSV (plain or gzip) read with `mapping`: each row accepted, a
/// duplicate, or rejected with its line, field and reason, as [`crate::ingest_file`] does
/// for police.uk. Times in repeated or skipped hours are counted in the report.
///
/// # Errors
/// [`IngestError`] when the file is refused as a whole: unreadable, empty, a mapped column
/// missing from the header, or a store failure.
pub fn ingest_mapped(
    store: &mut Store,
    path: &Path,
    mapping: &Mapping,
    options: &IngestOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<IngestReport, IngestError> {
    let opened = open(path)?;
    ingest_records(store, path, opened, options.replace, progress, &mut |header| {
        Ok(Box::new(MappedReader::new(mapping, header, path)?) as Box<dyn RowReader>)
    })
}

/// Column positions resolved against a header.
#[derive(Debug)]
struct MappedReader {
    mapping: Mapping,
    zone: Zone,
    precision: TimePrecision,
    extent: Bounds,
    projector: BngProjector,
    names: Vec<String>,
    category: Option<usize>,
    sub_category: Option<usize>,
    reference: Option<usize>,
    lon: Option<(usize, usize)>,
    en: Option<(usize, usize)>,
    weight: Option<usize>,
    partition: Option<usize>,
    location: Option<usize>,
    lsoa_code: Option<usize>,
    outcome: Option<usize>,
    time_a: usize,
    time_b: Option<usize>,
    flags: Vec<(String, usize, Vec<String>)>,
}

impl MappedReader {
    fn new(mapping: &Mapping, header: &csv::ByteRecord, path: &Path) -> Result<Self, IngestError> {
        let names = header_names(header);
        let missing = |key: &str, column: &str| IngestError::Mapping {
            path: PathBuf::from(path),
            reason: format!(
                "line 1: the mapping's {key} names column {column:?}, which the header lacks (columns: {})",
                names.join(", ")
            ),
        };
        let find = |key: &str, column: &Option<String>| -> Result<Option<usize>, IngestError> {
            column
                .as_ref()
                .map(|c| {
                    find_column(&names, c)
                        .map_err(|r| IngestError::repeated(path, r))?
                        .ok_or_else(|| missing(key, c))
                })
                .transpose()
        };
        let c = &mapping.columns;
        let t = &mapping.time;
        let pair = |a: Option<usize>, b: Option<usize>| a.zip(b);
        let time_a = find("time.column", &t.column)?
            .or(find("time.date", &t.date)?)
            .or(find("time.from", &t.from)?)
            .ok_or_else(|| missing("time", "(none)"))?;
        let time_b = find("time.hour", &t.hour)?.or(find("time.to", &t.to)?);
        let mut flags = Vec::new();
        for (name, flag) in &mapping.flags {
            let i = find(&format!("flags.{name}"), &Some(flag.column.clone()))?.unwrap_or(0);
            let values = if flag.values.is_empty() {
                ["y", "yes", "true", "1"].map(str::to_owned).to_vec()
            } else {
                flag.values.iter().map(|v| v.trim().to_lowercase()).collect()
            };
            flags.push((name.trim().to_lowercase(), i, values));
        }
        let bad_mapping = |reason: String| IngestError::Mapping { path: path.into(), reason };
        Ok(Self {
            zone: Zone::new(&mapping.time_zone).map_err(bad_mapping)?,
            precision: mapping.precision().map_err(bad_mapping)?,
            extent: mapping.extent(),
            projector: BngProjector::for_crs(mapping.crs()).map_err(bad_mapping)?,
            category: find("columns.category", &c.category)?,
            sub_category: find("columns.sub_category", &c.sub_category)?,
            reference: find("columns.reference", &c.reference)?,
            lon: pair(find("columns.longitude", &c.longitude)?, find("columns.latitude", &c.latitude)?),
            en: pair(find("columns.easting", &c.easting)?, find("columns.northing", &c.northing)?),
            weight: find("columns.weight", &c.weight)?,
            partition: find("columns.partition", &c.partition)?,
            location: find("columns.location", &c.location)?,
            lsoa_code: find("columns.lsoa_code", &c.lsoa_code)?,
            outcome: find("columns.outcome", &c.outcome)?,
            time_a,
            time_b,
            flags,
            names,
            mapping: mapping.clone(),
        })
    }

    fn column(&self, i: usize) -> &str {
        self.names.get(i).map_or("(column)", String::as_str)
    }
}

impl RowReader for MappedReader {
    fn read(
        &mut self,
        record: &csv::ByteRecord,
        transitions: &mut Transitions,
    ) -> Result<StoredRow, RowProblem> {
        let fields = trimmed_fields(record, &self.names)?;
        let opt = |i: Option<usize>| i.map(|i| fields[i]).filter(|s| !s.is_empty()).map(str::to_owned);
        let columns = &self.mapping.columns;

        let category = match self.category {
            Some(i) if fields[i].is_empty() => return Err(problem(self.column(i), "empty")),
            Some(i) => fields[i].to_owned(),
            None => columns.category_value.clone().unwrap_or_default(),
        };
        let category = self
            .mapping
            .categories
            .get(&category)
            .or_else(|| {
                self.mapping
                    .categories
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&category))
                    .map(|(_, v)| v)
            })
            .cloned()
            .unwrap_or(category);
        // A police.uk slug or differently cased name is that crime type.
        let category = hexwatch_core::police_uk_name(&category).map_or(category, str::to_owned);
        let sub_category = opt(self.sub_category).or_else(|| columns.sub_category_value.clone());

        let (lon, lat, projected) = if let Some((x, y)) = self.lon {
            if fields[x].is_empty() && fields[y].is_empty() {
                return Err(problem(self.column(x), "no location (longitude and latitude are empty)"));
            }
            let lon = coordinate(self.column(x), fields[x], 180.0)?;
            let lat = coordinate(self.column(y), fields[y], 90.0)?;
            (lon, lat, None)
        } else if let Some((x, y)) = self.en {
            if fields[x].is_empty() && fields[y].is_empty() {
                return Err(problem(self.column(x), "no location (easting and northing are empty)"));
            }
            let e = coordinate(self.column(x), fields[x], 1e7)?;
            let n = coordinate(self.column(y), fields[y], 1e7)?;
            let (lon, lat) = self
                .projector
                .to_wgs84(hexwatch_core::BngPoint { easting_m: e, northing_m: n })
                .map_err(|err| problem(self.column(x), err.to_string()))?;
            (lon, lat, Some((e, n)))
        } else {
            return Err(problem("(row)", "the mapping gives no coordinates"));
        };
        if !self.extent.contains(lon, lat) {
            let field = self.lon.map_or_else(|| self.en.map_or(0, |p| p.0), |p| p.0);
            let e = &self.extent;
            return Err(problem(
                self.column(field),
                format!(
                    "({lon}, {lat}) outside extent (longitude {} to {}, latitude {} to {}) (latitude/longitude swapped?)",
                    e.west, e.east, e.south, e.north
                ),
            ));
        }

        let t = &self.mapping.time;
        let a = fields[self.time_a];
        if a.is_empty() {
            return Err(problem(self.column(self.time_a), "empty: the time is needed"));
        }
        let time = if t.date.is_some() {
            let hour = self.time_b.map(|i| fields[i]);
            if let (Some(i), Some("")) = (self.time_b, hour) {
                return Err(problem(self.column(i), "empty hour"));
            }
            self.zone.date_hour(a, &t.format, hour, transitions)
        } else if let Some(b) = self.time_b {
            self.zone.window(a, fields[b], &t.format, self.precision, transitions)
        } else {
            self.zone.point(a, &t.format, self.precision, transitions)
        }
        .map_err(|reason| problem(self.column(self.time_a), reason))?;

        let weight = match self.weight.map(|i| (i, fields[i])) {
            None | Some((_, "")) => 1.0,
            Some((i, w)) => w
                .parse::<f64>()
                .ok()
                .filter(|w| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| problem(self.column(i), format!("weight {w:?} is not a number ≥ 0")))?,
        };
        let flags = self
            .flags
            .iter()
            .filter(|(_, i, values)| {
                let v = fields[*i].to_lowercase();
                !v.is_empty() && values.contains(&v)
            })
            .map(|(name, _, _)| name.clone())
            .collect();
        let source = self.mapping.source.clone();
        let partition = match self.partition {
            Some(i) => format!("{source}|{}", fields[i]),
            None => format!("{source}|{}", time.month),
        };
        Ok(StoredRow {
            partition,
            content: fields.join("\u{1f}"),
            crime_id: None,
            source_ref: opt(self.reference),
            month: time.month,
            precision: time.precision,
            local_start: Some(time.local_start),
            local_end: time.local_end,
            start_utc: Some(time.start_utc),
            end_utc: time.end_utc,
            time_zone: Some(self.zone.name().to_owned()),
            category,
            sub_category,
            flags,
            weight,
            lon,
            lat,
            projected,
            location: opt(self.location),
            lsoa_code: opt(self.lsoa_code),
            lsoa_name: None,
            outcome: opt(self.outcome),
            force: source.clone(),
            falls_within: None,
            context: None,
            source,
        })
    }

    fn projector(&self) -> &BngProjector {
        &self.projector
    }

    fn column_name(&self, i: usize) -> String {
        self.column(i).to_owned()
    }
}
