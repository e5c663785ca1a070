//! IAM identity policies read in each account: customer managed policies and
//! the inline policies of roles, users and groups. A policy is kept when one
//! of its statements uses an organization condition key
//! (`orgpool_model::trust::ORG_CONDITION_KEYS`), as a data perimeter does:
//! `Deny` unless `aws:ResourceOrgID` is the organization's. The others are
//! counted, not kept. AWS managed policies are not read: AWS writes them, and
//! none names a customer's organization.
//!
//! API, in the account's own credentials (see `members`): one paginated
//! `iam:GetAccountAuthorizationDetails` with the filter `LocalManagedPolicy`,
//! `Role`, `User`, `Group`. It returns every customer managed policy with
//! its versions, and every role, user and group with its inline policies, its
//! attached managed policies and (roles and users) its permissions boundary
//! (IAM API reference, "GetAccountAuthorizationDetails"). Its documents are
//! URL-encoded (RFC 3986) and decoded by `members::decode_policy`.
//!
//! A failing call is a gap for its account, and discovery goes on.

use std::collections::BTreeMap;

use aws_sdk_iam::Client as Iam;
use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, EntityType, PolicyDetail};
use orgpool_model::{IdentityPolicy, IdentityPolicyKind};

use super::members::decode_policy;
use super::{Session, describe, text};

/// IAM action `iam:GetAccountAuthorizationDetails`.
pub const GET_ACCOUNT_AUTHORIZATION_DETAILS: &str = "iam:GetAccountAuthorizationDetails";

/// The actions this module calls (in each account it reads).
pub const ACTIONS: &[&str] = &[GET_ACCOUNT_AUTHORIZATION_DETAILS];

/// The identity policies of one account.
#[derive(Debug, Default)]
pub(super) struct Found {
    /// Those using an organization condition key.
    pub kept: Vec<IdentityPolicy>,
    /// Policies read in all, kept or not.
    pub read: usize,
    /// Policies whose document is not JSON, by label.
    pub unreadable: Vec<String>,
}

/// One account's customer managed and inline policies.
pub(super) async fn read(s: &Session<'_>, config: &aws_config::SdkConfig, account: &str) -> Found {
    let iam = Iam::new(config);
    let mut pages = iam
        .get_account_authorization_details()
        .set_filter(Some(vec![
            EntityType::LocalManagedPolicy,
            EntityType::Role,
            EntityType::User,
            EntityType::Group,
        ]))
        .into_paginator()
        .send();
    let mut details = Details::default();
    while let Some(page) = pages.next().await {
        s.call(GET_ACCOUNT_AUTHORIZATION_DETAILS);
        match page {
            Ok(page) => details.add_page(account, &page),
            Err(e) => {
                s.gap(account, GET_ACCOUNT_AUTHORIZATION_DETAILS, describe(&e));
                break;
            }
        }
    }
    details.found()
}

/// What the pages hold, gathered: a managed policy's attachments may come on
/// another page than the policy itself.
#[derive(Default)]
struct Details {
    /// Every policy read, managed ones without their attachments yet.
    policies: Vec<IdentityPolicy>,
    /// Each managed policy's ARN, with the principals it applies to.
    attachments: BTreeMap<String, Vec<String>>,
}

/// A role, user or group, as far as its policies go.
struct Holder<'p> {
    arn: Option<&'p str>,
    /// The kind of its inline policies.
    kind: IdentityPolicyKind,
    inline: &'p [PolicyDetail],
    attached: &'p [AttachedPolicy],
    /// Its permissions boundary (roles and users only).
    boundary: Option<&'p AttachedPermissionsBoundary>,
}

type Page =
    aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;

impl Details {
    fn add_page(&mut self, account: &str, page: &Page) {
        for p in page.policies() {
            self.policies.push(managed(account, p));
        }
        for r in page.role_detail_list() {
            self.holder(
                account,
                Holder {
                    arn: r.arn(),
                    kind: IdentityPolicyKind::RoleInline,
                    inline: r.role_policy_list(),
                    attached: r.attached_managed_policies(),
                    boundary: r.permissions_boundary(),
                },
            );
        }
        for u in page.user_detail_list() {
            self.holder(
                account,
                Holder {
                    arn: u.arn(),
                    kind: IdentityPolicyKind::UserInline,
                    inline: u.user_policy_list(),
                    attached: u.attached_managed_policies(),
                    boundary: u.permissions_boundary(),
                },
            );
        }
        for g in page.group_detail_list() {
            self.holder(
                account,
                Holder {
                    arn: g.arn(),
                    kind: IdentityPolicyKind::GroupInline,
                    inline: g.group_policy_list(),
                    attached: g.attached_managed_policies(),
                    boundary: None,
                },
            );
        }
    }

    /// A role's, user's or group's inline policies, and the managed policies
    /// it is under (attached, or its permissions boundary).
    fn holder(&mut self, account: &str, h: Holder<'_>) {
        let holder = text(h.arn);
        for p in h.inline {
            self.policies.push(IdentityPolicy {
                account_id: account.to_owned(),
                kind: h.kind,
                arn: holder.clone(),
                name: text(p.policy_name()),
                version_id: None,
                attached_to: vec![holder.clone()],
                policy: decode_policy(p.policy_document()),
            });
        }
        let boundary = h.boundary.and_then(|b| b.permissions_boundary_arn());
        let managed = h.attached.iter().map(|a| a.policy_arn()).chain([boundary]);
        self.attach(&holder, managed);
    }

