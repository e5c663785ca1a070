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
//! URL-encoded (RFC 3986) and decoded by `iam_details::decode_policy`;
//! what is kept is decided in `crate::iam_details`, shared with `from_cli`.
//!
//! A failing call is a gap for its account, and discovery goes on.

use aws_sdk_iam::Client as Iam;
use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, EntityType, PolicyDetail};
use orgpool_model::IdentityPolicyKind;

pub(super) use crate::iam_details::Found;
use crate::iam_details::{Details, Holder, Managed, Version, decode_policy};

use super::{Session, describe, text};

/// IAM action `iam:GetAccountAuthorizationDetails`.
pub const GET_ACCOUNT_AUTHORIZATION_DETAILS: &str = "iam:GetAccountAuthorizationDetails";

/// The actions this module calls (in each account it reads).
pub const ACTIONS: &[&str] = &[GET_ACCOUNT_AUTHORIZATION_DETAILS];

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
            Ok(page) => add_page(&mut details, account, &page),
            Err(e) => {
                s.gap(account, GET_ACCOUNT_AUTHORIZATION_DETAILS, describe(&e));
                break;
            }
        }
    }
    details.found()
}

type Page =
    aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;

/// Hands one page's policies, roles, users and groups to `details`.
fn add_page(details: &mut Details, account: &str, page: &Page) {
    for p in page.policies() {
        details.managed(account, managed(p));
    }
    for r in page.role_detail_list() {
        let managed = managed_arns(r.attached_managed_policies(), r.permissions_boundary());
        let holder = holder(
            r.arn(),
            IdentityPolicyKind::RoleInline,
            r.role_policy_list(),
            managed,
        );
        details.holder(account, holder);
    }
    for u in page.user_detail_list() {
        let managed = managed_arns(u.attached_managed_policies(), u.permissions_boundary());
        let holder = holder(
            u.arn(),
            IdentityPolicyKind::UserInline,
            u.user_policy_list(),
            managed,
        );
        details.holder(account, holder);
    }
    for g in page.group_detail_list() {
        let managed = managed_arns(g.attached_managed_policies(), None);
        let holder = holder(
            g.arn(),
            IdentityPolicyKind::GroupInline,
            g.group_policy_list(),
            managed,
        );
        details.holder(account, holder);
    }
}

/// The managed policies a role, user or group is under: attached, or its
/// permissions boundary.
fn managed_arns(
    attached: &[AttachedPolicy],
    boundary: Option<&AttachedPermissionsBoundary>,
) -> Vec<String> {
    let boundary = boundary.and_then(|b| b.permissions_boundary_arn());
    attached
        .iter()
        .map(|a| a.policy_arn())
        .chain([boundary])
        .flatten()
        .map(str::to_owned)
        .collect()
}

fn holder(
    arn: Option<&str>,
    kind: IdentityPolicyKind,
    inline: &[PolicyDetail],
    managed: Vec<String>,
) -> Holder {
    Holder {
        arn: text(arn),
        kind,
        inline: inline
            .iter()
            .map(|p| (text(p.policy_name()), decode_policy(p.policy_document())))
            .collect(),
        managed,
    }
}

/// A customer managed policy with its versions.
fn managed(p: &aws_sdk_iam::types::ManagedPolicyDetail) -> Managed {
    Managed {
        arn: text(p.arn()),
        name: p.policy_name().map(str::to_owned),
        default_version_id: p.default_version_id().map(str::to_owned),
        versions: p
            .policy_version_list()
            .iter()
            .map(|v| Version {
                id: v.version_id().map(str::to_owned),
                is_default: v.is_default_version(),
                document: decode_policy(v.document()),
            })
            .collect(),
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
        add_page(&mut details, "111111111111", &first);
        add_page(&mut details, "111111111111", &second);
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
        add_page(&mut details, "111111111111", &page);
        let found = details.found();
        assert_eq!(found.read, 2);
        assert!(found.kept.is_empty());
        assert_eq!(found.unreadable, vec![format!("{role}#broken")]);
    }
}
