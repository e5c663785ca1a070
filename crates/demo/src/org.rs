//! The demo organization: a realistic AWS Organization built from a seed.
//!
//! Shape: a management account at the root; OUs `Security`, `Infrastructure`,
//! `Production/Workloads/{Payments,Analytics,Web}` (three deep), `Sandbox` and
//! `Suspended`. Twelve core accounts play fixed roles (log archive, security
//! tooling, network, shared services, workloads, sandboxes, a suspended one);
//! further accounts are workload teams spread over the workload OUs and the
//! sandbox. With fewer than twelve accounts the core list is cut short.
//!
//! It carries every item later commands reason about: SCPs (one denies
//! `organizations:LeaveOrganization`), tag and backup policies with targets,
//! trusted access, delegated administrators for GuardDuty, Security Hub and
//! Config, an IAM Identity Center instance with assignments, an organization
//! trail, a Config aggregator, RAM shares to the org and to an OU,
//! cross-account roles (one trusting by `aws:PrincipalOrgID`), and resource
//! policies keyed on the organization (the trail's bucket, a shared artifact
//! bucket and a KMS key).

use chrono::{DateTime, Duration, TimeZone, Utc};
use orgpool_model::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// What a demo account does; it decides the account's OU and its workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The management account.
    Management,
    /// Central log archive.
    LogArchive,
    /// Security tooling, delegated administrator.
    SecurityTooling,
    /// Shared networking.
    Network,
    /// Shared services (CI, artifact stores).
    SharedServices,
    /// Payments production.
    PaymentsProd,
    /// Payments staging.
    PaymentsStaging,
    /// Analytics production.
    AnalyticsProd,
    /// Data lake.
    DataLake,
    /// Web production.
    WebProd,
    /// An unused sandbox.
    IdleSandbox,
    /// A suspended account.
    Suspended,
    /// A generated workload team.
    Team,
}

const CORE: [(Role, &str, &str); 12] = [
    (Role::Management, "management", ROOT),
    (Role::LogArchive, "log-archive", "security"),
    (Role::SecurityTooling, "security-tooling", "security"),
    (Role::PaymentsProd, "payments-prod", "payments"),
    (Role::AnalyticsProd, "analytics-prod", "analytics"),
    (Role::WebProd, "web-prod", "web"),
    (Role::Network, "network", "infrastructure"),
    (Role::SharedServices, "shared-services", "infrastructure"),
    (Role::DataLake, "data-lake", "analytics"),
    (Role::PaymentsStaging, "payments-staging", "payments"),
    (Role::IdleSandbox, "sandbox-alice", "sandbox"),
    (Role::Suspended, "legacy-closed", "suspended"),
];

const ROOT: &str = "root";
const OUS: [(&str, &str, &str); 9] = [
    ("security", "Security", ROOT),
    ("infrastructure", "Infrastructure", ROOT),
    ("production", "Production", ROOT),
    ("workloads", "Workloads", "production"),
    ("payments", "Payments", "workloads"),
    ("analytics", "Analytics", "workloads"),
    ("web", "Web", "workloads"),
    ("sandbox", "Sandbox", ROOT),
    ("suspended", "Suspended", ROOT),
];

/// A demo account with its role.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// The account as the bundle lists it.
    pub account: Account,
    /// Its role in the demo.
    pub role: Role,
}

/// The generated organization plus the facts the billing generator needs.
#[derive(Debug, Clone)]
pub struct DemoOrg {
    /// The bundle, as written to `org.json`.
    pub bundle: OrgBundle,
    /// Accounts with roles, in bundle order.
    pub accounts: Vec<DemoAccount>,
}

impl DemoOrg {
    /// The account playing `role`, if the org is large enough to have it.
    pub fn account_with(&self, role: Role) -> Option<&DemoAccount> {
        self.accounts.iter().find(|a| a.role == role)
    }
}

