//! A bundle from saved `aws` CLI outputs, for users who grant no access.
//!
//! The folder holds one JSON file per command, named after it, as written by
//! `aws … --output json > FILE` (see `docs/from-cli.md` for the script):
//!
//! | file | command |
//! | --- | --- |
//! | `describe-organization.json` (required) | `aws organizations describe-organization` |
//! | `list-roots.json` (required) | `aws organizations list-roots` |
//! | `list-organizational-units-for-parent-PARENT.json` | `… list-organizational-units-for-parent --parent-id PARENT` |
//! | `list-accounts-for-parent-PARENT.json` | `… list-accounts-for-parent --parent-id PARENT` |
//! | `list-policies-TYPE.json` | `… list-policies --filter TYPE` |
//! | `describe-policy-POLICY.json` | `… describe-policy --policy-id POLICY` |
//! | `list-targets-for-policy-POLICY.json` | `… list-targets-for-policy --policy-id POLICY` |
//! | `list-aws-service-access-for-organization.json` | `… list-aws-service-access-for-organization` |
//! | `list-delegated-administrators.json` | `… list-delegated-administrators` |
//! | `list-delegated-services-for-account-ACCOUNT.json` | `… list-delegated-services-for-account --account-id ACCOUNT` |
//! | `sso-admin-list-instances.json` | `aws sso-admin list-instances` |
//! | `sso-admin-list-permission-sets.json` | `aws sso-admin list-permission-sets --instance-arn ARN` |
//! | `sso-admin-describe-permission-set-PS.json` | `… describe-permission-set --permission-set-arn ARN` (PS: the ARN's last part, `ps-…`) |
//! | `sso-admin-list-managed-policies-in-permission-set-PS.json` | `… list-managed-policies-in-permission-set --permission-set-arn ARN` |
//! | `sso-admin-list-customer-managed-policy-references-in-permission-set-PS.json` | `… list-customer-managed-policy-references-in-permission-set --permission-set-arn ARN` |
//! | `sso-admin-get-inline-policy-for-permission-set-PS.json` | `… get-inline-policy-for-permission-set --permission-set-arn ARN` |
//! | `sso-admin-list-account-assignments-ACCOUNT-PS.json` | `… list-account-assignments --account-id ACCOUNT --permission-set-arn ARN` |
//! | `identitystore-list-users.json` | `aws identitystore list-users --identity-store-id ID` |
//! | `identitystore-list-groups.json` | `aws identitystore list-groups --identity-store-id ID` |
//! | `identitystore-list-group-memberships-GROUP.json` | `… list-group-memberships --group-id GROUP` |
//! | `iam-get-account-authorization-details-ACCOUNT.json` | `aws iam get-account-authorization-details --filter LocalManagedPolicy Role User Group`, in each active account |
//!
//! The CLI paginates for you, so each file holds the whole list. A file that
//! is missing where the tree says one should be becomes a gap in the bundle; a
//! file that is not JSON, or lacks the field the command always returns, is an
//! error naming the file and the field.
//!
//! Each account's IAM details give its roles and identity policies, kept by
//! the rules `orgpool discover` keeps them by (`crate::iam_details`); an
//! active account without its file is a gap for it ([`IAM_FROM_FILES`]).
//!
//! CloudTrail trails, Config aggregators, RAM shares and StackSets are read
//! from files saved per region ([`regional`]):
//!
//! | file | command |
//! | --- | --- |
//! | `cloudtrail-describe-trails-REGION.json` | `aws cloudtrail describe-trails --include-shadow-trails --region REGION` |
//! | `configservice-describe-configuration-aggregators-REGION.json` | `aws configservice describe-configuration-aggregators --region REGION` |
//! | `ram-get-resource-shares-REGION.json` | `aws ram get-resource-shares --resource-owner SELF --region REGION` |
//! | `ram-get-resource-share-associations-KIND-REGION.json` | `aws ram get-resource-share-associations --association-type KIND --region REGION` (KIND: `PRINCIPAL`, `RESOURCE`) |
//! | `cloudformation-list-stack-sets-REGION.json` | `aws cloudformation list-stack-sets --status ACTIVE --region REGION` |
//! | `cloudformation-list-stack-instances-REGION-NAME.json` | `aws cloudformation list-stack-instances --stack-set-name NAME --region REGION` |
//!
//! The accounts' resource policies (S3, KMS, SQS, SNS, Lambda, EventBridge,
//! ECR, Secrets Manager) are read from files saved per account and region
//! under `resource-policies/` ([`resource_policies`]). What was not saved is
//! a gap, so that nothing downstream mistakes "not read" for "none": the
//! assessment lists such gaps and weighs them as unknown.

