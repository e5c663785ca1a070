//! Discount tables: what fraction of the public on-demand rate a commitment saves.
//!
//! The format is a CSV with the header `plan,term,payment,region,family,discount`:
//! - `plan` is one of `compute_sp`, `ec2_instance_sp`, `sagemaker_sp`, `rds_ri`;
//! - `term` is `1y` or `3y`; `payment` is `no_upfront`, `partial_upfront` or
//!   `all_upfront`; `region` is an AWS region code; `family` an instance family
//!   (`m5`), or `lambda`, `fargate`;
//! - any field but `discount` may be `*`, which matches every value;
//! - `discount` is a fraction of the public on-demand rate, in `[0, 1)`;
//! - lines starting with `#` are comments.
//!
//! When several rows match, the most specific wins: a fixed `family` outweighs a
//! fixed `region`, which outweighs `payment`, then `term`, then `plan`. Between two
//! rows with the same pattern, the later one wins, so a file can override itself.
//!
//! The embedded default table (`data/default-rates.csv`) documents its sources in
//! its header comments.

use std::path::Path;

use orgpool_model::{Payment, PlanKind, Term};

/// Where a rate table came from; reports name it beside each figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateSource {
    /// A `--rates` file, by path.
    File(String),
    /// Rates observed on covered lines of the billing data.
    Observed,
    /// The table embedded in orgpool.
    EmbeddedDefault,
}

impl std::fmt::Display for RateSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RateSource::File(path) => write!(f, "file {path}"),
            RateSource::Observed => f.write_str("observed in billing data"),
            RateSource::EmbeddedDefault => f.write_str("embedded default table"),
        }
    }
}

/// A rate table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RateError {
    /// The file could not be opened or read.
    #[error("cannot read rates file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The header is not the documented one.
    #[error("{path}: header must be plan,term,payment,region,family,discount, found {found}")]
    Header {
        /// The file.
        path: String,
        /// The header found.
        found: String,
    },
    /// A row is malformed.
    #[error("{path}:{line}: column {column}: {message}")]
    Row {
        /// The file.
        path: String,
        /// 1-based line number.
        line: u64,
        /// The column at fault.
        column: &'static str,
        /// What was wrong.
        message: String,
    },
}

const HEADER: [&str; 6] = ["plan", "term", "payment", "region", "family", "discount"];
const EMBEDDED: &str = include_str!("../data/default-rates.csv");

#[derive(Debug, Clone)]
struct Row {
    plan: Option<PlanKind>,
    term: Option<Term>,
    payment: Option<Payment>,
    region: Option<String>,
    family: Option<String>,
    discount: f64,
}

impl Row {
    fn specificity(&self) -> u8 {
        (u8::from(self.family.is_some()) << 4)
            | (u8::from(self.region.is_some()) << 3)
            | (u8::from(self.payment.is_some()) << 2)
            | (u8::from(self.term.is_some()) << 1)
            | u8::from(self.plan.is_some())
    }

    fn matches(&self, key: &RateKey<'_>) -> bool {
        self.plan.is_none_or(|p| p == key.plan)
            && self.term.is_none_or(|t| t == key.term)
            && self.payment.is_none_or(|p| p == key.payment)
            && self.region.as_deref().is_none_or(|r| r == key.region)
            && self.family.as_deref().is_none_or(|f| f == key.family)
    }
}

/// One row given in code rather than read from CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct RateRow {
    /// Plan kind.
    pub plan: PlanKind,
    /// Term.
    pub term: Term,
    /// Payment.
    pub payment: Payment,
    /// Region, or any.
    pub region: Option<String>,
    /// Family, or any.
    pub family: Option<String>,
    /// Discount.
    pub discount: f64,
}

/// What a discount is looked up by.
#[derive(Debug, Clone, Copy)]
pub struct RateKey<'a> {
    /// The plan kind.
    pub plan: PlanKind,
    /// The term.
    pub term: Term,
    /// The payment option.
    pub payment: Payment,
    /// The usage's region.
    pub region: &'a str,
    /// The usage's instance family, or `lambda`, `fargate`.
    pub family: &'a str,
}

/// A parsed discount table.
#[derive(Debug, Clone)]
pub struct RateTable {
    rows: Vec<Row>,
    source: RateSource,
}

impl RateTable {
    /// The table embedded in orgpool.
    pub fn embedded_default() -> Self {
        Self::parse(
            EMBEDDED.as_bytes(),
            "embedded default-rates.csv",
            RateSource::EmbeddedDefault,
        )
        .expect("the embedded rate table is valid; a unit test checks it")
    }