/// Builds the demo organization for `accounts` accounts (at least one).
pub fn generate_org(seed: u64, accounts: usize, taken_at: DateTime<Utc>) -> DemoOrg {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6f72_6770_6f6f_6c00);
    let org_id = format!("o-{}", random_chars(&mut rng, 10));
    let root_id = format!("r-{}", random_chars(&mut rng, 4));
    let ou_ids: Vec<(String, String)> = OUS
        .iter()
        .map(|(key, _, _)| {
            (
                (*key).to_owned(),
                format!("ou-{}-{}", &root_id[2..], random_chars(&mut rng, 8)),
            )
        })
        .collect();
    let container = |key: &str| -> String {
        if key == ROOT {
            root_id.clone()
        } else {
            ou_ids
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, id)| id.clone())
                .unwrap_or_default()
        }
    };
    let mut demo_accounts = Vec::new();
    let mut used_ids = std::collections::HashSet::new();
    for index in 0..accounts.max(1) {
        let (role, name, parent_key) = match CORE.get(index) {
            Some((role, name, parent)) => (*role, (*name).to_owned(), *parent),
            None => team_slot(index),
        };
        let id = loop {
            let candidate = format!(
                "{:012}",
                rng.random_range(100_000_000_000u64..999_999_999_999)
            );
            if used_ids.insert(candidate.clone()) {
                break candidate;
            }
        };
        let joined = joined_at(&mut rng, role, index, taken_at);
        demo_accounts.push(DemoAccount {
            account: Account {
                email: format!("aws+{name}@example.com"),
                name,
                status: if role == Role::Suspended {
                    AccountStatus::Suspended
                } else {
                    AccountStatus::Active
                },
                state: Some(
                    if role == Role::Suspended {
                        "SUSPENDED"
                    } else {
                        "ACTIVE"
                    }
                    .to_owned(),
                ),
                joined_method: if role == Role::Management || index % 5 == 3 {
                    JoinedMethod::Invited
                } else {
                    JoinedMethod::Created
                },
                joined_timestamp: joined,
                parent_id: container(parent_key),
                id,
            },
            role,
        });
    }
    let management = demo_accounts[0].account.clone();
    let org_arn = format!(
        "arn:aws:organizations::{}:organization/{org_id}",
        management.id
    );
    let mut bundle = OrgBundle {
        format: BUNDLE_FORMAT.to_owned(),
        version: BUNDLE_VERSION,
        generated_at: taken_at,
        source: BundleSource {
            kind: SourceKind::Demo,
            detail: Some(format!(
                "orgpool demo generate --accounts {} --seed {seed}",
                accounts.max(1)
            )),
        },
        organization: Organization {
            id: org_id.clone(),
            arn: org_arn.clone(),
            feature_set: FeatureSet::All,
            management_account_id: management.id.clone(),
            management_account_email: management.email.clone(),
        },
        roots: vec![Root {
            id: root_id.clone(),
            name: "Root".to_owned(),
            enabled_policy_types: vec![
                PolicyType::ServiceControlPolicy,
                PolicyType::TagPolicy,
                PolicyType::BackupPolicy,
            ],
        }],
        organizational_units: OUS
            .iter()
            .map(|(key, name, parent)| OrganizationalUnit {
                id: container(key),
                name: (*name).to_owned(),
                parent_id: container(parent),
            })
            .collect(),
        accounts: demo_accounts.iter().map(|a| a.account.clone()).collect(),
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
    let demo = DemoOrg {
        bundle: bundle.clone(),
        accounts: demo_accounts,
    };
    let ids = Ids {
        root: root_id.clone(),
        container: &container,
        org_arn,
        management: management.id.clone(),
    };
    add_policies(&mut bundle, &mut rng, &ids);
    add_org_services(&mut bundle, &demo, &ids, taken_at);
    add_identity_center(&mut bundle, &demo, &mut rng);
    add_roles_and_shares(&mut bundle, &demo, &ids, &mut rng);
    add_stack_sets(&mut bundle, &demo, &ids);
    DemoOrg {
        bundle,
        accounts: demo.accounts,
    }
}

struct Ids<'a> {
    root: String,
    container: &'a dyn Fn(&str) -> String,
    org_arn: String,
    management: String,
}

fn team_slot(index: usize) -> (Role, String, &'static str) {
    const HOMES: [&str; 4] = ["payments", "analytics", "web", "sandbox"];
    let home = HOMES[index % HOMES.len()];
    let role = if home == "sandbox" {
        Role::IdleSandbox
    } else {
        Role::Team
    };
    let stage = if index.is_multiple_of(3) {
        "staging"
    } else {
        "prod"
    };
    let name = if role == Role::IdleSandbox {
        format!("sandbox-{index:03}")
    } else {
        format!("team-{index:03}-{stage}")
    };
    (role, name, home)
}

