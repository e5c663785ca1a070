//! Leave readiness, account by account: what stops each account leaving the
//! organization, and what leaving would take away, each with its fix.
//!
//! Rules (AWS Organizations User Guide, "Leave an organization as a member
//! account" and "Remove a member account"): a delegated administrator cannot
//! leave; an account the organization created must be at least 7 days old; an
//! SCP may deny `organizations:LeaveOrganization`; the management account
//! cannot leave (it deletes the organization once it is alone); a suspended or
//! closing account cannot be removed. On leaving, Identity Center assignments
//! are removed, RAM shares scoped to the organization are revoked,
//! service-managed StackSets delete their stacks unless
//! `RetainStacksOnAccountRemoval` is set, and `aws:PrincipalOrgID` (and the
//! other organization keys) stop matching. The account must then stand alone:
//! payment method, contact information, support plan — which no API of the
//! management account shows, so they are manual checks.

use orgpool_model::{Account, AccountStatus, AccountUsage, JoinedMethod, StackSetPermissionModel};

use crate::facts::Facts;
use crate::report::{AccountReport, LeaveItem};
use crate::scp::{LEAVE_ACTION, leave_denials};
use crate::{Thresholds, status_name};

/// One report per account, in the bundle's order.
pub fn account_reports(
    facts: &Facts<'_>,
    usage: Option<&AccountUsage>,
    t: &Thresholds,
) -> Vec<AccountReport> {
    facts
        .bundle
        .accounts
        .iter()
        .map(|a| {
            let cost = usage.map(|u| u.cost_by_account.get(&a.id).copied().unwrap_or(0.0));
            AccountReport {
                id: a.id.clone(),
                name: a.name.clone(),
                status: status_name(a.status).to_owned(),
                management: a.id == facts.bundle.organization.management_account_id,
                active: cost.map(|c| a.status == AccountStatus::Active && c > t.active_usage),
                usage_cost: cost.map(|c| (c * 100.0).round() / 100.0),
                leave_blockers: leave_items(facts, a, t),
                manual_checks: manual_checks(a),
            }
        })
        .collect()
}

fn item(
    check: &str,
    blocking: bool,
    detail: String,
    evidence: Vec<String>,
    fix: String,
) -> LeaveItem {
    LeaveItem {
        check: check.to_owned(),
        blocking,
        detail,
        evidence,
        fix,
    }
}

