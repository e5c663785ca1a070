//! An account's IAM authorization details as orgpool keeps them, whatever
//! they were read from: `iam:GetAccountAuthorizationDetails` called live
//! (`live::identity_policies`), or the output of `aws iam
//! get-account-authorization-details` saved in a folder (`from_cli`). Both
//! hand over the same plain parts ([`Managed`], [`Holder`]), so one set of
//! rules decides what is kept:
//! - a role when its trust policy lets another account in or uses an
//!   organization condition key ([`keep_role`]);
//! - an identity policy (customer managed, or inline in a role, user or
//!   group) when one of its statements uses an organization condition key
//!   (`orgpool_model::trust::ORG_CONDITION_KEYS`), as a data perimeter does;
//!   a managed one with every role, user and group it is attached to or
//!   bounds (IAM API reference, "GetAccountAuthorizationDetails": a managed
//!   policy's attachments are listed on its holders, which may come on
//!   another page than the policy).
//!
//! A document that is not JSON, even URL-decoded, is neither kept nor
//! dropped: it is listed as unreadable, for a gap to say so.

use std::collections::BTreeMap;

use orgpool_model::{IamRole, IdentityPolicy, IdentityPolicyKind};
use serde_json::Value;

/// One version of a customer managed policy.
pub(crate) struct Version {
    /// `v1`, `v2`, …
    pub id: Option<String>,
    /// Whether it is the version in force.
    pub is_default: bool,
    /// Its document, decoded ([`decode_policy`], [`document_of`]).
    pub document: Value,
}

/// A customer managed policy.
pub(crate) struct Managed {
    /// Its ARN.
    pub arn: String,
    /// Its name, if given (else the ARN's last part).
    pub name: Option<String>,
    /// The version in force, if named.
    pub default_version_id: Option<String>,
    /// Its versions, as listed.
    pub versions: Vec<Version>,
}

/// A role, user or group, as far as its policies go.
pub(crate) struct Holder {
    /// Its ARN.
    pub arn: String,
    /// The kind of its inline policies.
    pub kind: IdentityPolicyKind,
    /// Its inline policies: name and document.
    pub inline: Vec<(String, Value)>,
    /// The managed policies it is under: attached, or its permissions
    /// boundary (roles and users).
    pub managed: Vec<String>,
}

/// The identity policies of one account, gathered over pages or files.
#[derive(Default)]
pub(crate) struct Details {
    /// Every policy read, managed ones without their attachments yet.
    policies: Vec<IdentityPolicy>,
    /// Each managed policy's ARN, with the principals it applies to.
    attachments: BTreeMap<String, Vec<String>>,
}

/// What [`Details::found`] keeps.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Those using an organization condition key.
    pub kept: Vec<IdentityPolicy>,
    /// Policies read in all, kept or not.
    pub read: usize,
    /// Policies whose document is not JSON, by label.
    pub unreadable: Vec<String>,
}

impl Details {
    /// A customer managed policy of `account`, with the document of its
    /// default version (else its first).
    pub fn managed(&mut self, account: &str, m: Managed) {
        let mut versions = m.versions;
        let default = versions
            .iter()
            .position(|v| v.is_default)
            .or((!versions.is_empty()).then_some(0))
            .map(|i| versions.swap_remove(i));
        let name = m
            .name
            .unwrap_or_else(|| m.arn.rsplit('/').next().unwrap_or_default().to_owned());
        let version_id = m
            .default_version_id
            .or_else(|| default.as_ref().and_then(|v| v.id.clone()));
        self.policies.push(IdentityPolicy {
            account_id: account.to_owned(),
            kind: IdentityPolicyKind::Managed,
            name,
            version_id,
            attached_to: Vec::new(),
            policy: default.map_or(Value::String(String::new()), |v| v.document),
            arn: m.arn,
        });
    }