fn joined_at(
    rng: &mut ChaCha8Rng,
    role: Role,
    index: usize,
    taken_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let start = Utc
        .with_ymd_and_hms(2019, 3, 1, 9, 0, 0)
        .single()
        .unwrap_or(taken_at);
    match role {
        Role::Management => start,
        // One sandbox was created three days before the inventory: it cannot leave yet.
        Role::IdleSandbox if index == 10 => taken_at - Duration::days(3),
        _ => {
            let span = (taken_at - start).num_seconds().max(1);
            start + Duration::seconds(rng.random_range(0..span))
        }
    }
}

fn random_chars(rng: &mut ChaCha8Rng, n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn policy_id(rng: &mut ChaCha8Rng) -> String {
    format!("p-{}", random_chars(rng, 8))
}

fn add_policies(bundle: &mut OrgBundle, rng: &mut ChaCha8Rng, ids: &Ids<'_>) {
    let ou = ids.container;
    let push = |bundle: &mut OrgBundle,
                name: &str,
                policy_type: PolicyType,
                aws_managed: bool,
                description: &str,
                content,
                targets: Vec<String>,
                id: String| {
        bundle.policies.push(Policy {
            id,
            name: name.to_owned(),
            description: description.to_owned(),
            policy_type,
            aws_managed,
            content,
            targets,
        });
    };
    push(
        bundle,
        "FullAWSAccess",
        PolicyType::ServiceControlPolicy,
        true,
        "Allows access to every operation",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        vec![ids.root.clone()],
        "p-FullAWSAccess".to_owned(),
    );
    push(
        bundle,
        "DenyLeaveOrganization",
        PolicyType::ServiceControlPolicy,
        false,
        "Member accounts may not leave the organization",
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}),
        vec![ids.root.clone()],
        policy_id(rng),
    );
    push(
        bundle,
        "RegionAllowList",
        PolicyType::ServiceControlPolicy,
        false,
        "Workloads run in three regions only",
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1", "ap-southeast-2"]}}}]}),
        vec![ou("production"), ou("sandbox")],
        policy_id(rng),
    );
    push(
        bundle,
        "ProtectSecurityTooling",
        PolicyType::ServiceControlPolicy,
        false,
        "Nobody turns off GuardDuty, Config or CloudTrail",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["guardduty:DeleteDetector", "config:StopConfigurationRecorder", "cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], "Resource": "*"}]}),
        vec![ou("security"), ou("workloads")],
        policy_id(rng),
    );
    push(
        bundle,
        "CostCenterTags",
        PolicyType::TagPolicy,
        false,
        "Every resource carries a cost center",
        json!({"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"}, "tag_value": {"@@assign": ["payments", "analytics", "web", "platform", "security"]}, "enforced_for": {"@@assign": ["ec2:instance", "rds:db"]}}}}),
        vec![ids.root.clone()],
        policy_id(rng),
    );
    push(
        bundle,
        "DailyBackups",
        PolicyType::BackupPolicy,
        false,
        "Daily backups kept 35 days for production",
        json!({"plans": {"daily": {"regions": {"@@assign": ["us-east-1", "eu-west-1"]}, "rules": {"daily-35d": {"schedule_expression": {"@@assign": "cron(0 5 ? * * *)"}, "target_backup_vault_name": {"@@assign": "Default"}, "lifecycle": {"delete_after_days": {"@@assign": "35"}}}},
            "selections": {"tags": {"backup": {"iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/AWSBackupDefaultServiceRole"}, "tag_key": {"@@assign": "backup"}, "tag_value": {"@@assign": ["daily"]}}}}}}}),
        vec![ou("production")],
        policy_id(rng),
    );
}

