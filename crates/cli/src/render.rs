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
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
