//! data.police.uk street-level CSV rows.
//!
//! Columns: `Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location,
//! LSOA code, LSOA name, Crime type, Last outcome category, Context`. Header names are
//! matched case-insensitively, in any order.

use csv::ByteRecord;
use hexwatch_core::{Bounds, YearMonth};

/// Header names that must be present: without them a row cannot be placed, dated,
/// categorised or given an identity partition.
pub(crate) const REQUIRED: [&str; 5] = ["Month", "Reported by", "Longitude", "Latitude", "Crime type"];

/// Positions of the columns in a file's header.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    /// Header names as written (BOM and surrounding spaces removed).
    names: Vec<String>,
    crime_id: Option<usize>,
    month: usize,
    reported_by: usize,
    falls_within: Option<usize>,
    longitude: usize,
    latitude: usize,
    location: Option<usize>,
    lsoa_code: Option<usize>,
    lsoa_name: Option<usize>,
    crime_type: usize,
    outcome: Option<usize>,
    context: Option<usize>,
}

/// Why a header cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderProblem {
    /// A required column is missing.
    Missing(&'static str),
    /// A column the reader uses appears more than once: which to read is ambiguous.
    Repeated(RepeatedColumn),
}

/// A column name that appears twice in a header, with both positions (1 = first column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepeatedColumn {
    pub(crate) name: String,
    pub(crate) first: usize,
    pub(crate) second: usize,
}

impl std::fmt::Display for RepeatedColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line 1: the header has column {:?} twice (columns {} and {}): which one to read is ambiguous",
            self.name, self.first, self.second
        )
    }
}

/// Header names as written: BOM and surrounding spaces removed, not-UTF-8 bytes replaced.
pub(crate) fn header_names(header: &ByteRecord) -> Vec<String> {
    header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').trim().to_owned())
        .collect()
}

/// The position of `name` in `names` (case-insensitive), or `Err` when it appears twice.
pub(crate) fn find_column(names: &[String], name: &str) -> Result<Option<usize>, RepeatedColumn> {
    let mut hits =
        names.iter().enumerate().filter(|(_, n)| n.eq_ignore_ascii_case(name.trim())).map(|(i, _)| i);
    let first = hits.next();
    match (first, hits.next()) {
        (Some(first), Some(second)) => {
            Err(RepeatedColumn { name: names[first].clone(), first: first + 1, second: second + 1 })
        }
        _ => Ok(first),
    }
}

impl Columns {
    /// Maps a header; `Err` names the first required column that is missing, or a column
    /// that appears twice.
    pub(crate) fn from_header(header: &ByteRecord) -> Result<Self, HeaderProblem> {
        let names = header_names(header);
        let find = |name: &str| find_column(&names, name).map_err(HeaderProblem::Repeated);
        let need = |name: &'static str| find(name)?.ok_or(HeaderProblem::Missing(name));
        Ok(Self {
            names: names.clone(),
            crime_id: find("Crime ID")?,
            month: need(REQUIRED[0])?,
            reported_by: need(REQUIRED[1])?,
            falls_within: find("Falls within")?,
            longitude: need(REQUIRED[2])?,
            latitude: need(REQUIRED[3])?,
            location: find("Location")?,
            lsoa_code: find("LSOA code")?,
            lsoa_name: find("LSOA name")?,
            crime_type: need(REQUIRED[4])?,
            outcome: find("Last outcome category")?,
            context: find("Context")?,
        })
    }
}

/// Why a row was rejected: the field (header name) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowProblem {
    pub(crate) field: String,
    pub(crate) reason: String,
}

/// The record's fields as trimmed UTF-8 text, one per header name: a row of another width,
/// or a field that is not UTF-8, is a problem naming the row or the column.
pub(crate) fn trimmed_fields<'r>(
    record: &'r ByteRecord,
    names: &[String],
) -> Result<RowFields<'r>, RowProblem> {
    if record.len() != names.len() {
        return Err(problem("(row)", width_reason(names.len(), record.len())));
    }
    // One UTF-8 check of the whole record (its fields are contiguous in it). A field
    // boundary inside a character (a field ending in a lead byte, the next starting with
    // its continuation) makes a slice fail: then, as when the check fails, each field is
    // checked on its own, to name the one at fault.
    if let Ok(all) = std::str::from_utf8(record.as_slice()) {
        let fast: Option<RowFields<'r>> =
            (0..record.len()).map(|i| record.range(i).and_then(|r| all.get(r)).map(str::trim)).collect();
        if let Some(fields) = fast {
            return Ok(fields);
        }
    }
    record
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            utf8_field(raw).map(str::trim).map_err(|reason| {
                let column = names.get(i).cloned().unwrap_or_else(|| format!("column {}", i + 1));
                problem(&column, reason)
            })
        })
        .collect()
}

/// A row's fields, borrowed from its record: inline up to 16 (police.uk has 12), so that
/// reading a row allocates nothing.
pub(crate) type RowFields<'r> = smallvec::SmallVec<[&'r str; 16]>;

