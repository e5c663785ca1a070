//! What the bundle says about how the accounts depend on the organization and
//! on each other, computed once and read by the decision, the impacts, the
//! leave readiness and the runbook.
//!
//! Communication between accounts (the rule's second test) is: a role in one
//! member account trusting another member account (the management account
//! alone is management access, not communication, because every account the
//! organization creates trusts it through `OrganizationAccountAccessRole`);
//! a role's trust policy, a resource policy (S3, KMS, SQS, SNS, Lambda,
//! EventBridge, ECR, Secrets Manager) or an identity policy (a data perimeter) keyed on an
//! organization condition key (`aws:PrincipalOrgID`, `aws:SourceOrgID`, their
//! paths, `aws:ResourceOrgID`…); a RAM share to the
//! organization, an OU or another member account; an organization trail; a
//! Config aggregator over the organization or other accounts; a delegated
//! administrator; a GuardDuty or Security Hub organization administrator.

use std::collections::{BTreeMap, BTreeSet};

use orgpool_model::{
    Account, AccountAssignment, AccountStatus, IamRole, IdentityPolicy, OrgBundle, Policy,
    RamShare, ResourcePolicy, principal_account,
};

/// A role and the member accounts (other than its own and the management
/// account) it trusts.
#[derive(Debug, Clone)]
pub struct TrustedRole<'a> {
    /// The role.
    pub role: &'a IamRole,
    /// Member accounts it trusts.
    pub members: Vec<String>,
    /// Organization condition keys it uses.
    pub org_keys: Vec<String>,
    /// Whether the management account is among its principals.
    pub trusts_management: bool,
}

/// A policy that uses organization condition keys.
#[derive(Debug, Clone)]
pub struct OrgKeyed<'a, P> {
    /// The policy.
    pub policy: &'a P,
    /// The organization condition keys it uses.
    pub org_keys: Vec<String>,
}

/// A resource policy that uses organization condition keys.
pub type OrgKeyedResource<'a> = OrgKeyed<'a, ResourcePolicy>;

/// An identity policy that uses organization condition keys.
pub type OrgKeyedIdentity<'a> = OrgKeyed<'a, IdentityPolicy>;

/// The policies of `policies` that use an organization condition key, found
/// by `keys`.
fn org_keyed<'a, P>(policies: &'a [P], keys: impl Fn(&P) -> Vec<String>) -> Vec<OrgKeyed<'a, P>> {
    policies
        .iter()
        .map(|policy| OrgKeyed {
            policy,
            org_keys: keys(policy),
        })
        .filter(|r| !r.org_keys.is_empty())
        .collect()
}

/// Everything the assessment derives from a bundle.
#[derive(Debug)]
pub struct Facts<'a> {
    /// The bundle.
    pub bundle: &'a OrgBundle,
    /// Every account ID in the organization.
    pub member_ids: BTreeSet<&'a str>,
    /// Accounts neither suspended nor closing.
    pub live_accounts: Vec<&'a Account>,
    /// Identity Center assignments, with their instance ARN.
    pub sso_assignments: Vec<(&'a str, &'a AccountAssignment)>,
    /// Identity Center instances without any assignment.
    pub sso_unused_instances: Vec<&'a str>,
    /// Roles trusting other member accounts.
    pub cross_account_roles: Vec<TrustedRole<'a>>,
    /// Roles whose trust uses an organization condition key.
    pub org_condition_roles: Vec<TrustedRole<'a>>,
    /// Resource policies keyed on organization condition keys.
    pub org_condition_resources: Vec<OrgKeyedResource<'a>>,
    /// Identity policies keyed on organization condition keys.
    pub org_condition_identities: Vec<OrgKeyedIdentity<'a>>,
    /// Roles trusting the management account (and no other member).
    pub management_access_roles: Vec<TrustedRole<'a>>,
    /// Roles trusting accounts outside the organization only.
    pub external_trust_roles: Vec<TrustedRole<'a>>,
    /// RAM shares whose principals reach the organization, an OU or another member.
    pub internal_ram_shares: Vec<&'a RamShare>,
    /// Custom (not AWS-managed) organization policies.
    pub custom_policies: Vec<&'a Policy>,
    /// Deepest OU nesting below the root.
    pub max_ou_depth: usize,
}