fn add_org_services(
    bundle: &mut OrgBundle,
    demo: &DemoOrg,
    ids: &Ids<'_>,
    taken_at: DateTime<Utc>,
) {
    let enabled = Utc
        .with_ymd_and_hms(2021, 6, 14, 10, 0, 0)
        .single()
        .unwrap_or(taken_at);
    for principal in [
        "sso.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "config.amazonaws.com",
        "guardduty.amazonaws.com",
        "securityhub.amazonaws.com",
        "ram.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
        "backup.amazonaws.com",
        "tagpolicies.tag.amazonaws.com",
    ] {
        bundle.trusted_services.push(TrustedService {
            service_principal: principal.to_owned(),
            date_enabled: enabled,
        });
    }
    let Some(security) = demo.account_with(Role::SecurityTooling) else {
        return;
    };
    let security_id = security.account.id.clone();
    for principal in [
        "guardduty.amazonaws.com",
        "securityhub.amazonaws.com",
        "config.amazonaws.com",
    ] {
        bundle
            .delegated_administrators
            .push(DelegatedAdministrator {
                account_id: security_id.clone(),
                service_principal: principal.to_owned(),
                delegation_enabled_date: enabled,
            });
    }
    for service in ["guardduty", "securityhub"] {
        bundle.security_service_admins.push(SecurityServiceAdmin {
            service: service.to_owned(),
            admin_account_id: security_id.clone(),
            region: "us-east-1".to_owned(),
        });
    }
    let log_bucket_owner = demo
        .account_with(Role::LogArchive)
        .map_or(ids.management.clone(), |a| a.account.id.clone());
    bundle.cloudtrail_trails.push(Trail {
        name: "org-trail".to_owned(),
        arn: format!(
            "arn:aws:cloudtrail:us-east-1:{}:trail/org-trail",
            ids.management
        ),
        account_id: ids.management.clone(),
        home_region: "us-east-1".to_owned(),
        s3_bucket_name: format!("org-cloudtrail-{log_bucket_owner}"),
        is_organization_trail: true,
        is_multi_region_trail: true,
    });
    bundle.config_aggregators.push(ConfigAggregator {
        name: "org-aggregator".to_owned(),
        arn: format!(
            "arn:aws:config:us-east-1:{security_id}:config-aggregator/config-aggregator-{}",
            &ids.org_arn[ids.org_arn.len() - 8..]
        ),
        account_id: security_id,
        organization_wide: true,
        source_account_ids: Vec::new(),
    });
}

fn add_identity_center(bundle: &mut OrgBundle, demo: &DemoOrg, rng: &mut ChaCha8Rng) {
    let management = &bundle.organization.management_account_id;
    let instance = format!("ssoins-{}", random_chars(rng, 16));
    let instance_arn = format!("arn:aws:sso:::instance/{instance}");
    let store = format!("d-{}", random_chars(rng, 10));
    let uuid = |rng: &mut ChaCha8Rng| {
        format!(
            "{}-{}-{}",
            random_chars(rng, 8),
            random_chars(rng, 4),
            random_chars(rng, 12)
        )
    };
    let users: Vec<SsoUser> = ["alice", "bob", "carol", "dave", "erin"]
        .iter()
        .map(|name| SsoUser {
            id: uuid(rng),
            user_name: (*name).to_owned(),
            display_name: format!("{}{}", name[..1].to_uppercase(), &name[1..]),
            emails: vec![format!("{name}@example.com")],
        })
        .collect();
    let groups: Vec<SsoGroup> = [
        ("Admins", "Platform administrators"),
        ("Developers", "Workload engineers"),
        ("Auditors", "Read-only security and audit"),
    ]
    .iter()
    .map(|(name, description)| SsoGroup {
        id: uuid(rng),
        display_name: (*name).to_owned(),
        description: (*description).to_owned(),
    })
    .collect();
    let memberships = [(0, 0), (1, 1), (2, 1), (3, 1), (4, 2), (0, 2)]
        .iter()
        .map(|&(u, g)| GroupMembership {
            group_id: groups[g].id.clone(),
            user_id: users[u].id.clone(),
        })
        .collect();
    let ps = |rng: &mut ChaCha8Rng,
              name: &str,
              description: &str,
              managed: &str,
              inline: Option<serde_json::Value>| PermissionSet {
        arn: format!(
            "arn:aws:sso:::permissionSet/{instance}/ps-{}",
            random_chars(rng, 16)
        ),
        name: name.to_owned(),
        description: description.to_owned(),
        session_duration: Some("PT8H".to_owned()),
        managed_policies: vec![format!("arn:aws:iam::aws:policy/{managed}")],
        customer_managed_policies: Vec::new(),
        inline_policy: inline,
    };
    let permission_sets = vec![
        ps(
            rng,
            "AdministratorAccess",
            "Full access",
            "AdministratorAccess",
            None,
        ),
        ps(
            rng,
            "PowerUser",
            "Everything but IAM, plus passing workload roles",
            "PowerUserAccess",
            Some(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/workload-*"}]}),
            ),
        ),
        ps(
            rng,
            "SecurityAudit",
            "Read-only security audit",
            "SecurityAudit",
            None,
        ),
    ];
    let mut assignments = Vec::new();
    for account in demo
        .accounts
        .iter()
        .filter(|a| a.account.status == AccountStatus::Active)
    {
        let mut assign = |set: usize, group: usize| {
            assignments.push(AccountAssignment {
                account_id: account.account.id.clone(),
                permission_set_arn: permission_sets[set].arn.clone(),
                principal_type: PrincipalType::Group,
                principal_id: groups[group].id.clone(),
            })
        };
        assign(0, 0);
        assign(2, 2);
        if matches!(
            account.role,
            Role::Team
                | Role::PaymentsProd
                | Role::PaymentsStaging
                | Role::AnalyticsProd
                | Role::DataLake
                | Role::WebProd
        ) {
            assign(1, 1);
        }
    }
    if let Some(first) = demo.accounts.iter().find(|a| a.role == Role::PaymentsProd) {
        assignments.push(AccountAssignment {
            account_id: first.account.id.clone(),
            permission_set_arn: permission_sets[0].arn.clone(),
            principal_type: PrincipalType::User,
            principal_id: users[1].id.clone(),
        });
    }
    bundle.identity_center.push(SsoInstance {
        instance_arn,
        identity_store_id: store,
        owner_account_id: management.clone(),
        permission_sets,
        account_assignments: assignments,
        users,
        groups,
        group_memberships: memberships,
    });
}

