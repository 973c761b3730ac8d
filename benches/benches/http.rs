//! Tile latency over HTTP: the real server (`hexwatch_server::router` over the twelve Dorset
//! months, BCP wards) on 127.0.0.1, one keep-alive client, gzip asked for as a browser does,
//! signed in as a partner (any period and resolution; no access log configured).
//!
//! - `uncached_selection`: a (category, period, area) the server has not seen, so the request
//!   aggregates the table and encodes the tile;
//! - `uncached_tile`: a tile not yet in the tile cache for a selection whose aggregate is
//!   warm (clip, quantise, encode, gzip);
//! - `cached`: the tiles of `uncached_tile` again, each now a tile-cache hit;
//! - `baseline/health`: `GET /api/health`, the HTTP round trip with no tile work.
//!
//! Each request checks the server's `x-hexwatch-cache` header, so an "uncached" figure can
//! never be a cache hit. The server runs on its own multi-threaded Tokio runtime.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use hexwatch_io::WardSet;
use hexwatch_server::{AppState, PartnerTokens, ServerConfig, router};

/// The benchmark's partner token.
const TOKEN: &str = "bench-partner-token-0123456789";

/// Zoom-13 tile numbers covering the BCP box (lon −2.041…−1.682, lat 50.683…50.810).
const Z13_X: std::ops::RangeInclusive<u32> = 4050..=4058;
const Z13_Y: std::ops::RangeInclusive<u32> = 2750..=2754;

/// police.uk categories (slugs) the Dorset data hold.
const CATEGORIES: [&str; 14] = [
    "anti-social-behaviour",
    "bicycle-theft",
    "burglary",
    "criminal-damage-arson",
    "drugs",
    "other-crime",
    "other-theft",
    "possession-of-weapons",
    "public-order",
    "robbery",
    "shoplifting",
    "theft-from-the-person",
    "vehicle-crime",
    "violent-crime",
];

pub(crate) fn bench(c: &mut Criterion, store: &Path) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let mut config = ServerConfig::new(store.to_path_buf(), data.join("../web"));
    config.wards = Some(
        WardSet::from_geojson_file(
            &data.join("boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson"),
            "WD20CD",
            "WD20NM",
        )
        .expect("wards"),
    );
    config.partner_tokens = PartnerTokens::new([("bench", TOKEN)]).expect("a token of 16+ characters");
    let state = AppState::load(config).expect("server state");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    runtime.spawn(async move { axum::serve(listener, router(state)).await });

    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let fetch = |url: &str, expect_cache: Option<&str>| {
        let mut response = agent
            .get(url)
            .header("Accept-Encoding", "gzip")
            .header("Authorization", &format!("Bearer {TOKEN}"))
            .call()
            .expect("request");
        assert_eq!(response.status().as_u16(), 200, "{url}");
        if let Some(expected) = expect_cache {
            let got = response.headers().get("x-hexwatch-cache").and_then(|v| v.to_str().ok());
            assert_eq!(got, Some(expected), "{url}");
        }
        response.body_mut().read_to_vec().expect("body").len()
    };
    let tiles: Vec<(u32, u32)> = Z13_X.flat_map(|x| Z13_Y.map(move |y| (x, y))).collect();
    let months: Vec<String> = (1..=12).map(|m| format!("2025-{m:02}")).collect();

    let mut group = c.benchmark_group("tile_http_z13_dorset");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));

    // Every (category, from, to, pinned resolution) once: 14 × 78 × 4 = 4,368 selections,
    // more than the run needs; the tile cycles through the 45 over the box.
    let mut next_selection = 0usize;
    let periods: Vec<(usize, usize)> = (0..12).flat_map(|a| (a..12).map(move |b| (a, b))).collect();
    group.bench_function("hexwatch/uncached_selection", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let i = next_selection;
                next_selection += 1;
                let category = CATEGORIES[i % CATEGORIES.len()];
                let (from, to) = periods[(i / CATEGORIES.len()) % periods.len()];
                let res = 7 + (i / (CATEGORIES.len() * periods.len())) % 4;
                let (x, y) = tiles[i % tiles.len()];
                let url = format!(
                    "{base}/tiles/cells/13/{x}/{y}?category={category}&from={}&to={}&res={res}",
                    months[from], months[to]
                );
                fetch(&url, Some("miss"));
            }
            start.elapsed()
        });
    });
    assert!(next_selection <= CATEGORIES.len() * periods.len() * 4, "selections ran out: raise the variety");

    // Tiles at zooms 14–16 over the same box for one selection per category; the
    // selection's aggregate is warmed before the clock starts.
    let deep: Vec<(u8, u32, u32)> = (14..=16u8)
        .flat_map(|z| {
            let k = 1u32 << (z - 13);
            Z13_X.flat_map(move |x| {
                Z13_Y.flat_map(move |y| (0..k * k).map(move |j| (z, x * k + j % k, y * k + j / k)))
            })
        })
        .collect();
    let mut next_tile = 0usize;
    for category in CATEGORIES {
        for z in 14..=16 {
            // Tile (z, 0, 0) is in the Arctic, outside the timed set: it warms the aggregate.
            fetch(&format!("{base}/tiles/cells/{z}/0/0?category={category}"), None);
        }
    }
    group.bench_function("hexwatch/uncached_tile", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let (z, x, y) = deep[next_tile % deep.len()];
                let category = CATEGORIES[(next_tile / deep.len()) % CATEGORIES.len()];
                next_tile += 1;
                fetch(&format!("{base}/tiles/cells/{z}/{x}/{y}?category={category}"), Some("miss"));
            }
            start.elapsed()
        });
    });

    // The same tiles again, now from the tile cache: like for like with `uncached_tile`.
    let fetched = next_tile;
    let mut again = 0usize;
    group.bench_function("hexwatch/cached", |b| {
        b.iter(|| {
            let i = again % fetched;
            again += 1;
            let (z, x, y) = deep[i % deep.len()];
            let category = CATEGORIES[(i / deep.len()) % CATEGORIES.len()];
            fetch(&format!("{base}/tiles/cells/{z}/{x}/{y}?category={category}"), Some("hit"))
        });
    });
    let health = format!("{base}/api/health");
    group.bench_function("baseline/health", |b| b.iter(|| fetch(&health, None)));
    group.finish();
    runtime.shutdown_timeout(Duration::from_secs(1));
}
