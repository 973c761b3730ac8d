//! GeoTIFF of a density grid on the British National Grid.

use std::path::{Path, PathBuf};

use hexwatch_core::kde::DensityGrid;
use tiff::encoder::{TiffEncoder, colortype::Gray32Float};
use tiff::tags::Tag;

/// Why a raster could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RasterError {
    /// The file could not be created or written.
    #[error("writing {}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The TIFF encoder failed.
    #[error("writing {}: {cause}", path.display())]
    Tiff {
        /// The file.
        path: PathBuf,
        /// What the encoder said.
        cause: tiff::TiffError,
    },
}

/// GeoTIFF tag numbers (GeoTIFF 1.1, OGC 19-008r4) and GDAL's no-data tag.
const MODEL_PIXEL_SCALE: u16 = 33_550;
const MODEL_TIEPOINT: u16 = 33_922;
const GEO_KEY_DIRECTORY: u16 = 34_735;
const GDAL_NODATA: u16 = 42_113;

/// Writes `grid` as a single-band 32-bit float GeoTIFF in EPSG:27700: pixel (0, 0) is the
/// north-west cell, pixel size `cell_size_m`, NoData NaN (GDAL_NODATA "nan"), values in
/// incidents per km² per month; `description` (bandwidth, rule, kernel, filters) goes in the
/// ImageDescription tag.
///
/// # Errors
/// [`RasterError`] naming the file.
pub fn write_density_geotiff(path: &Path, grid: &DensityGrid, description: &str) -> Result<(), RasterError> {
    let io = |cause| RasterError::Io { path: path.to_path_buf(), cause };
    let tiff = |cause| RasterError::Tiff { path: path.to_path_buf(), cause };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut encoder = TiffEncoder::new(std::io::BufWriter::new(file)).map_err(tiff)?;
    let (w, h) = (
        u32::try_from(grid.spec.ncols).unwrap_or(u32::MAX),
        u32::try_from(grid.spec.nrows).unwrap_or(u32::MAX),
    );
    let mut image = encoder.new_image::<Gray32Float>(w, h).map_err(tiff)?;
    let s = grid.spec.cell_size_m;
    let dir = image.encoder();
    dir.write_tag(Tag::Unknown(MODEL_PIXEL_SCALE), &[s, s, 0.0][..]).map_err(tiff)?;
    dir.write_tag(
        Tag::Unknown(MODEL_TIEPOINT),
        &[0.0, 0.0, 0.0, grid.spec.xmin_m, grid.spec.ymax_m, 0.0][..],
    )
    .map_err(tiff)?;
    // Version 1.1.0, 3 keys: model type projected, raster type pixel-is-area,
    // projected CRS EPSG:27700 (OSGB 1936 / British National Grid).
    let keys: [u16; 16] = [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 27_700];
    dir.write_tag(Tag::Unknown(GEO_KEY_DIRECTORY), &keys[..]).map_err(tiff)?;
    dir.write_tag(Tag::Unknown(GDAL_NODATA), "nan").map_err(tiff)?;
    dir.write_tag(Tag::ImageDescription, description).map_err(tiff)?;
    #[expect(clippy::cast_possible_truncation, reason = "f32 is the raster's storage type")]
    let data: Vec<f32> = grid.values.iter().map(|v| *v as f32).collect();
    image.write_data(&data).map_err(tiff)
}
