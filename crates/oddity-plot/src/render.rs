//! Output plumbing shared by every plot kind: format selection, the embedded
//! font, in-memory backends, atomic file writes and inline SVG text.

use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{HEIGHT, INLINE_SVG, PlotError, WIDTH};

/// The embedded font (DejaVu Sans, Bitstream Vera licence).
static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// Family name the embedded font is registered under.
pub(crate) const FONT: &str = "sans-serif";

/// What every plot kind provides to the shared rendering pipeline.
pub(crate) trait Plot {
    /// Check the plot description; errors name `path`.
    fn validate(&self, path: &Path) -> Result<(), PlotError>;
    /// Draw onto an 800×600 area (only called after a successful `validate`).
    fn draw(&self, area: DrawArea<'_>) -> Result<(), String>;
}

/// Validate, render and atomically write `plot` to `path` (format by extension).
pub(crate) fn render_file<P: Plot>(plot: &P, path: &Path) -> Result<(), PlotError> {
    let format = Format::from_path(path)?;
    plot.validate(path)?;
    ensure_font(path)?;
    let bytes = render_with(format, path, |root| plot.draw(root))?;
    write_atomic(path, &bytes)
}

/// Validate and render `plot` as SVG text; errors name [`INLINE_SVG`].
pub(crate) fn render_svg_string<P: Plot>(plot: &P) -> Result<String, PlotError> {
    let path = Path::new(INLINE_SVG);
    plot.validate(path)?;
    ensure_font(path)?;
    svg_string(path, |root| plot.draw(root))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Svg,
}

impl Format {
    fn from_path(path: &Path) -> Result<Self, PlotError> {
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Self::Png),
            Some("svg") => Ok(Self::Svg),
            _ => Err(PlotError::UnsupportedFormat { path: path.to_path_buf() }),
        }
    }
}

/// Register the embedded font once per process.
fn ensure_font(path: &Path) -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok { Ok(()) } else { Err(PlotError::Font { path: path.to_path_buf() }) }
}

/// Run `draw` on an in-memory backend of the requested format and return the
/// encoded file contents.
fn render_with<F>(format: Format, path: &Path, draw: F) -> Result<Vec<u8>, PlotError>
where
    F: for<'a> FnOnce(DrawArea<'a>) -> Result<(), String>,
{
    let draw_err = |message: String| PlotError::Draw { path: path.to_path_buf(), message };
    match format {
        Format::Png => {
            let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
                draw(DrawArea::Bitmap(root)).map_err(draw_err)?;
            }
            let mut out = Vec::new();
            image::ImageEncoder::write_image(
                image::codecs::png::PngEncoder::new(&mut out),
                &pixels,
                WIDTH,
                HEIGHT,
                image::ColorType::Rgb8,
            )
            .map_err(|e| draw_err(format!("PNG encoding failed: {e}")))?;
            Ok(out)
        }
        Format::Svg => svg_string(path, draw).map(String::into_bytes),
    }
}

/// Run `draw` on an in-memory SVG backend and return the document text.
fn svg_string<F>(path: &Path, draw: F) -> Result<String, PlotError>
where
    F: for<'a> FnOnce(DrawArea<'a>) -> Result<(), String>,
{
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(DrawArea::Svg(root)).map_err(|message| PlotError::Draw { path: path.to_path_buf(), message })?;
    }
    Ok(svg)
}

/// Write `bytes` to a temporary file next to `path`, then rename it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let io_err = |source: std::io::Error| PlotError::Io { path: path.to_path_buf(), source };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".oddity-plot-").suffix(".tmp").tempfile_in(dir).map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644)).map_err(io_err)?;
    }
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// A drawing area on one of the two supported in-memory backends.
pub(crate) enum DrawArea<'a> {
    /// RGB pixel buffer (PNG output).
    Bitmap(DrawingArea<BitMapBackend<'a>, Shift>),
    /// SVG text (SVG output).
    Svg(DrawingArea<SVGBackend<'a>, Shift>),
}

/// Stringify a backend error.
pub(crate) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}