pub mod regional;
pub mod resource_policies;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};
use orgpool_model::{
    Account, AccountAssignment, AccountStatus, BUNDLE_FORMAT, BUNDLE_VERSION, BundleSource,
    DelegatedAdministrator, FeatureSet, Gap, GroupMembership, IamRole, IdentityPolicy,
    IdentityPolicyKind, JoinedMethod, OrgBundle, Organization, OrganizationalUnit, PermissionSet,
    Policy, PolicyType, PrincipalType, Root, SourceKind, SsoGroup, SsoInstance, SsoUser,
    TrustedService,
};
use serde_json::Value;

use crate::OrgError;
use crate::iam_details::{Details, Found, Holder, Managed, Version, document_of, keep_role};

/// The policy types read, as `list-policies --filter` spells them.
const POLICY_TYPES: [(&str, PolicyType); 5] = [
    ("SERVICE_CONTROL_POLICY", PolicyType::ServiceControlPolicy),
    ("RESOURCE_CONTROL_POLICY", PolicyType::ResourceControlPolicy),
    ("TAG_POLICY", PolicyType::TagPolicy),
    ("BACKUP_POLICY", PolicyType::BackupPolicy),
    (
        "AISERVICES_OPT_OUT_POLICY",
        PolicyType::AiservicesOptOutPolicy,
    ),
];

/// What an account's `iam-get-account-authorization-details-ACCOUNT.json`
/// stands for: the live APIs that read its roles and identity policies. An
/// active account without the file has a gap for each; a folder with no
/// such file at all, one gap for each scoped to the organization.
pub const IAM_FROM_FILES: [&str; 2] = [
    crate::live::LIST_ROLES,
    crate::live::GET_ACCOUNT_AUTHORIZATION_DETAILS,
];

/// The saved `aws iam get-account-authorization-details` of one account.
fn iam_file(account: &str) -> String {
    format!("iam-get-account-authorization-details-{account}.json")
}

struct Folder {
    dir: PathBuf,
    gaps: Vec<Gap>,
}

fn bad(file: &Path, what: String) -> OrgError {
    OrgError::BadExport(format!("{}: {what}", file.display()))
}

impl Folder {
    /// The path of file `name` in the folder. Names are built from ids the
    /// saved files hold (a policy id, an account, a StackSet's name), so one
    /// that would leave the folder (a `/`, a `\\`, `..`) is refused.
    fn path_of(&self, name: &str) -> Result<PathBuf, OrgError> {
        if name.contains(['/', '\\']) || name.starts_with("..") {
            return Err(bad(
                &self.dir,
                format!(
                    "{name:?} is not a file name: an id in a saved file holds a path separator"
                ),
            ));
        }
        Ok(self.dir.join(name))
    }

    /// Subfolder `name` (refused as [`Folder::path_of`] refuses), with no
    /// gaps of its own yet.
    fn sub(&self, name: &str) -> Result<Folder, OrgError> {
        Ok(Folder {
            dir: self.path_of(name)?,
            gaps: Vec::new(),
        })
    }

    /// Whether file `name` is in the folder (an error for a name that is not
    /// a file name, as [`Folder::path_of`]).
    fn has(&self, name: &str) -> Result<bool, OrgError> {
        Ok(self.path_of(name)?.exists())
    }

