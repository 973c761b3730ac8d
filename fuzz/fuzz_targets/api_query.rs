//! Query parameters of the API and tile routes: `GET {route}?{fuzzed query}` through the
//! real router (see `hexwatch_fuzz::check` for what every response must satisfy).
//!
//! The first input byte chooses the route; the rest is the query, sent with `&`, `=`
//! and `+` as they are and every other byte a URI cannot carry percent-encoded, so names
//! and values may decode to any bytes (invalid UTF-8 included).

#![no_main]

use libfuzzer_sys::fuzz_target;

/// Every GET route that takes a query (`/api/events`, a stream that never ends, aside).
const ROUTES: [&str; 24] = [
    "/api/summary",
    "/api/hotspots",
    "/api/meta",
    "/api/health",
    "/api/wards",
    "/api/lsoas",
    "/api/areas/wards",
    "/api/cells/891959710bbffff",
    "/api/cells/8719597ffffffff",
    "/api/wards/E05012653",
    "/api/lsoas/E01034271",
    "/api/alerts",
    "/api/patrol-plan",
    "/api/evaluation",
    "/catalog",
    "/tiles/cells",
    "/tiles/cells/13/4053/2752",
    "/tiles/cells/10/506/344",
    "/tiles/density",
    "/tiles/density/12/2026/1376",
    "/tiles/density-contours/12/2026/1376",
    "/tiles/boundaries/11/1013/688",
    "/tiles/clusters",
    "/tiles/clusters/13/4053/2752",
];

fuzz_target!(|data: &[u8]| {
    let Some((&route, query)) = data.split_first() else { return };
    let route = ROUTES[usize::from(route) % ROUTES.len()];
    hexwatch_fuzz::check(&format!("{route}?{}", hexwatch_fuzz::encode(query, b"&=+")));
});
