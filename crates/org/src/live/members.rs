//! Member accounts, read through an assumable role: each account's IAM roles
//! whose trust reaches outside the account or leans on the organization, and
//! its resource policies and identity policies that lean on the organization
//! (`resource_policies`, `identity_policies`).
//!
//! For every active account but the management account, discovery assumes
//! `arn:aws:iam::ACCOUNT:role/MEMBER_ROLE` (`sts:AssumeRole`, with the external
//! ID when one is given), then lists the account's roles (`iam:ListRoles`). The
//! management account is read with the caller's own credentials. A role is kept
//! when its trust policy trusts another account or uses `aws:PrincipalOrgID`,
//! `aws:PrincipalOrgPaths` or `aws:ResourceOrgID` (see
//! `orgpool_model::trust`); same-account and service roles are counted, not
//! kept. An account that refuses the role is a gap, and discovery goes on.
//!
//! `ListRoles` returns each trust policy URL-encoded (IAM API reference, Role
//! data type: "AssumeRolePolicyDocument … URL-encoded compliant with RFC
//! 3986"); documents are decoded when they are not already plain JSON (moto
//! returns them plain).

use aws_config::sts::AssumeRoleProvider;
use aws_sdk_iam::Client as Iam;
use futures::StreamExt;
use orgpool_model::{Account, AccountStatus, IamRole, IdentityPolicy, ResourcePolicy};

use super::{Session, describe, identity_policies, resource_policies};
use crate::iam_details::{decode_policy, keep_role};

/// IAM action `sts:AssumeRole`.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";
/// IAM action `iam:ListRoles`.
pub const LIST_ROLES: &str = "iam:ListRoles";

/// The actions this module calls (`sts:AssumeRole` is on the caller's side;
/// `iam:ListRoles` is what the member role must allow).
pub const ACTIONS: &[&str] = &[ASSUME_ROLE, LIST_ROLES];

/// How to reach member accounts.
#[derive(Debug, Clone)]
pub struct MemberAccess {
    /// The role to assume in each member account.
    pub role_name: String,
    /// The external ID the role's trust policy asks for.
    pub external_id: Option<String>,
}

impl Default for MemberAccess {
    fn default() -> Self {
        MemberAccess {
            role_name: "OrganizationAccountAccessRole".to_owned(),
            external_id: None,
        }
    }
}

/// What was read in member accounts.
#[derive(Default)]
pub(super) struct MemberReads {
    /// The roles kept.
    pub roles: Vec<IamRole>,
    /// Roles read in all, kept or not.
    pub roles_read: usize,
    /// The resource policies kept.
    pub resource_policies: Vec<ResourcePolicy>,
    /// Resource policies read in all, kept or not.
    pub resource_policies_read: usize,
    /// The identity policies kept.
    pub identity_policies: Vec<IdentityPolicy>,
    /// Identity policies read in all, kept or not.
    pub identity_policies_read: usize,
}

/// What to read in each account besides its roles.
#[derive(Clone, Copy)]
pub(super) struct MemberReadsAsked<'a> {
    /// The regions whose resource policies are read (buckets are read once
    /// whatever the regions); none when resource policies are not read.
    pub resource_policy_regions: Option<&'a [String]>,
    /// Whether identity policies are read.
    pub identity_policies: bool,
}

