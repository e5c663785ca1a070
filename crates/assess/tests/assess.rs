//! The decision matrix: hand-built organizations, one per rule and edge case,
//! each with the recommendation, reasons, impacts and leave readiness it must
//! get; and golden snapshots of the runbooks.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use orgpool_assess::{Assessment, Path, Severity, Thresholds, assess, assess_for, render};
use orgpool_model::*;
use serde_json::json;

const ORG: &str = "o-abcd123456";
const ROOT: &str = "r-ab12";
const WORKLOADS: &str = "ou-ab12-workload";

fn id(i: usize) -> String {
    format!("{:012}", 100_000_000_000usize + i)
}

fn taken_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// A hand-built organization: account 0 is the management account, the
/// others sit in one workloads OU, all created a year before the inventory.
struct Org {
    b: OrgBundle,
    usage: Option<BTreeMap<String, f64>>,
}

fn org(accounts: usize) -> Org {
    let account = |i: usize| Account {
        id: id(i),
        name: if i == 0 {
            "management".into()
        } else {
            format!("workload-{i}")
        },
        email: format!("aws+{i}@example.com"),
        status: AccountStatus::Active,
        state: Some("ACTIVE".into()),
        joined_method: if i == 0 {
            JoinedMethod::Invited
        } else {
            JoinedMethod::Created
        },
        joined_timestamp: taken_at() - Duration::days(365),
        parent_id: if i == 0 {
            ROOT.into()
        } else {
            WORKLOADS.into()
        },
    };
    let b = OrgBundle {
        format: BUNDLE_FORMAT.into(),
        version: BUNDLE_VERSION,
        generated_at: taken_at(),
        source: BundleSource {
            kind: SourceKind::Demo,
            detail: Some("hand-built".into()),
        },
        organization: Organization {
            id: ORG.into(),
            arn: format!("arn:aws:organizations::{}:organization/{ORG}", id(0)),
            feature_set: FeatureSet::All,
            management_account_id: id(0),
            management_account_email: "aws+0@example.com".into(),
        },
        roots: vec![Root {
            id: ROOT.into(),
            name: "Root".into(),
            enabled_policy_types: vec![PolicyType::ServiceControlPolicy],
        }],
        organizational_units: vec![OrganizationalUnit {
            id: WORKLOADS.into(),
            name: "Workloads".into(),
            parent_id: ROOT.into(),
        }],
        accounts: (0..accounts).map(account).collect(),
        policies: Vec::new(),
        trusted_services: Vec::new(),
        delegated_administrators: Vec::new(),
        identity_center: Vec::new(),
        cloudtrail_trails: Vec::new(),
        config_aggregators: Vec::new(),
        security_service_admins: Vec::new(),
        ram_shares: Vec::new(),
        iam_roles: Vec::new(),
        stack_sets: Vec::new(),
        resource_policies: Vec::new(),
        identity_policies: Vec::new(),
        gaps: Vec::new(),
    };
    b.validate().expect("a valid hand-built bundle");
    Org { b, usage: None }
}

fn trust(principal: &str) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})
}

impl Org {
    /// Usage spend per account index; accounts not named spent nothing.
    fn usage(mut self, spend: &[(usize, f64)]) -> Self {
        self.usage = Some(spend.iter().map(|(i, c)| (id(*i), *c)).collect());
        self
    }
    fn idle(self) -> Self {
        self.usage(&[])
    }
    fn sso(mut self, assign_to: &[usize]) -> Self {
        let set =
            "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-1111111111111111".to_owned();
        self.b.identity_center.push(SsoInstance {
            instance_arn: "arn:aws:sso:::instance/ssoins-1111111111111111".into(),
            identity_store_id: "d-1111111111".into(),
            owner_account_id: id(0),
            permission_sets: vec![PermissionSet::new(set.clone())],
            account_assignments: assign_to
                .iter()
                .map(|i| AccountAssignment {
                    account_id: id(*i),
                    permission_set_arn: set.clone(),
                    principal_type: PrincipalType::Group,
                    principal_id: "g-1".into(),
                })
                .collect(),
            users: Vec::new(),
            groups: Vec::new(),
            group_memberships: Vec::new(),
        });
        self
    }
    fn role(mut self, account: usize, name: &str, trust_policy: serde_json::Value) -> Self {
        self.b.iam_roles.push(IamRole {
            account_id: id(account),
            role_name: name.into(),
            arn: format!("arn:aws:iam::{}:role/{name}", id(account)),
            trust_policy,
        });
        self
    }
    fn resource_policy(
        mut self,
        account: usize,
        service: ResourceService,
        arn: &str,
        policy: serde_json::Value,
    ) -> Self {
        self.b.resource_policies.push(ResourcePolicy {
            account_id: id(account),
            service,
            region: "eu-west-1".into(),
            arn: arn.into(),
            policy,
        });
        self
    }
    fn identity_policy(
        mut self,
        account: usize,
        kind: IdentityPolicyKind,
        arn: &str,
        name: &str,
        policy: serde_json::Value,
    ) -> Self {
        self.b.identity_policies.push(IdentityPolicy {
            account_id: id(account),
            kind,
            arn: arn.into(),
            name: name.into(),
            version_id: (kind == IdentityPolicyKind::Managed).then(|| "v3".to_owned()),
            attached_to: vec![format!("arn:aws:iam::{}:role/app", id(account))],
            policy,
        });
        self
    }
    fn share_to_org(mut self, owner: usize) -> Self {
        self.b.ram_shares.push(RamShare {
            arn: format!(
                "arn:aws:ram:us-east-1:{}:resource-share/shared-subnets",
                id(owner)
            ),
            name: "shared-subnets".into(),
            owner_account_id: id(owner),
            allow_external_principals: false,
            principals: vec![self.b.organization.arn.clone()],
            resource_arns: vec![format!(
                "arn:aws:ec2:us-east-1:{}:subnet/subnet-1",
                id(owner)
            )],
        });
        self
    }
    fn org_trail(mut self, owner: usize) -> Self {
        self.b.cloudtrail_trails.push(Trail {
            name: "org-trail".into(),
            arn: format!("arn:aws:cloudtrail:us-east-1:{}:trail/org-trail", id(owner)),
            account_id: id(owner),
            home_region: "us-east-1".into(),
            s3_bucket_name: "org-logs".into(),
            is_organization_trail: true,
            is_multi_region_trail: true,
        });
        self
    }
    fn aggregator(mut self, owner: usize) -> Self {
        self.b.config_aggregators.push(ConfigAggregator {
            name: "org-aggregator".into(),
            arn: format!(
                "arn:aws:config:us-east-1:{}:config-aggregator/config-aggregator-1",
                id(owner)
            ),
            account_id: id(owner),
            organization_wide: true,
            source_account_ids: Vec::new(),
        });
        self
    }
    fn delegated(mut self, account: usize, service: &str) -> Self {
        self.b
            .delegated_administrators
            .push(DelegatedAdministrator {
                account_id: id(account),
                service_principal: service.into(),
                delegation_enabled_date: taken_at() - Duration::days(100),
            });
        self
    }
    fn suspend(mut self, account: usize) -> Self {
        self.b.accounts[account].status = AccountStatus::Suspended;
        self.b.accounts[account].state = Some("SUSPENDED".into());
        self
    }
    fn created_days_ago(mut self, account: usize, days: i64) -> Self {
        self.b.accounts[account].joined_method = JoinedMethod::Created;
        self.b.accounts[account].joined_timestamp = taken_at() - Duration::days(days);
        self
    }
    fn scp(mut self, pid: &str, content: serde_json::Value, targets: &[&str]) -> Self {
        self.b.policies.push(Policy {
            id: pid.into(),
            name: pid.into(),
            description: String::new(),
            policy_type: PolicyType::ServiceControlPolicy,
            aws_managed: pid == "p-FullAWSAccess",
            content,
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
        });
        self
    }
    fn full_access_everywhere(self) -> Self {
        let targets: Vec<String> = std::iter::once(ROOT.to_owned())
            .chain(std::iter::once(WORKLOADS.to_owned()))
            .chain(self.b.accounts.iter().map(|a| a.id.clone()))
            .collect();
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        self.scp("p-FullAWSAccess", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}), &targets)
    }
    fn stack_set(mut self, name: &str, retain: bool, accounts: &[usize]) -> Self {
        self.b.stack_sets.push(StackSet {
            name: name.into(),
            arn: format!("{name}:11111111-2222-3333-4444-555555555555"),
            owner_account_id: id(0),
            permission_model: StackSetPermissionModel::ServiceManaged,
            auto_deployment_enabled: true,
            retain_stacks_on_account_removal: retain,
            stack_instance_account_ids: accounts.iter().map(|i| id(*i)).collect(),
        });
        self
    }
    fn account_usage(&self) -> Option<AccountUsage> {
        self.usage.as_ref().map(|m| AccountUsage {
            start: taken_at() - Duration::days(30),
            end: taken_at(),
            cost_by_account: m.clone(),
        })
    }
    fn assess(&self) -> Assessment {
        self.b.validate().expect("valid");
        assess(
            &self.b,
            self.account_usage().as_ref(),
            &Thresholds::default(),
        )
    }
    fn assess_with(&self, t: &Thresholds, path: Option<Path>) -> Assessment {
        assess_for(&self.b, self.account_usage().as_ref(), t, path)
    }
}