impl<'a> Facts<'a> {
    /// Derives the facts of `bundle`.
    pub fn of(bundle: &'a OrgBundle) -> Self {
        let member_ids: BTreeSet<&str> = bundle.accounts.iter().map(|a| a.id.as_str()).collect();
        let live_accounts = bundle
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Active)
            .collect();
        let sso_assignments = bundle
            .identity_center
            .iter()
            .flat_map(|i| {
                i.account_assignments
                    .iter()
                    .map(move |a| (i.instance_arn.as_str(), a))
            })
            .collect();
        let sso_unused_instances = bundle
            .identity_center
            .iter()
            .filter(|i| i.account_assignments.is_empty())
            .map(|i| i.instance_arn.as_str())
            .collect();
        let mut facts = Facts {
            bundle,
            member_ids,
            live_accounts,
            sso_assignments,
            sso_unused_instances,
            cross_account_roles: Vec::new(),
            org_condition_roles: Vec::new(),
            org_condition_resources: org_keyed(&bundle.resource_policies, |p| {
                p.org_condition_keys()
            }),
            org_condition_identities: org_keyed(&bundle.identity_policies, |p| {
                p.org_condition_keys()
            }),
            management_access_roles: Vec::new(),
            external_trust_roles: Vec::new(),
            internal_ram_shares: Vec::new(),
            custom_policies: bundle.policies.iter().filter(|p| !p.aws_managed).collect(),
            max_ou_depth: bundle
                .organizational_units
                .iter()
                .map(|o| bundle.ou_depth(&o.id))
                .max()
                .unwrap_or(0),
        };
        facts.classify_roles();
        facts.internal_ram_shares = bundle
            .ram_shares
            .iter()
            .filter(|s| facts.share_is_internal(s))
            .collect();
        facts
    }

    fn classify_roles(&mut self) {
        let management = self.bundle.organization.management_account_id.as_str();
        for role in &self.bundle.iam_roles {
            let trust = role.trust_analysis();
            let accounts: BTreeSet<&str> = trust
                .cross_account_principals
                .iter()
                .filter_map(|p| principal_account(p))
                .collect();
            let members: Vec<String> = accounts
                .iter()
                .filter(|a| self.member_ids.contains(*a) && **a != management)
                .map(|a| (*a).to_owned())
                .collect();
            let classified = TrustedRole {
                role,
                members: members.clone(),
                org_keys: trust.org_condition_keys.clone(),
                trusts_management: accounts.contains(management),
            };
            if !classified.org_keys.is_empty() {
                self.org_condition_roles.push(classified.clone());
            }
            if !members.is_empty() {
                self.cross_account_roles.push(classified);
            } else if classified.trusts_management {
                self.management_access_roles.push(classified);
            } else if classified.org_keys.is_empty() && trust.is_cross_account() {
                self.external_trust_roles.push(classified);
            }
        }
    }

    /// True when a RAM share reaches the organization, an OU or another member.
    fn share_is_internal(&self, share: &RamShare) -> bool {
        share.principals.iter().any(|p| {
            p.contains(":organization/")
                || p.contains(":ou/")
                || (self.member_ids.contains(p.as_str()) && *p != share.owner_account_id)
        })
    }

    /// True when a RAM share is scoped to the organization or an OU (AWS
    /// revokes those for an account that leaves).
    pub fn share_is_org_scoped(share: &RamShare) -> bool {
        share
            .principals
            .iter()
            .any(|p| p.contains(":organization/") || p.contains(":ou/"))
    }

    /// Whether Identity Center is in use: at least one assignment.
    pub fn sso_in_use(&self) -> bool {
        !self.sso_assignments.is_empty()
    }

    /// Every kind of communication between accounts found, as (rule, detail,
    /// evidence), in a fixed order.
    pub fn communication(&self) -> Vec<(&'static str, String, Vec<String>)> {
        let b = self.bundle;
        let mut out = Vec::new();
        let mut push = |rule: &'static str, what: &str, evidence: Vec<String>| {
            if !evidence.is_empty() {
                let detail = format!("{} {what}", evidence.len());
                out.push((rule, detail, evidence));
            }
        };
        push(
            "cross_account_roles",
            "IAM role(s) trust other member accounts",
            self.cross_account_roles
                .iter()
                .map(|r| r.role.arn.clone())
                .collect(),
        );
        push(
            "org_condition_keys",
            "IAM role(s) trust by organization (aws:PrincipalOrgID, aws:PrincipalOrgPaths or aws:ResourceOrgID)",
            self.org_condition_roles
                .iter()
                .map(|r| r.role.arn.clone())
                .collect(),
        );
        push(
            "org_keyed_resource_policies",
            "resource policy(ies) (S3, KMS, SQS, SNS, Lambda, EventBridge, ECR, Secrets Manager) grant or deny by organization",
            self.org_condition_resources
                .iter()
                .map(|r| r.policy.arn.clone())
                .collect(),
        );
        push(
            "org_keyed_identity_policies",
            "IAM identity policy(ies) allow or deny by organization (a data perimeter's aws:ResourceOrgID)",
            self.org_condition_identities
                .iter()
                .map(|r| r.policy.label())
                .collect(),
        );
        push(
            "ram_shares",
            "RAM share(s) to the organization, an OU or another member account",
            self.internal_ram_shares
                .iter()
                .map(|s| s.arn.clone())
                .collect(),
        );
        push(
            "org_trail",
            "organization CloudTrail trail(s)",
            b.cloudtrail_trails
                .iter()
                .filter(|t| t.is_organization_trail)
                .map(|t| t.arn.clone())
                .collect(),
        );
        push(
            "config_aggregator",
            "AWS Config aggregator(s) over the organization or other accounts",
            b.config_aggregators
                .iter()
                .filter(|a| {
                    a.organization_wide || a.source_account_ids.iter().any(|s| *s != a.account_id)
                })
                .map(|a| a.arn.clone())
                .collect(),
        );
        push(
            "delegated_administrators",
            "delegated administrator registration(s)",
            b.delegated_administrators
                .iter()
                .map(|d| format!("{}:{}", d.account_id, d.service_principal))
                .collect(),
        );
        push(
            "security_admins",
            "GuardDuty or Security Hub organization administrator(s)",
            b.security_service_admins
                .iter()
                .map(|s| format!("{}:{}:{}", s.service, s.region, s.admin_account_id))
                .collect(),
        );
        out
    }

    /// Reasons the setup is too complex to break, as (detail, evidence).
    pub fn complexity(&self, t: &crate::Thresholds) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        if self.live_accounts.len() >= t.complex_accounts {
            out.push((
                format!(
                    "{} accounts that are not suspended (threshold {})",
                    self.live_accounts.len(),
                    t.complex_accounts
                ),
                vec![self.bundle.organization.id.clone()],
            ));
        }
        if self.max_ou_depth >= t.complex_ou_depth {
            let deepest = self
                .bundle
                .organizational_units
                .iter()
                .filter(|o| self.bundle.ou_depth(&o.id) == self.max_ou_depth)
                .map(|o| o.id.clone())
                .collect();
            out.push((
                format!(
                    "OUs nested {} deep (threshold {})",
                    self.max_ou_depth, t.complex_ou_depth
                ),
                deepest,
            ));
        }
        if self.custom_policies.len() >= t.complex_policies {
            out.push((
                format!(
                    "{} custom organization policies (threshold {})",
                    self.custom_policies.len(),
                    t.complex_policies
                ),
                self.custom_policies.iter().map(|p| p.id.clone()).collect(),
            ));
        }
        out
    }

    /// The account's ancestors, nearest first: its parent OUs, then the root.
    pub fn ancestors(&self, account: &Account) -> Vec<&'a str> {
        let mut out = Vec::new();
        let mut at = account.parent_id.as_str();
        let mut guard = 0;
        loop {
            out.push(at);
            match self.bundle.organizational_units.iter().find(|o| o.id == at) {
                Some(ou) if guard < 64 => {
                    at = ou.parent_id.as_str();
                    guard += 1;
                }
                _ => break,
            }
        }
        // `at` borrowed from the bundle, which lives for 'a.
        out.into_iter()
            .map(|id| self.lookup_container(id))
            .collect()
    }

    fn lookup_container(&self, id: &str) -> &'a str {
        self.bundle
            .roots
            .iter()
            .map(|r| r.id.as_str())
            .chain(
                self.bundle
                    .organizational_units
                    .iter()
                    .map(|o| o.id.as_str()),
            )
            .find(|c| *c == id)
            .unwrap_or("")
    }

    /// Identity Center assignments per account.
    pub fn assignments_by_account(
        &self,
    ) -> BTreeMap<&'a str, Vec<(&'a str, &'a AccountAssignment)>> {
        let mut out: BTreeMap<&str, Vec<_>> = BTreeMap::new();
        for (instance, a) in &self.sso_assignments {
            out.entry(a.account_id.as_str())
                .or_default()
                .push((*instance, *a));
        }
        out
    }
}