/// Reads every active account's roles and what `asked` asks for: its
/// resource policies (buckets once, the rest in each region listed) and its
/// identity policies.
pub(super) async fn read(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    accounts: &[Account],
    management: &str,
    access: &MemberAccess,
    asked: MemberReadsAsked<'_>,
) -> MemberReads {
    let active: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .collect();
    let per_account: Vec<MemberReads> = futures::stream::iter(active)
        .map(|account| async move {
            let member_config = if account.id == management {
                Some(config.clone())
            } else {
                assume(s, config, &account.id, access).await
            };
            let Some(c) = member_config else {
                return MemberReads::default();
            };
            let (roles, roles_read) = roles_of(s, &c, &account.id).await;
            let policies = match asked.resource_policy_regions {
                Some(regions) => resource_policies::read(s, &c, &account.id, regions).await,
                None => resource_policies::Found::default(),
            };
            let identity = if asked.identity_policies {
                identity_policies::read(s, &c, &account.id).await
            } else {
                identity_policies::Found::default()
            };
            for (api, arn) in &policies.unreadable {
                not_json(
                    s,
                    &account.id,
                    api,
                    arn,
                    "policy document",
                    "organization keys",
                );
            }
            for label in &identity.unreadable {
                let api = identity_policies::GET_ACCOUNT_AUTHORIZATION_DETAILS;
                not_json(
                    s,
                    &account.id,
                    api,
                    label,
                    "policy document",
                    "organization keys",
                );
            }
            MemberReads {
                roles,
                roles_read,
                resource_policies: policies.kept,
                resource_policies_read: policies.read,
                identity_policies: identity.kept,
                identity_policies_read: identity.read,
            }
        })
        .buffered(s.concurrency())
        .collect()
        .await;
    let mut out = MemberReads::default();
    for one in per_account {
        out.roles.extend(one.roles);
        out.roles_read += one.roles_read;
        out.resource_policies.extend(one.resource_policies);
        out.resource_policies_read += one.resource_policies_read;
        out.identity_policies.extend(one.identity_policies);
        out.identity_policies_read += one.identity_policies_read;
    }
    out
}

/// A configuration whose credentials are the member role's, once one call
/// has shown the role can be assumed.
async fn assume(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    account: &str,
    access: &MemberAccess,
) -> Option<aws_config::SdkConfig> {
    let arn = format!("arn:aws:iam::{account}:role/{}", access.role_name);
    let mut builder = AssumeRoleProvider::builder(&arn)
        .session_name("orgpool-discovery")
        .configure(config);
    if let Some(id) = &access.external_id {
        builder = builder.external_id(id);
    }
    let provider = builder.build().await;
    s.call(ASSUME_ROLE);
    use aws_credential_types::provider::ProvideCredentials;
    if let Err(e) = provider.provide_credentials().await {
        s.gap(account, ASSUME_ROLE, format!("{arn}: {}", describe(&e)));
        return None;
    }
    Some(
        config
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build(),
    )
}

async fn roles_of(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    account: &str,
) -> (Vec<IamRole>, usize) {
    let iam = Iam::new(config);
    let mut pages = iam.list_roles().into_paginator().send();
    let mut kept = Vec::new();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        s.call(LIST_ROLES);
        match page {
            Ok(page) => {
                for r in page.roles() {
                    read += 1;
                    let role = IamRole {
                        account_id: account.to_owned(),
                        role_name: r.role_name().to_owned(),
                        arn: r.arn().to_owned(),
                        trust_policy: decode_policy(r.assume_role_policy_document()),
                    };
                    if role.trust_policy.is_string() {
                        let keys = "other accounts or organization keys";
                        not_json(s, account, LIST_ROLES, &role.arn, "trust policy", keys);
                        continue;
                    }
                    if keep_role(&role) {
                        kept.push(role);
                    }
                }
            }
            Err(e) => {
                s.gap(account, LIST_ROLES, describe(&e));
                break;
            }
        }
    }
    (kept, read)
}

/// Records as a gap a policy whose document is not JSON (even URL-decoded):
/// it may name another account or the organization, and "not checked" must
/// not read as "no".
fn not_json(
    s: &Session<'_>,
    account: &str,
    api: &str,
    arn: &str,
    document: &str,
    checked_for: &str,
) {
    s.gap(
        account,
        api,
        format!("{arn}: the {document} is not JSON, so it was not checked for {checked_for}"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_and_plain_documents_decode_alike() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A222222222222%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(decode_policy(Some(plain)), decode_policy(Some(encoded)));
        assert_eq!(
            decode_policy(Some(encoded))["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::222222222222:root"
        );
        assert_eq!(
            decode_policy(Some("%7Bnot json")),
            serde_json::Value::String("%7Bnot json".into())
        );
    }
}