/// Everything in the way of `account` leaving.
pub fn leave_items(facts: &Facts<'_>, account: &Account, t: &Thresholds) -> Vec<LeaveItem> {
    let b = facts.bundle;
    let id = account.id.as_str();
    let mut out = Vec::new();
    if id == b.organization.management_account_id {
        out.push(item(
            "management_account",
            true,
            "the management account cannot leave its own organization".into(),
            vec![b.organization.id.clone()],
            "after every member account has left, delete the organization (aws organizations delete-organization); the account is then standalone".into(),
        ));
    }
    if account.status != AccountStatus::Active {
        out.push(item(
            "suspended",
            true,
            format!("the account is {}: it cannot be removed, and AWS closes it for good after 90 days", status_name(account.status)),
            vec![id.to_owned()],
            "leave it to close; or reopen it through AWS Support before the 90 days end if it is still needed".into(),
        ));
        // It does not move: nothing else stands in the way of a move it
        // will not make.
        return out;
    }
    for d in b
        .delegated_administrators
        .iter()
        .filter(|d| d.account_id == id)
    {
        out.push(item(
            "delegated_administrator",
            true,
            format!("delegated administrator for {}", d.service_principal),
            vec![format!("{}:{}", d.account_id, d.service_principal)],
            format!(
                "aws organizations deregister-delegated-administrator --account-id {id} --service-principal {}",
                d.service_principal
            ),
        ));
    }
    for s in b
        .security_service_admins
        .iter()
        .filter(|s| s.admin_account_id == id)
    {
        out.push(item(
            "security_service_admin",
            true,
            format!("{} organization administrator in {}", s.service, s.region),
            vec![format!("{}:{}:{}", s.service, s.region, id)],
            format!(
                "aws {} disable-organization-admin-account --admin-account-id {id} --region {}",
                s.service, s.region
            ),
        ));
    }
    let age = b.generated_at - account.joined_timestamp;
    if account.joined_method == JoinedMethod::Created
        && age < chrono::Duration::days(t.min_account_age_days)
    {
        let ready = account.joined_timestamp + chrono::Duration::days(t.min_account_age_days);
        out.push(item(
            "created_recently",
            true,
            format!(
                "created by the organization {} day(s) before the inventory; AWS requires {} days",
                age.num_days(),
                t.min_account_age_days
            ),
            vec![id.to_owned()],
            format!(
                "wait until {} before it leaves",
                ready.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    for denial in leave_denials(facts, account) {
        let detail = if denial.explicit_deny {
            format!(
                "an SCP attached to {} denies {LEAVE_ACTION}{}",
                denial.target_id,
                if denial.conditional {
                    " (under a condition)"
                } else {
                    ""
                }
            )
        } else {
            format!(
                "no SCP attached to {} allows {LEAVE_ACTION}",
                denial.target_id
            )
        };
        let fix = if denial.explicit_deny {
            format!(
                "aws organizations detach-policy --policy-id {} --target-id {} (or add an exception for this account's leave)",
                denial.policy_ids.join(","),
                denial.target_id
            )
        } else {
            format!(
                "aws organizations attach-policy --policy-id p-FullAWSAccess --target-id {}",
                denial.target_id
            )
        };
        out.push(item(
            "scp_denies_leave",
            true,
            detail,
            denial.policy_ids,
            fix,
        ));
    }
    out.extend(losses(facts, id));
    out
}

/// What leaving takes from the account (it can leave, but these break).
fn losses(facts: &Facts<'_>, id: &str) -> Vec<LeaveItem> {
    let b = facts.bundle;
    let mut out = Vec::new();
    let stack_sets: Vec<String> = b
        .stack_sets
        .iter()
        .filter(|s| {
            s.permission_model == StackSetPermissionModel::ServiceManaged
                && !s.retain_stacks_on_account_removal
                && s.stack_instance_account_ids.iter().any(|a| a == id)
        })
        .map(|s| s.name.clone())
        .collect();
    if !stack_sets.is_empty() {
        out.push(item(
            "service_managed_stack_sets",
            false,
            format!("{} service-managed StackSet(s) will delete their stacks from this account", stack_sets.len()),
            stack_sets.clone(),
            format!(
                "aws cloudformation update-stack-set --stack-set-name {} --use-previous-template --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=true",
                stack_sets[0]
            ),
        ));
    }
    let assignments = facts.assignments_by_account();
    if let Some(list) = assignments.get(id) {
        let sets: std::collections::BTreeSet<&str> = list
            .iter()
            .map(|(_, a)| a.permission_set_arn.as_str())
            .collect();
        out.push(item(
            "sso_assignments",
            false,
            format!("{} Identity Center assignment(s) will vanish ({} permission set(s))", list.len(), sets.len()),
            sets.iter().map(|s| (*s).to_owned()).collect(),
            "record them (aws sso-admin list-account-assignments), then recreate the access as IAM roles or in the payer's Identity Center before leaving".into(),
        ));
    }
    let org_roles: Vec<String> = facts
        .org_condition_roles
        .iter()
        .filter(|r| r.role.account_id == id)
        .map(|r| r.role.arn.clone())
        .collect();
    if !org_roles.is_empty() {
        out.push(item(
            "roles_trust_org_id",
            false,
            format!("{} role(s) trust by organization condition keys and will start denying", org_roles.len()),
            org_roles,
            "replace aws:PrincipalOrgID/PrincipalOrgPaths/ResourceOrgID conditions with explicit account IDs (aws iam update-assume-role-policy)".into(),
        ));
    }
    let resources: Vec<String> = facts
        .org_condition_resources
        .iter()
        .map(|r| r.policy.arn.clone())
        .collect();
    if !resources.is_empty() {
        out.push(item(
            "resource_policies_org_keys",
            false,
            format!("{} resource policy(ies) grant or deny by organization: this account stops matching them once it leaves", resources.len()),
            resources,
            "name this account explicitly in each policy (aws:PrincipalAccount or aws:SourceAccount beside the organization condition) before leaving: aws s3api put-bucket-policy, aws kms put-key-policy, aws sqs set-queue-attributes, aws sns set-topic-attributes, aws lambda add-permission, aws events put-permission, aws ecr set-repository-policy, aws secretsmanager put-resource-policy".into(),
        ));
    }
    let identities: Vec<String> = facts
        .org_condition_identities
        .iter()
        .filter(|r| r.policy.account_id == id)
        .map(|r| r.policy.label())
        .collect();
    if !identities.is_empty() {
        out.push(item(
            "identity_policies_org_keys",
            false,
            format!("{} identity policy(ies) of this account allow or deny by organization (aws:ResourceOrgID and the like): once it leaves, its own resources no longer match them", identities.len()),
            identities,
            "allow this account explicitly beside the organization condition (aws:ResourceAccount) before leaving: aws iam create-policy-version --set-as-default for a managed policy, aws iam put-role-policy, put-user-policy or put-group-policy for an inline one".into(),
        ));
    }
    let shares: Vec<String> = facts
        .internal_ram_shares
        .iter()
        .filter(|s| Facts::share_is_org_scoped(s) && s.owner_account_id != id)
        .map(|s| s.arn.clone())
        .collect();
    if !shares.is_empty() {
        out.push(item(
            "org_ram_shares",
            false,
            format!("{} RAM share(s) scoped to the organization or an OU will be revoked for this account", shares.len()),
            shares,
            "have the owner share with this account's ID explicitly (aws ram associate-resource-share, external principals allowed) before leaving".into(),
        ));
    }
    out
}

/// Prerequisites no API of the management account shows.
fn manual_checks(account: &Account) -> Vec<LeaveItem> {
    let id = &account.id;
    vec![
        item(
            "payment_method",
            false,
            "the account needs its own payment method to stand alone".into(),
            vec![id.clone()],
            "sign in to the account's Billing console (Payment preferences) and add a payment method".into(),
        ),
        item(
            "contact_information",
            false,
            "the account needs complete contact information".into(),
            vec![id.clone()],
            format!("aws account get-contact-information --account-id {id} (then put-contact-information if incomplete)"),
        ),
        item(
            "support_plan",
            false,
            "a standalone account has its own support plan (Basic unless chosen)".into(),
            vec![id.clone()],
            "choose a support plan in the account's Support Center if Basic is not enough".into(),
        ),
        item(
            "root_credentials",
            false,
            format!("someone must be able to sign in as the root user ({})", account.email),
            vec![id.clone()],
            "confirm the root email inbox is reachable, reset the root password and enable MFA on the root user".into(),
        ),
    ]
}