fn rules(a: &Assessment) -> Vec<&str> {
    a.reasons.iter().map(|r| r.rule.as_str()).collect()
}

fn impact<'a>(a: &'a Assessment, id: &str) -> Option<&'a orgpool_assess::Impact> {
    a.impacts.iter().find(|i| i.id == id)
}

fn blockers(a: &Assessment, account: usize) -> Vec<&str> {
    a.accounts
        .iter()
        .find(|r| r.id == id(account))
        .map(|r| r.leave_blockers.iter().map(|l| l.check.as_str()).collect())
        .unwrap_or_default()
}

fn actions(a: &Assessment) -> Vec<&str> {
    a.runbook.iter().map(|s| s.action.as_str()).collect()
}

#[test]
fn an_org_of_one_account_breaks_up() {
    let a = org(1).assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    assert_eq!(rules(&a), ["single_account"]);
    assert!(!a.activity.known, "no billing data: activity unknown");
    assert_eq!(a.accounts[0].active, None);
    assert_eq!(blockers(&a, 0), ["management_account"]);
    assert_eq!(
        actions(&a),
        [
            "export_configuration",
            "check_export_complete",
            "delete_organization",
            "accept_payer_invitation"
        ]
    );
}

#[test]
fn one_active_account_among_idle_ones_breaks_up() {
    let a = org(4).usage(&[(2, 812.40), (1, 3.10), (3, 0.2)]).assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    assert_eq!(rules(&a), ["one_active_account"]);
    assert_eq!(a.reasons[0].evidence, [id(2)]);
    let active: Vec<Option<bool>> = a.accounts.iter().map(|r| r.active).collect();
    assert_eq!(active, [Some(false), Some(false), Some(true), Some(false)]);
    assert_eq!(a.accounts[2].usage_cost, Some(812.40));
    assert_eq!(
        (a.activity.active_accounts, a.activity.idle_accounts),
        (1, 3)
    );
    // Every member leaves, then the organization is deleted, then all accept.
    let acts = actions(&a);
    let leaves = acts.iter().filter(|s| **s == "leave_organization").count();
    let accepts = acts
        .iter()
        .filter(|s| **s == "accept_payer_invitation")
        .count();
    assert_eq!((leaves, accepts), (3, 4));
    let last_leave = acts
        .iter()
        .rposition(|s| *s == "leave_organization")
        .unwrap();
    let delete = acts
        .iter()
        .position(|s| *s == "delete_organization")
        .unwrap();
    assert!(last_leave < delete && delete < acts.len() - 1);
}

#[test]
fn every_account_idle_breaks_up() {
    let a = org(3).idle().assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    assert_eq!(rules(&a), ["one_active_account"]);
    assert!(a.reasons[0].evidence.is_empty());
    assert!(
        a.accounts
            .iter()
            .all(|r| r.active == Some(false) && r.usage_cost == Some(0.0))
    );
}

#[test]
fn several_active_accounts_import_whole() {
    let a = org(3).usage(&[(1, 50.0), (2, 75.0)]).assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["several_active_accounts"]);
    assert_eq!(a.reasons[0].evidence, [id(1), id(2)]);
}

/// With the pooled what-if's figures, the commitment sharing impact says
/// what a break-up brings into play and what importing whole leaves out;
/// the decision, the severities and every other impact stay as they were.
#[test]
fn the_pooled_what_if_prices_commitment_sharing_on_both_paths() {
    let o = org(3).usage(&[(1, 50.0), (2, 75.0)]);
    o.b.validate().expect("valid");
    let pooling = orgpool_assess::Pooling {
        alone_per_month: 1200.0,
        value_of_joining_per_month: 1450.5,
        gain_per_month: 250.5,
    };
    let usage = o.account_usage();
    let plain = assess_for(&o.b, usage.as_ref(), &Thresholds::default(), None);
    let priced = orgpool_assess::assess_with(
        &o.b,
        usage.as_ref(),
        &Thresholds::default(),
        None,
        Some(pooling),
    );
    assert_eq!(priced.recommendation, plain.recommendation);
    assert_eq!(priced.pooling, Some(pooling));
    assert!(plain.pooling.is_none());
    let (before, after) = (
        impact(&plain, "commitment_sharing").unwrap(),
        impact(&priced, "commitment_sharing").unwrap(),
    );
    assert_eq!(after.severity, before.severity);
    assert_eq!(
        after.break_up.effect,
        format!(
            "{}; the pooled what-if finds joining worth 1450.50 a month to the pool and you together (your best purchase alone: 1200.00), 250.50 of it from pooling",
            before.break_up.effect
        )
    );
    assert_eq!(
        after.import_whole.effect,
        format!(
            "{}; it leaves out the 250.50 a month of pooling gain the pooled what-if finds",
            before.import_whole.effect
        )
    );
    assert_eq!(
        after.evidence.last().unwrap(),
        "pooled what-if: joining worth 1450.50 a month, buying alone 1200.00, gain of pooling 250.50"
    );
    let others = |a: &Assessment| -> Vec<String> {
        a.impacts
            .iter()
            .filter(|i| i.id != "commitment_sharing")
            .map(|i| format!("{i:?}"))
            .collect()
    };
    assert_eq!(others(&priced), others(&plain));
    let json = serde_json::to_value(&priced).unwrap();
    assert_eq!(json["pooling"]["gain_per_month"], 250.5);
    assert!(
        serde_json::to_value(&plain)
            .unwrap()
            .get("pooling")
            .is_none()
    );
}

