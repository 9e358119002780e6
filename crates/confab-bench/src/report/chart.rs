//! The PNG chart: per endpoint, throughput (top) and p99 latency (bottom) of confab beside
//! its ceiling, one pair of bars per store, on log scales (reads and 1 MB uploads differ
//! by three orders of magnitude).

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;

use super::{Measurement, Report};

/// The font every label is drawn with (plotters draws no text without one).
const FONT_FILE: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// Width of one endpoint's slot on the x axis, in axis units.
const SLOT: i32 = 100;

/// Registers DejaVu Sans as `sans-serif`, once.
fn register_font() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let bytes = std::fs::read(FONT_FILE)
                .map_err(|e| format!("reading {FONT_FILE} (Debian's fonts-dejavu-core): {e}"))?;
            // plotters keeps fonts for the whole process and wants them 'static.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                .map_err(|_| format!("{FONT_FILE} is not a font plotters can read"))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// One bar series: which store, confab or ceiling, its colour.
struct Series {
    name: String,
    color: RGBColor,
    store: usize,
    ceiling: bool,
}

fn series(report: &Report) -> Vec<Series> {
    let palette = [
        (RGBColor(31, 119, 180), RGBColor(174, 199, 232)),
        (RGBColor(214, 39, 40), RGBColor(255, 152, 150)),
    ];
    let mut out = Vec::new();
    for (i, store) in report.stores.iter().enumerate() {
        let (strong, light) = palette[i % palette.len()];
        out.push(Series {
            name: format!("confab ({})", store.store),
            color: strong,
            store: i,
            ceiling: false,
        });
        out.push(Series {
            name: format!("ceiling ({} run)", store.store),
            color: light,
            store: i,
            ceiling: true,
        });
    }
    out
}

/// The endpoint keys in order of first appearance over all stores.
fn endpoint_keys(report: &Report) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for store in &report.stores {
        for m in &store.endpoints {
            if !keys.contains(&m.key) {
                keys.push(m.key);
            }
        }
    }
    keys
}

/// Draws the chart of `report` into `path`.
pub fn draw(report: &Report, path: &Path) -> anyhow::Result<()> {
    register_font()?;
    let keys = endpoint_keys(report);
    let series = series(report);
    let root = BitMapBackend::new(path, (1400, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(500);
    panel(
        &top,
        report,
        &keys,
        &series,
        "Throughput (req/s, log scale)",
        |m| m.confab.outcome.requests_per_sec,
        |m| m.ceiling.outcome.requests_per_sec,
    )?;
    panel(
        &bottom,
        report,
        &keys,
        &series,
        "p99 latency (ms, log scale)",
        |m| m.confab.outcome.p99_ms,
        |m| m.ceiling.outcome.p99_ms,
    )?;
    root.present()?;
    Ok(())
}

/// An axis label: no decimals for large values, a few for small ones.
fn axis_number(y: f64) -> String {
    if y >= 10.0 {
        format!("{y:.0}")
    } else if y >= 1.0 {
        format!("{y:.1}")
    } else {
        format!("{y:.2}")
    }
}

/// One panel: a bar per series per endpoint of the figure `confab`/`ceiling` picks.
fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    report: &Report,
    keys: &[&'static str],
    series: &[Series],
    caption: &str,
    confab: impl Fn(&Measurement) -> f64,
    ceiling: impl Fn(&Measurement) -> f64,
) -> anyhow::Result<()> {
    // (series index, slot, value) of every bar with a positive value (log scale).
    let mut bars = Vec::new();
    for (s, ser) in series.iter().enumerate() {
        let store = &report.stores[ser.store];
        for m in store.endpoints.iter().filter(|m| m.failure.is_none()) {
            let value = if ser.ceiling { ceiling(m) } else { confab(m) };
            if let Some(slot) = keys.iter().position(|k| *k == m.key)
                && value > 0.0
            {
                bars.push((s, slot, value));
            }
        }
    }
    let low = bars.iter().map(|b| b.2).fold(f64::INFINITY, f64::min);
    let high = bars.iter().map(|b| b.2).fold(0.0, f64::max);
    let (low, high) = if bars.is_empty() {
        (0.1, 10.0)
    } else {
        // Headroom above the tallest bar keeps the legend clear of it.
        (low / 2.0, high * 10.0)
    };
    let slots = i32::try_from(keys.len().max(1))?;
    // Key points at the slot centres, so each label sits under its bars.
    let centres: Vec<i32> = (0..slots).map(|i| i * SLOT).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(80)
        .build_cartesian_2d(
            (-SLOT / 2..slots * SLOT - SLOT / 2).with_key_points(centres),
            (low..high).log_scale(),
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&|x| {
            usize::try_from(*x / SLOT)
                .ok()
                .and_then(|i| keys.get(i))
                .map_or(String::new(), |k| (*k).to_owned())
        })
        .y_label_formatter(&|y| axis_number(*y))
        .label_style(("sans-serif", 14))
        .draw()?;
    let width = (SLOT * 8 / 10) / i32::try_from(series.len().max(1))?;
    for (s, ser) in series.iter().enumerate() {
        let offset = -SLOT * 4 / 10 + width * i32::try_from(s)?;
        let color = ser.color;
        let rects = bars
            .iter()
            .filter(|b| b.0 == s)
            .filter_map(|&(_, slot, value)| {
                let x0 = i32::try_from(slot).ok()? * SLOT + offset;
                Some(Rectangle::new(
                    [(x0, low), (x0 + width - 2, value)],
                    color.filled(),
                ))
            });
        chart
            .draw_series(rects)?
            .label(ser.name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}
