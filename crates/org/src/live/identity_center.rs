//! IAM Identity Center: instances, permission sets with their policies, account
//! assignments, and the identity store's users, groups and memberships.
//!
//! APIs (IAM Identity Center and Identity Store API references):
//! `sso:ListInstances`; per instance `sso:ListPermissionSets`, then per set
//! `sso:DescribePermissionSet`, `sso:ListManagedPoliciesInPermissionSet`,
//! `sso:ListCustomerManagedPolicyReferencesInPermissionSet` and
//! `sso:GetInlinePolicyForPermissionSet`; `sso:ListAccountAssignments` per
//! (account, permission set), which works wherever the set was provisioned;
//! `identitystore:ListUsers`, `identitystore:ListGroups` and
//! `identitystore:ListGroupMemberships` per group.

use aws_sdk_identitystore::Client as IdentityStore;
use aws_sdk_ssoadmin::Client as SsoAdmin;
use futures::StreamExt;
use orgpool_model::{
    AccountAssignment, GroupMembership, PermissionSet, PrincipalType, SsoGroup, SsoInstance,
    SsoUser,
};

use super::{Session, describe, text};

/// IAM action `sso:ListInstances`.
pub const LIST_INSTANCES: &str = "sso:ListInstances";
/// IAM action `sso:ListPermissionSets`.
pub const LIST_PERMISSION_SETS: &str = "sso:ListPermissionSets";
/// IAM action `sso:DescribePermissionSet`.
pub const DESCRIBE_PERMISSION_SET: &str = "sso:DescribePermissionSet";
/// IAM action `sso:ListManagedPoliciesInPermissionSet`.
pub const LIST_MANAGED_POLICIES: &str = "sso:ListManagedPoliciesInPermissionSet";
/// IAM action `sso:ListCustomerManagedPolicyReferencesInPermissionSet`.
pub const LIST_CUSTOMER_POLICIES: &str = "sso:ListCustomerManagedPolicyReferencesInPermissionSet";
/// IAM action `sso:GetInlinePolicyForPermissionSet`.
pub const GET_INLINE_POLICY: &str = "sso:GetInlinePolicyForPermissionSet";
/// IAM action `sso:ListAccountAssignments`.
pub const LIST_ASSIGNMENTS: &str = "sso:ListAccountAssignments";
/// IAM action `identitystore:ListUsers`.
pub const LIST_USERS: &str = "identitystore:ListUsers";
/// IAM action `identitystore:ListGroups`.
pub const LIST_GROUPS: &str = "identitystore:ListGroups";
/// IAM action `identitystore:ListGroupMemberships`.
pub const LIST_MEMBERSHIPS: &str = "identitystore:ListGroupMemberships";

/// The actions this module calls.
pub const ACTIONS: &[&str] = &[
    LIST_INSTANCES,
    LIST_PERMISSION_SETS,
    DESCRIBE_PERMISSION_SET,
    LIST_MANAGED_POLICIES,
    LIST_CUSTOMER_POLICIES,
    GET_INLINE_POLICY,
    LIST_ASSIGNMENTS,
    LIST_USERS,
    LIST_GROUPS,
    LIST_MEMBERSHIPS,
];

/// Every Identity Center instance the management account sees.
pub(super) async fn read(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    accounts: &[String],
) -> Vec<SsoInstance> {
    let sso = SsoAdmin::new(config);
    let store = IdentityStore::new(config);
    let mut instances = Vec::new();
    let mut pages = sso.list_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        s.call(LIST_INSTANCES);
        match page {
            Ok(page) => instances.extend(page.instances().iter().cloned()),
            Err(e) => {
                s.gap("organization", LIST_INSTANCES, describe(&e));
                return Vec::new();
            }
        }
    }
    let mut out = Vec::new();
    for i in instances {
        let arn = text(i.instance_arn());
        let store_id = text(i.identity_store_id());
        let permission_sets = permission_sets(s, &sso, &arn).await;
        let account_assignments = assignments(s, &sso, &arn, &permission_sets, accounts).await;
        let (users, groups, group_memberships) = identities(s, &store, &store_id).await;
        out.push(SsoInstance {
            instance_arn: arn,
            identity_store_id: store_id,
            owner_account_id: text(i.owner_account_id()),
            permission_sets,
            account_assignments,
            users,
            groups,
            group_memberships,
        });
    }
    out
}

async fn permission_sets(s: &Session<'_>, sso: &SsoAdmin, instance: &str) -> Vec<PermissionSet> {
    let pages = sso
        .list_permission_sets()
        .instance_arn(instance)
        .into_paginator()
        .send();
    let arns = s
        .pages(LIST_PERMISSION_SETS, instance, pages, |page| {
            page.permission_sets().to_vec()
        })
        .await;
    futures::stream::iter(arns)
        .map(|arn| permission_set(s, sso, instance, arn))
        .buffered(s.concurrency())
        .collect()
        .await
}