#[test]
fn without_billing_data_activity_is_unknown_and_the_org_is_kept_whole() {
    let a = org(3).assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["activity_unknown"]);
    assert!(a.activity.note.contains("unknown"));
    let json = serde_json::to_value(&a).unwrap();
    assert!(json["accounts"][1]["active"].is_null());
    assert!(json["accounts"][1]["usage_cost"].is_null());
}

#[test]
fn sso_with_assignments_imports_whole() {
    let a = org(3).sso(&[1, 2]).usage(&[(1, 100.0)]).assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["sso_in_use"]);
    let i = impact(&a, "sso_assignments").unwrap();
    assert_eq!(i.break_up.severity, Severity::Blocker);
    assert_eq!(
        i.severity,
        Severity::Info,
        "nothing breaks under the recommended path"
    );
    assert!(blockers(&a, 1).contains(&"sso_assignments"));
    assert_eq!(
        actions(&a),
        [
            "export_configuration",
            "check_export_complete",
            "invite_billing_transfer",
            "accept_billing_transfer",
            "create_billing_group",
            "ou_cost_category",
            "verify_nothing_lost"
        ]
    );
}

#[test]
fn an_sso_instance_without_assignments_does_not_stop_a_break_up() {
    let a = org(3).sso(&[]).usage(&[(1, 100.0)]).assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    let i = impact(&a, "sso_instance_unused").unwrap();
    assert_eq!(i.severity, Severity::Low);
    assert!(impact(&a, "sso_assignments").is_none());
}

#[test]
fn no_sso_but_a_role_trusting_another_member_imports_whole() {
    let a = org(3)
        .role(
            2,
            "ci-deployer",
            trust(&format!("arn:aws:iam::{}:role/ci", id(1))),
        )
        .usage(&[(1, 100.0)])
        .assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["cross_account_roles"]);
    assert_eq!(
        a.reasons[0].evidence,
        [format!("arn:aws:iam::{}:role/ci-deployer", id(2))]
    );
}

#[test]
fn roles_trusting_only_the_management_account_or_outsiders_are_not_communication() {
    let a = org(3)
        .role(
            1,
            "OrganizationAccountAccessRole",
            trust(&format!("arn:aws:iam::{}:root", id(0))),
        )
        .role(
            2,
            "vendor-readonly",
            trust("arn:aws:iam::999988887777:root"),
        )
        .usage(&[(1, 100.0)])
        .assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    let management = impact(&a, "management_access_roles").unwrap();
    assert_eq!(
        management.severity,
        Severity::Medium,
        "the former management account keeps access"
    );
    assert_eq!(
        impact(&a, "external_trust_roles").unwrap().severity,
        Severity::Info
    );
}

#[test]
fn a_ram_share_to_the_organization_imports_whole_and_is_lost_by_consumers_that_leave() {
    let o = org(3).share_to_org(1).usage(&[(1, 100.0)]);
    let a = o.assess();
    assert_eq!(rules(&a), ["ram_shares"]);
    assert!(blockers(&a, 2).contains(&"org_ram_shares"));
    assert!(
        !blockers(&a, 1).contains(&"org_ram_shares"),
        "the owner keeps its share"
    );
    let forced = o.assess_with(&Thresholds::default(), Some(Path::BreakUp));
    let step = forced
        .runbook
        .iter()
        .find(|s| s.action == "share_explicitly")
        .unwrap();
    assert!(
        step.command.contains("--allow-external-principals"),
        "{}",
        step.command
    );
    assert!(
        step.command.contains(&id(2))
            && !step
                .command
                .contains(&format!("--principals {} {}", id(1), id(2)))
    );
}

#[test]
fn an_organization_trail_imports_whole() {
    let o = org(3).org_trail(0).usage(&[(1, 100.0)]);
    let a = o.assess();
    assert_eq!(rules(&a), ["org_trail"]);
    assert_eq!(
        impact(&a, "org_trail").unwrap().break_up.severity,
        Severity::High
    );
    let forced = o.assess_with(&Thresholds::default(), Some(Path::BreakUp));
    let trails = forced
        .runbook
        .iter()
        .filter(|s| s.action == "create_account_trail")
        .count();
    assert_eq!(trails, 2, "one account trail per leaving member");
}

#[test]
fn an_organization_config_aggregator_imports_whole() {
    let a = org(2).aggregator(1).idle().assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["config_aggregator"]);
}

#[test]
fn a_delegated_administrator_imports_whole_and_blocks_its_leave() {
    let o = org(3)
        .delegated(1, "guardduty.amazonaws.com")
        .usage(&[(1, 100.0)]);
    let a = o.assess();
    assert_eq!(rules(&a), ["delegated_administrators"]);
    let item = a.accounts[1]
        .leave_blockers
        .iter()
        .find(|l| l.check == "delegated_administrator")
        .unwrap();
    assert!(item.blocking);
    assert!(item.fix.contains("deregister-delegated-administrator --account-id 100000000001 --service-principal guardduty.amazonaws.com"));
    let forced = o.assess_with(&Thresholds::default(), Some(Path::BreakUp));
    let acts = actions(&forced);
    let deregister = acts
        .iter()
        .position(|s| *s == "deregister_delegated_admin")
        .unwrap();
    let leave = acts
        .iter()
        .position(|s| *s == "leave_organization")
        .unwrap();
    assert!(deregister < leave, "deregister before leaving: {acts:?}");
}

#[test]
fn a_principal_org_id_condition_imports_whole() {
    let a = org(2)
        .role(
            1,
            "org-log-writer",
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]}),
        )
        .idle()
        .assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["org_condition_keys"]);
    assert!(blockers(&a, 1).contains(&"roles_trust_org_id"));
    assert_eq!(
        impact(&a, "org_condition_keys").unwrap().break_up.severity,
        Severity::High
    );
}

/// A policy allowing `action` to any principal of the organization.
fn by_org(action: &str) -> serde_json::Value {
    json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": action, "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]})
}

