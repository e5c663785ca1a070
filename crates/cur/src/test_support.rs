//! What the crate's unit tests share: demo and public inputs, and the check
//! that our sums equal the SQL statement they replace.

use std::collections::BTreeMap;

/// A demo CUR 2.0 export in `dir`, as the input to open.
pub(crate) fn demo_cur(dir: &std::path::Path, accounts: usize, months: u32) -> String {
    let config = orgpool_demo::DemoConfig {
        accounts,
        months,
        ..Default::default()
    };
    orgpool_demo::generate(&config, dir).unwrap();
    dir.join("cur").to_string_lossy().into_owned()
}

/// The three public workshop months, read together.
pub(crate) fn workshop_months() -> Vec<String> {
    ["10", "11", "12"]
        .iter()
        .map(|m| orgpool_testkit::real_data(&format!("workshop-cur-2018-{m}.snappy.parquet")))
        .collect()
}

/// Rows keyed by their keys as text, each with its sums (`None`: a sum of
/// nothing, null in SQL).
pub(crate) type Sums = BTreeMap<String, Vec<Option<f64>>>;

/// `ours` has `sql`'s keys, in order, and each of its sums equals SQL's to
/// rounding, null where SQL's is; `name(i)` names sum `i` in a failure.
pub(crate) fn assert_same_sums<'a>(
    ours: &Sums,
    sql: &Sums,
    name: impl Fn(usize) -> &'a str,
    what: &str,
) {
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        sql.keys().collect::<Vec<_>>(),
        "{what}: the keys differ"
    );
    for (key, expected) in sql {
        for (i, (a, b)) in ours[key].iter().zip(expected).enumerate() {
            let same = match (a, b) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                (None, None) => true,
                _ => false,
            };
            assert!(same, "{what} {key} {}: ours {a:?}, SQL {b:?}", name(i));
        }
    }
}
