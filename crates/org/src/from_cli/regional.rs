//! The organization's regional services from saved CLI outputs: CloudTrail
//! trails, AWS Config aggregators, AWS RAM shares and CloudFormation
//! StackSets, as `orgpool discover` reads them live (`crate::live`'s
//! `services`, `stack_sets` and `regions`).
//!
//! Each lives in one region, so the files are saved per region, the region
//! ending the file's name (`cloudtrail-describe-trails-us-east-1.json`). The
//! regions read are those some file is saved for; in each, every listing is
//! expected, and one that is missing is a gap naming the region. Items seen
//! from several regions (a multi-region trail's shadow copies) are kept
//! once, by the rule discovery keeps them by ([`crate::live::merge`]).
//!
//! RAM's principals and resources come from two files per region,
//! `aws ram get-resource-share-associations --association-type PRINCIPAL`
//! (and `RESOURCE`) without `--resource-share-arns`: every association of the
//! shares the caller owns (AWS RAM API Reference,
//! "GetResourceShareAssociations": the share ARNs are an optional filter).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use orgpool_model::{ConfigAggregator, Gap, RamShare, StackSet, StackSetPermissionModel, Trail};
use serde_json::Value;

use super::{Folder, list, required_text, text};
use crate::OrgError;
use crate::live::{self, Regional};

/// The listings saved per region: each file's name before `-REGION.json`,
/// and the live API it stands for.
pub const REGIONAL_LISTINGS: [(&str, &str); 4] = [
    ("cloudtrail-describe-trails", live::DESCRIBE_TRAILS),
    (
        "configservice-describe-configuration-aggregators",
        live::DESCRIBE_AGGREGATORS,
    ),
    ("ram-get-resource-shares", live::GET_RESOURCE_SHARES),
    ("cloudformation-list-stack-sets", live::LIST_STACK_SETS),
];

/// The RAM associations' file of `kind` (`PRINCIPAL` or `RESOURCE`) in `region`.
fn associations_file(kind: &str, region: &str) -> String {
    format!("ram-get-resource-share-associations-{kind}-{region}.json")
}

/// The stack instances' file of StackSet `name` in `region`.
fn instances_file(region: &str, name: &str) -> String {
    format!("cloudformation-list-stack-instances-{region}-{name}.json")
}

/// The regions some listing is saved for, sorted.
fn saved_regions(dir: &Path) -> Result<Vec<String>, OrgError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| OrgError::BadExport(format!("{}: cannot list it ({e})", dir.display())))?;
    let mut regions = BTreeSet::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        for (prefix, _) in REGIONAL_LISTINGS {
            let region = stem.strip_prefix(prefix).and_then(|r| r.strip_prefix('-'));
            if let Some(region) = region.filter(|r| live::is_region_name(r)) {
                regions.insert(region.to_owned());
            }
        }
    }
    Ok(regions.into_iter().collect())
}

impl Folder {
    /// A file saved in `region`: `None`, and a gap for `scope` and `api`
    /// naming the region, when it is missing.
    fn regional(
        &mut self,
        name: &str,
        region: &str,
        scope: &str,
        api: &str,
    ) -> Result<Option<(PathBuf, Value)>, OrgError> {
        self.or_gap(
            name,
            Gap {
                scope: scope.to_owned(),
                api: api.to_owned(),
                error: format!("in {region}: {name} is not in the folder"),
            },
        )
    }
}

/// The regional services of every region saved, each item once, and those
/// regions (sorted). With no region saved at all, a gap per listing for the
/// organization.
pub(super) fn read(
    f: &mut Folder,
    management_account_id: &str,
) -> Result<(Regional, Vec<String>), OrgError> {
    let regions = saved_regions(&f.dir)?;
    if regions.is_empty() {
        f.gaps
            .extend(REGIONAL_LISTINGS.iter().map(|(prefix, api)| Gap {
                scope: "organization".to_owned(),
                api: (*api).to_owned(),
                error: format!(
                    "no {prefix}-REGION.json in the folder; save one per region \
                 (docs/from-cli.md), or `orgpool discover` reads it live"
                ),
            }));
        return Ok((Regional::default(), regions));
    }
    let mut per_region = Vec::new();
    for region in &regions {
        per_region.push(Regional {
            trails: trails(f, region)?,
            aggregators: aggregators(f, region)?,
            ram_shares: ram_shares(f, region)?,
            stack_sets: stack_sets(f, region, management_account_id)?,
        });
    }
    Ok((live::merge(per_region), regions))
}