/// Resource policies keyed on the organization make accounts communicate:
/// the organization is kept whole; forced to break up, each policy gets a
/// rewrite step with its service's own commands, and every account that
/// would leave is told it stops matching them. A policy trusting an account
/// by ID changes nothing.
#[test]
fn resource_policies_keyed_on_the_organization_import_whole_and_are_rewritten_on_a_break_up() {
    let perimeter = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}}]});
    let topic = format!("arn:aws:sns:eu-west-1:{}:org-alarms", id(2));
    let queue = format!("arn:aws:sqs:eu-west-1:{}:org-events", id(1));
    let key = format!(
        "arn:aws:kms:eu-west-1:{}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        id(2)
    );
    let function = format!("arn:aws:lambda:eu-west-1:{}:function:org-hook", id(1));
    let bus = format!("arn:aws:events:eu-west-1:{}:event-bus/org-bus", id(2));
    let repository = format!("arn:aws:ecr:eu-west-1:{}:repository/team/app", id(1));
    let secret = format!(
        "arn:aws:secretsmanager:eu-west-1:{}:secret:shared/db-AbC123",
        id(2)
    );
    let o = org(3)
        .resource_policy(
            1,
            ResourceService::S3,
            "arn:aws:s3:::shared-artifacts",
            by_org("s3:GetObject"),
        )
        .resource_policy(2, ResourceService::Kms, &key, perimeter)
        .resource_policy(1, ResourceService::Sqs, &queue, by_org("sqs:SendMessage"))
        .resource_policy(2, ResourceService::Sns, &topic, by_org("sns:Publish"))
        .resource_policy(
            1,
            ResourceService::Lambda,
            &function,
            by_org("lambda:InvokeFunctionUrl"),
        )
        .resource_policy(2, ResourceService::Events, &bus, by_org("events:PutEvents"))
        .resource_policy(
            1,
            ResourceService::Ecr,
            &repository,
            by_org("ecr:BatchGetImage"),
        )
        .resource_policy(
            2,
            ResourceService::SecretsManager,
            &secret,
            by_org("secretsmanager:GetSecretValue"),
        )
        .idle();
    let a = o.assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["org_keyed_resource_policies"]);
    let reason = &a.reasons[0];
    assert_eq!(reason.evidence.len(), 8, "{:?}", reason.evidence);
    assert!(reason.evidence.contains(&key));
    let found = impact(&a, "org_keyed_resource_policies").expect("the impact");
    assert_eq!(found.break_up.severity, Severity::High);
    assert_eq!(found.import_whole.severity, Severity::Info);
    for account in [1, 2] {
        assert!(
            blockers(&a, account).contains(&"resource_policies_org_keys"),
            "{:?}",
            blockers(&a, account)
        );
    }

    let broken = o.assess_with(&Thresholds::default(), Some(Path::BreakUp));
    let steps: Vec<&orgpool_assess::Step> = broken
        .runbook
        .iter()
        .filter(|s| s.action == "rewrite_org_resource_policy")
        .collect();
    assert_eq!(steps.len(), 8);
    let step = |needle: &str| {
        *steps
            .iter()
            .find(|s| s.title.contains(needle))
            .unwrap_or_else(|| panic!("no step for {needle}"))
    };
    let s3 = step("shared-artifacts");
    assert_eq!(s3.account_id.as_deref(), Some(id(1).as_str()));
    assert!(s3.command.starts_with("aws s3api put-bucket-policy --bucket shared-artifacts --policy file://shared-artifacts-policy.json --region eu-west-1"), "{}", s3.command);
    assert!(
        s3.pre_check
            .contains("get-bucket-policy --bucket shared-artifacts"),
        "{}",
        s3.pre_check
    );
    assert!(
        s3.rollback
            .contains("file://shared-artifacts-policy.before.json"),
        "{}",
        s3.rollback
    );
    let kms = step(&key);
    assert!(kms.title.contains("aws:PrincipalOrgID"), "{}", kms.title);
    assert!(
        kms.command.contains(
            "put-key-policy --key-id 1234abcd-12ab-34cd-56ef-1234567890ab --policy-name default"
        ),
        "{}",
        kms.command
    );
    let sqs = step(&queue);
    assert!(
        sqs.command
            .contains("get-queue-url --queue-name org-events"),
        "{}",
        sqs.command
    );
    assert!(
        sqs.pre_check.contains("--attribute-names Policy"),
        "{}",
        sqs.pre_check
    );
    let sns = step(&topic);
    assert!(
        sns.command.contains(&format!(
            "set-topic-attributes --topic-arn {topic} --attribute-name Policy"
        )),
        "{}",
        sns.command
    );
    assert_eq!(sns.account_id.as_deref(), Some(id(2).as_str()));
    // A Lambda policy is not put whole: a permission for the leaving account
    // is added beside the organization's, allowing what that one allows.
    let lambda = step(&function);
    assert_eq!(
        lambda.command,
        format!(
            "aws lambda add-permission --function-name org-hook --statement-id org-hook-<LEAVING_ACCOUNT_ID> --action lambda:InvokeFunctionUrl --principal <LEAVING_ACCOUNT_ID> --region eu-west-1 --profile <PROFILE_{}>",
            id(1)
        )
    );
    assert!(lambda.rollback.contains("remove-permission --function-name org-hook --statement-id org-hook-<LEAVING_ACCOUNT_ID>"), "{}", lambda.rollback);
    let events = step(&bus);
    assert!(
        events.command.starts_with(
            "aws events put-permission --event-bus-name org-bus --policy file://org-bus-policy.json"
        ),
        "{}",
        events.command
    );
    assert!(
        events
            .pre_check
            .contains("describe-event-bus --name org-bus --query Policy"),
        "{}",
        events.pre_check
    );

    // A repository's name holds a `/`, which its backup's file name does not.
    let ecr = step(&repository);
    let p1 = format!("--region eu-west-1 --profile <PROFILE_{}>", id(1));
    assert_eq!(
        ecr.command,
        format!(
            "aws ecr set-repository-policy --repository-name team/app --policy-text file://team-app-policy.json {p1}"
        )
    );
    assert_eq!(
        ecr.pre_check,
        format!(
            "aws ecr get-repository-policy --repository-name team/app --query policyText --output text {p1} > team-app-policy.before.json"
        )
    );
    let secrets = step(&secret);
    assert!(
        secrets.command.starts_with(&format!(
            "aws secretsmanager put-resource-policy --secret-id {secret} --resource-policy file://shared-db-policy.json"
        )),
        "{}",
        secrets.command
    );
    assert!(
        secrets
            .rollback
            .contains("--resource-policy file://shared-db-policy.before.json"),
        "{}",
        secrets.rollback
    );

    let plain = org(3)
        .resource_policy(1, ResourceService::S3, "arn:aws:s3:::by-id", trust(&id(2)))
        .idle()
        .assess();
    assert!(
        !rules(&plain).contains(&"org_keyed_resource_policies"),
        "{:?}",
        rules(&plain)
    );
    assert!(impact(&plain, "org_keyed_resource_policies").is_none_or(|i| i.evidence.is_empty()));
}

