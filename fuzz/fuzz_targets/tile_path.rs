//! Tile paths: `GET /tiles/{fuzzed path}` through the real router (see
//! `hexwatch_fuzz::check` for what every response must satisfy).
//!
//! The input is the path after `/tiles/`, sent with `/`, `?`, `&` and `=` as they are (so
//! segments, suffixes like `.mvt` and a query can all appear) and every other byte a URI
//! cannot carry percent-encoded.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hexwatch_fuzz::check(&format!("/tiles/{}", hexwatch_fuzz::encode(data, b"/?&=")));
});