async fn permission_set(
    s: &Session<'_>,
    sso: &SsoAdmin,
    instance: &str,
    arn: String,
) -> PermissionSet {
    let mut set = PermissionSet::new(arn.clone());
    s.call(DESCRIBE_PERMISSION_SET);
    match sso
        .describe_permission_set()
        .instance_arn(instance)
        .permission_set_arn(&arn)
        .send()
        .await
    {
        Ok(out) => {
            if let Some(p) = out.permission_set() {
                set.name = text(p.name());
                set.description = text(p.description());
                set.session_duration = p.session_duration().map(str::to_owned);
            }
        }
        Err(e) => s.gap(&arn, DESCRIBE_PERMISSION_SET, describe(&e)),
    }
    let pages = sso
        .list_managed_policies_in_permission_set()
        .instance_arn(instance)
        .permission_set_arn(&arn)
        .into_paginator()
        .send();
    set.managed_policies.extend(
        s.pages(LIST_MANAGED_POLICIES, &arn, pages, |page| {
            page.attached_managed_policies()
                .iter()
                .map(|p| text(p.arn()))
                .collect()
        })
        .await,
    );
    let pages = sso
        .list_customer_managed_policy_references_in_permission_set()
        .instance_arn(instance)
        .permission_set_arn(&arn)
        .into_paginator()
        .send();
    set.customer_managed_policies.extend(
        s.pages(LIST_CUSTOMER_POLICIES, &arn, pages, |page| {
            page.customer_managed_policy_references()
                .iter()
                .map(|p| format!("{}{}", p.path().unwrap_or("/"), p.name()))
                .collect()
        })
        .await,
    );
    s.call(GET_INLINE_POLICY);
    match sso
        .get_inline_policy_for_permission_set()
        .instance_arn(instance)
        .permission_set_arn(&arn)
        .send()
        .await
    {
        Ok(out) => {
            set.inline_policy = out
                .inline_policy()
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    serde_json::from_str(p).unwrap_or_else(|_| serde_json::Value::String(p.into()))
                });
        }
        Err(e) => s.gap(&arn, GET_INLINE_POLICY, describe(&e)),
    }
    set
}

async fn assignments(
    s: &Session<'_>,
    sso: &SsoAdmin,
    instance: &str,
    sets: &[PermissionSet],
    accounts: &[String],
) -> Vec<AccountAssignment> {
    let pairs: Vec<(String, String)> = accounts
        .iter()
        .flat_map(|a| sets.iter().map(move |p| (a.clone(), p.arn.clone())))
        .collect();
    let lists: Vec<Vec<AccountAssignment>> = futures::stream::iter(pairs)
        .map(|(account, set)| async move {
            let pages = sso
                .list_account_assignments()
                .instance_arn(instance)
                .account_id(&account)
                .permission_set_arn(&set)
                .into_paginator()
                .send();
            s.pages(LIST_ASSIGNMENTS, &account, pages, |page| {
                page.account_assignments()
                    .iter()
                    .map(|a| AccountAssignment {
                        account_id: text(a.account_id()),
                        permission_set_arn: text(a.permission_set_arn()),
                        principal_type: match a.principal_type() {
                            Some(aws_sdk_ssoadmin::types::PrincipalType::Group) => {
                                PrincipalType::Group
                            }
                            _ => PrincipalType::User,
                        },
                        principal_id: text(a.principal_id()),
                    })
                    .collect()
            })
            .await
        })
        .buffered(s.concurrency())
        .collect()
        .await;
    lists.into_iter().flatten().collect()
}

async fn identities(
    s: &Session<'_>,
    store: &IdentityStore,
    store_id: &str,
) -> (Vec<SsoUser>, Vec<SsoGroup>, Vec<GroupMembership>) {
    let pages = store
        .list_users()
        .identity_store_id(store_id)
        .into_paginator()
        .send();
    let users = s
        .pages(LIST_USERS, store_id, pages, |page| {
            page.users()
                .iter()
                .map(|u| SsoUser {
                    id: text(Some(u.user_id())),
                    user_name: text(u.user_name()),
                    display_name: text(u.display_name()),
                    emails: u
                        .emails()
                        .iter()
                        .filter_map(|e| e.value())
                        .map(str::to_owned)
                        .collect(),
                })
                .collect()
        })
        .await;
    let pages = store
        .list_groups()
        .identity_store_id(store_id)
        .into_paginator()
        .send();
    let groups = s
        .pages(LIST_GROUPS, store_id, pages, |page| {
            page.groups()
                .iter()
                .map(|g| SsoGroup {
                    id: text(Some(g.group_id())),
                    display_name: text(g.display_name()),
                    description: text(g.description()),
                })
                .collect()
        })
        .await;
    let lists: Vec<Vec<GroupMembership>> =
        futures::stream::iter(groups.iter().map(|g| g.id.clone()))
            .map(|group| async move {
                let pages = store
                    .list_group_memberships()
                    .identity_store_id(store_id)
                    .group_id(&group)
                    .into_paginator()
                    .send();
                s.pages(LIST_MEMBERSHIPS, &group, pages, |page| {
                    page.group_memberships()
                        .iter()
                        .filter_map(|m| {
                            let user = m.member_id()?.as_user_id().ok()?;
                            Some(GroupMembership {
                                group_id: group.clone(),
                                user_id: user.clone(),
                            })
                        })
                        .collect()
                })
                .await
            })
            .buffered(s.concurrency())
            .collect()
            .await;
    (users, groups, lists.into_iter().flatten().collect())
}