/// The listing `REGIONAL_LISTINGS[i]` saved in `region`, its list `field`.
fn listing(
    f: &mut Folder,
    i: usize,
    region: &str,
    field: &str,
) -> Result<Option<(PathBuf, Vec<Value>)>, OrgError> {
    let (prefix, api) = REGIONAL_LISTINGS[i];
    let name = format!("{prefix}-{region}.json");
    match f.regional(&name, region, "organization", api)? {
        Some((path, v)) => {
            let items = list(&path, &v, field)?.clone();
            Ok(Some((path, items)))
        }
        None => Ok(None),
    }
}

fn flag(value: &Value, field: &str) -> bool {
    value.get(field).and_then(Value::as_bool).unwrap_or(false)
}

/// `aws cloudtrail describe-trails --include-shadow-trails`.
fn trails(f: &mut Folder, region: &str) -> Result<Vec<Trail>, OrgError> {
    let Some((path, items)) = listing(f, 0, region, "trailList")? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .map(|t| {
            let arn = required_text(&path, t, "TrailARN")?;
            Ok(Trail {
                name: required_text(&path, t, "Name")?,
                account_id: live::arn_account(&arn),
                arn,
                home_region: text(t, "HomeRegion"),
                s3_bucket_name: text(t, "S3BucketName"),
                is_organization_trail: flag(t, "IsOrganizationTrail"),
                is_multi_region_trail: flag(t, "IsMultiRegionTrail"),
            })
        })
        .collect()
}

/// `aws configservice describe-configuration-aggregators`.
fn aggregators(f: &mut Folder, region: &str) -> Result<Vec<ConfigAggregator>, OrgError> {
    let Some((path, items)) = listing(f, 1, region, "ConfigurationAggregators")? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .map(|a| {
            let arn = required_text(&path, a, "ConfigurationAggregatorArn")?;
            let sources = a
                .get("AccountAggregationSources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            Ok(ConfigAggregator {
                name: required_text(&path, a, "ConfigurationAggregatorName")?,
                account_id: live::arn_account(&arn),
                arn,
                organization_wide: a
                    .get("OrganizationAggregationSource")
                    .is_some_and(|s| !s.is_null()),
                source_account_ids: sources
                    .flat_map(|s| s.get("AccountIds").and_then(Value::as_array))
                    .flatten()
                    .filter_map(|id| id.as_str().map(str::to_owned))
                    .collect(),
            })
        })
        .collect()
}

/// `aws ram get-resource-shares --resource-owner SELF`, with each share's
/// principals and resources from the region's two association files.
fn ram_shares(f: &mut Folder, region: &str) -> Result<Vec<RamShare>, OrgError> {
    let Some((path, items)) = listing(f, 2, region, "resourceShares")? else {
        return Ok(Vec::new());
    };
    let mut shares = Vec::new();
    for s in &items {
        shares.push(RamShare {
            arn: required_text(&path, s, "resourceShareArn")?,
            name: text(s, "name"),
            owner_account_id: text(s, "owningAccountId"),
            allow_external_principals: flag(s, "allowExternalPrincipals"),
            principals: Vec::new(),
            resource_arns: Vec::new(),
        });
    }
    if shares.is_empty() {
        return Ok(shares);
    }
    for kind in ["PRINCIPAL", "RESOURCE"] {
        let name = associations_file(kind, region);
        let api = live::GET_ASSOCIATIONS;
        let Some((path, v)) = f.regional(&name, region, "organization", api)? else {
            continue;
        };
        for a in list(&path, &v, "resourceShareAssociations")? {
            let share = required_text(&path, a, "resourceShareArn")?;
            let entity = required_text(&path, a, "associatedEntity")?;
            if let Some(s) = shares.iter_mut().find(|s| s.arn == share) {
                match kind {
                    "PRINCIPAL" => s.principals.push(entity),
                    _ => s.resource_arns.push(entity),
                }
            }
        }
    }
    Ok(shares)
}