    /// Records that `holder` is under each managed policy of `policies`.
    fn attach<'a>(&mut self, holder: &str, policies: impl Iterator<Item = Option<&'a str>>) {
        for arn in policies.flatten() {
            let under = self.attachments.entry(arn.to_owned()).or_default();
            if !under.iter().any(|h| h == holder) {
                under.push(holder.to_owned());
            }
        }
    }

    /// The policies that use an organization key, managed ones with their
    /// attachments, and how many were read.
    fn found(mut self) -> Found {
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

/// A customer managed policy, with the document of its default version.
fn managed(account: &str, p: &aws_sdk_iam::types::ManagedPolicyDetail) -> IdentityPolicy {
    let arn = text(p.arn());
    let default = p
        .policy_version_list()
        .iter()
        .find(|v| v.is_default_version())
        .or_else(|| p.policy_version_list().first());
    IdentityPolicy {
        account_id: account.to_owned(),
        kind: IdentityPolicyKind::Managed,
        name: p
            .policy_name()
            .map(str::to_owned)
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or_default().to_owned()),
        version_id: p
            .default_version_id()
            .or_else(|| default.and_then(|v| v.version_id()))
            .map(str::to_owned),
        attached_to: Vec::new(),
        policy: decode_policy(default.and_then(|v| v.document())),
        arn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::types::{ManagedPolicyDetail, PolicyVersion, RoleDetail, UserDetail};

    const PERIMETER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:ResourceOrgID":"o-abc"}}}]}"#;
    const PLAIN: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

    fn policy_detail(name: &str, document: &str) -> PolicyDetail {
        PolicyDetail::builder()
            .policy_name(name)
            .policy_document(document)
            .build()
    }

    /// A managed policy listed on one page and attached on the next, as a
    /// role's policy and a user's permissions boundary, is kept with both;
    /// inline policies are kept only when they name the organization.
    #[test]
    fn attachments_on_later_pages_reach_their_managed_policy() {
        let arn = "arn:aws:iam::111111111111:policy/perimeter";
        let encoded: String =
            percent_encoding::utf8_percent_encode(PERIMETER, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let first = Page::builder()
            .policies(
                ManagedPolicyDetail::builder()
                    .arn(arn)
                    .default_version_id("v2")
                    .policy_version_list(
                        PolicyVersion::builder()
                            .version_id("v1")
                            .document(PLAIN)
                            .is_default_version(false)
                            .build(),
                    )
                    .policy_version_list(
                        PolicyVersion::builder()
                            .version_id("v2")
                            .document(encoded)
                            .is_default_version(true)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let role = "arn:aws:iam::111111111111:role/app";
        let user = "arn:aws:iam::111111111111:user/ci";
        let second = Page::builder()
            .role_detail_list(
                RoleDetail::builder()
                    .arn(role)
                    .role_policy_list(policy_detail("inline-perimeter", PERIMETER))
                    .role_policy_list(policy_detail("inline-plain", PLAIN))
                    .attached_managed_policies(AttachedPolicy::builder().policy_arn(arn).build())
                    .build(),
            )
            .user_detail_list(
                UserDetail::builder()
                    .arn(user)
                    .permissions_boundary(
                        AttachedPermissionsBoundary::builder()
                            .permissions_boundary_arn(arn)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let mut details = Details::default();
        details.add_page("111111111111", &first);
        details.add_page("111111111111", &second);
        let found = details.found();
        assert_eq!(found.read, 3);
        assert_eq!(found.kept.len(), 2);
        let managed = &found.kept[0];
        assert_eq!(managed.kind, IdentityPolicyKind::Managed);
        assert_eq!(managed.name, "perimeter");
        assert_eq!(managed.version_id.as_deref(), Some("v2"));
        assert_eq!(managed.attached_to, vec![role.to_owned(), user.to_owned()]);
        assert_eq!(managed.org_condition_keys(), vec!["aws:ResourceOrgID"]);
        let inline = &found.kept[1];
        assert_eq!(inline.kind, IdentityPolicyKind::RoleInline);
        assert_eq!(
            (inline.arn.as_str(), inline.name.as_str()),
            (role, "inline-perimeter")
        );
        assert_eq!(inline.holder_name(), "app");
        assert_eq!(inline.attached_to, vec![role.to_owned()]);
        assert!(found.unreadable.is_empty());
    }

    /// A document that is not JSON, even once URL-decoded, is neither kept
    /// nor dropped: it is unreadable, for a gap to say so.
    #[test]
    fn a_document_that_is_not_json_is_unreadable_not_dropped() {
        let role = "arn:aws:iam::111111111111:role/app";
        let page = Page::builder()
            .role_detail_list(
                RoleDetail::builder()
                    .arn(role)
                    .role_policy_list(policy_detail("broken", "%7B%22Statement%22%3A"))
                    .role_policy_list(policy_detail("plain", PLAIN))
                    .build(),
            )
            .build();
        let mut details = Details::default();
        details.add_page("111111111111", &page);
        let found = details.found();
        assert_eq!(found.read, 2);
        assert!(found.kept.is_empty());
        assert_eq!(found.unreadable, vec![format!("{role}#broken")]);
    }
}