fn add_roles_and_shares(
    bundle: &mut OrgBundle,
    demo: &DemoOrg,
    ids: &Ids<'_>,
    rng: &mut ChaCha8Rng,
) {
    let role = |account: &str, name: &str, trust: serde_json::Value| IamRole {
        account_id: account.to_owned(),
        role_name: name.to_owned(),
        arn: format!("arn:aws:iam::{account}:role/{name}"),
        trust_policy: trust,
    };
    let trust_account = |principal: &str| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{principal}:root")}, "Action": "sts:AssumeRole"}]});
    let security = demo
        .account_with(Role::SecurityTooling)
        .map(|a| a.account.id.clone());
    let shared = demo
        .account_with(Role::SharedServices)
        .map(|a| a.account.id.clone());
    for account in demo
        .accounts
        .iter()
        .filter(|a| a.role != Role::Management && a.account.status == AccountStatus::Active)
    {
        let id = &account.account.id;
        bundle.iam_roles.push(role(
            id,
            "OrganizationAccountAccessRole",
            trust_account(&ids.management),
        ));
        if let Some(security) = security.as_ref().filter(|s| *s != id) {
            bundle
                .iam_roles
                .push(role(id, "security-audit", trust_account(security)));
        }
        if let (
            Some(shared),
            Role::Team | Role::PaymentsProd | Role::WebProd | Role::AnalyticsProd,
        ) = (&shared, account.role)
        {
            bundle
                .iam_roles
                .push(role(id, "ci-deployer", trust_account(shared)));
        }
    }
    if let Some(log_archive) = demo.account_with(Role::LogArchive) {
        bundle.iam_roles.push(role(&log_archive.account.id, "org-log-writer", json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": bundle.organization.id}}}]
        })));
    }
    add_resource_policies(bundle, demo);
    add_identity_policies(bundle, demo);
    if let Some(network) = demo.account_with(Role::Network) {
        let owner = &network.account.id;
        let share = |rng: &mut ChaCha8Rng,
                     name: &str,
                     principals: Vec<String>,
                     resources: Vec<String>| RamShare {
            arn: format!(
                "arn:aws:ram:us-east-1:{owner}:resource-share/{}-{}",
                random_chars(rng, 8),
                random_chars(rng, 12)
            ),
            name: name.to_owned(),
            owner_account_id: owner.clone(),
            allow_external_principals: false,
            principals,
            resource_arns: resources,
        };
        let production_ou = format!(
            "arn:aws:organizations::{}:ou/{}/{}",
            ids.management,
            bundle.organization.id,
            (ids.container)("production")
        );
        bundle.ram_shares.push(share(
            rng,
            "shared-vpc-subnets",
            vec![ids.org_arn.clone()],
            vec![
                format!("arn:aws:ec2:us-east-1:{owner}:subnet/subnet-0a1b2c3d4e5f60001"),
                format!("arn:aws:ec2:us-east-1:{owner}:subnet/subnet-0a1b2c3d4e5f60002"),
            ],
        ));
        bundle.ram_shares.push(share(
            rng,
            "transit-gateway",
            vec![production_ou],
            vec![format!(
                "arn:aws:ec2:us-east-1:{owner}:transit-gateway/tgw-0f1e2d3c4b5a69788"
            )],
        ));
    }
}

