//! Classifying IAM policies by what they rely on: an IAM role's trust
//! policy (which principals outside the role's own account it trusts), and
//! any policy's organization condition keys (a role's trust policy or a
//! resource policy of S3, KMS, SQS or SNS).
//!
//! Rules (IAM User Guide, "AWS JSON policy elements: Principal" and "AWS global
//! condition context keys"): an `AWS` principal is an account ID, an
//! `arn:aws:iam::ACCOUNT:root`, role, user or assumed-role ARN, or `*`; only
//! `Allow` statements grant trust. `aws:PrincipalOrgID`,
//! `aws:PrincipalOrgPaths`, `aws:ResourceOrgID`, `aws:ResourceOrgPaths`,
//! `aws:SourceOrgID` and `aws:SourceOrgPaths` (any operator, any case) tie a
//! statement to the organization's ID or its paths: once an account leaves,
//! its principals, resources and service calls no longer carry them, so an
//! `Allow` keyed on them stops granting and a `Deny` keyed on their absence
//! (`StringNotEquals`) starts denying. Both effects count.

use serde::Serialize;

use crate::IamRole;

/// The organization condition keys that stop matching when an account leaves.
pub const ORG_CONDITION_KEYS: [&str; 6] = [
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
];

/// What a trust policy relies on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrustAnalysis {
    /// Trusted AWS principals outside the role's account (`*` included).
    pub cross_account_principals: Vec<String>,
    /// Organization condition keys used, in their canonical spelling, sorted.
    pub org_condition_keys: Vec<String>,
}

impl TrustAnalysis {
    /// True when the role is reached from another account.
    pub fn is_cross_account(&self) -> bool {
        !self.cross_account_principals.is_empty()
    }
}

impl IamRole {
    /// Classifies this role's trust policy.
    pub fn trust_analysis(&self) -> TrustAnalysis {
        analyse(&self.trust_policy, &self.account_id)
    }
}

/// Classifies a trust policy document of a role in `own_account`.
pub fn analyse(policy: &serde_json::Value, own_account: &str) -> TrustAnalysis {
    let mut out = TrustAnalysis {
        org_condition_keys: org_condition_keys(policy),
        ..TrustAnalysis::default()
    };
    let allows = statements(policy)
        .into_iter()
        .filter(|s| s.get("Effect").and_then(|e| e.as_str()) == Some("Allow"));
    for statement in allows {
        let principals = statement
            .get("Principal")
            .map(|p| match p {
                serde_json::Value::String(s) if s == "*" => vec!["*".to_owned()],
                other => as_list(other.get("AWS"))
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            })
            .unwrap_or_default();
        for p in principals {
            if principal_account(&p).is_none_or(|a| a != own_account)
                && !out.cross_account_principals.contains(&p)
            {
                out.cross_account_principals.push(p);
            }
        }
    }
    out
}

/// The organization condition keys any statement of `policy` uses, `Allow`
/// or `Deny`, in their canonical spelling, sorted, each once.
pub fn org_condition_keys(policy: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = statements(policy)
        .into_iter()
        .flat_map(statement_org_keys)
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A policy's statements: its `Statement` list, or its one statement.
pub fn statements(policy: &serde_json::Value) -> Vec<&serde_json::Value> {
    as_list(policy.get("Statement"))
}

/// The organization condition keys one statement uses, canonical, in the
/// order its conditions name them.
pub fn statement_org_keys(statement: &serde_json::Value) -> Vec<&'static str> {
    let Some(conditions) = statement.get("Condition").and_then(|c| c.as_object()) else {
        return Vec::new();
    };
    conditions
        .values()
        .filter_map(|k| k.as_object())
        .flat_map(|k| k.keys())
        .filter_map(|key| {
            ORG_CONDITION_KEYS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(key))
                .copied()
        })
        .collect()
}

/// A value that may be one item or a list, as a list.
fn as_list(value: Option<&serde_json::Value>) -> Vec<&serde_json::Value> {
    match value {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// The account of an `AWS` principal: a bare account ID or an IAM/STS ARN.
pub fn principal_account(principal: &str) -> Option<&str> {
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return Some(principal);
    }
    let account = principal.split(':').nth(4)?;
    (account.len() == 12).then_some(account)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn same_account_and_service_principals_are_not_cross_account() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}
        ]});
        assert_eq!(analyse(&policy, "111111111111"), TrustAnalysis::default());
    }

    #[test]
    fn other_accounts_and_wildcards_are_cross_account_and_org_keys_are_found() {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::222222222222:role/ci", "333333333333"]},
             "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:principalorgid": "o-abc1234567"},
                           "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-abc1234567/r-ab12/*"]}}},
            {"Effect": "Deny", "Principal": {"AWS": "444444444444"}, "Action": "sts:AssumeRole"}
        ]});
        let a = analyse(&policy, "111111111111");
        assert_eq!(
            a.cross_account_principals,
            vec!["arn:aws:iam::222222222222:role/ci", "333333333333", "*"]
        );
        assert_eq!(
            a.org_condition_keys,
            vec!["aws:PrincipalOrgID", "aws:PrincipalOrgPaths"]
        );
        assert!(a.is_cross_account());
    }

    #[test]
    fn a_single_statement_object_is_read_too() {
        let policy = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "555555555555"},
                                          "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-x"}}}});
        let a = analyse(&policy, "111111111111");
        assert_eq!(a.cross_account_principals, vec!["555555555555"]);
        assert_eq!(a.org_condition_keys, vec!["aws:ResourceOrgID"]);
    }

    /// A data perimeter's `Deny` keyed on the organization's absence counts
    /// as much as an `Allow` keyed on it: both change once an account leaves.
    #[test]
    fn org_keys_of_deny_statements_and_of_the_source_and_resource_paths_are_found() {
        let bucket = json!({"Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc1234567"},
                           "Bool": {"aws:PrincipalIsAWSService": "false"}}},
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
             "Condition": {"StringEquals": {"AWS:SourceOrgID": "o-abc1234567"},
                           "ForAnyValue:StringLike": {"aws:SourceOrgPaths": "o-abc1234567/*",
                                                      "aws:ResourceOrgPaths": "o-abc1234567/*"}}}
        ]});
        assert_eq!(
            org_condition_keys(&bucket),
            vec![
                "aws:PrincipalOrgID",
                "aws:ResourceOrgPaths",
                "aws:SourceOrgID",
                "aws:SourceOrgPaths"
            ]
        );
        assert!(
            analyse(&bucket, "111111111111")
                .cross_account_principals
                .is_empty()
        );
        assert!(org_condition_keys(&json!("not a policy")).is_empty());
        assert!(org_condition_keys(&json!({"Statement": [{"Condition": "x"}]})).is_empty());
    }
}
