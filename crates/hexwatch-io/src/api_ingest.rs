//! Incidents posted to the server (`POST /api/incidents`): one schema for a JSON array, a
//! GeoJSON FeatureCollection and a CSV body.
//!
//! # Schema
//! Each incident (a JSON object, a GeoJSON feature's `properties` with a Point geometry
//! giving `lon`/`lat`, or a CSV row under a header of these names):
//!
//! | field | meaning |
//! |---|---|
//! | `reference` | the source's own reference (optional); when given, identity is (source, reference) |
//! | `category` | police.uk crime type or the source's own (required) |
//! | `sub_category` | e.g. an ASB theme (optional) |
//! | `flags` | flag names: a JSON array, or `;`-separated text (optional) |
//! | `time` | `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` (local wall clock in the batch's time zone) or RFC 3339 with an offset; or |
//! | `from`, `to` | a window in the same forms |
//! | `precision` | `month`, `day`, `hour` or `minute` (default: what the text gives) |
//! | `lon`, `lat` | WGS84 degrees; or |
//! | `easting`, `northing` | British National Grid metres |
//! | `weight` | harm weight, default 1 |
//!
//! Identity: (source, reference) when a reference is given, so re-sending it adds nothing;
//! otherwise (source, batch) is the partition, with the row content and its ordinal.

use std::path::Path;

use hexwatch_core::{Bounds, TimePrecision};

use crate::bng::BngProjector;
use crate::ingest::{IngestError, IngestReport, RowReader, StoredRow, ingest_records, open_bytes};
use crate::police_uk::{RowProblem, coordinate, header_names, problem, utf8_field, width_reason};
use crate::store::Store;
use crate::time::{IncidentTime, Transitions, Zone};

/// The CSV columns of the schema, in order (`_problem` carries a conversion error).
const FIELDS: [&str; 14] = [
    "reference",
    "category",
    "sub_category",
    "flags",
    "time",
    "from",
    "to",
    "precision",
    "lon",
    "lat",
    "easting",
    "northing",
    "weight",
    "_problem",
];

/// The format of a posted body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// A JSON array of incident objects.
    Json,
    /// A GeoJSON FeatureCollection of Point features.
    GeoJson,
    /// CSV with a header of the schema's field names.
    Csv,
}

/// Where a posted batch comes from.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The source's name.
    pub source: String,
    /// The batch's name (identity partition for rows without a reference).
    pub batch: String,
    /// IANA zone of wall-clock times.
    pub time_zone: String,
}

/// Why a body could not be read at all (a 400).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// Not JSON, or not the expected shape.
    #[error("{0}")]
    Shape(String),
    /// A parameter of the batch (`source`, `batch`, `time_zone`) is not usable.
    #[error("{parameter}: {reason}")]
    Parameter {
        /// The parameter's name.
        parameter: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Stores a posted body in one transaction and reports every row, as file ingest does
/// (`line` is the row's position in the body, 1 = first incident; for CSV the header is
/// line 1).
///
/// # Errors
/// [`BodyError`] when the body is not a JSON array, a FeatureCollection or CSV with the
/// schema's header (nothing stored); [`IngestError`] when the store fails.
pub fn ingest_body(
    store: &mut Store,
    batch: &Batch,
    format: BodyFormat,
    body: &[u8],
) -> Result<Result<IngestReport, IngestError>, BodyError> {
    let zone = Zone::new(&batch.time_zone)
        .map_err(|reason| BodyError::Parameter { parameter: "time_zone", reason })?;
    if batch.source.trim().is_empty() || batch.source.contains('|') {
        let reason = format!("{:?}: give a non-empty name without '|'", batch.source);
        return Err(BodyError::Parameter { parameter: "source", reason });
    }
    if batch.batch.trim().is_empty() {
        return Err(BodyError::Parameter { parameter: "batch", reason: "give a non-empty name".to_owned() });
    }
    let csv_text = match format {
        BodyFormat::Csv => body.to_vec(),
        BodyFormat::Json => {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| BodyError::Shape(format!("not JSON: {e}")))?;
            let items = value
                .as_array()
                .ok_or_else(|| BodyError::Shape("expected a JSON array of incidents".to_owned()))?;
            to_csv(items.iter().map(|v| (v, None)))?
        }
        BodyFormat::GeoJson => {
            let value: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| BodyError::Shape(format!("not JSON: {e}")))?;
            if value.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection") {
                return Err(BodyError::Shape("expected a GeoJSON FeatureCollection".to_owned()));
            }
            if let Some(crs) = value.get("crs") {
                let name = crs.pointer("/properties/name").and_then(|n| n.as_str()).unwrap_or("");
                if !is_wgs84(name) {
                    return Err(BodyError::Shape(format!(
                        "crs {name:?}: posted GeoJSON must be WGS84 (give easting/northing as properties instead)"
                    )));
                }
            }
            let features = value
                .get("features")
                .and_then(|f| f.as_array())
                .ok_or_else(|| BodyError::Shape("the FeatureCollection has no features array".to_owned()))?;
            to_csv(features.iter().map(|f| {
                let properties = match f.get("properties") {
                    None | Some(serde_json::Value::Null) => &*EMPTY_OBJECT,
                    Some(p) => p,
                };
                (properties, f.get("geometry"))
            }))?
        }
    };
    // JSON strings may hold newlines: number the converted rows by record, so that row n
    // is the body's n-th incident.
    let opened = open_bytes(csv_text, format != BodyFormat::Csv);
    let label = format!("POST {}/{}", batch.source, batch.batch);
    let path = Path::new(&label);
    Ok(ingest_records(store, path, opened, false, &mut |_, _| {}, &mut |header| {
        // `_problem` is the converter's own column: only JSON bodies may carry it.
        let internal = format != BodyFormat::Csv;
        Ok(Box::new(ApiReader::new(header, batch, zone.clone(), internal)?) as Box<dyn RowReader>)
    }))
}

