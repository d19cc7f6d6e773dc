//! Line charts drawn as inline SVG on the server: no script, no external
//! library, readable by screen readers through their title and the legend
//! with the latest figures under each chart.

use maud::{Markup, html};
use upsignon_domain::stats::StrengthCounts;

use super::format;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// The series drawn from strength counts: label, colour, value.
type Series = (&'static str, &'static str, fn(&StrengthCounts) -> i64);

const SERIES: &[Series] = &[
    ("strong", "#1a7f37", |c| c.strong),
    ("medium", "#9a6700", |c| c.medium),
    ("weak", "#cf222e", |c| c.weak),
    ("duplicated", "#8250df", |c| c.duplicated),
];

/// A chart of strength counts over days, with its legend.
pub fn strength_chart(title: &str, days: &[(i64, StrengthCounts)]) -> Markup {
    let max = days
        .iter()
        .flat_map(|(_, c)| SERIES.iter().map(move |(_, _, get)| get(c)))
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |i: usize| LEFT + (WIDTH - LEFT - 8.0) * i as f64 / (days.len().max(2) - 1) as f64;
    let y = |v: i64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v as f64 / max as f64);
    let latest = days.last().map(|(_, c)| *c).unwrap_or_default();
    let summary = format!(
        "{title}: latest strong {}, medium {}, weak {}, duplicated {}",
        latest.strong, latest.medium, latest.weak, latest.duplicated
    );
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(summary)
                data-latest-weak=(latest.weak) data-latest-strong=(latest.strong) {
                title { (summary) }
                line x1=(LEFT) y1=(y(0)) x2=(WIDTH - 8.0) y2=(y(0)) stroke="#8c959f" {}
                line x1=(LEFT) y1=(TOP) x2=(LEFT) y2=(y(0)) stroke="#8c959f" {}
                text x=(LEFT - 6.0) y=(TOP + 8.0) text-anchor="end" font-size="11" { (max) }
                text x=(LEFT - 6.0) y=(y(0)) text-anchor="end" font-size="11" { "0" }
                @if let (Some((first, _)), Some((last, _))) = (days.first(), days.last()) {
                    text x=(LEFT) y=(HEIGHT - 6.0) font-size="11" { (format::date(*first)) }
                    text x=(WIDTH - 8.0) y=(HEIGHT - 6.0) text-anchor="end" font-size="11" { (format::date(*last)) }
                }
                @for (label, colour, get) in SERIES {
                    polyline fill="none" stroke=(colour) stroke-width="2" data-series=(label)
                        points=(points(days, *get, &x, &y)) {}
                }
            }
            figcaption {
                @for (label, colour, get) in SERIES {
                    span.legend {
                        svg.swatch viewBox="0 0 10 10" aria-hidden="true" { rect width="10" height="10" fill=(colour) {} }
                        (label) " " strong { (get(&latest)) }
                    }
                }
            }
        }
    }
}

fn points(
    days: &[(i64, StrengthCounts)],
    get: fn(&StrengthCounts) -> i64,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(i64) -> f64,
) -> String {
    days.iter()
        .enumerate()
        .map(|(i, (_, c))| format!("{:.1},{:.1}", x(i), y(get(c))))
        .collect::<Vec<_>>()
        .join(" ")
}