    /// A required file, parsed.
    fn required(&self, name: &str) -> Result<(PathBuf, Value), OrgError> {
        let path = self.path_of(name)?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            bad(
                &path,
                format!("cannot read it ({e}); it is required, see docs/from-cli.md"),
            )
        })?;
        let value = parse(&path, &text)?;
        Ok((path, value))
    }

    /// An optional file: `None` (and a gap for `scope`) when it is missing.
    fn optional(&mut self, name: &str, scope: &str) -> Result<Option<(PathBuf, Value)>, OrgError> {
        self.or_gap(
            name,
            Gap {
                scope: scope.to_owned(),
                api: name.trim_end_matches(".json").to_owned(),
                error: format!("{name} is not in the folder"),
            },
        )
    }

    /// File `name`, parsed; `None`, and `gap` recorded, when it is missing.
    fn or_gap(&mut self, name: &str, gap: Gap) -> Result<Option<(PathBuf, Value)>, OrgError> {
        if !self.has(name)? {
            self.gaps.push(gap);
            return Ok(None);
        }
        self.required(name).map(Some)
    }
}

/// A saved file's text as JSON, or an error naming the file.
fn parse(path: &Path, text: &str) -> Result<Value, OrgError> {
    serde_json::from_str(text).map_err(|e| bad(path, format!("not JSON: {e}")))
}

/// The list under `field`, or an error naming the file and the field.
fn list<'a>(file: &Path, value: &'a Value, field: &str) -> Result<&'a Vec<Value>, OrgError> {
    value.get(field).and_then(Value::as_array).ok_or_else(|| {
        bad(
            file,
            format!("no list {field:?} (is this the right command's output?)"),
        )
    })
}

fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn required_text(file: &Path, value: &Value, field: &str) -> Result<String, OrgError> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad(file, format!("missing field {field:?}")))
}

/// A time as the CLI prints it (RFC 3339, with a space or a `T`), or epoch seconds.
fn time(value: &Value, field: &str) -> DateTime<Utc> {
    match value.get(field) {
        Some(Value::Number(n)) => n
            .as_f64()
            .and_then(|s| DateTime::from_timestamp(s as i64, 0))
            .unwrap_or_default(),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(&s.replacen(' ', "T", 1))
            .map(|t| t.to_utc())
            .or_else(|_| {
                NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc())
            })
            .unwrap_or_default(),
        _ => DateTime::default(),
    }
}