/// The properties of a feature that has none.
static EMPTY_OBJECT: std::sync::LazyLock<serde_json::Value> =
    std::sync::LazyLock::new(|| serde_json::Value::Object(serde_json::Map::new()));

/// A JSON key as a rejection's field: as written, or quoted and escaped when it is empty or
/// holds control characters, which would leave the message without a visible name (the
/// fuzz target `api_ingest` found `{"": …}` rejected as field ``).
fn field_name(key: &str) -> String {
    if key.is_empty() || key.chars().any(char::is_control) { format!("{key:?}") } else { key.to_owned() }
}

fn is_wgs84(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.is_empty() || n.ends_with("CRS84") || n.ends_with("4326") || n.ends_with("EPSG::4326")
}

/// Writes JSON incidents (object, optional geometry) as CSV rows of [`FIELDS`]. A value of
/// the wrong type, an unknown key or a geometry that is not a Point leaves the row's
/// `_problem` as `field` U+001F `reason`, for the reader to reject the row with.
fn to_csv<'a>(
    items: impl Iterator<Item = (&'a serde_json::Value, Option<&'a serde_json::Value>)>,
) -> Result<Vec<u8>, BodyError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| BodyError::Shape(e.to_string());
    let problem_at = FIELDS.len() - 1;
    out.write_record(FIELDS).map_err(err)?;
    for (item, geometry) in items {
        let mut row: Vec<String> = vec![String::new(); FIELDS.len()];
        let problem = |row: &mut Vec<String>, field: &str, reason: String| {
            if row[problem_at].is_empty() {
                row[problem_at] = format!("{field}\u{1f}{reason}");
            }
        };
        match item.as_object() {
            None => problem(&mut row, "(row)", format!("expected an incident object, got {}", kind_of(item))),
            Some(object) => {
                for (key, value) in object {
                    match FIELDS.iter().position(|f| f == key && *f != "_problem") {
                        Some(i) => match text_of(key, value) {
                            Ok(text) => row[i] = text,
                            Err(reason) => problem(&mut row, key, reason),
                        },
                        None => {
                            let known = FIELDS[..problem_at].join(", ");
                            let reason = format!("unknown field; the schema has {known}");
                            problem(&mut row, &field_name(key), reason);
                        }
                    }
                }
                match geometry {
                    None | Some(serde_json::Value::Null) => {}
                    Some(g) => match point_of(g) {
                        Ok((lon, lat)) => {
                            row[8] = lon;
                            row[9] = lat;
                        }
                        Err(reason) => problem(&mut row, "geometry", reason),
                    },
                }
            }
        }
        out.write_record(&row).map_err(err)?;
    }
    out.into_inner().map_err(|e| BodyError::Shape(e.to_string()))
}

