//! Impacts of each path in the four areas, covering every item of the AWS
//! migration checklist in DESIGN.md ("Leaving an organization"): the leave
//! prerequisites (standalone readiness, delegated administrators, the 7-day
//! rule, SCPs denying the leave) and what leaving ends (SCPs, RCPs, tag and
//! backup policies; Identity Center assignments and Identity Center itself;
//! organization-scoped RAM shares; service-managed StackSets; organization
//! condition keys; organization trails and Config aggregators; Cost Explorer
//! history; RI/SP sharing).
//!
//! `import_whole` means a billing transfer: the organization stays intact and
//! only its bill moves, so most items cost it nothing; what it does cost (no
//! pooling across customers) is stated too.

use std::collections::BTreeSet;

use orgpool_model::{AccountStatus, PolicyType, StackSetPermissionModel};

use crate::facts::Facts;
use crate::report::{AccountReport, Area, Impact, Path, PathEffect, Pooling, Severity};

/// The organization keeps working under `import_whole` for most items.
const KEPT: &str = "nothing: the organization stays intact under a billing transfer";

struct Draft {
    id: &'static str,
    area: Area,
    title: String,
    evidence: Vec<String>,
    remediation: String,
    break_up: (Severity, String),
    import_whole: (Severity, String),
}

impl Draft {
    fn finish(self, path: Path) -> Impact {
        let effect = |(severity, effect): (Severity, String)| PathEffect { severity, effect };
        let break_up = effect(self.break_up);
        let import_whole = effect(self.import_whole);
        Impact {
            id: self.id.to_owned(),
            area: self.area,
            severity: match path {
                Path::BreakUp => break_up.severity,
                Path::ImportWhole => import_whole.severity,
            },
            title: self.title,
            evidence: self.evidence,
            remediation: self.remediation,
            break_up,
            import_whole,
        }
    }
}

fn kept() -> (Severity, String) {
    (Severity::Info, KEPT.to_owned())
}

/// Every impact that applies to this organization, most severe first.
pub fn impacts(
    facts: &Facts<'_>,
    accounts: &[AccountReport],
    path: Path,
    pooling: Option<&Pooling>,
) -> Vec<Impact> {
    let mut drafts = Vec::new();
    access_control(facts, accounts, &mut drafts);
    cross_account_functions(facts, &mut drafts);
    account_management(facts, accounts, &mut drafts);
    if let Some(p) = pooling {
        with_pooling(&mut drafts, p);
    }
    organizational_structure(facts, &mut drafts);
    let mut out: Vec<Impact> = drafts
        .into_iter()
        .filter(|d| !d.evidence.is_empty())
        .map(|d| d.finish(path))
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.area.cmp(&b.area)));
    out
}

/// The commitment sharing impact, with the pooled what-if's figures: what a
/// break-up brings into play, and what importing whole leaves out.
fn with_pooling(drafts: &mut [Draft], p: &Pooling) {
    let Some(d) = drafts.iter_mut().find(|d| d.id == "commitment_sharing") else {
        return;
    };
    let money = |x: f64| format!("{x:.2}");
    d.evidence.push(format!(
        "pooled what-if: joining worth {} a month, buying alone {}, gain of pooling {}",
        money(p.value_of_joining_per_month),
        money(p.alone_per_month),
        money(p.gain_per_month)
    ));
    d.break_up.1 = format!(
        "{}; the pooled what-if finds joining worth {} a month to the pool and you together (your best purchase alone: {}), {} of it from pooling",
        d.break_up.1,
        money(p.value_of_joining_per_month),
        money(p.alone_per_month),
        money(p.gain_per_month)
    );
    d.import_whole.1 = format!(
        "{}; it leaves out the {} a month of pooling gain the pooled what-if finds",
        d.import_whole.1,
        money(p.gain_per_month)
    );
}