/// A service-managed security baseline deployed to every active member, the
/// kind Control Tower and most landing zones install (stacks not retained).
fn add_stack_sets(bundle: &mut OrgBundle, demo: &DemoOrg, ids: &Ids<'_>) {
    let accounts = demo
        .accounts
        .iter()
        .filter(|a| a.role != Role::Management && a.account.status == AccountStatus::Active)
        .map(|a| a.account.id.clone())
        .collect();
    bundle.stack_sets.push(StackSet {
        name: "org-security-baseline".to_owned(),
        arn: format!(
            "arn:aws:cloudformation:us-east-1:{}:stackset/org-security-baseline:6f1c2d3e-4a5b-4c6d-8e7f-901234567890",
            ids.management
        ),
        owner_account_id: ids.management.clone(),
        permission_model: StackSetPermissionModel::ServiceManaged,
        auto_deployment_enabled: true,
        retain_stacks_on_account_removal: false,
        stack_instance_account_ids: accounts,
    });
}

/// A data perimeter on the identity side, as AWS's data perimeter examples
/// write it: shared services' deployment role may touch S3, KMS and SQS
/// resources of the organization only (`aws:ResourceOrgID`).
fn add_identity_policies(bundle: &mut OrgBundle, demo: &DemoOrg) {
    let Some(shared) = demo.account_with(Role::SharedServices) else {
        return;
    };
    let id = &shared.account.id;
    bundle.identity_policies.push(IdentityPolicy {
        account_id: id.clone(),
        kind: IdentityPolicyKind::Managed,
        arn: format!("arn:aws:iam::{id}:policy/data-perimeter"),
        name: "data-perimeter".to_owned(),
        version_id: Some("v1".to_owned()),
        attached_to: vec![format!("arn:aws:iam::{id}:role/ci-deployer")],
        policy: json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyResourcesOutsideTheOrganization", "Effect": "Deny",
            "Action": ["s3:*", "kms:*", "sqs:*"], "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": bundle.organization.id}}
        }]}),
    });
}

/// Resource policies keyed on the organization, as a landing zone has them:
/// the organization trail's bucket lets CloudTrail write for the
/// organization only (`aws:SourceOrgID`), shared services' artifact bucket
/// and base-image repository let any principal of the organization read
/// (`aws:PrincipalOrgID`), and
/// security tooling's log key lets the organization decrypt.
fn add_resource_policies(bundle: &mut OrgBundle, demo: &DemoOrg) {
    let org = bundle.organization.id.clone();
    let policy =
        |account: &str, service: ResourceService, arn: String, statement: serde_json::Value| {
            ResourcePolicy {
                account_id: account.to_owned(),
                service,
                region: "us-east-1".to_owned(),
                arn,
                policy: json!({"Version": "2012-10-17", "Statement": [statement]}),
            }
        };
    if let Some(log_archive) = demo.account_with(Role::LogArchive) {
        let id = &log_archive.account.id;
        let bucket = format!("org-cloudtrail-{id}");
        bundle.resource_policies.push(policy(id, ResourceService::S3, format!("arn:aws:s3:::{bucket}"), json!({
            "Sid": "AWSCloudTrailWrite", "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/{org}/*"),
            "Condition": {"StringEquals": {"aws:SourceOrgID": org, "s3:x-amz-acl": "bucket-owner-full-control"}}
        })));
    }
    if let Some(shared) = demo.account_with(Role::SharedServices) {
        let id = &shared.account.id;
        let bucket = format!("artifacts-{id}");
        bundle.resource_policies.push(policy(
            id,
            ResourceService::S3,
            format!("arn:aws:s3:::{bucket}"),
            json!({
                "Sid": "OrganizationReads", "Effect": "Allow", "Principal": "*",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}}
            }),
        ));
        bundle.resource_policies.push(policy(
            id,
            ResourceService::Ecr,
            format!("arn:aws:ecr:us-east-1:{id}:repository/platform/base-images"),
            json!({
                "Sid": "OrganizationPulls", "Effect": "Allow", "Principal": "*",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}}
            }),
        ));
    }
    if let Some(security) = demo.account_with(Role::SecurityTooling) {
        let id = &security.account.id;
        bundle.resource_policies.push(policy(
            id,
            ResourceService::Kms,
            format!("arn:aws:kms:us-east-1:{id}:key/0d5c6e2a-7b1f-4c1e-9a57-3f1d2c4b5a60"),
            json!({
                "Sid": "OrganizationDecrypts", "Effect": "Allow", "Principal": {"AWS": "*"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org}}
            }),
        ));
    }
}