/// The JSON type of a value, for messages.
fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A schema field's text: numbers for the coordinates and the weight (or numeric text),
/// text or a number for the reference, a list of strings or `;`-separated text for the
/// flags, text for the rest; `null` is no value. Anything else is the wrong type.
fn text_of(key: &str, value: &serde_json::Value) -> Result<String, String> {
    use serde_json::Value;
    let numeric = matches!(key, "lon" | "lat" | "easting" | "northing" | "weight");
    match value {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if numeric || key == "reference" => Ok(n.to_string()),
        Value::Array(items) if key == "flags" => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("expected flag names (strings), found {}", kind_of(item)))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|names| names.join(";")),
        other => {
            let wanted = match key {
                _ if numeric => "a number",
                "reference" => "a string or a number",
                "flags" => "a list of flag names or text",
                _ => "a string",
            };
            Err(format!("expected {wanted}, found {}", kind_of(other)))
        }
    }
}

/// The longitude and latitude of a GeoJSON Point geometry, as text.
fn point_of(geometry: &serde_json::Value) -> Result<(String, String), String> {
    let kind = geometry.get("type").and_then(|t| t.as_str()).unwrap_or("(no type)");
    if kind != "Point" {
        return Err(format!("expected a Point geometry, found {kind:?}"));
    }
    match geometry.get("coordinates").and_then(|c| c.as_array()).map(Vec::as_slice) {
        Some([lon, lat, ..]) if lon.is_number() && lat.is_number() => Ok((lon.to_string(), lat.to_string())),
        _ => Err("a Point's coordinates are [longitude, latitude] numbers".to_owned()),
    }
}

/// Reads schema rows.
struct ApiReader {
    index: [Option<usize>; FIELDS.len()],
    width: usize,
    /// The header's column names.
    names: Vec<String>,
    source: String,
    batch: String,
    zone: Zone,
    projector: BngProjector,
}

impl ApiReader {
    fn new(header: &csv::ByteRecord, batch: &Batch, zone: Zone, internal: bool) -> Result<Self, IngestError> {
        let names = header_names(header);
        let mut index: [Option<usize>; FIELDS.len()] = [None; FIELDS.len()];
        let known = if internal { FIELDS.len() } else { FIELDS.len() - 1 };
        for (i, name) in names.iter().enumerate() {
            match FIELDS[..known].iter().position(|f| f.eq_ignore_ascii_case(name)) {
                Some(k) if index[k].is_some() => {
                    let first: usize = index[k].unwrap_or_default();
                    return Err(IngestError::RepeatedColumn {
                        path: "POST body".into(),
                        column: names[first].clone(),
                        first: first + 1,
                        second: i + 1,
                    });
                }
                Some(k) => index[k] = Some(i),
                None => {
                    return Err(IngestError::Mapping {
                        path: "POST body".into(),
                        reason: format!(
                            "line 1: unknown column {name:?}; the schema has {}",
                            FIELDS[..13].join(", ")
                        ),
                    });
                }
            }
        }
        if index[1].is_none() {
            return Err(IngestError::MissingColumn { path: "POST body".into(), column: "category" });
        }
        Ok(Self {
            index,
            width: names.len(),
            names,
            source: batch.source.clone(),
            batch: batch.batch.clone(),
            zone,
            projector: BngProjector::new(),
        })
    }
}

