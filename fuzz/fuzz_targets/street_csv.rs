//! data.police.uk street CSV parsing (`hexwatch_io::parse_police_uk`) on arbitrary bytes.
//!
//! The first input byte chooses the variant: even, the rest is the whole file (header
//! included, so header problems are reached); odd, the rest follows a valid street header
//! (so the fuzzer spends its time in the rows). Checked on every input:
//! - no panic; a refused file is refused with an [`IngestError`] naming why;
//! - `read == accepted + rejected`, and the accepted rows are exactly the incidents listed;
//! - every rejection names a field and a reason, at a line of the file (after the header),
//!   in line order;
//! - every incident lies inside the extent, with its cell at the finest resolution;
//! - the chunked parse (a small input split into 2–12 chunks at record boundaries, as a
//!   large file is split between Rayon workers) reads exactly what the one-chunk parse reads.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use hexwatch_core::{Bounds, FINEST_RESOLUTION};
use hexwatch_io::{BngProjector, IngestError, ParsedStreet, parse_police_uk, parse_police_uk_in_chunks};
use libfuzzer_sys::fuzz_target;

/// The header of a data.police.uk street file.
const HEADER: &[u8] = b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n";

static PROJECTOR: LazyLock<BngProjector> = LazyLock::new(BngProjector::new);

/// What a parse read, comparable between parses: rows as (crime type, location, LSOA code,
/// month, longitude bits, latitude bits).
type Rows = Vec<(String, Option<String>, Option<String>, String, u64, u64)>;

fn rows(parsed: &ParsedStreet) -> Rows {
    parsed
        .incidents()
        .map(|i| {
            (
                i.crime_type.to_owned(),
                i.location.map(str::to_owned),
                i.lsoa_code.map(str::to_owned),
                i.month.to_string(),
                i.lon.to_bits(),
                i.lat.to_bits(),
            )
        })
        .collect()
}

fn check(text: &[u8], parts: usize) {
    let path = Path::new("fuzz.csv");
    let extent = Bounds::UNITED_KINGDOM;
    let parsed = match parse_police_uk(text, path, &extent, &PROJECTOR) {
        Ok(parsed) => parsed,
        Err(e) => {
            assert!(
                matches!(
                    e,
                    IngestError::Empty { .. }
                        | IngestError::MissingColumn { .. }
                        | IngestError::RepeatedColumn { .. }
                ),
                "unexpected refusal: {e}"
            );
            assert!(e.to_string().starts_with("fuzz.csv: "), "the refusal names the file: {e}");
            return;
        }
    };
    let accepted = parsed.accepted();
    assert_eq!(parsed.read(), (accepted + parsed.rejected()) as u64, "read = accepted + rejected");
    let listed = rows(&parsed);
    assert_eq!(listed.len(), accepted, "one incident per accepted row");
    for i in parsed.incidents() {
        assert!(
            (extent.west..=extent.east).contains(&i.lon) && (extent.south..=extent.north).contains(&i.lat),
            "accepted incident outside the extent: {}, {}",
            i.lon,
            i.lat
        );
        assert_eq!(i.cell.resolution(), FINEST_RESOLUTION);
        assert!(!i.crime_type.is_empty(), "accepted incident without a crime type");
    }
    // Lines as an editor counts them: LF, CRLF and a lone CR each end one.
    let line_ends = text
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' || (b == b'\n' && (i == 0 || text[i - 1] != b'\r')))
        .count();
    let last_line = 1 + line_ends as u64;
    let mut previous = 0;
    for r in parsed.rejections() {
        assert!(!r.field.is_empty() && !r.reason.is_empty(), "rejection without field or reason: {r}");
        assert!((2..=last_line).contains(&r.line), "rejection at line {} of {last_line}: {r}", r.line);
        assert!(r.line >= previous, "rejections out of line order");
        previous = r.line;
    }
    let chunked = parse_police_uk_in_chunks(text, path, &extent, &PROJECTOR, parts)
        .expect("the header was accepted by the one-chunk parse");
    assert_eq!(chunked.read(), parsed.read(), "{parts} chunks: rows read");
    assert_eq!(chunked.rejections(), parsed.rejections(), "{parts} chunks: rejections");
    assert_eq!(rows(&chunked), listed, "{parts} chunks: incidents");
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let parts = 2 + rest.len() % 11;
    if mode % 2 == 0 {
        check(rest, parts);
    } else {
        let mut text = HEADER.to_vec();
        text.extend_from_slice(rest);
        check(&text, parts);
    }
});