/// `aws cloudformation list-stack-sets --status ACTIVE`, with each set's
/// stack instances' accounts from its own file.
fn stack_sets(
    f: &mut Folder,
    region: &str,
    owner_account_id: &str,
) -> Result<Vec<StackSet>, OrgError> {
    let Some((path, items)) = listing(f, 3, region, "Summaries")? else {
        return Ok(Vec::new());
    };
    let mut sets = Vec::new();
    for s in &items {
        if s.get("Status").and_then(Value::as_str).unwrap_or("ACTIVE") != "ACTIVE" {
            continue;
        }
        let name = required_text(&path, s, "StackSetName")?;
        let auto = s.get("AutoDeployment").unwrap_or(&Value::Null);
        let file = instances_file(region, &name);
        let api = live::LIST_STACK_INSTANCES;
        let mut accounts = Vec::new();
        if let Some((p, v)) = f.regional(&file, region, &name, api)? {
            for i in list(&p, &v, "Summaries")? {
                accounts.push(required_text(&p, i, "Account")?);
            }
        }
        accounts.sort();
        accounts.dedup();
        sets.push(StackSet {
            arn: text(s, "StackSetId"),
            name,
            owner_account_id: owner_account_id.to_owned(),
            permission_model: match text(s, "PermissionModel").as_str() {
                "SERVICE_MANAGED" => StackSetPermissionModel::ServiceManaged,
                _ => StackSetPermissionModel::SelfManaged,
            },
            auto_deployment_enabled: flag(auto, "Enabled"),
            retain_stacks_on_account_removal: flag(auto, "RetainStacksOnAccountRemoval"),
            stack_instance_account_ids: accounts,
        });
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> (tempfile::TempDir, Folder) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let f = Folder {
            dir: dir.path().to_owned(),
            gaps: Vec::new(),
        };
        (dir, f)
    }

    const TRAIL: &str = r#"{"trailList": [{"Name": "org", "TrailARN":
        "arn:aws:cloudtrail:us-east-1:111111111111:trail/org", "HomeRegion": "us-east-1",
        "S3BucketName": "logs", "IsOrganizationTrail": true, "IsMultiRegionTrail": true}]}"#;

    /// A multi-region trail saved from two regions is one trail; a region
    /// whose other listings were not saved has a gap for each, naming it.
    #[test]
    fn regions_are_those_saved_and_each_item_is_kept_once() {
        let (_d, mut f) = folder(&[
            ("cloudtrail-describe-trails-us-east-1.json", TRAIL),
            ("cloudtrail-describe-trails-eu-west-1.json", TRAIL),
            (
                "configservice-describe-configuration-aggregators-us-east-1.json",
                r#"{"ConfigurationAggregators": [{"ConfigurationAggregatorName": "a",
                    "ConfigurationAggregatorArn": "arn:aws:config:us-east-1:111111111111:config-aggregator/config-aggregator-1",
                    "AccountAggregationSources": [{"AccountIds": ["222222222222", "333333333333"]}]}]}"#,
            ),
            (
                "ram-get-resource-shares-us-east-1.json",
                r#"{"resourceShares": []}"#,
            ),
            (
                "cloudformation-list-stack-sets-us-east-1.json",
                r#"{"Summaries": []}"#,
            ),
        ]);
        let (r, _) = read(&mut f, "111111111111").unwrap();
        assert_eq!(r.trails.len(), 1);
        assert_eq!(r.trails[0].account_id, "111111111111");
        assert!(r.trails[0].is_organization_trail);
        assert_eq!(r.aggregators.len(), 1);
        assert!(!r.aggregators[0].organization_wide);
        assert_eq!(
            r.aggregators[0].source_account_ids,
            ["222222222222", "333333333333"]
        );
        let gaps: Vec<(&str, &str)> = f
            .gaps
            .iter()
            .map(|g| (g.api.as_str(), g.error.as_str()))
            .collect();
        assert_eq!(
            gaps,
            [
                (
                    live::DESCRIBE_AGGREGATORS,
                    "in eu-west-1: configservice-describe-configuration-aggregators-eu-west-1.json is not in the folder"
                ),
                (
                    live::GET_RESOURCE_SHARES,
                    "in eu-west-1: ram-get-resource-shares-eu-west-1.json is not in the folder"
                ),
                (
                    live::LIST_STACK_SETS,
                    "in eu-west-1: cloudformation-list-stack-sets-eu-west-1.json is not in the folder"
                ),
            ]
        );
    }

    /// Shares get their principals and resources from the association
    /// files; a StackSet without its instances' file is a gap named after it;
    /// a deleted StackSet is not kept.
    #[test]
    fn shares_and_stack_sets_are_joined_to_their_details() {
        let share = "arn:aws:ram:us-east-1:111111111111:resource-share/s1";
        let (_d, mut f) = folder(&[
            (
                "cloudtrail-describe-trails-us-east-1.json",
                r#"{"trailList": []}"#,
            ),
            (
                "configservice-describe-configuration-aggregators-us-east-1.json",
                r#"{"ConfigurationAggregators": []}"#,
            ),
            (
                "ram-get-resource-shares-us-east-1.json",
                &format!(
                    r#"{{"resourceShares": [{{"resourceShareArn": "{share}", "name": "subnets",
                    "owningAccountId": "111111111111", "allowExternalPrincipals": false}}]}}"#
                ),
            ),
            (
                "ram-get-resource-share-associations-PRINCIPAL-us-east-1.json",
                &format!(
                    r#"{{"resourceShareAssociations": [{{"resourceShareArn": "{share}",
                    "associatedEntity": "arn:aws:organizations::111111111111:organization/o-1"}},
                    {{"resourceShareArn": "arn:aws:ram:us-east-1:111111111111:resource-share/other",
                    "associatedEntity": "444444444444"}}]}}"#
                ),
            ),
            (
                "cloudformation-list-stack-sets-us-east-1.json",
                r#"{"Summaries": [
                    {"StackSetName": "baseline", "StackSetId": "baseline:1", "Status": "ACTIVE",
                     "PermissionModel": "SERVICE_MANAGED",
                     "AutoDeployment": {"Enabled": true, "RetainStacksOnAccountRemoval": false}},
                    {"StackSetName": "old", "StackSetId": "old:1", "Status": "DELETED"},
                    {"StackSetName": "roles", "StackSetId": "roles:1", "Status": "ACTIVE",
                     "PermissionModel": "SELF_MANAGED"}]}"#,
            ),
            (
                "cloudformation-list-stack-instances-us-east-1-baseline.json",
                r#"{"Summaries": [{"Account": "333333333333"}, {"Account": "222222222222"},
                    {"Account": "333333333333"}]}"#,
            ),
        ]);
        let (r, _) = read(&mut f, "111111111111").unwrap();
        assert_eq!(r.ram_shares.len(), 1);
        assert_eq!(
            r.ram_shares[0].principals,
            ["arn:aws:organizations::111111111111:organization/o-1"]
        );
        assert!(r.ram_shares[0].resource_arns.is_empty());
        let names: Vec<&str> = r.stack_sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["baseline", "roles"]);
        let baseline = &r.stack_sets[0];
        assert_eq!(
            baseline.permission_model,
            StackSetPermissionModel::ServiceManaged
        );
        assert!(baseline.auto_deployment_enabled && !baseline.retain_stacks_on_account_removal);
        assert_eq!(
            baseline.stack_instance_account_ids,
            ["222222222222", "333333333333"]
        );
        assert_eq!(baseline.owner_account_id, "111111111111");
        let gaps: Vec<(&str, &str)> = f
            .gaps
            .iter()
            .map(|g| (g.scope.as_str(), g.api.as_str()))
            .collect();
        assert_eq!(
            gaps,
            [
                ("organization", live::GET_ASSOCIATIONS),
                ("roles", live::LIST_STACK_INSTANCES)
            ]
        );
    }

    /// With nothing saved, each listing is a gap for the organization; a
    /// saved listing without its list, or an item without its ARN, is an
    /// error naming the file and the field.
    #[test]
    fn nothing_saved_is_a_gap_and_a_wrong_file_an_error() {
        let (_d, mut f) = folder(&[]);
        let (r, _) = read(&mut f, "111111111111").unwrap();
        assert!(r.trails.is_empty());
        let apis: Vec<&str> = f.gaps.iter().map(|g| g.api.as_str()).collect();
        let expected: Vec<&str> = REGIONAL_LISTINGS.iter().map(|(_, api)| *api).collect();
        assert_eq!(apis, expected);

        for (file, text, field) in [
            (
                "cloudtrail-describe-trails-us-east-1.json",
                "{}",
                "trailList",
            ),
            (
                "cloudtrail-describe-trails-us-east-1.json",
                r#"{"trailList": [{"Name": "t"}]}"#,
                "TrailARN",
            ),
            (
                "cloudtrail-describe-trails-us-east-1.json",
                "[1, 2",
                "not JSON",
            ),
        ] {
            let (_d, mut f) = folder(&[(file, text)]);
            let err = read(&mut f, "111111111111").unwrap_err().to_string();
            assert!(err.contains(file) && err.contains(field), "{err}");
        }
    }

    /// A hostile StackSet name cannot make orgpool read a file outside the
    /// folder: it is an error naming the name.
    #[test]
    fn a_name_holding_a_path_is_refused() {
        let (_d, mut f) = folder(&[(
            "cloudformation-list-stack-sets-us-east-1.json",
            r#"{"Summaries": [{"StackSetName": "../../etc/passwd", "StackSetId": "x:1",
                "Status": "ACTIVE", "PermissionModel": "SELF_MANAGED"}]}"#,
        )]);
        let err = read(&mut f, "111111111111").unwrap_err().to_string();
        assert!(
            err.contains("../../etc/passwd") && err.contains("path separator"),
            "{err}"
        );
    }
}