/// Why a row of `found` fields does not fit a header of `expected` columns.
pub(crate) fn width_reason(expected: usize, found: usize) -> String {
    let hint = if found > expected {
        "an unquoted comma inside a field, or a value with no column in the header?"
    } else {
        "a row cut short, or a missing comma?"
    };
    format!("expected {expected} fields as in the header, found {found} ({hint})")
}

/// A field as UTF-8, or a reason naming the first bad byte and where it is.
pub(crate) fn utf8_field(raw: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(raw).map_err(|e| {
        let at = e.valid_up_to();
        format!(
            "not valid UTF-8: byte 0x{:02X} at byte {} of the field (is the file in another encoding, e.g. \
             Windows-1252? save it as UTF-8)",
            raw.get(at).copied().unwrap_or_default(),
            at + 1
        )
    })
}

pub(crate) fn problem(field: &str, reason: impl Into<String>) -> RowProblem {
    RowProblem { field: field.to_owned(), reason: reason.into() }
}

/// A validated row's fields, borrowed from the record.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'r> {
    /// Every field, trimmed, in header order.
    pub(crate) fields: RowFields<'r>,
    pub(crate) month: YearMonth,
    /// `Reported by`.
    pub(crate) force: &'r str,
    pub(crate) lon: f64,
    pub(crate) lat: f64,
}

impl Columns {
    /// The header's column names as written.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of columns in the header.
    pub(crate) fn width(&self) -> usize {
        self.names.len()
    }

    /// Header positions of the optional text columns stored with each incident.
    pub(crate) const fn text_columns(&self) -> TextColumns {
        TextColumns {
            crime_id: self.crime_id,
            falls_within: self.falls_within,
            location: self.location,
            lsoa_code: self.lsoa_code,
            lsoa_name: self.lsoa_name,
            crime_type: self.crime_type,
            outcome: self.outcome,
            context: self.context,
        }
    }

    /// Validates one record, borrowing its fields. Coordinates are range-checked here
    /// (h3o would accept a latitude of 123) and never clamped. A month after `latest` (the
    /// month of the ingest) is in the future: rejected.
    pub(crate) fn parse_fields<'r>(
        &self,
        record: &'r ByteRecord,
        extent: &Bounds,
        latest: YearMonth,
    ) -> Result<Fields<'r>, RowProblem> {
        let fields = trimmed_fields(record, &self.names)?;
        let month: YearMonth = fields[self.month].parse().map_err(|e| problem("Month", format!("{e}")))?;
        if month > latest {
            return Err(problem("Month", format!("{month} is in the future (it is now {latest})")));
        }
        let force = fields[self.reported_by];
        if force.is_empty() {
            return Err(problem("Reported by", "empty: the force is needed for the identity partition"));
        }
        if fields[self.crime_type].is_empty() {
            return Err(problem("Crime type", "empty"));
        }
        let (lon_text, lat_text) = (fields[self.longitude], fields[self.latitude]);
        if lon_text.is_empty() && lat_text.is_empty() {
            return Err(problem("Longitude", "no location (Longitude and Latitude are empty)"));
        }
        let lon = coordinate("Longitude", lon_text, 180.0)?;
        let lat = coordinate("Latitude", lat_text, 90.0)?;
        if !extent.contains(lon, lat) {
            return Err(problem(
                "Longitude",
                format!(
                    "({lon}, {lat}) outside extent (longitude {} to {}, latitude {} to {}) (latitude/longitude swapped?)",
                    extent.west, extent.east, extent.south, extent.north
                ),
            ));
        }
        Ok(Fields { fields, month, force, lon, lat })
    }
}

/// Header positions of the text columns stored with each incident (`crime_type` always
/// present, the others when the header has them).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextColumns {
    pub(crate) crime_id: Option<usize>,
    pub(crate) falls_within: Option<usize>,
    pub(crate) location: Option<usize>,
    pub(crate) lsoa_code: Option<usize>,
    pub(crate) lsoa_name: Option<usize>,
    pub(crate) crime_type: usize,
    pub(crate) outcome: Option<usize>,
    pub(crate) context: Option<usize>,
}

