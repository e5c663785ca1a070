//! The `orgpool` binary as scripts see it: help with examples, exit codes
//! (0 ok, 1 failure, 2 bad usage or bad input), output formats and tracing.

use std::path::Path;
use std::process::{Command, Output};

fn orgpool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgpool"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("ORGPOOL_FORMAT")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [
        &["--help"][..],
        &["demo", "--help"],
        &["demo", "generate", "--help"],
    ] {
        let out = orgpool(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = stdout(&out);
        assert!(text.contains("Example"), "{args:?} has no example:\n{text}");
        assert!(text.contains("orgpool demo"), "{args:?}");
    }
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    let cases: [(&[&str], &str); 6] = [
        (&["frobnicate"], "unrecognized subcommand"),
        (&["demo", "generate"], "--out"),
        (
            &["demo", "generate", "--out", "x", "--accounts", "0"],
            "--accounts",
        ),
        (
            &["demo", "generate", "--out", "x", "--start", "2026-13"],
            "not a month",
        ),
        (
            &["demo", "generate", "--out", "x", "--rows", "lots"],
            "--rows",
        ),
        (&["--format", "xml", "demo"], "--format"),
    ];
    for (args, expected) in cases {
        let out = orgpool(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert!(!Path::new("x").exists(), "nothing written on bad usage");
}

#[test]
fn an_unwritable_output_exits_1_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let target = file.join("demo");
    let out = orgpool(&[
        "demo",
        "generate",
        "--out",
        target.to_str().unwrap(),
        "--accounts",
        "2",
        "--months",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("plain-file"), "{}", stderr(&out));
}

#[test]
fn generate_writes_the_layout_and_speaks_json_markdown_and_tracing() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = orgpool(&[
        "demo",
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--accounts",
        "4",
        "--months",
        "1",
        "--format",
        "json",
        "-v",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["generated"]["accounts"], 4);
    assert!(json["generated"]["rows"].as_u64().unwrap() > 0);
    assert!(
        stderr(&out).contains("writing CUR 2.0 export"),
        "-v traces to stderr: {}",
        stderr(&out)
    );
    assert!(out_dir.join("org.json").is_file());
    let data = out_dir
        .join("cur/orgpool-demo/data/BILLING_PERIOD=2026-07/orgpool-demo-00001.snappy.parquet");
    assert!(data.is_file(), "{}", data.display());
    assert!(
        out_dir
            .join("cur/orgpool-demo/metadata/BILLING_PERIOD=2026-07/orgpool-demo-Manifest.json")
            .is_file()
    );

    let md = orgpool(&[
        "demo",
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--accounts",
        "4",
        "--months",
        "1",
        "--format",
        "markdown",
    ]);
    assert_eq!(md.status.code(), Some(0));
    assert!(
        stdout(&md).starts_with("### Generated demo data\n\n| item | value |"),
        "{}",
        stdout(&md)
    );
    assert!(stderr(&md).is_empty(), "quiet without -v: {}", stderr(&md));
}

#[test]
fn demo_runs_end_to_end_and_summarizes() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("kept");
    let out = orgpool(&["demo", "--keep", keep.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["organization"]["accounts"], 16);
    assert!(json["organization"]["ou_depth"].as_u64().unwrap() >= 3);
    assert_eq!(
        json["generated"]["billing_periods"],
        serde_json::json!(["2026-07", "2026-08", "2026-09"])
    );
    assert!(keep.join("org.json").is_file());
    let table = orgpool(&["demo"]);
    assert_eq!(table.status.code(), Some(0));
    assert!(
        stdout(&table).contains("Organization o-"),
        "{}",
        stdout(&table)
    );
}