/// A data perimeter on the identity side (`Deny` unless `aws:ResourceOrgID`
/// is the organization's): the organization imports whole; on a break-up,
/// each policy is rewritten before anyone leaves, a managed one through a
/// new default version (rolled back to the one in force), an inline one put
/// whole (rolled back from its saved copy). Only the holding account's leave
/// lists it; a policy without an organization key counts for nothing.
#[test]
fn identity_policies_keyed_on_the_organization_import_whole_and_are_rewritten_on_a_break_up() {
    let perimeter = json!({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": ORG}}}]});
    let managed = format!("arn:aws:iam::{}:policy/data-perimeter", id(1));
    let role = format!("arn:aws:iam::{}:role/etl", id(2));
    let user = format!("arn:aws:iam::{}:user/builder", id(2));
    let o = org(3)
        .identity_policy(
            1,
            IdentityPolicyKind::Managed,
            &managed,
            "data-perimeter",
            perimeter.clone(),
        )
        .identity_policy(
            2,
            IdentityPolicyKind::RoleInline,
            &role,
            "org-only",
            perimeter.clone(),
        )
        .identity_policy(
            2,
            IdentityPolicyKind::UserInline,
            &user,
            "org-only",
            perimeter,
        )
        .idle();
    let a = o.assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["org_keyed_identity_policies"]);
    let evidence = &a.reasons[0].evidence;
    assert_eq!(
        evidence,
        &[
            managed.clone(),
            format!("{role}#org-only"),
            format!("{user}#org-only")
        ]
    );
    let found = impact(&a, "org_keyed_identity_policies").expect("the impact");
    assert_eq!(found.break_up.severity, Severity::High);
    assert_eq!(found.import_whole.severity, Severity::Info);
    assert_eq!(found.evidence.len(), 3);
    assert!(blockers(&a, 1).contains(&"identity_policies_org_keys"));
    assert!(blockers(&a, 2).contains(&"identity_policies_org_keys"));
    assert!(
        !blockers(&a, 3).contains(&"identity_policies_org_keys"),
        "{:?}",
        blockers(&a, 3)
    );

    let broken = o.assess_with(&Thresholds::default(), Some(Path::BreakUp));
    let steps: Vec<&orgpool_assess::Step> = broken
        .runbook
        .iter()
        .filter(|s| s.action == "rewrite_org_identity_policy")
        .collect();
    assert_eq!(steps.len(), 3);
    let first_removal = broken
        .runbook
        .iter()
        .position(|s| s.action == "leave_organization")
        .expect("a break-up removes accounts");
    assert!(steps.iter().all(|s| s.order <= first_removal));
    let (m, r, u) = (steps[0], steps[1], steps[2]);
    let p1 = format!("--profile <PROFILE_{}>", id(1));
    let p2 = format!("--profile <PROFILE_{}>", id(2));
    assert_eq!(m.account_id.as_deref(), Some(id(1).as_str()));
    assert!(m.title.contains("aws:ResourceOrgID"), "{}", m.title);
    assert_eq!(
        m.command,
        format!(
            "aws iam create-policy-version --policy-arn {managed} --policy-document file://data-perimeter-policy.json --set-as-default {p1}"
        )
    );
    assert_eq!(
        m.pre_check,
        format!(
            "aws iam get-policy-version --policy-arn {managed} --version-id v3 --query PolicyVersion.Document {p1} > data-perimeter-policy.before.json && aws iam list-policy-versions --policy-arn {managed} --query 'length(Versions)' {p1}"
        )
    );
    assert_eq!(
        m.rollback,
        format!("aws iam set-default-policy-version --policy-arn {managed} --version-id v3 {p1}")
    );
    assert_eq!(
        r.command,
        format!(
            "aws iam put-role-policy --role-name etl --policy-name org-only --policy-document file://etl-org-only-policy.json {p2}"
        )
    );
    assert_eq!(
        r.pre_check,
        format!(
            "aws iam get-role-policy --role-name etl --policy-name org-only --query PolicyDocument {p2} > etl-org-only-policy.before.json"
        )
    );
    assert_eq!(
        r.rollback,
        format!(
            "aws iam put-role-policy --role-name etl --policy-name org-only --policy-document file://etl-org-only-policy.before.json {p2}"
        )
    );
    assert!(
        u.command
            .starts_with("aws iam put-user-policy --user-name builder --policy-name org-only"),
        "{}",
        u.command
    );

    let plain = org(3)
        .identity_policy(
            1,
            IdentityPolicyKind::Managed,
            &managed,
            "data-perimeter",
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        )
        .idle()
        .assess();
    assert!(
        !rules(&plain).contains(&"org_keyed_identity_policies"),
        "{:?}",
        rules(&plain)
    );
    assert!(impact(&plain, "org_keyed_identity_policies").is_none_or(|i| i.evidence.is_empty()));
}

/// A bundle compared with itself, and with itself under new OU, root and
/// policy IDs and a later timestamp, lost nothing: items are matched by
/// what survives a move. Then each kind of change is found, and only it:
/// a lost account, a policy whose content and targets changed, a lost
/// Identity Center assignment, an added role (no loss), and a read that
/// failed after but not before (unverified).
#[test]
fn a_comparison_finds_what_a_move_lost_and_nothing_else() {
    use orgpool_assess::compare::{Change, Difference, compare};
    let before = everything().b;
    let same = compare(&before, &before);
    assert!(same.nothing_lost());
    assert!(same.differences.is_empty());
    assert_eq!(same.compared["account"], 5);
    assert_eq!(same.compared["policy"], 3);
    assert_eq!(same.compared["sso_assignment"], 1);
    assert_eq!(same.compared["resource_policy"], 1);
    assert_eq!(same.compared["identity_policy"], 1);

    let mut renumbered = before.clone();
    let new_id = |id: &str| id.replace("ab12", "zz99");
    renumbered.generated_at = taken_at() + Duration::days(30);
    for r in &mut renumbered.roots {
        r.id = new_id(&r.id);
    }
    for ou in &mut renumbered.organizational_units {
        ou.id = new_id(&ou.id);
        ou.parent_id = new_id(&ou.parent_id);
    }
    for a in &mut renumbered.accounts {
        a.parent_id = new_id(&a.parent_id);
    }
    for p in &mut renumbered.policies {
        p.id = format!("{}-new", p.id);
        p.targets = p.targets.iter().map(|t| new_id(t)).collect();
    }
    assert_ne!(renumbered.roots[0].id, before.roots[0].id);
    let moved = compare(&before, &renumbered);
    assert!(moved.nothing_lost(), "{:?}", moved.differences);
    assert!(moved.differences.is_empty(), "{:?}", moved.differences);

    let mut after = before.clone();
    after.accounts.retain(|a| a.id != id(2));
    let scp = after
        .policies
        .iter_mut()
        .find(|p| p.id == "p-denyleave1")
        .unwrap();
    scp.content = json!({"Statement": []});
    scp.targets.clear();
    after.identity_center[0].account_assignments.clear();
    after.iam_roles.push(IamRole {
        account_id: id(1),
        role_name: "payer-audit".into(),
        arn: format!("arn:aws:iam::{}:role/payer-audit", id(1)),
        trust_policy: trust("999988887777"),
    });
    after.gaps.push(Gap {
        scope: id(1),
        api: "iam:ListRoles".into(),
        error: "AccessDenied".into(),
    });
    let c = compare(&before, &after);
    assert!(!c.nothing_lost());
    let scp_name = &before
        .policies
        .iter()
        .find(|p| p.id == "p-denyleave1")
        .unwrap()
        .name;
    let d = |change, kind, key: String, fields: &[&str]| Difference {
        change,
        kind,
        key,
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    };
    assert_eq!(
        c.differences,
        vec![
            d(Change::Lost, "account", id(2), &[]),
            d(
                Change::Lost,
                "sso_assignment",
                format!(
                    "{} {} group g-1",
                    id(1),
                    before.identity_center[0].permission_sets[0].name
                ),
                &[]
            ),
            d(
                Change::Changed,
                "policy",
                format!("SERVICE_CONTROL_POLICY/{scp_name}"),
                &["content", "targets"]
            ),
            d(
                Change::Added,
                "iam_role",
                format!("arn:aws:iam::{}:role/payer-audit", id(1)),
                &[]
            ),
        ]
    );
    assert_eq!(c.unverified.len(), 1);
    assert_eq!(c.unverified[0].api, "iam:ListRoles");

    // Additions alone lose nothing.
    let mut grown = before.clone();
    grown
        .iam_roles
        .push(after.iam_roles.last().unwrap().clone());
    assert!(compare(&before, &grown).nothing_lost());
}

/// Deploys a replay template into a payer's bundle as CloudFormation would:
/// every OU created under its `ParentId` (the `ParentId` parameter for the
/// root's stand-in), every policy with its `TargetIds` resolved, each
/// account moved to the OU the metadata names. Resources are created once
/// what they refer to exists.
fn deploy_replay(template: &serde_json::Value, payer: &mut OrgBundle, parent: &str, prefix: &str) {
    let resources = template["Resources"].as_object().unwrap();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let resolve = |v: &serde_json::Value, ids: &BTreeMap<String, String>| -> Option<String> {
        match v.get("Ref").and_then(|r| r.as_str()) {
            Some("ParentId") => Some(parent.to_owned()),
            Some(logical) => ids.get(logical).cloned(),
            None => v.as_str().map(str::to_owned),
        }
    };
    while ids.len() < resources.len() {
        let before = ids.len();
        for (logical, r) in resources {
            if ids.contains_key(logical) {
                continue;
            }
            let p = &r["Properties"];
            if r["Type"] == "AWS::Organizations::OrganizationalUnit" {
                let Some(parent_id) = resolve(&p["ParentId"], &ids) else {
                    continue;
                };
                let id = format!("ou-pay0-{:08}", payer.organizational_units.len());
                payer.organizational_units.push(OrganizationalUnit {
                    id: id.clone(),
                    name: p["Name"].as_str().unwrap().into(),
                    parent_id,
                });
                ids.insert(logical.clone(), id);
            } else {
                let targets: Option<Vec<String>> = p["TargetIds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| resolve(t, &ids))
                    .collect();
                let Some(targets) = targets else { continue };
                let id = format!("p-pay{:05}", payer.policies.len());
                // Fn::Join of the PolicyNamePrefix parameter and the name.
                let parts = p["Name"]["Fn::Join"][1].as_array().unwrap();
                assert_eq!(parts[0]["Ref"], "PolicyNamePrefix");
                payer.policies.push(Policy {
                    id: id.clone(),
                    name: format!("{prefix}{}", parts[1].as_str().unwrap()),
                    description: p["Description"].as_str().unwrap_or_default().into(),
                    policy_type: serde_json::from_value(p["Type"].clone()).unwrap(),
                    aws_managed: false,
                    content: serde_json::from_str(p["Content"].as_str().unwrap()).unwrap(),
                    targets,
                });
                ids.insert(logical.clone(), id);
            }
        }
        assert!(ids.len() > before, "a reference that never resolves");
    }
    for (account, ou) in template["Metadata"]["orgpool:accounts"]
        .as_object()
        .unwrap()
    {
        let mut moved = before_account(account);
        moved.parent_id = ids[ou.as_str().unwrap()].clone();
        // It joined the payer by invitation, after the export.
        moved.joined_method = JoinedMethod::Invited;
        moved.joined_timestamp = taken_at() + Duration::days(20);
        payer.accounts.push(moved);
    }
}

fn before_account(id: &str) -> Account {
    everything()
        .b
        .accounts
        .into_iter()
        .find(|a| a.id == id)
        .unwrap()
}

/// A break-up replayed: the payer's organization, with a customer of its
/// own already, gets the template deployed under `Root/Customers`. Compared
/// with the export from the replay's OU, the OUs, the accounts' places and
/// the guardrails lost nothing; a guardrail the payer then detaches is found.
#[test]
fn a_replayed_structure_compares_equal_under_its_new_root() {
    use orgpool_assess::compare::{Change, Options, compare_with};
    let before = everything().b;
    let template = orgpool_assess::replay::template(&before);
    let mut payer = org(2).b;
    payer.organization.id = "o-payer00001".into();
    payer.roots[0].id = "r-pay0".into();
    payer.organizational_units = vec![OrganizationalUnit {
        id: "ou-pay0-customers".into(),
        name: "Customers".into(),
        parent_id: "r-pay0".into(),
    }];
    for a in &mut payer.accounts {
        a.id = a.id.replace("1000", "9000");
        a.parent_id = "r-pay0".into();
    }
    deploy_replay(&template, &mut payer, "ou-pay0-customers", "o-abcd123456-");
    let stand_in = template["Resources"]["OrganizationRoot"]["Properties"]["Name"]
        .as_str()
        .unwrap();
    let options = Options {
        after_root: Some(format!("Root/Customers/{stand_in}")),
        kinds: ["organizational_unit", "account", "policy"]
            .map(str::to_owned)
            .to_vec(),
        policy_prefix: Some("o-abcd123456-".into()),
    };
    // Without the prefix taken off, every replayed policy looks lost.
    let prefixed = Options {
        policy_prefix: None,
        ..options.clone()
    };
    let c = compare_with(&before, &payer, &prefixed).unwrap();
    assert!(c.of(Change::Lost).all(|d| d.kind == "policy"));
    assert_eq!(c.of(Change::Lost).count(), 2);
    let c = compare_with(&before, &payer, &options).unwrap();
    assert!(c.nothing_lost(), "{:?}", c.differences);
    assert_eq!(
        c.compared["organizational_unit"],
        before.organizational_units.len()
    );
    // The AWS managed policy is not replayed: every organization has its own.
    let custom = before.policies.iter().filter(|p| !p.aws_managed).count();
    assert_eq!(c.compared["policy"], custom);
    assert!(custom >= 2);
    // The suspended account does not move, and is not looked for.
    let active = before
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .count();
    assert!(active < before.accounts.len());
    assert_eq!(c.compared["account"], active);
    assert!(
        c.differences.iter().all(|d| d.change == Change::Added),
        "{:?}",
        c.differences
    );

    let denial = payer
        .policies
        .iter_mut()
        .find(|p| p.policy_type == PolicyType::ServiceControlPolicy && !p.targets.is_empty())
        .unwrap();
    denial.targets.clear();
    let name = denial.name.trim_start_matches("o-abcd123456-").to_owned();
    let c = compare_with(&before, &payer, &options).unwrap();
    assert!(!c.nothing_lost());
    assert!(c.differences.iter().any(|d| d.change == Change::Changed
        && d.key == format!("SERVICE_CONTROL_POLICY/{name}")
        && d.fields == ["targets"]));

    let wrong = Options {
        after_root: Some("Root/Nowhere".into()),
        ..Options::default()
    };
    assert!(
        compare_with(&before, &payer, &wrong)
            .unwrap_err()
            .contains("Root/Nowhere")
    );
    let unknown = Options {
        kinds: vec!["buckets".into()],
        ..Options::default()
    };
    assert!(
        compare_with(&before, &payer, &unknown)
            .unwrap_err()
            .contains("buckets")
    );
}

#[test]
fn suspended_accounts_are_left_out_of_the_counts() {
    let a = org(4).suspend(2).suspend(3).assess();
    // Without billing data, only the live accounts count: two remain.
    assert_eq!(rules(&a), ["activity_unknown"]);
    let a = org(3).suspend(1).suspend(2).assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    assert_eq!(rules(&a), ["single_account"]);
    assert_eq!(blockers(&a, 1), ["suspended"]);
    assert!(impact(&a, "suspended_accounts").is_some());
    // Suspended accounts do not get leave steps.
    assert!(
        a.runbook
            .iter()
            .all(|s| s.account_id.as_deref() != Some(id(1).as_str()))
    );
    // A suspended account does not move: what would stand in the way of a
    // move (a delegated administration, a policy keyed on the organization)
    // is not listed for it, only that it is suspended.
    let a = org(3)
        .suspend(2)
        .delegated(2, "guardduty.amazonaws.com")
        .resource_policy(
            1,
            ResourceService::S3,
            "arn:aws:s3:::shared",
            by_org("s3:GetObject"),
        )
        .assess();
    assert_eq!(blockers(&a, 2), ["suspended"]);
    assert!(blockers(&a, 1).contains(&"resource_policies_org_keys"));
    // A suspended account with usage is still not active.
    let a = org(3).suspend(2).usage(&[(2, 500.0), (1, 20.0)]).assess();
    assert_eq!(a.accounts[2].active, Some(false));
    assert_eq!(a.recommendation, Path::BreakUp);
}

#[test]
fn a_setup_too_complex_to_break_imports_whole_and_the_thresholds_are_configurable() {
    let o = org(30).usage(&[(1, 100.0)]);
    let a = o.assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    assert_eq!(rules(&a), ["too_complex"]);
    assert!(a.reasons[0].detail.contains("30 accounts"));
    let relaxed = Thresholds {
        complex_accounts: 100,
        ..Thresholds::default()
    };
    assert_eq!(o.assess_with(&relaxed, None).recommendation, Path::BreakUp);
}

#[test]
fn the_activity_threshold_is_configurable() {
    let o = org(3).usage(&[(1, 15.0), (2, 400.0)]);
    assert_eq!(
        o.assess().recommendation,
        Path::ImportWhole,
        "15.00 is above the default 10.00"
    );
    let strict = Thresholds {
        active_usage: 20.0,
        ..Thresholds::default()
    };
    let a = o.assess_with(&strict, None);
    assert_eq!(a.recommendation, Path::BreakUp);
    assert_eq!(a.accounts[1].active, Some(false));
    let two = Thresholds {
        break_up_max_active_accounts: 2,
        ..Thresholds::default()
    };
    assert_eq!(o.assess_with(&two, None).recommendation, Path::BreakUp);
}

#[test]
fn two_scps_denying_leave_are_two_blockers_shown_once_with_their_count() {
    let deny = json!({"Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]});
    let a = org(3)
        .full_access_everywhere()
        .scp("p-denyleave1", deny.clone(), &[WORKLOADS])
        .scp("p-denyleave2", deny, &[&id(1)])
        .usage(&[(1, 100.0)])
        .assess();
    let account = &a.accounts[1];
    let mut evidence: Vec<&str> = account
        .leave_blockers
        .iter()
        .filter(|l| l.check == "scp_denies_leave")
        .flat_map(|l| l.evidence.iter().map(String::as_str))
        .collect();
    evidence.sort_unstable();
    assert_eq!(evidence, ["p-denyleave1", "p-denyleave2"]);
    assert_eq!(
        orgpool_assess::render::blocker_summary(account),
        "scp_denies_leave ×2 (blocks)"
    );
    assert_eq!(
        orgpool_assess::render::blocker_summary(&a.accounts[2]),
        "scp_denies_leave (blocks)"
    );
}

#[test]
fn an_scp_denying_leave_blocks_the_accounts_under_it() {
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["organizations:Leave*"], "Resource": "*"}]});
    let a = org(3)
        .full_access_everywhere()
        .scp("p-denyleave1", deny, &[WORKLOADS])
        .usage(&[(1, 100.0)])
        .assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    let item = a.accounts[1]
        .leave_blockers
        .iter()
        .find(|l| l.check == "scp_denies_leave")
        .unwrap();
    assert!(item.blocking && item.detail.contains(WORKLOADS));
    assert_eq!(item.evidence, ["p-denyleave1"]);
    assert!(
        !blockers(&a, 0).contains(&"scp_denies_leave"),
        "SCPs do not restrict the management account"
    );
    let lifts: Vec<_> = a
        .runbook
        .iter()
        .filter(|s| s.action == "lift_leave_denial")
        .collect();
    assert_eq!(lifts.len(), 1, "one detach for the OU, not one per account");
    assert_eq!(
        lifts[0].command,
        format!("aws organizations detach-policy --policy-id p-denyleave1 --target-id {WORKLOADS}")
    );
    assert_eq!(
        impact(&a, "scp_denies_leave").unwrap().severity,
        Severity::Blocker
    );
}

