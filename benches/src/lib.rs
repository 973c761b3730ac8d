//! Shared set-up of the benchmarks in `benches/`.

use std::path::PathBuf;

/// Where the benchmarks write the Python peers' input: `$HEXWATCH_PEERS_DIR`, else
/// `$CARGO_TARGET_DIR/peers`, else `target/peers` at the workspace root.
#[must_use]
pub fn peers_dir() -> PathBuf {
    std::env::var_os("HEXWATCH_PEERS_DIR").map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from)
                .join("peers")
        },
        PathBuf::from,
    )
}