/// The last part of an ARN (`…/ps-1234` → `ps-1234`).
fn arn_tail(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Reads a folder of saved CLI outputs into a bundle.
pub fn read(dir: &Path) -> Result<OrgBundle, OrgError> {
    let mut f = Folder {
        dir: dir.to_owned(),
        gaps: Vec::new(),
    };
    let (path, org) = f.required("describe-organization.json")?;
    let org = org
        .get("Organization")
        .ok_or_else(|| bad(&path, "missing field \"Organization\"".into()))?;
    let organization = Organization {
        id: required_text(&path, org, "Id")?,
        arn: text(org, "Arn"),
        feature_set: if text(org, "FeatureSet") == "CONSOLIDATED_BILLING" {
            FeatureSet::ConsolidatedBilling
        } else {
            FeatureSet::All
        },
        management_account_id: required_text(&path, org, "MasterAccountId")?,
        management_account_email: text(org, "MasterAccountEmail"),
    };
    let (path, roots_json) = f.required("list-roots.json")?;
    let mut roots = Vec::new();
    for r in list(&path, &roots_json, "Roots")? {
        roots.push(Root {
            id: required_text(&path, r, "Id")?,
            name: text(r, "Name"),
            enabled_policy_types: r
                .get("PolicyTypes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|t| text(t, "Status") == "ENABLED")
                .filter_map(|t| {
                    let name = text(t, "Type");
                    POLICY_TYPES
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, p)| *p)
                })
                .collect(),
        });
    }
    let (organizational_units, accounts) = tree(&mut f, &roots)?;
    let policies = policies(&mut f)?;
    let trusted_services = match f.optional(
        "list-aws-service-access-for-organization.json",
        "organization",
    )? {
        Some((path, v)) => list(&path, &v, "EnabledServicePrincipals")?
            .iter()
            .map(|s| TrustedService {
                service_principal: text(s, "ServicePrincipal"),
                date_enabled: time(s, "DateEnabled"),
            })
            .collect(),
        None => Vec::new(),
    };
    let delegated_administrators = delegated(&mut f)?;
    let identity_center = identity_center(&mut f, &accounts)?;
    let iam = iam(&mut f, &accounts)?;
    let (regional, regions) = regional::read(&mut f, &organization.management_account_id)?;
    // As discovery does: the GuardDuty and Security Hub administrators are
    // their services' delegated administrators, here in the first region saved.
    let security_service_admins = crate::live::security_admins(
        &delegated_administrators,
        regions.first().map_or("", String::as_str),
    );
    let active: Vec<&str> = accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .map(|a| a.id.as_str())
        .collect();
    let resource_policies = resource_policies::read(&mut f, &active)?;
    let bundle = OrgBundle {
        format: BUNDLE_FORMAT.to_owned(),
        version: BUNDLE_VERSION,
        generated_at: Utc::now(),
        source: BundleSource {
            kind: SourceKind::CliExports,
            detail: Some(dir.display().to_string()),
        },
        organization,
        roots,
        organizational_units,
        accounts,
        policies,
        trusted_services,
        delegated_administrators,
        identity_center,
        cloudtrail_trails: regional.trails,
        config_aggregators: regional.aggregators,
        security_service_admins,
        ram_shares: regional.ram_shares,
        iam_roles: iam.roles,
        stack_sets: regional.stack_sets,
        resource_policies,
        identity_policies: iam.identity_policies,
        gaps: f.gaps,
    };
    bundle
        .validate()
        .map_err(|e| OrgError::BadExport(format!("{}: {e}", dir.display())))?;
    Ok(bundle)
}

/// The roles and identity policies kept from the saved IAM details.
#[derive(Default)]
struct Iam {
    roles: Vec<IamRole>,
    identity_policies: Vec<IdentityPolicy>,
}

/// Each active account's saved `aws iam get-account-authorization-details`
/// (run in that account, with the filter `LocalManagedPolicy Role User
/// Group`): its roles kept by their trust policies and its identity policies
/// by their organization keys, as `orgpool discover` keeps them
/// ([`crate::iam_details`]). A role or policy whose document is not JSON is
/// a gap naming it; so is an active account without the file.
fn iam(f: &mut Folder, accounts: &[Account]) -> Result<Iam, OrgError> {
    let active: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .collect();
    let mut out = Iam::default();
    let mut saved_any = false;
    for a in &active {
        saved_any |= f.has(&iam_file(&a.id))?;
    }
    if !saved_any {
        f.gaps.extend(IAM_FROM_FILES.iter().map(|api| {
            Gap {
                scope: "organization".to_owned(),
                api: (*api).to_owned(),
                error: "no iam-get-account-authorization-details-ACCOUNT.json in the folder; \
                    save one per account (docs/from-cli.md), or `orgpool discover` reads it live"
                    .to_owned(),
            }
        }));
        return Ok(out);
    }
    for account in active {
        let name = iam_file(&account.id);
        if !f.has(&name)? {
            f.gaps.extend(IAM_FROM_FILES.iter().map(|api| Gap {
                scope: account.id.clone(),
                api: (*api).to_owned(),
                error: format!("{name} is not in the folder"),
            }));
            continue;
        }
        let (path, v) = f.required(&name)?;
        let mut unreadable = Vec::new();
        for r in list(&path, &v, "RoleDetailList")? {
            let role = IamRole {
                account_id: account.id.clone(),
                role_name: required_text(&path, r, "RoleName")?,
                arn: required_text(&path, r, "Arn")?,
                trust_policy: document_of(r.get("AssumeRolePolicyDocument")),
            };
            if role.trust_policy.is_string() {
                unreadable.push((crate::live::LIST_ROLES, role.arn.clone(), "trust policy"));
            } else if keep_role(&role) {
                out.roles.push(role);
            }
        }
        let found = identity_details(&path, &v, &account.id)?;
        out.identity_policies.extend(found.kept);
        let api = crate::live::GET_ACCOUNT_AUTHORIZATION_DETAILS;
        unreadable.extend(
            found
                .unreadable
                .into_iter()
                .map(|l| (api, l, "policy document")),
        );
        f.gaps
            .extend(unreadable.into_iter().map(|(api, label, document)| Gap {
                scope: account.id.clone(),
                api: api.to_owned(),
                error: format!(
                    "{}: {label}: the {document} is not JSON, so it was not checked",
                    path.display()
                ),
            }));
    }
    Ok(out)
}

