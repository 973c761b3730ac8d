//! Density rasters as PNG pictures with a legend.

use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::mono_font::ascii::FONT_6X10;
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::text::Text;
use hexwatch_core::kde::DensityGrid;

/// Class breaks of the density legend, incidents per km² per month: fixed, so a colour
/// means the same on every map, zoom and period.
pub const DENSITY_BREAKS: [f64; 7] = [0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0];

/// Reversed matplotlib "magma", 8 classes (perceptually uniform, colour-blind safe), the
/// ramp of the map's H3 cells.
pub const DENSITY_COLOURS: [[u8; 3]; 8] = [
    [0xfc, 0xfd, 0xbf],
    [0xfe, 0xc4, 0x88],
    [0xfc, 0x89, 0x61],
    [0xe8, 0x53, 0x62],
    [0xb7, 0x37, 0x79],
    [0x82, 0x26, 0x81],
    [0x51, 0x12, 0x7c],
    [0x22, 0x11, 0x50],
];

/// The RGBA colour of a density: transparent for NoData (NaN) and for 0, else its class.
#[must_use]
pub fn density_rgba(value: f64) -> [u8; 4] {
    if value.is_nan() || value <= 0.0 {
        return [0, 0, 0, 0];
    }
    let class = DENSITY_BREAKS.iter().take_while(|b| value >= **b).count();
    let [r, g, b] = DENSITY_COLOURS[class];
    [r, g, b, 230]
}

/// An RGBA canvas that embedded-graphics draws on.
struct Canvas {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl OriginDimensions for Canvas {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Canvas {
    type Color = Rgb888;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Self::Color>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(p.x), u32::try_from(p.y))
                && x < self.width
                && y < self.height
            {
                let i = ((y * self.width + x) * 4) as usize;
                self.rgba[i..i + 4].copy_from_slice(&[c.r(), c.g(), c.b(), 255]);
            }
        }
        Ok(())
    }
}

/// Width of the legend panel, pixels.
const LEGEND_W: u32 = 230;

/// A PNG of the grid (one pixel per cell, north up) with a legend in incidents per km² per
/// month and the lines of `notes` (bandwidth, rule, period) under it.
///
/// # Errors
/// A [`png::EncodingError`] if encoding fails.
pub fn density_preview_png(grid: &DensityGrid, notes: &[String]) -> Result<Vec<u8>, png::EncodingError> {
    let (gw, gh) = (u32::try_from(grid.spec.ncols).unwrap_or(1), u32::try_from(grid.spec.nrows).unwrap_or(1));
    let height = gh.max(16 * 12 + 12 * u32::try_from(notes.len()).unwrap_or(0) + 20);
    let width = gw + LEGEND_W;
    let mut canvas = Canvas { width, height, rgba: vec![255; (width * height * 4) as usize] };
    for row in 0..grid.spec.nrows {
        for col in 0..grid.spec.ncols {
            let [r, g, b, a] = density_rgba(grid.get(row, col));
            let i = (row * width as usize + col) * 4;
            // Blend over white so NoData and zero read as background.
            let blend = |c: u8| {
                let c = u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a));
                u8::try_from(c / 255).unwrap_or(u8::MAX)
            };
            canvas.rgba[i..i + 4].copy_from_slice(&[blend(r), blend(g), blend(b), 255]);
        }
    }
    let text = MonoTextStyle::new(&FONT_6X10, Rgb888::BLACK);
    let x0 = i32::try_from(gw).unwrap_or(0) + 10;
    let _ = Text::new("Incidents per km2 per month", Point::new(x0, 14), text).draw(&mut canvas);
    let labels = ["< 0.3", "0.3 - 1", "1 - 3", "3 - 10", "10 - 30", "30 - 100", "100 - 300", ">= 300"];
    for (i, (label, [r, g, b])) in labels.iter().zip(DENSITY_COLOURS).enumerate() {
        let y = 24 + i32::try_from(i).unwrap_or(0) * 16;
        let _ = Rectangle::new(Point::new(x0, y), Size::new(14, 12))
            .into_styled(PrimitiveStyle::with_fill(Rgb888::new(r, g, b)))
            .draw(&mut canvas);
        let _ = Text::new(label, Point::new(x0 + 20, y + 9), text).draw(&mut canvas);
    }
    for (i, note) in notes.iter().enumerate() {
        let y = 24 + 8 * 16 + 12 + i32::try_from(i).unwrap_or(0) * 12;
        let _ = Text::new(note, Point::new(x0, y), text).draw(&mut canvas);
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&canvas.rgba)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_breaks() {
        assert_eq!(density_rgba(f64::NAN)[3], 0);
        assert_eq!(density_rgba(0.0)[3], 0);
        assert_eq!(density_rgba(0.1)[..3], DENSITY_COLOURS[0]);
        assert_eq!(density_rgba(0.3)[..3], DENSITY_COLOURS[1]);
        assert_eq!(density_rgba(122.0)[..3], DENSITY_COLOURS[6]);
        assert_eq!(density_rgba(5000.0)[..3], DENSITY_COLOURS[7]);
    }
}