fn access_control(facts: &Facts<'_>, accounts: &[AccountReport], out: &mut Vec<Draft>) {
    let area = Area::AccessControl;
    let sso_accounts: BTreeSet<&str> = facts
        .sso_assignments
        .iter()
        .map(|(_, a)| a.account_id.as_str())
        .collect();
    out.push(Draft {
        id: "sso_assignments",
        area,
        title: format!(
            "{} Identity Center assignment(s) give people access to {} account(s)",
            facts.sso_assignments.len(),
            sso_accounts.len()
        ),
        evidence: facts
            .sso_assignments
            .iter()
            .map(|(_, a)| a.permission_set_arn.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        remediation: "keep the organization whole; if it must break up, record every assignment and recreate the access in the payer's Identity Center or as IAM roles first".into(),
        break_up: (Severity::Blocker, "every assignment is removed when an account leaves, and Identity Center cannot run without an organization: people lose access".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "sso_instance_unused",
        area,
        title: "an Identity Center instance exists but assigns nothing".into(),
        evidence: facts.sso_unused_instances.iter().map(|s| (*s).to_owned()).collect(),
        remediation: "nothing to move; delete the instance if no one uses it".into(),
        break_up: (Severity::Low, "the instance goes with the organization; no one loses access because nothing is assigned".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "guardrail_policies",
        area,
        title: "custom service and resource control policies guard the accounts".into(),
        evidence: facts
            .custom_policies
            .iter()
            .filter(|p| {
                matches!(
                    p.policy_type,
                    PolicyType::ServiceControlPolicy | PolicyType::ResourceControlPolicy
                ) && !p.targets.is_empty()
            })
            .map(|p| p.id.clone())
            .collect(),
        remediation: "before breaking up, re-create the guardrails in the payer organization's OUs (orgpool's export keeps their content), or as IAM permission boundaries".into(),
        break_up: (Severity::High, "SCPs and RCPs stop applying the moment an account leaves: the guardrails are gone until the payer applies its own".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "org_condition_keys",
        area,
        title: "policies trust by organization (aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:ResourceOrgID)".into(),
        evidence: facts.org_condition_roles.iter().map(|r| r.role.arn.clone()).collect(),
        remediation: "replace the organization conditions with explicit account IDs before anyone leaves (aws iam update-assume-role-policy); resource policies are under org_keyed_resource_policies".into(),
        break_up: (Severity::High, "the conditions stop matching for accounts that left: these roles start denying them".into()),
        import_whole: (Severity::Info, "the organization ID does not change under a billing transfer: the conditions keep matching".into()),
    });
    out.push(Draft {
        id: "org_keyed_resource_policies",
        area,
        title: "resource policies (S3, KMS, SQS, SNS, Lambda, EventBridge, ECR, Secrets Manager) grant or deny by organization (aws:PrincipalOrgID, aws:SourceOrgID and the like)".into(),
        evidence: facts.org_condition_resources.iter().map(|r| r.policy.arn.clone()).collect(),
        remediation: "before anyone leaves, name the leaving accounts explicitly in these policies (aws:PrincipalAccount, aws:SourceAccount or Principal) beside the organization condition, then drop it once the payer's organization ID is known".into(),
        break_up: (Severity::High, "an account that left no longer carries the organization's ID: what these policies allow by organization is refused to it, and a data perimeter's Deny on the organization's absence starts denying it".into()),
        import_whole: (Severity::Info, "the organization ID does not change under a billing transfer: the conditions keep matching".into()),
    });
    out.push(Draft {
        id: "org_keyed_identity_policies",
        area,
        title: "IAM identity policies (customer managed and inline) allow or deny by organization: a data perimeter's aws:ResourceOrgID".into(),
        evidence: facts.org_condition_identities.iter().map(|r| r.policy.label()).collect(),
        remediation: "before anyone leaves, allow the leaving accounts explicitly beside the organization condition (aws:ResourceAccount, aws:PrincipalAccount), then move the condition to the payer's organization ID once it is known".into(),
        break_up: (Severity::High, "an account that left owns resources outside the organization: its own principals' perimeter denies them their own buckets and keys, and the other accounts' principals are denied its resources".into()),
        import_whole: (Severity::Info, "the organization ID does not change under a billing transfer: the conditions keep matching".into()),
    });
    out.push(Draft {
        id: "cross_account_roles",
        area,
        title: "roles trust other member accounts".into(),
        evidence: facts.cross_account_roles.iter().map(|r| r.role.arn.clone()).collect(),
        remediation: "nothing for the trust itself; re-apply the guardrails that surrounded these accounts".into(),
        break_up: (Severity::Low, "trust by account ID keeps working after leaving, but the accounts are no longer under common guardrails".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "management_access_roles",
        area,
        title: "the management account can assume roles in member accounts (OrganizationAccountAccessRole and the like)".into(),
        evidence: facts.management_access_roles.iter().map(|r| r.role.arn.clone()).collect(),
        remediation: "after an account leaves, delete these roles or change their trust to the account's new administrators".into(),
        break_up: (Severity::Medium, "the former management account keeps administrator access into accounts that left, through a trust by account ID".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "external_trust_roles",
        area,
        title: "roles trust accounts outside the organization".into(),
        evidence: facts
            .external_trust_roles
            .iter()
            .map(|r| r.role.arn.clone())
            .collect(),
        remediation: "nothing: trust by account ID does not depend on the organization".into(),
        break_up: (Severity::Info, "unchanged".into()),
        import_whole: (Severity::Info, "unchanged".into()),
    });
    let scp_blocked: Vec<String> = accounts
        .iter()
        .filter(|a| {
            a.leave_blockers
                .iter()
                .any(|l| l.check == "scp_denies_leave")
        })
        .map(|a| a.id.clone())
        .collect();
    out.push(Draft {
        id: "scp_denies_leave",
        area,
        title: "SCPs stop accounts calling organizations:LeaveOrganization".into(),
        evidence: scp_blocked,
        remediation: "detach the denying SCP from the leaving accounts (or remove them from its OU) just before they leave; the runbook has the commands".into(),
        break_up: (Severity::Blocker, "AWS refuses the leave until the SCP is changed".into()),
        import_whole: kept(),
    });
}

fn cross_account_functions(facts: &Facts<'_>, out: &mut Vec<Draft>) {
    let b = facts.bundle;
    let area = Area::CrossAccountFunctions;
    out.push(Draft {
        id: "org_trail",
        area,
        title: "an organization CloudTrail trail logs every account".into(),
        evidence: b.cloudtrail_trails.iter().filter(|t| t.is_organization_trail).map(|t| t.arn.clone()).collect(),
        remediation: "before each account leaves, create a multi-region trail in it that writes to a bucket the security team still reads".into(),
        break_up: (Severity::High, "an account that leaves is no longer logged by the organization trail: API activity goes unrecorded".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "config_aggregator",
        area,
        title: "AWS Config aggregates the organization's accounts".into(),
        evidence: b.config_aggregators.iter().filter(|a| a.organization_wide || a.source_account_ids.iter().any(|s| *s != a.account_id)).map(|a| a.arn.clone()).collect(),
        remediation: "switch the aggregator to explicit source accounts and have each account authorize it (aws configservice put-aggregation-authorization)".into(),
        break_up: (Severity::Medium, "the organization aggregator loses accounts that left: compliance views go blind".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "security_admins",
        area,
        title: "GuardDuty or Security Hub is administered for the whole organization".into(),
        evidence: b.security_service_admins.iter().map(|s| format!("{}:{}:{}", s.service, s.region, s.admin_account_id)).collect(),
        remediation: "enable the service in each leaving account and invite it as a member account by invitation, or have the payer's security team adopt it".into(),
        break_up: (Severity::High, "accounts that leave drop out of organization-wide threat detection and findings".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "delegated_administrators",
        area,
        title: "accounts are delegated administrators for organization services".into(),
        evidence: b.delegated_administrators.iter().map(|d| format!("{}:{}", d.account_id, d.service_principal)).collect(),
        remediation: "deregister each delegation (aws organizations deregister-delegated-administrator) after moving what it administers".into(),
        break_up: (Severity::Blocker, "a delegated administrator cannot leave, and deregistering stops what it administered for the others".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "org_ram_shares",
        area,
        title: "resources are shared between accounts through AWS RAM".into(),
        evidence: facts.internal_ram_shares.iter().map(|s| s.arn.clone()).collect(),
        remediation: "share with explicit account IDs (external principals allowed) before anyone leaves, or replace the shared resources".into(),
        break_up: (Severity::High, "shares scoped to the organization or an OU are revoked for accounts that leave: shared subnets and gateways disappear from them".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "trusted_services",
        area,
        title: "AWS services have trusted access to the organization".into(),
        evidence: b.trusted_services.iter().map(|t| t.service_principal.clone()).collect(),
        remediation: "enable the equivalent per-account setup in each leaving account (backup plans, health, compute optimizer, …)".into(),
        break_up: (Severity::Medium, "organization-integrated features of these services stop covering accounts that leave".into()),
        import_whole: kept(),
    });
    let (unsafe_sets, retained): (Vec<_>, Vec<_>) = b
        .stack_sets
        .iter()
        .filter(|s| s.permission_model == StackSetPermissionModel::ServiceManaged)
        .partition(|s| !s.retain_stacks_on_account_removal);
    out.push(Draft {
        id: "service_managed_stack_sets",
        area,
        title: "service-managed StackSets delete their stacks from accounts that leave".into(),
        evidence: unsafe_sets.iter().map(|s| s.name.clone()).collect(),
        remediation: "set RetainStacksOnAccountRemoval=true on each (aws cloudformation update-stack-set) before anyone leaves".into(),
        break_up: (Severity::High, "AWS deletes these stacks, and the resources they own, from every account that leaves".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "retained_stack_sets",
        area,
        title: "service-managed StackSets keep their stacks in accounts that leave".into(),
        evidence: retained.iter().map(|s| s.name.clone()).collect(),
        remediation: "nothing to do before leaving; the stacks become unmanaged in the account"
            .into(),
        break_up: (
            Severity::Low,
            "stacks stay, but no one updates them any more".into(),
        ),
        import_whole: kept(),
    });
}

fn account_management(facts: &Facts<'_>, accounts: &[AccountReport], out: &mut Vec<Draft>) {
    let b = facts.bundle;
    let area = Area::AccountManagement;
    let management = b.organization.management_account_id.as_str();
    let members: Vec<String> = facts
        .live_accounts
        .iter()
        .filter(|a| a.id != management)
        .map(|a| a.id.clone())
        .collect();
    out.push(Draft {
        id: "standalone_readiness",
        area,
        title: "each leaving account must stand alone: payment method, contact information, support plan, root access".into(),
        evidence: members.clone(),
        remediation: "work through each account's manual checks before it leaves".into(),
        break_up: (Severity::Medium, "AWS refuses the leave of an account without a payment method and contact information".into()),
        import_whole: kept(),
    });
    let young: Vec<String> = accounts
        .iter()
        .filter(|a| {
            a.leave_blockers
                .iter()
                .any(|l| l.check == "created_recently")
        })
        .map(|a| a.id.clone())
        .collect();
    out.push(Draft {
        id: "created_recently",
        area,
        title: "accounts the organization created less than 7 days ago".into(),
        evidence: young,
        remediation: "wait until each is 7 days old (the date is in its leave readiness)".into(),
        break_up: (
            Severity::Blocker,
            "AWS refuses the leave until the account is 7 days old".into(),
        ),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "suspended_accounts",
        area,
        title: "suspended or closing accounts".into(),
        evidence: b.accounts.iter().filter(|a| a.status != AccountStatus::Active).map(|a| a.id.clone()).collect(),
        remediation: "nothing: they cannot move and AWS removes them 90 days after closure; they are left out of every count".into(),
        break_up: (Severity::Info, "they stay behind and close".into()),
        import_whole: (Severity::Info, "they move with the organization and close".into()),
    });
    out.push(Draft {
        id: "cost_explorer_history",
        area,
        title: "Cost Explorer history of the organization period".into(),
        evidence: members.clone(),
        remediation: "export the history you need (Cost Explorer CSV, or keep the CUR in S3) before the move".into(),
        break_up: (Severity::Medium, "an account that leaves loses the Cost Explorer history of its time in the organization".into()),
        import_whole: (Severity::Low, "history stays with the organization; the payer sees it only from the transfer on".into()),
    });
    out.push(Draft {
        id: "commitment_sharing",
        area,
        title: "Reserved Instance and Savings Plans sharing".into(),
        evidence: if members.is_empty() { vec![management.to_owned()] } else { members.clone() },
        remediation: "time the move to commitments' expiry where you can; the payer's pooled commitments replace them".into(),
        break_up: (Severity::Medium, "sharing is lost both ways: commitments bought by one account stop covering the others, and the accounts join the payer's pool instead".into()),
        import_whole: (Severity::Low, "commitments keep applying inside the organization only: importing whole gives no pooling across the payer's customers".into()),
    });
    out.push(Draft {
        id: "management_account",
        area,
        title: "the management account".into(),
        evidence: vec![management.to_owned()],
        remediation: "break-up: delete the organization once it is the only account left, then accept the payer's invitation; import: it stays the organization's management account and accepts the billing transfer".into(),
        break_up: (Severity::Medium, "it cannot leave; the organization is deleted at the end, with whatever it still configures".into()),
        import_whole: (Severity::Info, "it accepts the billing transfer and keeps managing the organization".into()),
    });
    out.push(Draft {
        id: "inventory_gaps",
        area,
        title: "parts of the inventory could not be read".into(),
        evidence: b.gaps.iter().map(|g| format!("{}:{}", g.scope, g.api)).collect(),
        remediation: "grant the missing read permissions (orgpool discover --print-policy) and discover again".into(),
        break_up: (Severity::Medium, "the assessment may miss what those APIs would have shown".into()),
        import_whole: (Severity::Low, "the assessment may miss what those APIs would have shown".into()),
    });
}

fn organizational_structure(facts: &Facts<'_>, out: &mut Vec<Draft>) {
    let b = facts.bundle;
    let area = Area::OrganizationalStructure;
    out.push(Draft {
        id: "management_policies",
        area,
        title: "tag, backup, AI opt-out, chatbot and declarative policies".into(),
        evidence: facts
            .custom_policies
            .iter()
            .filter(|p| !matches!(p.policy_type, PolicyType::ServiceControlPolicy | PolicyType::ResourceControlPolicy) && !p.targets.is_empty())
            .map(|p| p.id.clone())
            .collect(),
        remediation: "re-create them in the payer organization (the export keeps their content), or apply the settings per account".into(),
        break_up: (Severity::Medium, "they stop applying to accounts that leave: tag rules, backup plans and opt-outs lapse".into()),
        import_whole: kept(),
    });
    out.push(Draft {
        id: "ou_structure",
        area,
        title: format!("{} organizational unit(s) group the accounts", b.organizational_units.len()),
        evidence: b.organizational_units.iter().map(|o| o.id.clone()).collect(),
        remediation: "break-up: recreate the grouping as OUs and billing groups on the payer side; import: the structure stays, and the payer sees the organization as one billing group".into(),
        break_up: (Severity::Medium, "the OUs and everything attached to them are gone with the organization".into()),
        import_whole: (Severity::Info, "the OUs stay; the payer's billing transfer group holds all the organization's accounts".into()),
    });
    if b.organization.feature_set == orgpool_model::FeatureSet::ConsolidatedBilling {
        out.push(Draft {
            id: "consolidated_billing_only",
            area,
            title:
                "the organization has consolidated billing only (no policies, no trusted access)"
                    .into(),
            evidence: vec![b.organization.id.clone()],
            remediation: "nothing: there are no organization features to lose".into(),
            break_up: (Severity::Info, "only the bill changes".into()),
            import_whole: (Severity::Info, "only the bill changes".into()),
        });
    }
}