    /// Reads a `--rates` file.
    pub fn from_path(path: &Path) -> Result<Self, RateError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| RateError::Io {
            path: name.clone(),
            source,
        })?;
        Self::parse(&bytes, &name, RateSource::File(name.clone()))
    }

    /// Parses a table from CSV bytes; `name` is used in errors.
    pub fn parse(bytes: &[u8], name: &str, source: RateSource) -> Result<Self, RateError> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| header_error(name, &e.to_string()))?;
        if header.iter().collect::<Vec<_>>() != HEADER {
            return Err(header_error(
                name,
                &header.iter().collect::<Vec<_>>().join(","),
            ));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| RateError::Row {
                path: name.to_owned(),
                line: e.position().map_or(0, |p| p.line()),
                column: "plan",
                message: e.to_string(),
            })?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push(parse_row(&record, name, line)?);
        }
        Ok(Self { rows, source })
    }

    /// A table of exact rows (no wildcards but where a field is `None`).
    pub fn from_rows(rows: impl IntoIterator<Item = RateRow>, source: RateSource) -> Self {
        let rows = rows
            .into_iter()
            .filter(|r| (0.0..1.0).contains(&r.discount))
            .map(|r| Row {
                plan: Some(r.plan),
                term: Some(r.term),
                payment: Some(r.payment),
                region: r.region,
                family: r.family,
                discount: r.discount,
            })
            .collect();
        Self { rows, source }
    }

    /// Where this table came from.
    pub fn source(&self) -> &RateSource {
        &self.source
    }

    /// The discount for a key, from the most specific matching row.
    pub fn discount(&self, key: &RateKey<'_>) -> Option<f64> {
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, row)| row.matches(key))
            .max_by_key(|(index, row)| (row.specificity(), *index))
            .map(|(_, row)| row.discount)
    }
}

fn header_error(name: &str, found: &str) -> RateError {
    RateError::Header {
        path: name.to_owned(),
        found: found.to_owned(),
    }
}

fn parse_row(record: &csv::StringRecord, name: &str, line: u64) -> Result<Row, RateError> {
    let err = |column: &'static str, message: String| RateError::Row {
        path: name.to_owned(),
        line,
        column,
        message,
    };
    let field = |i: usize| record.get(i).unwrap_or("");
    let discount: f64 = field(5)
        .parse()
        .map_err(|_| err("discount", format!("{:?} is not a number", field(5))))?;
    if !(0.0..1.0).contains(&discount) {
        return Err(err(
            "discount",
            format!("{discount} is not a fraction in [0, 1)"),
        ));
    }
    Ok(Row {
        plan: wildcard(field(0))
            .map(str::parse)
            .transpose()
            .map_err(|e| err("plan", e))?,
        term: wildcard(field(1))
            .map(str::parse)
            .transpose()
            .map_err(|e| err("term", e))?,
        payment: wildcard(field(2))
            .map(str::parse)
            .transpose()
            .map_err(|e| err("payment", e))?,
        region: wildcard(field(3)).map(str::to_owned),
        family: wildcard(field(4)).map(str::to_owned),
        discount,
    })
}

fn wildcard(value: &str) -> Option<&str> {
    (value != "*").then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(
        plan: PlanKind,
        term: Term,
        payment: Payment,
        region: &'a str,
        family: &'a str,
    ) -> RateKey<'a> {
        RateKey {
            plan,
            term,
            payment,
            region,
            family,
        }
    }

    #[test]
    fn embedded_table_parses_and_covers_every_plan_term_and_payment() {
        let table = RateTable::embedded_default();
        for plan in PlanKind::ALL {
            for term in Term::ALL {
                for payment in Payment::ALL {
                    let d = table.discount(&key(*plan, *term, *payment, "us-east-1", "m5"));
                    assert!(
                        d.is_some_and(|d| d > 0.0 && d <= 0.72),
                        "{plan} {term} {payment}: {d:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn most_specific_row_wins_and_later_rows_break_ties() {
        let csv = "plan,term,payment,region,family,discount\n\
                   *,*,*,*,*,0.10\n\
                   compute_sp,*,*,*,*,0.20\n\
                   compute_sp,*,*,eu-west-1,*,0.30\n\
                   compute_sp,*,*,*,m5,0.40\n\
                   compute_sp,*,*,*,m5,0.45\n";
        let t =
            RateTable::parse(csv.as_bytes(), "t.csv", RateSource::File("t.csv".into())).unwrap();
        let d = |plan, region, family| {
            t.discount(&key(
                plan,
                Term::OneYear,
                Payment::NoUpfront,
                region,
                family,
            ))
        };
        assert_eq!(d(PlanKind::RdsRi, "us-east-1", "db.r5"), Some(0.10));
        assert_eq!(d(PlanKind::ComputeSp, "us-east-1", "c5"), Some(0.20));
        assert_eq!(d(PlanKind::ComputeSp, "eu-west-1", "c5"), Some(0.30));
        // family outweighs region; the later of two equal rows wins
        assert_eq!(d(PlanKind::ComputeSp, "eu-west-1", "m5"), Some(0.45));
    }

    #[test]
    fn malformed_rows_name_file_line_and_column() {
        let cases = [
            ("plan,term\n", "header must be"),
            (
                "plan,term,payment,region,family,discount\ncompute_sp,1y,no_upfront,*,*,abc\n",
                "t.csv:2: column discount",
            ),
            (
                "plan,term,payment,region,family,discount\ncompute_sp,1y,no_upfront,*,*,1.5\n",
                "not a fraction",
            ),
            (
                "plan,term,payment,region,family,discount\nfoo_sp,1y,no_upfront,*,*,0.1\n",
                "column plan",
            ),
            (
                "plan,term,payment,region,family,discount\ncompute_sp,5y,no_upfront,*,*,0.1\n",
                "column term",
            ),
            (
                "plan,term,payment,region,family,discount\ncompute_sp,1y\n",
                "t.csv:2",
            ),
            ("", "header must be"),
        ];
        for (text, expected) in cases {
            let err = RateTable::parse(text.as_bytes(), "t.csv", RateSource::Observed).unwrap_err();
            assert!(err.to_string().contains(expected), "{text:?} gave {err}");
        }
    }
}