pub(crate) fn coordinate(field: &str, text: &str, limit: f64) -> Result<f64, RowProblem> {
    if text.is_empty() {
        return Err(problem(field, "empty"));
    }
    let value: f64 = text.parse().map_err(|_| problem(field, format!("not a number: {text:?}")))?;
    if !value.is_finite() {
        return Err(problem(field, format!("not finite: {text:?}")));
    }
    if value.abs() > limit {
        return Err(problem(field, format!("{value} out of range [-{limit}, {limit}]")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";

    fn rec(line: &str) -> ByteRecord {
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(line.as_bytes());
        r.byte_records().next().unwrap().unwrap()
    }

    /// The validated fields of a line: (all fields, longitude, latitude).
    fn parse(line: &str) -> Result<(Vec<String>, f64, f64), RowProblem> {
        let record = rec(line);
        let f = Columns::from_header(&rec(HEADER)).unwrap().parse_fields(
            &record,
            &Bounds::UNITED_KINGDOM,
            YearMonth::new(2026, 11).unwrap(),
        )?;
        Ok((f.fields.iter().map(|s| (*s).to_owned()).collect(), f.lon, f.lat))
    }

    #[test]
    fn reads_a_quoted_bcp_row() {
        let row = parse(",2025-01,Dorset Police,Dorset Police,-1.866628,50.722301,On or near Lansdowne Crescent,E01015432,\"Bournemouth, Christchurch and Poole 001B\",Anti-social behaviour,,").unwrap();
        assert_eq!(row.0[8], "Bournemouth, Christchurch and Poole 001B");
        assert_eq!((row.1, row.2), (-1.866628, 50.722301));
        assert_eq!(row.0[0], "");
    }

    #[test]
    fn rejects_bad_coordinates_naming_the_field() {
        let base =
            |lon: &str, lat: &str| format!(",2025-01,Dorset Police,Dorset Police,{lon},{lat},x,,,Drugs,,");
        let cases = [
            (base("", ""), "Longitude", "no location"),
            (base("-1.9", "123"), "Latitude", "out of range"),
            (base("abc", "50.7"), "Longitude", "not a number"),
            (base("NaN", "50.7"), "Longitude", "not finite"),
            (base("-1.9", "inf"), "Latitude", "not finite"),
            (base("50.7", "-1.9"), "Longitude", "swapped"),
            (base("-1.9", ""), "Latitude", "empty"),
        ];
        for (line, field, reason) in cases {
            let p = parse(&line).unwrap_err();
            assert_eq!(p.field, field, "{line}");
            assert!(p.reason.contains(reason), "{line}: {}", p.reason);
        }
    }

    #[test]
    fn rejects_short_rows_and_bad_months() {
        assert_eq!(parse(",2025-01,Dorset Police").unwrap_err().field, "(row)");
        assert_eq!(
            parse(",2025-13,Dorset Police,Dorset Police,-1.9,50.7,x,,,Drugs,,").unwrap_err().field,
            "Month"
        );
    }

    #[test]
    fn names_the_missing_required_column() {
        let header = rec("Crime ID,Month,Reported by,Falls within,Longitude,Location,Crime type");
        assert_eq!(Columns::from_header(&header).unwrap_err(), HeaderProblem::Missing("Latitude"));
    }

    #[test]
    fn refuses_a_header_with_a_used_column_twice() {
        let header = rec("Crime ID,Month,Reported by,Longitude,Latitude,Crime type,month");
        let HeaderProblem::Repeated(r) = Columns::from_header(&header).unwrap_err() else {
            panic!("a repeated column")
        };
        assert_eq!((r.name.as_str(), r.first, r.second), ("Month", 2, 7));
        assert!(r.to_string().contains("line 1: the header has column \"Month\" twice"), "{r}");
    }

    #[test]
    fn rejects_future_months_and_names_bad_bytes() {
        let future = parse(",2026-12,Dorset Police,Dorset Police,-1.9,50.7,x,,,Drugs,,").unwrap_err();
        assert_eq!(future.field, "Month");
        assert!(future.reason.contains("2026-12 is in the future (it is now 2026-11)"), "{}", future.reason);
        assert!(parse(",2026-11,Dorset Police,Dorset Police,-1.9,50.7,x,,,Drugs,,").is_ok());
        let mut latin1 = rec(",2025-01,Dorset Police,Dorset Police,-1.9,50.7,Caf\u{e9},,,Drugs,,");
        let mut fields: Vec<Vec<u8>> = latin1.iter().map(<[u8]>::to_vec).collect();
        fields[6] = b"Caf\xe9".to_vec();
        latin1 = ByteRecord::from(fields);
        let p = Columns::from_header(&rec(HEADER))
            .unwrap()
            .parse_fields(&latin1, &Bounds::UNITED_KINGDOM, YearMonth::new(2026, 11).unwrap())
            .unwrap_err();
        assert_eq!(p.field, "Location");
        assert!(p.reason.contains("byte 0xE9 at byte 4 of the field"), "{}", p.reason);
    }

    /// "é" is C3 A9 in UTF-8: split between two fields, the record's bytes are valid UTF-8
    /// but neither field is, and the first of them is the one named.
    #[test]
    fn a_character_split_across_two_fields_names_the_first() {
        let record = rec(",2025-01,Dorset Police,Dorset Police,-1.9,50.7,x,,,Drugs,,");
        let mut fields: Vec<Vec<u8>> = record.iter().map(<[u8]>::to_vec).collect();
        fields[6] = b"Caf\xc3".to_vec();
        fields[7] = b"\xa9".to_vec();
        let split = ByteRecord::from(fields);
        assert!(std::str::from_utf8(split.as_slice()).is_ok());
        let p = Columns::from_header(&rec(HEADER))
            .unwrap()
            .parse_fields(&split, &Bounds::UNITED_KINGDOM, YearMonth::new(2026, 11).unwrap())
            .unwrap_err();
        assert_eq!(p.field, "Location");
        assert!(p.reason.contains("byte 0xC3 at byte 4 of the field"), "{}", p.reason);
    }
}
