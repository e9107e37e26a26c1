//! Accessible inline SVG charts. Each chart has a title and a description for screen
//! readers (`role="img"`, `aria-labelledby`); the page always puts the same numbers in a
//! table beside it, so the chart never carries information alone.
//!
//! Coordinates are computed with `Decimal` and written with one decimal.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::allocation::number_text;

const WIDTH: i64 = 640;
const HEIGHT: i64 = 320;
const LEFT: i64 = 64;
const RIGHT: i64 = 16;
const TOP: i64 = 40;
const BOTTOM: i64 = 48;

/// Colours that keep 3:1 contrast against white and differ in lightness, and dash
/// patterns, so series differ without relying on colour alone (WCAG 1.4.1).
const STYLES: [(&str, &str); 4] = [
    ("#1e4e8c", ""),
    ("#b3440e", "6 4"),
    ("#2f6b2f", "2 3"),
    ("#6b3a8c", "10 3 2 3"),
];

pub struct Series {
    pub name: String,
    pub points: Vec<(i32, Option<Decimal>)>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn coordinate(value: Decimal) -> String {
    value
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
        .to_string()
}

/// A scale from data values to pixels.
struct Scale {
    min: Decimal,
    max: Decimal,
    from: Decimal,
    to: Decimal,
}

impl Scale {
    fn new(min: Decimal, max: Decimal, from: i64, to: i64) -> Scale {
        let (min, max) = if min == max {
            (min - Decimal::ONE, max + Decimal::ONE)
        } else {
            (min, max)
        };
        Scale {
            min,
            max,
            from: Decimal::from(from),
            to: Decimal::from(to),
        }
    }

    fn at(&self, value: Decimal) -> Decimal {
        self.from + (value - self.min) * (self.to - self.from) / (self.max - self.min)
    }

    /// About five round tick values covering the range.
    fn ticks(&self) -> Vec<Decimal> {
        let span = self.max - self.min;
        let mut step = Decimal::new(1, 2);
        for candidate in [
            1i64, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000,
            50_000, 100_000,
        ] {
            step = Decimal::from(candidate);
            if span / step <= Decimal::from(6) {
                break;
            }
        }
        if span / step < Decimal::TWO && step > Decimal::ONE {
            step /= Decimal::TWO;
        }
        let mut tick = (self.min / step).floor() * step;
        let mut ticks = Vec::new();
        while tick <= self.max {
            if tick >= self.min {
                ticks.push(tick);
            }
            tick += step;
        }
        ticks
    }
}

fn frame(id: &str, title: &str, description: &str, body: &str) -> String {
    format!(
        "<svg class=\"app-chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>{body}</svg>",
        escape(title),
        escape(description)
    )
}

fn axes(
    x: &Scale,
    y: &Scale,
    x_ticks: &[(Decimal, String)],
    y_label: &str,
    x_label: &str,
) -> String {
    let mut out = String::new();
    let bottom = HEIGHT - BOTTOM;
    for tick in y.ticks() {
        let py = coordinate(y.at(tick));
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{py}\" y2=\"{py}\" stroke=\"#d0d4da\"/>\
             <text x=\"{}\" y=\"{py}\" dy=\"4\" text-anchor=\"end\" font-size=\"12\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6,
            escape(&number_text(tick))
        ));
    }
    for (tick, label) in x_ticks {
        let px = coordinate(x.at(*tick));
        out.push_str(&format!(
            "<line x1=\"{px}\" x2=\"{px}\" y1=\"{bottom}\" y2=\"{}\" stroke=\"#555\"/>\
             <text x=\"{px}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
            bottom + 4,
            bottom + 18,
            escape(label)
        ));
    }
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{bottom}\" y2=\"{bottom}\" stroke=\"#555\"/>\
         <line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{bottom}\" stroke=\"#555\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\
         <text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
        WIDTH - RIGHT,
        (LEFT + WIDTH - RIGHT) / 2,
        HEIGHT - 8,
        escape(x_label),
        (TOP + bottom) / 2,
        escape(y_label)
    ));
    out
}

/// `(lo, hi)` widened by a twentieth of the span, so no point sits on the frame.
fn padded((lo, hi): (Decimal, Decimal)) -> (Decimal, Decimal) {
    let pad = (hi - lo) / Decimal::from(20);
    (lo - pad, hi + pad)
}

