//! `hexwatch serve`

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hexwatch_core::AreaSet;
use hexwatch_io::{BoundarySet, IngestOptions, Store, WardSet};
use hexwatch_server::{AppState, ServerConfig, router};

/// Arguments of `hexwatch serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HEXWATCH_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Directory of shipped data: police.uk files under police-uk-dorset-*/ are ingested when the
    /// store is empty; wards are read from boundaries-bcp-wards-2020/, LSOAs from
    /// bcp-lsoa-2021.geojson.
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Do not ingest the shipped data into an empty store.
    #[arg(long)]
    no_auto_ingest: bool,
    /// File holding the bearer token that `POST /api/incidents` requires (at least 16
    /// characters; the token is never logged). Without it or `HEXWATCH_WRITE_TOKEN`,
    /// writes are refused with 403.
    #[arg(long)]
    write_token_file: Option<PathBuf>,
    /// Partner tokens: a file with one partner a line, `name token` (token at least 16
    /// characters; `#` comments). A request with `Authorization: Bearer <token>` sees exact
    /// counts and incident-level routes; without a token the public disclosure rule applies.
    /// Tokens are never logged.
    #[arg(long, env = "HEXWATCH_PARTNER_TOKENS")]
    partner_tokens: Option<PathBuf>,
    /// The partner access log: one JSON line per partner request (time, partner name,
    /// method, path, status, milliseconds), appended. Default: `<store>.access.log` beside
    /// the store when partner tokens are given.
    #[arg(long)]
    access_log: Option<PathBuf>,
    /// k of the public disclosure rule: public counts from 1 to k − 1 are withheld.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(2..=100))]
    public_min_count: u32,
    /// The front end directory (run `npm ci` in it first).
    #[arg(long, default_value = "web")]
    web_dir: PathBuf,
    /// Ward boundaries (GeoJSON with WD20CD/WD20NM); default: the shipped BCP wards.
    #[arg(long)]
    wards: Option<PathBuf>,
    /// Point-in-polygon tolerance for the wards, in metres (11 m suits the shipped
    /// generalised BCP wards; see their SOURCE.md).
    #[arg(long, default_value_t = 11.0)]
    ward_tolerance_m: f64,
    /// LSOA boundaries (GeoJSON with code/name, WGS84 or EPSG:27700); default: the shipped
    /// BCP LSOA 2021 layer, bcp-lsoa-2021.geojson in the data directory.
    #[arg(long)]
    lsoas: Option<PathBuf>,
    /// Point-in-polygon tolerance for the LSOAs, in metres (only for incidents without an
    /// LSOA code: police.uk rows carry theirs).
    #[arg(long, default_value_t = hexwatch_server::DEFAULT_LSOA_TOLERANCE_M)]
    lsoa_tolerance_m: f64,
    /// Base URL used in TileJSON tile links (default: from the request's Host header).
    #[arg(long, env = "HEXWATCH_PUBLIC_URL")]
    public_base_url: Option<String>,
    /// A MapLibre style URL drawn under hexwatch's layers (default: none, so the map works
    /// offline with ward outlines for context).
    #[arg(long, env = "HEXWATCH_BASEMAP_STYLE_URL")]
    basemap_style_url: Option<String>,
    /// Largest `POST /api/incidents` body, in MiB (larger bodies get 413).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_body_mib: u32,
    /// Seconds a request may take before it is answered 503 (`POST /api/incidents`: while its
    /// body arrives).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    request_timeout_s: u32,
    /// Expensive computations (density, statistics, patrol plans, evaluation) run at once
    /// (default: the machine's cores, at least 2).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    max_expensive: Option<u32>,
    /// Expensive requests that may wait for a slot; more are answered 503 with Retry-After.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    expensive_queue: u32,
}