/// One account's identity policies from its saved IAM details.
fn identity_details(path: &Path, v: &Value, account: &str) -> Result<Found, OrgError> {
    let mut details = Details::default();
    for p in list(path, v, "Policies")? {
        let versions = p.get("PolicyVersionList").and_then(Value::as_array);
        details.managed(
            account,
            Managed {
                arn: required_text(path, p, "Arn")?,
                name: p
                    .get("PolicyName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                default_version_id: p
                    .get("DefaultVersionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                versions: versions
                    .into_iter()
                    .flatten()
                    .map(|v| Version {
                        id: v
                            .get("VersionId")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        is_default: v.get("IsDefaultVersion").and_then(Value::as_bool)
                            == Some(true),
                        document: document_of(v.get("Document")),
                    })
                    .collect(),
            },
        );
    }
    let holders = [
        (
            "RoleDetailList",
            "RolePolicyList",
            IdentityPolicyKind::RoleInline,
        ),
        (
            "UserDetailList",
            "UserPolicyList",
            IdentityPolicyKind::UserInline,
        ),
        (
            "GroupDetailList",
            "GroupPolicyList",
            IdentityPolicyKind::GroupInline,
        ),
    ];
    for (field, inline_field, kind) in holders {
        for h in list(path, v, field)? {
            let inline = h.get(inline_field).and_then(Value::as_array);
            let attached = h.get("AttachedManagedPolicies").and_then(Value::as_array);
            let boundary = h
                .get("PermissionsBoundary")
                .map(|b| text(b, "PermissionsBoundaryArn"));
            details.holder(
                account,
                Holder {
                    arn: required_text(path, h, "Arn")?,
                    kind,
                    inline: inline
                        .into_iter()
                        .flatten()
                        .map(|p| (text(p, "PolicyName"), document_of(p.get("PolicyDocument"))))
                        .collect(),
                    managed: attached
                        .into_iter()
                        .flatten()
                        .map(|a| text(a, "PolicyArn"))
                        .chain(boundary)
                        .filter(|arn| !arn.is_empty())
                        .collect(),
                },
            );
        }
    }
    Ok(details.found())
}

/// The OU tree and the accounts, walked from the roots.
fn tree(
    f: &mut Folder,
    roots: &[Root],
) -> Result<(Vec<OrganizationalUnit>, Vec<Account>), OrgError> {
    let mut ous = Vec::new();
    let mut accounts = Vec::new();
    let mut queue: Vec<String> = roots.iter().map(|r| r.id.clone()).collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(parent) = queue.pop() {
        if !seen.insert(parent.clone()) {
            continue; // a cycle in the files: validation reports it
        }
        if let Some((path, v)) = f.optional(
            &format!("list-organizational-units-for-parent-{parent}.json"),
            &parent,
        )? {
            for ou in list(&path, &v, "OrganizationalUnits")? {
                let id = required_text(&path, ou, "Id")?;
                queue.push(id.clone());
                ous.push(OrganizationalUnit {
                    id,
                    name: text(ou, "Name"),
                    parent_id: parent.clone(),
                });
            }
        }
        if let Some((path, v)) =
            f.optional(&format!("list-accounts-for-parent-{parent}.json"), &parent)?
        {
            for a in list(&path, &v, "Accounts")? {
                let state = text(a, "State");
                let status = text(a, "Status");
                accounts.push(Account {
                    id: required_text(&path, a, "Id")?,
                    name: text(a, "Name"),
                    email: text(a, "Email"),
                    status: AccountStatus::from_api(&state, &status),
                    state: (!state.is_empty()).then(|| state.clone()),
                    joined_method: if text(a, "JoinedMethod") == "INVITED" {
                        JoinedMethod::Invited
                    } else {
                        JoinedMethod::Created
                    },
                    joined_timestamp: time(a, "JoinedTimestamp"),
                    parent_id: parent.clone(),
                });
            }
        }
    }
    Ok((ous, accounts))
}

fn policies(f: &mut Folder) -> Result<Vec<Policy>, OrgError> {
    let mut out = Vec::new();
    for (filter, policy_type) in POLICY_TYPES {
        let Some((path, v)) =
            f.optional(&format!("list-policies-{filter}.json"), "organization")?
        else {
            continue;
        };
        for summary in list(&path, &v, "Policies")? {
            let id = required_text(&path, summary, "Id")?;
            let content = match f.optional(&format!("describe-policy-{id}.json"), &id)? {
                Some((p, d)) => {
                    let raw = d
                        .pointer("/Policy/Content")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad(&p, "missing field \"Policy.Content\"".into()))?;
                    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
                }
                None => Value::Null,
            };
            let targets = match f.optional(&format!("list-targets-for-policy-{id}.json"), &id)? {
                Some((p, t)) => list(&p, &t, "Targets")?
                    .iter()
                    .map(|t| text(t, "TargetId"))
                    .collect(),
                None => Vec::new(),
            };
            out.push(Policy {
                id,
                name: text(summary, "Name"),
                description: text(summary, "Description"),
                policy_type,
                aws_managed: summary
                    .get("AwsManaged")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                content,
                targets,
            });
        }
    }
    Ok(out)
}

fn delegated(f: &mut Folder) -> Result<Vec<DelegatedAdministrator>, OrgError> {
    let Some((path, v)) = f.optional("list-delegated-administrators.json", "organization")? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for admin in list(&path, &v, "DelegatedAdministrators")? {
        let account = required_text(&path, admin, "Id")?;
        let name = format!("list-delegated-services-for-account-{account}.json");
        if let Some((p, s)) = f.optional(&name, &account)? {
            for service in list(&p, &s, "DelegatedServices")? {
                out.push(DelegatedAdministrator {
                    account_id: account.clone(),
                    service_principal: text(service, "ServicePrincipal"),
                    delegation_enabled_date: time(service, "DelegationEnabledDate"),
                });
            }
        }
    }
    Ok(out)
}

fn identity_center(f: &mut Folder, accounts: &[Account]) -> Result<Vec<SsoInstance>, OrgError> {
    if !f.has("sso-admin-list-instances.json")? {
        return Ok(Vec::new()); // Identity Center not exported: nothing to say
    }
    let (path, v) = f.required("sso-admin-list-instances.json")?;
    let Some(instance) = list(&path, &v, "Instances")?.first() else {
        return Ok(Vec::new());
    };
    let mut sso = SsoInstance {
        instance_arn: required_text(&path, instance, "InstanceArn")?,
        identity_store_id: text(instance, "IdentityStoreId"),
        owner_account_id: text(instance, "OwnerAccountId"),
        permission_sets: Vec::new(),
        account_assignments: Vec::new(),
        users: Vec::new(),
        groups: Vec::new(),
        group_memberships: Vec::new(),
    };
    let arns: Vec<String> =
        match f.optional("sso-admin-list-permission-sets.json", &sso.instance_arn)? {
            Some((p, v)) => list(&p, &v, "PermissionSets")?
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            None => Vec::new(),
        };
    for arn in &arns {
        let ps = arn_tail(arn);
        let mut set = PermissionSet::new(arn.clone());
        if let Some((_, d)) =
            f.optional(&format!("sso-admin-describe-permission-set-{ps}.json"), arn)?
        {
            let p = d.get("PermissionSet").cloned().unwrap_or_default();
            set.name = text(&p, "Name");
            set.description = text(&p, "Description");
            set.session_duration = p
                .get("SessionDuration")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        let name = format!("sso-admin-list-managed-policies-in-permission-set-{ps}.json");
        if let Some((p, v)) = f.optional(&name, arn)? {
            set.managed_policies = list(&p, &v, "AttachedManagedPolicies")?
                .iter()
                .map(|m| text(m, "Arn"))
                .collect();
        }
        let name = format!(
            "sso-admin-list-customer-managed-policy-references-in-permission-set-{ps}.json"
        );
        if let Some((p, v)) = f.optional(&name, arn)? {
            set.customer_managed_policies = list(&p, &v, "CustomerManagedPolicyReferences")?
                .iter()
                .map(|m| {
                    let path = m.get("Path").and_then(Value::as_str).unwrap_or("/");
                    format!("{path}{}", text(m, "Name"))
                })
                .collect();
        }
        let name = format!("sso-admin-get-inline-policy-for-permission-set-{ps}.json");
        if let Some((_, v)) = f.optional(&name, arn)? {
            set.inline_policy = v
                .get("InlinePolicy")
                .and_then(Value::as_str)
                .filter(|p| !p.trim().is_empty())
                .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_owned())));
        }
        sso.permission_sets.push(set);
        for account in accounts {
            let name = format!(
                "sso-admin-list-account-assignments-{}-{ps}.json",
                account.id
            );
            if !f.has(&name)? {
                continue; // only assigned (account, set) pairs need a file
            }
            let (p, v) = f.required(&name)?;
            for a in list(&p, &v, "AccountAssignments")? {
                sso.account_assignments.push(AccountAssignment {
                    account_id: text(a, "AccountId"),
                    permission_set_arn: text(a, "PermissionSetArn"),
                    principal_type: if text(a, "PrincipalType") == "GROUP" {
                        PrincipalType::Group
                    } else {
                        PrincipalType::User
                    },
                    principal_id: text(a, "PrincipalId"),
                });
            }
        }
    }
    let store = sso.identity_store_id.clone();
    if let Some((p, v)) = f.optional("identitystore-list-users.json", &store)? {
        for u in list(&p, &v, "Users")? {
            sso.users.push(SsoUser {
                id: text(u, "UserId"),
                user_name: text(u, "UserName"),
                display_name: text(u, "DisplayName"),
                emails: u
                    .get("Emails")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|e| text(e, "Value"))
                    .collect(),
            });
        }
    }
    if let Some((p, v)) = f.optional("identitystore-list-groups.json", &store)? {
        for g in list(&p, &v, "Groups")? {
            sso.groups.push(SsoGroup {
                id: text(g, "GroupId"),
                display_name: text(g, "DisplayName"),
                description: text(g, "Description"),
            });
        }
    }
    for group in sso.groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>() {
        let name = format!("identitystore-list-group-memberships-{group}.json");
        if let Some((p, v)) = f.optional(&name, &group)? {
            for m in list(&p, &v, "GroupMemberships")? {
                if let Some(user) = m.pointer("/MemberId/UserId").and_then(Value::as_str) {
                    sso.group_memberships.push(GroupMembership {
                        group_id: group.clone(),
                        user_id: user.to_owned(),
                    });
                }
            }
        }
    }
    Ok(vec![sso])
}