fn bounds(values: impl Iterator<Item = Decimal>) -> Option<(Decimal, Decimal)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// Lines over years; gaps where a value is missing. `None` when there is nothing to draw.
pub fn line_chart(
    id: &str,
    title: &str,
    description: &str,
    y_label: &str,
    series: &[Series],
) -> Option<String> {
    let values = series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|(_, v)| *v));
    let (lo, hi) = bounds(values)?;
    let years: Vec<i32> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(y, _)| *y))
        .collect();
    let first = *years.iter().min()?;
    let last = *years.iter().max()?;
    let x = Scale::new(
        Decimal::from(first),
        Decimal::from(last),
        LEFT + 12,
        WIDTH - RIGHT - 12,
    );
    let (_, top) = padded((lo.min(Decimal::ZERO), hi));
    let y = Scale::new(lo.min(Decimal::ZERO), top, HEIGHT - BOTTOM, TOP);
    let x_ticks: Vec<(Decimal, String)> = (first..=last)
        .map(|year| (Decimal::from(year), year.to_string()))
        .collect();
    let mut body = axes(&x, &y, &x_ticks, y_label, "År");
    for (index, s) in series.iter().enumerate() {
        let (colour, dash) = STYLES[index % STYLES.len()];
        let dash = if dash.is_empty() {
            String::new()
        } else {
            format!(" stroke-dasharray=\"{dash}\"")
        };
        // A gap starts a new segment, so a missing year is never drawn as a value.
        let mut path = String::new();
        let mut pen_down = false;
        for (year, value) in &s.points {
            match value {
                Some(v) => {
                    let command = if pen_down { 'L' } else { 'M' };
                    path.push_str(&format!(
                        "{command}{} {} ",
                        coordinate(x.at(Decimal::from(*year))),
                        coordinate(y.at(*v))
                    ));
                    body.push_str(&format!(
                        "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{colour}\"><title>{}: {} {}</title></circle>",
                        coordinate(x.at(Decimal::from(*year))),
                        coordinate(y.at(*v)),
                        escape(&s.name),
                        year,
                        escape(&number_text(*v))
                    ));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        body.push_str(&format!(
            "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>",
            path.trim_end()
        ));
        // Legend above the plot, side by side, so it never covers a line.
        let lx = LEFT + 220 * i64::try_from(index).unwrap_or(0);
        body.push_str(&format!(
            "<line x1=\"{lx}\" x2=\"{}\" y1=\"14\" y2=\"14\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\
             <text x=\"{}\" y=\"14\" dy=\"4\" font-size=\"12\">{}</text>",
            lx + 24,
            lx + 30,
            escape(&s.name)
        ));
    }
    Some(frame(id, title, description, &body))
}

pub struct Point {
    pub label: String,
    pub x: Decimal,
    pub y: Decimal,
}

/// Points with a zero line for y; `None` when there are no points.
pub fn scatter_chart(
    id: &str,
    title: &str,
    description: &str,
    x_label: &str,
    y_label: &str,
    points: &[Point],
) -> Option<String> {
    let (x_lo, x_hi) = bounds(points.iter().map(|p| p.x))?;
    let (y_lo, y_hi) = bounds(points.iter().map(|p| p.y))?;
    let x = Scale::new(x_lo.min(Decimal::ZERO), x_hi, LEFT + 12, WIDTH - RIGHT - 12);
    let y = Scale::new(
        y_lo.min(Decimal::ZERO),
        y_hi.max(Decimal::ZERO),
        HEIGHT - BOTTOM,
        TOP,
    );
    let x_ticks: Vec<(Decimal, String)> =
        x.ticks().into_iter().map(|t| (t, number_text(t))).collect();
    let mut body = axes(&x, &y, &x_ticks, y_label, x_label);
    let zero = coordinate(y.at(Decimal::ZERO));
    body.push_str(&format!(
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{zero}\" y2=\"{zero}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>",
        WIDTH - RIGHT
    ));
    for p in points {
        body.push_str(&format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.8\"><title>{}: {} kr, {} prosentpoeng</title></circle>",
            coordinate(x.at(p.x)),
            coordinate(y.at(p.y)),
            STYLES[0].0,
            escape(&p.label),
            escape(&number_text(p.x)),
            escape(&number_text(p.y))
        ));
    }
    Some(frame(id, title, description, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_line_chart_is_labelled_and_leaves_gaps() {
        let svg = line_chart(
            "c",
            "Andel med koordinator",
            "Ørland mot landet",
            "Prosent",
            &[Series {
                name: "Ørland <5057>".into(),
                points: vec![(2018, Some(d("10.5"))), (2019, None), (2020, Some(d("12")))],
            }],
        )
        .unwrap();
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"c-title\">"));
        assert!(svg.contains("Ørland &lt;5057&gt;"));
        // Two separate segments: two moves, no line across the gap.
        let path = svg.split("<path d=\"").nth(1).unwrap();
        assert_eq!(path.split('"').next().unwrap().matches('M').count(), 2);
        assert!(line_chart("e", "t", "d", "y", &[]).is_none());
    }

    #[test]
    fn a_scatter_chart_has_one_circle_per_point() {
        let points = [
            Point {
                label: "A".into(),
                x: d("1500"),
                y: d("2.5"),
            },
            Point {
                label: "B".into(),
                x: d("0"),
                y: d("-1.2"),
            },
        ];
        let svg = scatter_chart("s", "t", "d", "kr", "pp", &points).unwrap();
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("A: 1\u{a0}500 kr, 2,5 prosentpoeng"));
    }
}