#[test]
fn an_allow_list_scp_without_the_leave_action_blocks_too() {
    let allow_list =
        json!({"Statement": [{"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}]});
    let full = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let accounts: Vec<String> = (0..2).map(id).collect();
    let a = org(2)
        .scp(
            "p-FullAWSAccess",
            full,
            &[ROOT, accounts[0].as_str(), accounts[1].as_str()],
        )
        .scp("p-allowlist1", allow_list, &[WORKLOADS])
        .idle()
        .assess();
    let item = a.accounts[1]
        .leave_blockers
        .iter()
        .find(|l| l.check == "scp_denies_leave")
        .unwrap();
    assert!(
        item.detail
            .contains("no SCP attached to ou-ab12-workload allows"),
        "{}",
        item.detail
    );
}

#[test]
fn an_account_created_days_ago_cannot_leave_yet() {
    let a = org(2).created_days_ago(1, 3).idle().assess();
    let item = a.accounts[1]
        .leave_blockers
        .iter()
        .find(|l| l.check == "created_recently")
        .unwrap();
    assert!(item.blocking);
    assert!(item.fix.contains("2026-11-05"), "{}", item.fix);
    // An invited account of the same age may leave.
    let mut o = org(2).created_days_ago(1, 3).idle();
    o.b.accounts[1].joined_method = JoinedMethod::Invited;
    assert!(!blockers(&o.assess(), 1).contains(&"created_recently"));
}

#[test]
fn service_managed_stack_sets_delete_their_stacks_unless_retained() {
    let a = org(3)
        .stack_set("baseline", false, &[1, 2])
        .stack_set("kept", true, &[1])
        .usage(&[(1, 100.0)])
        .assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    let item = a.accounts[1]
        .leave_blockers
        .iter()
        .find(|l| l.check == "service_managed_stack_sets")
        .unwrap();
    assert_eq!(item.evidence, ["baseline"]);
    assert!(!item.blocking);
    let step = a
        .runbook
        .iter()
        .find(|s| s.action == "retain_stack_set_stacks")
        .unwrap();
    assert!(
        step.command.contains("--stack-set-name baseline")
            && step.command.contains("RetainStacksOnAccountRemoval=true")
    );
    assert_eq!(
        impact(&a, "retained_stack_sets").unwrap().evidence,
        ["kept"]
    );
}

/// Every organization feature at once, for the checklist and the snapshots.
fn everything() -> Org {
    let deny = json!({"Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]});
    let mut o = org(4)
        .full_access_everywhere()
        .scp("p-denyleave1", deny, &[WORKLOADS])
        .sso(&[1])
        .sso(&[])
        .role(1, "OrganizationAccountAccessRole", trust(&format!("arn:aws:iam::{}:root", id(0))))
        .role(2, "ci-deployer", trust(&id(1)))
        .role(3, "org-reader", json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]}))
        .role(3, "vendor", trust("999988887777"))
        .share_to_org(1)
        .resource_policy(2, ResourceService::S3, "arn:aws:s3:::shared-artifacts", by_org("s3:GetObject"))
        .identity_policy(
            3,
            IdentityPolicyKind::Managed,
            &format!("arn:aws:iam::{}:policy/data-perimeter", id(3)),
            "data-perimeter",
            json!({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": ORG}}}]}),
        )
        .org_trail(0)
        .aggregator(1)
        .delegated(1, "config.amazonaws.com")
        .stack_set("baseline", false, &[1, 2, 3])
        .stack_set("kept", true, &[2])
        .created_days_ago(3, 2)
        .usage(&[(1, 120.0), (2, 40.0)]);
    o.b.security_service_admins.push(SecurityServiceAdmin {
        service: "guardduty".into(),
        admin_account_id: id(1),
        region: "us-east-1".into(),
    });
    o.b.trusted_services.push(TrustedService {
        service_principal: "config.amazonaws.com".into(),
        date_enabled: taken_at() - Duration::days(90),
    });
    o.b.policies.push(Policy {
        id: "p-tagpolicy1".into(),
        name: "tags".into(),
        description: String::new(),
        policy_type: PolicyType::TagPolicy,
        aws_managed: false,
        content: json!({"tags": {}}),
        targets: vec![ROOT.into()],
    });
    o.b.gaps.push(Gap {
        scope: id(3),
        api: "iam:ListRoles".into(),
        error: "AccessDenied".into(),
    });
    o.b.accounts.push(Account {
        status: AccountStatus::Suspended,
        state: Some("SUSPENDED".into()),
        ..o.b.accounts[2].clone()
    });
    o.b.accounts[4].id = id(4);
    o
}

#[test]
fn impacts_cover_every_item_of_the_migration_checklist_in_the_four_areas() {
    let a = everything().assess();
    assert_eq!(a.recommendation, Path::ImportWhole);
    let found: std::collections::BTreeSet<&str> = a.impacts.iter().map(|i| i.id.as_str()).collect();
    // DESIGN.md "Leaving an organization", item by item.
    for checklist_item in [
        "standalone_readiness",       // payment method, contact info, support plan
        "delegated_administrators",   // must not be a delegated administrator
        "created_recently",           // 7 days
        "scp_denies_leave",           // SCP denying LeaveOrganization
        "guardrail_policies",         // SCPs, RCPs stop applying
        "management_policies",        // tag and backup policies stop applying
        "sso_assignments",            // Identity Center assignments removed
        "sso_instance_unused",        // Identity Center cannot run without an organization
        "org_ram_shares",             // org-scoped RAM shares revoked
        "service_managed_stack_sets", // StackSets delete their stacks
        "org_condition_keys",         // aws:PrincipalOrgID … start denying
        "org_trail",                  // org trails lose the account
        "config_aggregator",          // Config aggregators lose the account
        "cost_explorer_history",      // Cost Explorer history lost
        "commitment_sharing",         // RI/SP sharing lost both ways
        "security_admins",
        "trusted_services",
        "ou_structure",
        "inventory_gaps",
        "suspended_accounts",
        "management_account",
    ] {
        assert!(
            found.contains(checklist_item),
            "missing impact {checklist_item}: {found:?}"
        );
    }
    let areas: std::collections::BTreeSet<&str> =
        a.impacts.iter().map(|i| i.area.as_str()).collect();
    assert_eq!(areas.len(), 4, "{areas:?}");
    for i in &a.impacts {
        assert!(
            !i.evidence.is_empty() && !i.remediation.is_empty() && !i.title.is_empty(),
            "{i:?}"
        );
    }
    // Most severe first, under the planned path.
    let forced = everything().assess_with(&Thresholds::default(), Some(Path::BreakUp));
    assert_eq!(forced.impacts[0].severity, Severity::Blocker);
    assert!(
        forced
            .impacts
            .windows(2)
            .all(|w| w[0].severity >= w[1].severity)
    );
    // The JSON contract's fields.
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["recommendation"], "import_whole");
    for key in ["area", "severity", "title", "evidence", "remediation"] {
        assert!(json["impacts"][0].get(key).is_some(), "impacts[].{key}");
    }
    for key in ["id", "name", "active", "usage_cost", "leave_blockers"] {
        assert!(json["accounts"][0].get(key).is_some(), "accounts[].{key}");
    }
    assert!(json["runbook"].as_array().is_some_and(|r| !r.is_empty()));
    assert!(json["reasons"].as_array().is_some_and(|r| r.len() >= 6));
}

#[test]
fn every_runbook_step_has_a_command_a_pre_check_and_a_rollback() {
    for path in [Path::BreakUp, Path::ImportWhole] {
        let a = everything().assess_with(&Thresholds::default(), Some(path));
        assert_eq!(a.planned_path, path);
        for (i, s) in a.runbook.iter().enumerate() {
            assert_eq!(s.order, i + 1);
            assert!(
                s.command.starts_with("aws ")
                    || s.command.starts_with("orgpool ")
                    || s.command.starts_with("jq "),
                "{s:?}"
            );
            assert!(
                !s.pre_check.is_empty() && !s.rollback.is_empty() && !s.run_as.is_empty(),
                "{s:?}"
            );
        }
    }
    // break_up's required steps, in a safe order.
    let a = everything().assess_with(&Thresholds::default(), Some(Path::BreakUp));
    let acts = actions(&a);
    let first = |name: &str| {
        acts.iter()
            .position(|s| *s == name)
            .unwrap_or_else(|| panic!("{name} missing: {acts:?}"))
    };
    let leave = first("leave_organization");
    for before in [
        "export_configuration",
        "deregister_delegated_admin",
        "disable_security_admin",
        "create_account_trail",
        "replace_config_aggregator",
        "share_explicitly",
        "retain_stack_set_stacks",
        "record_sso_access",
        "rewrite_org_trust",
        "lift_leave_denial",
        "check_standalone",
    ] {
        assert!(
            first(before) < leave,
            "{before} must come before leaving: {acts:?}"
        );
    }
    assert!(
        leave < first("accept_payer_invitation")
            && first("accept_payer_invitation") < first("delete_organization")
    );
    // Once every account has joined the payer, its OUs and guardrails are
    // replayed there and each account put back in its OU.
    assert!(first("accept_payer_invitation") < first("replay_structure"));
    assert_eq!(acts.last(), Some(&"verify_replay"));
    let moves = acts.iter().filter(|a| **a == "move_to_replayed_ou").count();
    assert_eq!(
        moves,
        a.accounts.iter().filter(|r| r.status == "ACTIVE").count()
    );
    // The suspended account gets no step.
    assert!(
        a.runbook
            .iter()
            .all(|s| s.account_id.as_deref() != Some(id(4).as_str()))
    );
}

#[test]
fn html_is_a_standalone_page_with_everything_escaped() {
    let mut o = everything();
    o.b.accounts[2].name = "<script>alert(1)</script> & co".into();
    let a = o.assess();
    let page = render::html(&a);
    assert!(page.starts_with("<!doctype html>") && page.trim_end().ends_with("</html>"));
    assert!(!page.contains("<script>"), "names are escaped");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );
    assert_eq!(page.matches("<li data-action=").count(), a.runbook.len());
    let md = render::markdown(&a);
    assert!(md.contains("**Recommendation: `import_whole`**"));
}

#[test]
fn golden_runbook_break_up_of_a_single_active_account() {
    let o = org(3)
        .usage(&[(1, 250.0)])
        .stack_set("baseline", false, &[1, 2]);
    let a = o.assess();
    assert_eq!(a.recommendation, Path::BreakUp);
    insta::assert_snapshot!("runbook_break_up", render::runbook_markdown(&a));
}

#[test]
fn golden_runbook_break_up_forced_on_a_connected_org() {
    let a = everything().assess_with(&Thresholds::default(), Some(Path::BreakUp));
    insta::assert_snapshot!("runbook_break_up_forced", render::runbook_markdown(&a));
}

#[test]
fn golden_runbook_import_whole() {
    let a = everything().assess();
    insta::assert_snapshot!("runbook_import_whole", render::runbook_markdown(&a));
    insta::assert_json_snapshot!("runbook_import_whole_json", a.runbook);
}