    /// A role's, user's or group's inline policies, and the managed policies
    /// it is under.
    pub fn holder(&mut self, account: &str, h: Holder) {
        for (name, policy) in h.inline {
            self.policies.push(IdentityPolicy {
                account_id: account.to_owned(),
                kind: h.kind,
                arn: h.arn.clone(),
                name,
                version_id: None,
                attached_to: vec![h.arn.clone()],
                policy,
            });
        }
        for arn in h.managed {
            let under = self.attachments.entry(arn).or_default();
            if !under.contains(&h.arn) {
                under.push(h.arn.clone());
            }
        }
    }

    /// The policies that use an organization key, managed ones with their
    /// attachments, and how many were read.
    pub fn found(mut self) -> Found {
        let read = self.policies.len();
        let (unreadable, parsed): (Vec<IdentityPolicy>, Vec<IdentityPolicy>) = self
            .policies
            .into_iter()
            .partition(|p| p.policy.is_string());
        let mut kept: Vec<IdentityPolicy> = parsed
            .into_iter()
            .filter(|p| !p.org_condition_keys().is_empty())
            .collect();
        for p in &mut kept {
            if p.kind == IdentityPolicyKind::Managed {
                p.attached_to = self.attachments.remove(&p.arn).unwrap_or_default();
            }
        }
        Found {
            kept,
            read,
            unreadable: unreadable.iter().map(IdentityPolicy::label).collect(),
        }
    }
}

/// Whether discovery keeps a role: its trust policy lets another account in
/// or uses an organization condition key (the communication between
/// accounts a move must not break).
pub(crate) fn keep_role(role: &IamRole) -> bool {
    let trust = role.trust_analysis();
    trust.is_cross_account() || !trust.org_condition_keys.is_empty()
}

/// A policy document as JSON: plain, or URL-encoded as IAM returns it; a
/// string when it is neither.
pub fn decode_policy(document: Option<&str>) -> Value {
    let raw = document.unwrap_or_default().to_owned();
    if let Ok(v) = serde_json::from_str(&raw) {
        return v;
    }
    let decoded = percent_encoding::percent_decode_str(&raw).decode_utf8_lossy();
    serde_json::from_str(&decoded).unwrap_or(Value::String(raw))
}

/// A policy document from saved CLI output: the `aws` CLI prints IAM's
/// documents already decoded, as JSON objects; a string is decoded as IAM's
/// API returns it ([`decode_policy`]); anything else (missing, a number) is
/// not a document.
pub(crate) fn document_of(value: Option<&Value>) -> Value {
    match value {
        Some(v @ Value::Object(_)) => v.clone(),
        Some(Value::String(s)) => decode_policy(Some(s)),
        _ => Value::String(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A saved document is used as printed (an object), or decoded from a
    /// string as IAM's API returns it; a missing or odd one is unreadable.
    #[test]
    fn saved_documents_are_objects_or_encoded_strings() {
        let doc = json!({"Version": "2012-10-17", "Statement": []});
        assert_eq!(document_of(Some(&doc)), doc);
        let encoded = json!("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D");
        assert_eq!(document_of(Some(&encoded)), doc);
        assert!(document_of(None).is_string());
        assert!(document_of(Some(&json!(42))).is_string());
    }

    /// With no version marked default, the first is the document in force;
    /// without a name, the ARN's last part names the policy.
    #[test]
    fn a_managed_policy_without_a_default_mark_uses_its_first_version() {
        let perimeter = json!({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:ResourceOrgID": "o-abc"}}}]});
        let mut details = Details::default();
        details.managed(
            "111111111111",
            Managed {
                arn: "arn:aws:iam::111111111111:policy/team/perimeter".into(),
                name: None,
                default_version_id: None,
                versions: vec![
                    Version {
                        id: Some("v3".into()),
                        is_default: false,
                        document: perimeter,
                    },
                    Version {
                        id: Some("v2".into()),
                        is_default: false,
                        document: json!({"Statement": []}),
                    },
                ],
            },
        );
        let found = details.found();
        assert_eq!(found.read, 1);
        assert_eq!(found.kept[0].name, "perimeter");
        assert_eq!(found.kept[0].version_id.as_deref(), Some("v3"));
    }
}
