//! Bundle format tests: the schema document is current, and reading a bundle
//! rejects what the format forbids with an error that says what is wrong.

use orgpool_model::{BundleError, OrgBundle, bundle_schema};

/// The schema document, found from the crate cargo runs the test in (the
/// compile-time path can belong to another checkout sharing the target dir).
fn schema_doc() -> std::path::PathBuf {
    let crate_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    std::path::Path::new(&crate_dir).join("../../docs/org-bundle.schema.json")
}

#[test]
fn schema_document_matches_the_types() {
    let generated = serde_json::to_string_pretty(&bundle_schema()).unwrap() + "\n";
    if std::env::var_os("ORGPOOL_BLESS").is_some() {
        std::fs::write(schema_doc(), &generated).unwrap();
    }
    let committed =
        std::fs::read_to_string(schema_doc()).expect("docs/org-bundle.schema.json exists");
    assert_eq!(
        committed, generated,
        "run ORGPOOL_BLESS=1 cargo test -p orgpool-model to refresh the schema doc"
    );
}

fn minimal() -> serde_json::Value {
    serde_json::json!({
        "format": "orgpool.org-bundle",
        "version": 1,
        "generated_at": "2026-09-30T23:00:00Z",
        "source": {"kind": "demo"},
        "organization": {"id": "o-abc1234567", "arn": "arn:aws:organizations::111111111111:organization/o-abc1234567",
            "feature_set": "ALL", "management_account_id": "111111111111", "management_account_email": "a@example.com"},
        "roots": [{"id": "r-ab12", "name": "Root"}],
        "organizational_units": [
            {"id": "ou-ab12-11111111", "name": "A", "parent_id": "r-ab12"},
            {"id": "ou-ab12-22222222", "name": "B", "parent_id": "ou-ab12-11111111"}
        ],
        "accounts": [
            {"id": "111111111111", "name": "m", "email": "a@example.com", "status": "ACTIVE", "joined_method": "INVITED",
             "joined_timestamp": "2020-01-01T00:00:00Z", "parent_id": "r-ab12"},
            {"id": "222222222222", "name": "w", "email": "w@example.com", "status": "SUSPENDED", "joined_method": "CREATED",
             "joined_timestamp": "2021-01-01T00:00:00Z", "parent_id": "ou-ab12-22222222"}
        ],
        "policies": []
    })
}

fn read(value: &serde_json::Value) -> Result<OrgBundle, BundleError> {
    OrgBundle::from_json(&value.to_string())
}

#[test]
fn a_minimal_bundle_reads_and_round_trips() {
    let bundle = read(&minimal()).unwrap();
    assert_eq!(bundle.ou_depth("ou-ab12-22222222"), 2);
    let again = OrgBundle::from_json(&serde_json::to_string(&bundle).unwrap()).unwrap();
    assert_eq!(again, bundle);
}

#[test]
fn malformed_bundles_are_refused_with_the_reason() {
    let mut cases: Vec<(serde_json::Value, &str)> = Vec::new();
    let mut v = minimal();
    v["version"] = 2.into();
    cases.push((v, "unsupported bundle format"));
    let mut v = minimal();
    v["format"] = "something.else".into();
    cases.push((v, "unsupported bundle format"));
    let mut v = minimal();
    v["accounts"][1]["id"] = "111111111111".into();
    cases.push((v, "duplicate id \"111111111111\" in accounts"));
    let mut v = minimal();
    let dup = v["accounts"][1].clone();
    v["accounts"].as_array_mut().unwrap().push({
        let mut d = dup;
        d["parent_id"] = "r-ab12".into();
        d
    });
    cases.push((v, "duplicate id \"222222222222\""));
    let mut v = minimal();
    v["organizational_units"][0]["parent_id"] = "ou-ab12-22222222".into();
    cases.push((v, "cycle"));
    let mut v = minimal();
    v["accounts"][1]["parent_id"] = "ou-nope".into();
    cases.push((v, "unknown parent \"ou-nope\""));
    let mut v = minimal();
    v["accounts"][0]["status"] = "HAPPY".into();
    cases.push((v, "unknown variant `HAPPY`"));
    let mut v = minimal();
    v.as_object_mut().unwrap().remove("accounts");
    cases.push((v, "missing field `accounts`"));
    let mut v = minimal();
    v["accounts"][1]["id"] = "12345".into();
    cases.push((v, "account id \"12345\" is not valid: twelve digits"));
    for (value, expected) in cases {
        let err = read(&value).unwrap_err().to_string();
        assert!(err.contains(expected), "expected {expected:?} in {err:?}");
    }
    for text in ["", "{", "[]", "null", "{\"format\": 1}"] {
        assert!(
            OrgBundle::from_json(text).is_err(),
            "{text:?} must be refused"
        );
    }
}
