//! The organization's structure and guardrails, replayed into the payer's
//! organization as a CloudFormation template (`orgpool org replay`).
//!
//! On a break-up, the accounts join the payer's organization without their
//! OUs, and the SCPs, RCPs, tag, backup and AI opt-out policies that guarded
//! them stop applying (AWS Organizations User Guide, "Leave an
//! organization"). The template recreates them under one OU of the payer's
//! (the `ParentId` parameter): an OU standing for the old root, named after
//! the organization, then every OU beneath it by the same names and nesting
//! (`AWS::Organizations::OrganizationalUnit`), and every custom policy with
//! its content and its targets (`AWS::Organizations::Policy`): an old OU's
//! replay, the root's stand-in for the root, an account by its ID (policies
//! can be attached to an account once it is a member, so deploy after the
//! accounts have joined). AWS managed policies (`FullAWSAccess`) exist in
//! every organization and are not replayed. A policy's name must be unique
//! within an organization (`CreatePolicy` answers
//! `DuplicatePolicyException`), and the payer's holds other customers'
//! policies: the `PolicyNamePrefix` parameter goes in front of each name.
//!
//! Its metadata (`orgpool:accounts`) says which replayed OU each account
//! belonged to, and its outputs give each replayed OU's ID, for the
//! `aws organizations move-account` that puts the account back in place.
//! Property names follow the CloudFormation Template Reference for the two
//! types; `Ref` of an OU is its ID.

use std::collections::BTreeMap;

use orgpool_model::cloudformation::logical_id;
use orgpool_model::{AccountStatus, OrgBundle};
use serde_json::{Map, Value, json};

use crate::spelling;

/// The logical ID of the OU standing for the old root.
pub const ROOT_STAND_IN: &str = "OrganizationRoot";

/// The template, as JSON (CloudFormation reads JSON templates).
pub fn template(bundle: &OrgBundle) -> Value {
    let mut resources = Map::new();
    let mut outputs = Map::new();
    let root_name = root_stand_in_name(bundle);
    resources.insert(
        ROOT_STAND_IN.to_owned(),
        json!({
            "Type": "AWS::Organizations::OrganizationalUnit",
            "Properties": { "Name": root_name, "ParentId": { "Ref": "ParentId" } },
        }),
    );
    outputs.insert(
        ROOT_STAND_IN.to_owned(),
        ou_output(ROOT_STAND_IN, "the organization's root"),
    );
    let logical = logical_ids(bundle);
    for ou in &bundle.organizational_units {
        let id = &logical[&ou.id];
        let parent = logical
            .get(&ou.parent_id)
            .map_or(ROOT_STAND_IN, String::as_str);
        resources.insert(
            id.clone(),
            json!({
                "Type": "AWS::Organizations::OrganizationalUnit",
                "Properties": { "Name": ou.name, "ParentId": { "Ref": parent } },
            }),
        );
        outputs.insert(id.clone(), ou_output(id, &ou.name));
    }
    let members: std::collections::BTreeSet<&str> = bundle
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .map(|a| a.id.as_str())
        .collect();
    for (i, p) in bundle
        .policies
        .iter()
        .filter(|p| !p.aws_managed)
        .enumerate()
    {
        let targets: Vec<Value> = p
            .targets
            .iter()
            .filter_map(|t| match logical.get(t) {
                Some(id) => Some(json!({ "Ref": id })),
                None if members.contains(t.as_str()) => Some(json!(t)),
                None => None,
            })
            .collect();
        let content = match &p.content {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        // A policy's name must be unique in the payer's organization, which
        // holds other customers' too: the `PolicyNamePrefix` parameter goes
        // in front of it.
        let mut properties = json!({
            "Name": { "Fn::Join": ["", [{ "Ref": "PolicyNamePrefix" }, p.name]] },
            "Type": spelling(&p.policy_type),
            "Content": content,
            "TargetIds": targets,
        });
        if !p.description.is_empty() {
            properties["Description"] = json!(p.description);
        }
        resources.insert(
            logical_id("Policy", i, &p.name),
            json!({ "Type": "AWS::Organizations::Policy", "Properties": properties }),
        );
    }
    let accounts = placed_by(bundle, &logical);
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "orgpool: the OUs and custom policies of {} replayed under one OU of the payer's organization",
            bundle.organization.id
        ),
        "Metadata": { "orgpool:accounts": accounts },
        "Parameters": {
            "ParentId": {
                "Type": "String",
                "Description": "The payer's root or OU that the organization's structure goes under",
                "AllowedPattern": "^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$",
            },
            "PolicyNamePrefix": {
                "Type": "String",
                "Description": "Put in front of every policy's name: policy names are unique within an organization (CreatePolicy: DuplicatePolicyException), and the payer's holds other customers' policies",
                "Default": "",
                "MaxLength": 64,
            }
        },
        "Resources": resources,
        "Outputs": outputs,
    })
}

/// The name of the OU that stands for the old root: the management
/// account's name (or the organization's ID) and where it comes from, at
/// most 128 characters as an OU's name must be.
pub fn root_stand_in_name(bundle: &OrgBundle) -> String {
    format!("{} (from {})", root_label(bundle), bundle.organization.id)
        .chars()
        .take(128)
        .collect()
}

/// Where each active account goes back to: the logical ID of the replayed OU
/// of its old parent (the root's stand-in for an account under the root).
pub fn placements(bundle: &OrgBundle) -> BTreeMap<String, String> {
    placed_by(bundle, &logical_ids(bundle))
}

/// [`placements`], the logical IDs already worked out.
fn placed_by(bundle: &OrgBundle, logical: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    bundle
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .map(|a| {
            let ou = logical
                .get(&a.parent_id)
                .map_or(ROOT_STAND_IN, String::as_str);
            (a.id.clone(), ou.to_owned())
        })
        .collect()
}

/// Whether there are guardrails to replay: a custom policy attached
/// somewhere. (Without one, accounts that leave have nothing to lose by
/// joining the payer as standalone accounts, the break-up's usual case.)
pub fn has_guardrails(bundle: &OrgBundle) -> bool {
    bundle
        .policies
        .iter()
        .any(|p| !p.aws_managed && !p.targets.is_empty())
}

/// Each root's and OU's logical ID: the root's stand-in for a root, an OU's
/// name made alphanumeric with its position for one that repeats.
fn logical_ids(bundle: &OrgBundle) -> BTreeMap<String, String> {
    let mut ids: BTreeMap<String, String> = bundle
        .roots
        .iter()
        .map(|r| (r.id.clone(), ROOT_STAND_IN.to_owned()))
        .collect();
    for (i, ou) in bundle.organizational_units.iter().enumerate() {
        ids.insert(ou.id.clone(), logical_id("Ou", i, &ou.name));
    }
    ids
}

fn ou_output(logical: &str, what: &str) -> Value {
    json!({ "Description": format!("The replayed OU of {what}"), "Value": { "Ref": logical } })
}

/// The name the root's stand-in takes: the management account's name, or
/// the organization's ID.
fn root_label(bundle: &OrgBundle) -> String {
    bundle
        .accounts
        .iter()
        .find(|a| a.id == bundle.organization.management_account_id)
        .map_or_else(|| bundle.organization.id.clone(), |a| a.name.clone())
}
