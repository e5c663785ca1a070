//! Renders command output as a table, Markdown or JSON.
//!
//! Commands build a JSON value (the stable contract for scripts) and a list of
//! [`Section`]s (what people read); `--format` picks which is printed.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::args::Format;

/// A titled table.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl Section {
    /// A section with the given title and headers.
    pub fn new(title: &str, headers: &[&str]) -> Self {
        Self {
            title: title.to_owned(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        self.rows.push(cells.into_iter().collect());
    }
}

/// Renders `json` or `sections` to a string, as `format` says.
pub fn render(format: Format, json: &serde_json::Value, sections: &[Section]) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(json).unwrap_or_default() + "\n",
        Format::Table => sections.iter().map(table).collect::<Vec<_>>().join("\n"),
        Format::Markdown => sections.iter().map(markdown).collect::<Vec<_>>().join("\n"),
        Format::Html => html(sections),
        Format::Csv => sections.iter().map(csv).collect::<Vec<_>>().join("\n"),
    }
}

/// A section as CSV: its headers, then its rows.
/// A money cell: two decimals, and never `-0.00` (a difference that
/// rounds to nothing prints as `0.00`).
pub fn money(v: f64) -> String {
    let v = if v.abs() < 0.005 { 0.0 } else { v };
    format!("{v:.2}")
}

fn csv(s: &Section) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&s.headers);
    for row in &s.rows {
        let _ = w.write_record(row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Sections as one standalone HTML page of tables.
fn html(sections: &[Section]) -> String {
    use orgpool_assess::render::escape_html as e;
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>orgpool</title>\n<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}th{background:#f3f3f3}</style>\n</head>\n<body>\n",
    );
    for s in sections {
        out += &format!("<h2>{}</h2>\n<table>\n<tr>", e(&s.title));
        for h in &s.headers {
            out += &format!("<th>{}</th>", e(h));
        }
        out += "</tr>\n";
        for row in &s.rows {
            out += "<tr>";
            for c in row {
                out += &format!("<td>{}</td>", e(c));
            }
            out += "</tr>\n";
        }
        out += "</table>\n";
    }
    out + "</body>\n</html>\n"
}

fn table(section: &Section) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_header(&section.headers);
    for row in &section.rows {
        t.add_row(row);
    }
    format!("{}\n{t}\n", section.title)
}

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace('\n', " ")
}

fn markdown(section: &Section) -> String {
    let mut out = format!("### {}\n\n", section.title);
    out += &format!(
        "| {} |\n",
        section
            .headers
            .iter()
            .map(|h| escape(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    out += &format!("|{}\n", " --- |".repeat(section.headers.len()));
    for row in &section.rows {
        out += &format!(
            "| {} |\n",
            row.iter()
                .map(|c| escape(c))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    out
}

/// The savings-versus-commitment curve as a standalone SVG line chart, with the
/// chosen commitment marked.
pub fn svg_curve(points: &[orgpool_savings::estimate::CurvePoint], chosen: f64) -> String {
    let (w, h, pad) = (720.0, 420.0, 60.0);
    let max_x = points
        .iter()
        .map(|p| p.hourly_commitment)
        .fold(0.0, f64::max)
        .max(1e-9);
    let max_y = points
        .iter()
        .map(|p| p.savings)
        .fold(0.0, f64::max)
        .max(1e-9);
    let min_y = points.iter().map(|p| p.savings).fold(0.0, f64::min);
    let sx = |x: f64| pad + (w - 2.0 * pad) * x / max_x;
    let sy = |y: f64| h - pad - (h - 2.0 * pad) * (y - min_y) / (max_y - min_y).max(1e-9);
    let line: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", sx(p.hourly_commitment), sy(p.savings)))
        .collect();
    let best = points.iter().min_by(|a, b| {
        (a.hourly_commitment - chosen)
            .abs()
            .total_cmp(&(b.hourly_commitment - chosen).abs())
    });
    let marker = best.map_or(String::new(), |p| {
        format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#d62728\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">recommended: ${:.2}/h</text>",
            sx(p.hourly_commitment),
            sy(p.savings),
            sx(p.hourly_commitment) + 8.0,
            sy(p.savings) - 8.0,
            p.hourly_commitment
        )
    });
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\">\n\
         <title>Savings versus hourly commitment</title>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <line x1=\"{pad}\" y1=\"{y0:.1}\" x2=\"{x1}\" y2=\"{y0:.1}\" stroke=\"#888\"/>\n\
         <line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{yb}\" stroke=\"#888\"/>\n\
         <polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{points}\"/>\n\
         {marker}\n\
         <text x=\"{cx}\" y=\"{tb}\" font-size=\"13\" text-anchor=\"middle\">hourly commitment ($/h, max {max_x:.2})</text>\n\
         <text x=\"16\" y=\"{cy}\" font-size=\"13\" transform=\"rotate(-90 16 {cy})\" text-anchor=\"middle\">net savings over the window ($, max {max_y:.2})</text>\n\
         </svg>\n",
        y0 = sy(0.0_f64.max(min_y)),
        x1 = w - pad,
        yb = h - pad,
        points = line.join(" "),
        cx = w / 2.0,
        tb = h - 20.0,
        cy = h / 2.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_rounds_to_cents_without_negative_zero() {
        assert_eq!(money(-0.004), "0.00");
        assert_eq!(money(0.004), "0.00");
        assert_eq!(money(-0.005), "-0.01");
        assert_eq!(money(1234.567), "1234.57");
        assert_eq!(money(-2.0), "-2.00");
    }

    #[test]
    fn markdown_escapes_pipes_and_json_is_the_value() {
        let mut s = Section::new("T", &["a", "b"]);
        s.row(["x|y".to_owned(), "2".to_owned()]);
        let md = render(Format::Markdown, &serde_json::Value::Null, &[s.clone()]);
        assert_eq!(md, "### T\n\n| a | b |\n| --- | --- |\n| x\\|y | 2 |\n");
        let json = render(Format::Json, &serde_json::json!({"k": 1}), &[s.clone()]);
        assert_eq!(json, "{\n  \"k\": 1\n}\n");
        assert!(render(Format::Table, &serde_json::Value::Null, &[s]).contains("x|y"));
    }
}