impl RowReader for ApiReader {
    fn read(
        &mut self,
        record: &csv::ByteRecord,
        transitions: &mut Transitions,
    ) -> Result<StoredRow, RowProblem> {
        if record.len() != self.width {
            return Err(problem("(row)", width_reason(self.width, record.len())));
        }
        let mut values: [&str; FIELDS.len()] = [""; FIELDS.len()];
        for (k, i) in self.index.iter().enumerate() {
            if let Some(i) = i {
                let raw = record.get(*i).unwrap_or_default();
                values[k] = utf8_field(raw).map_err(|reason| problem(FIELDS[k], reason))?.trim();
            }
        }
        let [
            reference,
            category,
            sub_category,
            flags,
            time,
            from,
            to,
            precision,
            lon,
            lat,
            easting,
            northing,
            weight,
            bad,
        ] = values;
        if !bad.is_empty() {
            let (field, reason) = bad.split_once('\u{1f}').unwrap_or(("(row)", bad));
            return Err(problem(field, reason));
        }
        if category.is_empty() {
            return Err(problem("category", "empty: every incident needs a category"));
        }
        let (lon, lat, projected) = if !lon.is_empty() || !lat.is_empty() {
            (coordinate("lon", lon, 180.0)?, coordinate("lat", lat, 90.0)?, None)
        } else if !easting.is_empty() || !northing.is_empty() {
            let (e, n) = (coordinate("easting", easting, 1e7)?, coordinate("northing", northing, 1e7)?);
            let (lon, lat) = self
                .projector
                .to_wgs84(hexwatch_core::BngPoint { easting_m: e, northing_m: n })
                .map_err(|err| problem("easting", err.to_string()))?;
            (lon, lat, Some((e, n)))
        } else {
            return Err(problem("lon", "no location: give lon and lat, or easting and northing"));
        };
        if !Bounds::UNITED_KINGDOM.contains(lon, lat) {
            return Err(problem(
                "lon",
                format!("({lon}, {lat}) outside the United Kingdom (latitude/longitude swapped?)"),
            ));
        }
        let precision =
            match precision {
                "" => None,
                p => Some(TimePrecision::parse(p).ok_or_else(|| {
                    problem("precision", format!("{p:?} is not month, day, hour or minute"))
                })?),
            };
        let when = match (time, from, to) {
            (t, "", "") if !t.is_empty() => self.zone.flexible(t, None, precision, transitions),
            ("", f, t) if !f.is_empty() && !t.is_empty() => {
                self.zone.flexible(f, Some(t), precision, transitions)
            }
            _ => Err("give time, or from and to".to_owned()),
        }
        .map_err(|reason| problem(if time.is_empty() { "from" } else { "time" }, reason))?;
        let weight = match weight {
            "" => 1.0,
            w => w
                .parse::<f64>()
                .ok()
                .filter(|w| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| problem("weight", format!("{w:?} is not a number ≥ 0")))?,
        };
        let flags: Vec<String> =
            flags.split([';', ',']).map(|f| f.trim().to_lowercase()).filter(|f| !f.is_empty()).collect();
        let (partition, content) = if reference.is_empty() {
            (format!("{}|batch:{}", self.source, self.batch), values[..13].join("\u{1f}"))
        } else {
            (format!("{}|ref", self.source), format!("ref:{reference}"))
        };
        let IncidentTime { month, precision, local_start, local_end, start_utc, end_utc } = when;
        let timed = precision != TimePrecision::Month;
        Ok(StoredRow {
            partition,
            content,
            source: self.source.clone(),
            crime_id: None,
            source_ref: (!reference.is_empty()).then(|| reference.to_owned()),
            month,
            precision,
            local_start: timed.then_some(local_start),
            local_end: if timed { local_end } else { None },
            start_utc: timed.then_some(start_utc),
            end_utc: if timed { end_utc } else { None },
            time_zone: timed.then(|| self.zone.name().to_owned()),
            // A police.uk slug or differently cased name is that crime type, not a new one.
            category: hexwatch_core::police_uk_name(category)
                .map_or_else(|| category.to_owned(), str::to_owned),
            sub_category: (!sub_category.is_empty()).then(|| sub_category.to_owned()),
            flags,
            weight,
            lon,
            lat,
            projected,
            location: None,
            lsoa_code: None,
            lsoa_name: None,
            outcome: None,
            force: self.source.clone(),
            falls_within: None,
            context: None,
        })
    }

    fn projector(&self) -> &BngProjector {
        &self.projector
    }

    fn column_name(&self, i: usize) -> String {
        self.names.get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression of the fuzz target `api_ingest` (fuzz/regressions/api_ingest/): unknown
    /// keys that are empty or hold control characters are named visibly, quoted.
    #[test]
    fn unknown_keys_are_named_visibly_even_when_empty_or_control() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("s.sqlite3")).unwrap();
        let batch = Batch { source: "s".into(), batch: "b".into(), time_zone: "Europe/London".into() };
        let body = br#"[
            {"category": "Drugs", "time": "2025-07-01", "lon": -1.87, "lat": 50.72, "": 1},
            {"category": "Drugs", "time": "2025-07-01", "lon": -1.87, "lat": 50.72, "a\u001fb": 1},
            {"category": "Drugs", "time": "2025-07-01", "lon": -1.87, "lat": 50.72, "colour": "red"}
        ]"#;
        let report = ingest_body(&mut store, &batch, BodyFormat::Json, body).unwrap().unwrap();
        let fields: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.field.as_str())).collect();
        // Lines of the converted CSV (its header is line 1): the reply's `row` is line - 1.
        assert_eq!(fields, [(2, "\"\""), (3, "\"a\\u{1f}b\""), (4, "colour")]);
        assert!(
            report.rejected.iter().all(|r| r.reason.starts_with("unknown field; the schema has reference"))
        );
        assert_eq!((report.read, report.accepted), (3, 0));
    }
}