fn shipped_police_files(data_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(data_dir)
        .with_context(|| format!("reading data directory {}", data_dir.display()))?;
    for dir in entries.filter_map(Result::ok).map(|e| e.path()) {
        // The partnership's own force (BCP lies in Dorset); the other police.uk folders in
        // data/ are test data for other forces and formats.
        let is_police = dir.file_name().is_some_and(|n| n.to_string_lossy().starts_with("police-uk-dorset-"));
        if !is_police || !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir)?.filter_map(Result::ok).map(|e| e.path()) {
            let name = f.to_string_lossy();
            if name.ends_with(".csv") || name.ends_with(".csv.gz") {
                files.push(f);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The write token from `--write-token-file`, else `HEXWATCH_WRITE_TOKEN`.
fn write_token(file: Option<&Path>) -> anyhow::Result<Option<hexwatch_server::WriteToken>> {
    let text = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading --write-token-file {}", path.display()))?,
        ),
        None => std::env::var("HEXWATCH_WRITE_TOKEN").ok(),
    };
    text.map(|t| {
        hexwatch_server::WriteToken::new(&t)
            .context("the write token must be at least 16 characters (from --write-token-file or HEXWATCH_WRITE_TOKEN)")
    })
    .transpose()
}

pub(crate) fn run(store_path: &Path, args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !args.web_dir.join("node_modules/maplibre-gl").exists() {
        eprintln!(
            "warning: {} has no node_modules/maplibre-gl: run `npm ci --prefix {}` or the map page cannot load",
            args.web_dir.display(),
            args.web_dir.display()
        );
    }
    {
        let mut store =
            Store::open(store_path).with_context(|| format!("opening store {}", store_path.display()))?;
        if store.summary()?.incidents == 0 && !args.no_auto_ingest {
            let files = shipped_police_files(&args.data_dir)?;
            println!(
                "store {} is empty: ingesting {} files from {}",
                store_path.display(),
                files.len(),
                args.data_dir.display()
            );
            let (reports, _) =
                crate::ingest::ingest_files(&mut store, &files, &IngestOptions::default(), None);
            crate::ingest::print_totals(&reports);
        }
    }
    let wards_path = args
        .wards
        .clone()
        .unwrap_or_else(|| args.data_dir.join("boundaries-bcp-wards-2020/bcp-wards-2020-bgc.geojson"));
    let wards = if wards_path.exists() {
        Some(WardSet::from_geojson_file(&wards_path, "WD20CD", "WD20NM")?)
    } else {
        eprintln!("warning: no ward boundaries at {}: area filters are off", wards_path.display());
        None
    };
    let lsoas_path = args.lsoas.clone().unwrap_or_else(|| args.data_dir.join("bcp-lsoa-2021.geojson"));
    let lsoas = if lsoas_path.exists() {
        Some(BoundarySet::read(AreaSet::LSOA, &lsoas_path, "code", "name")?)
    } else {
        eprintln!("warning: no LSOA boundaries at {}: lsoa: area filters are off", lsoas_path.display());
        None
    };
    let mut config = ServerConfig::new(store_path.to_path_buf(), args.web_dir.clone());
    config.wards = wards;
    config.ward_tolerance_m = args.ward_tolerance_m;
    config.lsoas = lsoas;
    config.lsoa_tolerance_m = args.lsoa_tolerance_m;
    config.public_base_url = args.public_base_url.clone();
    config.basemap_style_url = args.basemap_style_url.clone();
    config.write_token = write_token(args.write_token_file.as_deref())?;
    if let Some(path) = &args.partner_tokens {
        config.partner_tokens =
            hexwatch_server::PartnerTokens::read(path).context("reading --partner-tokens")?;
        let log = args.access_log.clone().unwrap_or_else(|| {
            let mut name = store_path.as_os_str().to_owned();
            name.push(".access.log");
            PathBuf::from(name)
        });
        println!(
            "hexwatch: {} partner token(s) from {}; partner requests are logged to {}",
            config.partner_tokens.len(),
            path.display(),
            log.display()
        );
        config.access_log = Some(log);
    } else if let Some(log) = &args.access_log {
        config.access_log = Some(log.clone());
    }
    config.disclosure.min_count = args.public_min_count;
    let defaults = hexwatch_server::Limits::default();
    config.limits = hexwatch_server::Limits {
        max_body_bytes: args.max_body_mib as usize * 1024 * 1024,
        request_timeout: std::time::Duration::from_secs(u64::from(args.request_timeout_s)),
        max_expensive: args.max_expensive.map_or(defaults.max_expensive, |n| n as usize),
        expensive_queue: args.expensive_queue as usize,
    };
    let state = AppState::load(config).context("loading the store")?;
    let incidents = state.incident_count();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.bind).await.with_context(|| {
            format!("listening on {} (is another server using the port? try --bind 127.0.0.1:0)", args.bind)
        })?;
        let addr = listener.local_addr()?;
        println!("hexwatch: serving {incidents} incidents; open the map at http://{addr}/");
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
