//! The NPS chart: an SVG made here, on the server, so the page needs no script and no
//! library from anywhere else. A line of NPS per period above, and beneath it each
//! period's responses as a bar split into detractors, passives and promoters.

use std::fmt::Write;

use crate::store::insights::NpsPoint;

const WIDTH: f64 = 720.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const LINE_TOP: f64 = 14.0;
const LINE_HEIGHT: f64 = 150.0;
const BARS_TOP: f64 = 190.0;
const BARS_HEIGHT: f64 = 60.0;
const HEIGHT: f64 = 280.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The chart of `points` (oldest first), titled `title`.
pub fn nps_svg(points: &[NpsPoint], title: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" data-testid="nps-chart" role="img" aria-labelledby="nps-title nps-desc" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(svg, r#"<title id="nps-title">{}</title>"#, escape(title));
    let described: Vec<String> =
        points.iter().map(|p| format!("{}: NPS {} from {} responses", p.start, p.score, p.count)).collect();
    let _ = write!(
        svg,
        r#"<desc id="nps-desc">{}</desc>"#,
        escape(&if described.is_empty() {
            "No feedback in this period.".into()
        } else {
            described.join("; ")
        })
    );
    // Axes: NPS −100…100, with the zero line.
    let y = |score: f64| LINE_TOP + (100.0 - score) / 200.0 * LINE_HEIGHT;
    for score in [-100.0, -50.0, 0.0, 50.0, 100.0] {
        let stroke = if score == 0.0 { "#9aa3b5" } else { "#e3e8f2" };
        let _ = write!(
            svg,
            r#"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="{stroke}"/><text x="{}" y="{:.1}" text-anchor="end">{score}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(score) + 4.0,
            y = y(score)
        );
    }
    if points.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">No feedback in this period.</text>"#,
            WIDTH / 2.0,
            LINE_TOP + LINE_HEIGHT / 2.0
        );
        svg.push_str("</svg>");
        return svg;
    }
    let step = (WIDTH - LEFT - RIGHT) / points.len() as f64;
    let x = |i: usize| LEFT + step * (i as f64 + 0.5);
    let path: Vec<String> =
        points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.score))).collect();
    let _ = write!(
        svg,
        r##"<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="{}"/>"##,
        path.join(" ")
    );
    let most = points.iter().map(|p| p.count).max().unwrap_or(1).max(1) as f64;
    let label_every = (points.len() / 8).max(1);
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#1f5fbf"><title>{}: NPS {} ({} responses)</title></circle>"##,
            x(i),
            y(p.score),
            escape(&p.start),
            p.score,
            p.count
        );
        // The period's responses, split by band, bottom up.
        let width = (step * 0.7).clamp(2.0, 36.0);
        let mut top = BARS_TOP + BARS_HEIGHT;
        for (count, colour) in [(p.detractors, "#a3261f"), (p.passives, "#8a5a00"), (p.promoters, "#1b6b3a")]
        {
            let h = count as f64 / most * BARS_HEIGHT;
            top -= h;
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{top:.1}" width="{width:.1}" height="{h:.1}" fill="{colour}"/>"#,
                x(i) - width / 2.0
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x(i),
                BARS_TOP + BARS_HEIGHT + 16.0,
                escape(p.start.get(5..).unwrap_or(&p.start))
            );
        }
    }
    let _ = write!(
        svg,
        r#"<text x="{LEFT}" y="{}">Responses: detractors, passives, promoters</text>"#,
        BARS_TOP - 8.0
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_names_each_period_and_escapes_text() {
        let p = |start: &str, score: f64| NpsPoint {
            start: start.into(),
            promoters: 2,
            passives: 1,
            detractors: 1,
            count: 4,
            score,
        };
        let svg = nps_svg(&[p("2026-11-02", 25.0), p("2026-11-09", -50.0)], "NPS <weekly>");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("2026-11-02: NPS 25 from 4 responses"), "described for screen readers");
        assert!(svg.contains("NPS &lt;weekly&gt;"), "text is escaped");
        assert!(nps_svg(&[], "t").contains("No feedback"));
    }
}
