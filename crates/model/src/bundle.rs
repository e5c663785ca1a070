//! The organization bundle: everything orgpool knows about one AWS Organization.
//!
//! A bundle is JSON in orgpool's own format, identified by `format` and
//! `version`. `orgpool demo generate` writes one, live discovery and the
//! exported-files reader produce the same thing, and every later command reads
//! it. The JSON Schema in `docs/org-bundle.schema.json` is generated from
//! these types (see [`bundle_schema`]) and a test keeps the two identical.
//!
//! Field names follow AWS's API names in snake_case; enumerations keep AWS's own
//! spellings (`ACTIVE`, `SERVICE_CONTROL_POLICY`, …) so values can be compared
//! with `aws organizations …` output verbatim.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The value of [`OrgBundle::format`].
pub const BUNDLE_FORMAT: &str = "orgpool.org-bundle";
/// The bundle format version this build writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

/// One AWS Organization's inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrgBundle {
    /// Always `orgpool.org-bundle`.
    pub format: String,
    /// Format version; this build reads version 1.
    pub version: u32,
    /// When the inventory was taken.
    pub generated_at: DateTime<Utc>,
    /// Where the inventory came from.
    pub source: BundleSource,
    /// The organization itself.
    pub organization: Organization,
    /// Roots of the OU tree (AWS Organizations has exactly one today).
    pub roots: Vec<Root>,
    /// Every organizational unit, with its parent (a root or another OU).
    pub organizational_units: Vec<OrganizationalUnit>,
    /// Every member account, the management account included.
    pub accounts: Vec<Account>,
    /// Policies of every type, with their content and targets.
    pub policies: Vec<Policy>,
    /// AWS services with trusted access to the organization.
    #[serde(default)]
    pub trusted_services: Vec<TrustedService>,
    /// Delegated administrator registrations, one per (account, service).
    #[serde(default)]
    pub delegated_administrators: Vec<DelegatedAdministrator>,
    /// IAM Identity Center instances (normally zero or one).
    #[serde(default)]
    pub identity_center: Vec<SsoInstance>,
    /// CloudTrail trails, organization trails flagged.
    #[serde(default)]
    pub cloudtrail_trails: Vec<Trail>,
    /// AWS Config aggregators.
    #[serde(default)]
    pub config_aggregators: Vec<ConfigAggregator>,
    /// Organization administrators of security services (GuardDuty, Security Hub).
    #[serde(default)]
    pub security_service_admins: Vec<SecurityServiceAdmin>,
    /// AWS RAM resource shares.
    #[serde(default)]
    pub ram_shares: Vec<RamShare>,
    /// IAM roles read in member accounts, with their trust policies.
    #[serde(default)]
    pub iam_roles: Vec<IamRole>,
    /// CloudFormation StackSets and the accounts holding their stack instances.
    #[serde(default)]
    pub stack_sets: Vec<StackSet>,
    /// Resource policies (S3 buckets, KMS keys, SQS queues, SNS topics,
    /// Lambda functions, EventBridge event buses, ECR repositories, Secrets
    /// Manager secrets) read in the accounts that use an organization
    /// condition key.
    #[serde(default)]
    pub resource_policies: Vec<ResourcePolicy>,
    /// IAM identity policies (customer managed policies, and the inline
    /// policies of roles, users and groups) read in the accounts that use an
    /// organization condition key: a data perimeter's `aws:ResourceOrgID`.
    #[serde(default)]
    pub identity_policies: Vec<IdentityPolicy>,
    /// What could not be read, and why. Empty when the inventory is complete.
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

/// Where a bundle came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BundleSource {
    /// How the inventory was taken.
    pub kind: SourceKind,
    /// Free text: the generator's arguments, the profile used, the folder read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How an inventory was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `orgpool demo generate`.
    Demo,
    /// Live discovery through the AWS APIs.
    Live,
    /// Saved outputs of `aws …` CLI commands.
    CliExports,
}

/// The organization (`aws organizations describe-organization`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Organization {
    /// `o-` followed by 10 to 32 characters.
    #[schemars(regex(pattern = r"^o-[a-z0-9]{10,32}$"))]
    pub id: String,
    /// The organization's ARN.
    pub arn: String,
    /// `ALL` or `CONSOLIDATED_BILLING`.
    pub feature_set: FeatureSet,
    /// The management (payer) account's ID.
    #[schemars(regex(pattern = r"^\d{12}$"))]
    pub management_account_id: String,
    /// The management account's email.
    pub management_account_email: String,
}

/// An organization's feature set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeatureSet {
    /// All features: policies, trusted access, delegated admins.
    All,
    /// Consolidated billing only.
    ConsolidatedBilling,
}

/// A root of the OU tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Root {
    /// `r-` followed by 4 to 32 characters.
    #[schemars(regex(pattern = r"^r-[0-9a-z]{4,32}$"))]
    pub id: String,
    /// Usually `Root`.
    pub name: String,
    /// Policy types enabled on this root.
    #[serde(default)]
    pub enabled_policy_types: Vec<PolicyType>,
}

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrganizationalUnit {
    /// `ou-` ID.
    #[schemars(regex(pattern = r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$"))]
    pub id: String,
    /// Display name.
    pub name: String,
    /// A root ID or another OU's ID.
    pub parent_id: String,
}

/// A member account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Account {
    /// Twelve digits.
    #[schemars(regex(pattern = r"^\d{12}$"))]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Root user email.
    pub email: String,
    /// `ACTIVE`, `SUSPENDED` or `PENDING_CLOSURE` (from AWS's `State` when
    /// given, `CLOSED` reading as `SUSPENDED`; else from the deprecated `Status`).
    pub status: AccountStatus,
    /// AWS's `State` as the source gave it (`PENDING_ACTIVATION`, `ACTIVE`,
    /// `SUSPENDED`, `PENDING_CLOSURE`, `CLOSED`), when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// How it joined: `CREATED` by the org or `INVITED`.
    pub joined_method: JoinedMethod,
    /// When it joined.
    pub joined_timestamp: DateTime<Utc>,
    /// A root ID or an OU ID.
    pub parent_id: String,
}

/// An account's status in the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    /// In use.
    Active,
    /// Suspended (closed or blocked).
    Suspended,
    /// Closing.
    PendingClosure,
}

impl AccountStatus {
    /// The status from the Organizations API's `State` and its deprecated
    /// `Status` (empty when absent). `State` supersedes `Status` and is read
    /// first; a `CLOSED` account counts as suspended (Organizations API
    /// reference, Account data type).
    pub fn from_api(state: &str, status: &str) -> AccountStatus {
        match (state, status) {
            ("SUSPENDED" | "CLOSED", _) | ("", "SUSPENDED") => AccountStatus::Suspended,
            ("PENDING_CLOSURE", _) | ("", "PENDING_CLOSURE") => AccountStatus::PendingClosure,
            _ => AccountStatus::Active,
        }
    }
}

/// How an account joined the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JoinedMethod {
    /// Created from the management account.
    Created,
    /// Invited and accepted.
    Invited,
}

/// An organization policy and where it is attached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Policy {
    /// `p-` ID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The policy type.
    #[serde(rename = "type")]
    pub policy_type: PolicyType,
    /// True for AWS-managed policies such as `FullAWSAccess`.
    #[serde(default)]
    pub aws_managed: bool,
    /// The policy document, parsed.
    pub content: serde_json::Value,
    /// IDs of the roots, OUs and accounts it is attached to.
    #[serde(default)]
    pub targets: Vec<String>,
}

/// Organization policy types, in AWS's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyType {
    /// Service control policy.
    ServiceControlPolicy,
    /// Resource control policy.
    ResourceControlPolicy,
    /// Tag policy.
    TagPolicy,
    /// Backup policy.
    BackupPolicy,
    /// AI services opt-out policy.
    AiservicesOptOutPolicy,
    /// Chatbot policy.
    ChatbotPolicy,
    /// Declarative policy for EC2.
    DeclarativePolicyEc2,
}

/// A service with trusted access to the organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TrustedService {
    /// For example `sso.amazonaws.com`.
    pub service_principal: String,
    /// When access was enabled.
    pub date_enabled: DateTime<Utc>,
}

/// An account registered as delegated administrator for a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DelegatedAdministrator {
    /// The delegated account.
    pub account_id: String,
    /// For example `guardduty.amazonaws.com`.
    pub service_principal: String,
    /// When the delegation was made.
    pub delegation_enabled_date: DateTime<Utc>,
}

impl PermissionSet {
    /// A permission set known only by its ARN; the rest is filled as it is read.
    pub fn new(arn: impl Into<String>) -> Self {
        PermissionSet {
            arn: arn.into(),
            name: String::new(),
            description: String::new(),
            session_duration: None,
            managed_policies: Vec::new(),
            customer_managed_policies: Vec::new(),
            inline_policy: None,
        }
    }
}

/// An IAM Identity Center instance with its identity store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SsoInstance {
    /// `arn:aws:sso:::instance/ssoins-…`.
    pub instance_arn: String,
    /// `d-…`.
    pub identity_store_id: String,
    /// The account that owns the instance (the management account for an org instance).
    pub owner_account_id: String,
    /// Permission sets defined in the instance.
    #[serde(default)]
    pub permission_sets: Vec<PermissionSet>,
    /// Who may use which permission set in which account.
    #[serde(default)]
    pub account_assignments: Vec<AccountAssignment>,
    /// Identity store users.
    #[serde(default)]
    pub users: Vec<SsoUser>,
    /// Identity store groups.
    #[serde(default)]
    pub groups: Vec<SsoGroup>,
    /// Group memberships.
    #[serde(default)]
    pub group_memberships: Vec<GroupMembership>,
}

/// An Identity Center permission set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PermissionSet {
    /// The permission set's ARN.
    pub arn: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// ISO 8601 duration, for example `PT8H`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration: Option<String>,
    /// ARNs of attached AWS managed policies.
    #[serde(default)]
    pub managed_policies: Vec<String>,
    /// Names of attached customer managed policies.
    #[serde(default)]
    pub customer_managed_policies: Vec<String>,
    /// The inline policy document, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_policy: Option<serde_json::Value>,
}

/// One account assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountAssignment {
    /// The target account.
    pub account_id: String,
    /// The permission set's ARN.
    pub permission_set_arn: String,
    /// `USER` or `GROUP`.
    pub principal_type: PrincipalType,
    /// The identity store ID of the user or group.
    pub principal_id: String,
}

/// Who an assignment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrincipalType {
    /// A user.
    User,
    /// A group.
    Group,
}

/// An identity store user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SsoUser {
    /// Identity store user ID.
    pub id: String,
    /// Sign-in name.
    pub user_name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Email addresses.
    #[serde(default)]
    pub emails: Vec<String>,
}

/// An identity store group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SsoGroup {
    /// Identity store group ID.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// A user's membership of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupMembership {
    /// The group.
    pub group_id: String,
    /// The member user.
    pub user_id: String,
}

/// A CloudTrail trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Trail {
    /// Trail name.
    pub name: String,
    /// Trail ARN.
    pub arn: String,
    /// The account that owns the trail.
    pub account_id: String,
    /// Home region.
    pub home_region: String,
    /// Destination bucket.
    pub s3_bucket_name: String,
    /// True when the trail logs every account of the organization.
    pub is_organization_trail: bool,
    /// True when the trail logs every region.
    pub is_multi_region_trail: bool,
}

/// An AWS Config configuration aggregator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigAggregator {
    /// Aggregator name.
    pub name: String,
    /// Aggregator ARN.
    pub arn: String,
    /// The account that owns it.
    pub account_id: String,
    /// True when it aggregates the whole organization.
    pub organization_wide: bool,
    /// Explicit source accounts, when not organization-wide.
    #[serde(default)]
    pub source_account_ids: Vec<String>,
}

/// The organization administrator of a security service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityServiceAdmin {
    /// `guardduty` or `securityhub`.
    pub service: String,
    /// The administrator account.
    pub admin_account_id: String,
    /// The region the registration was read in.
    pub region: String,
}

/// An AWS RAM resource share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RamShare {
    /// Share ARN.
    pub arn: String,
    /// Share name.
    pub name: String,
    /// The owner account.
    pub owner_account_id: String,
    /// Whether principals outside the organization may be added.
    pub allow_external_principals: bool,
    /// Principals: account IDs, the organization ARN or OU ARNs.
    #[serde(default)]
    pub principals: Vec<String>,
    /// ARNs of the shared resources.
    #[serde(default)]
    pub resource_arns: Vec<String>,
}

/// An IAM role read in a member account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IamRole {
    /// The account that holds the role.
    pub account_id: String,
    /// Role name.
    pub role_name: String,
    /// Role ARN.
    pub arn: String,
    /// The trust policy (assume-role policy document), parsed and URL-decoded.
    pub trust_policy: serde_json::Value,
}

/// The services whose resource policies discovery reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ResourceService {
    /// An S3 bucket policy.
    S3,
    /// A KMS key policy (the `default` policy, the only one a key has).
    Kms,
    /// An SQS queue's `Policy` attribute.
    Sqs,
    /// An SNS topic's `Policy` attribute.
    Sns,
    /// A Lambda function's resource-based policy.
    Lambda,
    /// An EventBridge event bus's policy.
    Events,
    /// An ECR repository's policy.
    Ecr,
    /// A Secrets Manager secret's resource policy.
    SecretsManager,
}

/// A resource policy read in an account, kept because one of its statements
/// uses an organization condition key (`crate::trust::ORG_CONDITION_KEYS`):
/// it changes meaning for an account that leaves the organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourcePolicy {
    /// The account that holds the resource.
    pub account_id: String,
    /// The resource's service.
    pub service: ResourceService,
    /// The resource's region.
    pub region: String,
    /// The resource's ARN (a queue's ARN, not its URL).
    pub arn: String,
    /// The policy document, parsed.
    pub policy: serde_json::Value,
}

impl ResourcePolicy {
    /// The organization condition keys the policy uses, sorted.
    pub fn org_condition_keys(&self) -> Vec<String> {
        crate::trust::org_condition_keys(&self.policy)
    }

    /// The resource's name: the bucket, key ID, queue, topic, function,
    /// event bus, repository or secret name. A repository's or a secret's
    /// name may hold `/` (`team/app`); a secret's ARN ends with a dash and
    /// six random characters that its name does not have.
    pub fn name(&self) -> &str {
        let after = |marker: &str| self.arn.split_once(marker).map(|(_, name)| name);
        match self.service {
            ResourceService::Ecr => after(":repository/"),
            ResourceService::SecretsManager => after(":secret:")
                .map(|with_suffix| with_suffix.rsplit_once('-').map_or(with_suffix, |(n, _)| n)),
            _ => None,
        }
        .unwrap_or_else(|| {
            self.arn
                .rsplit([':', '/'])
                .next()
                .unwrap_or(self.arn.as_str())
        })
    }
}

/// Where an identity policy lives.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IdentityPolicyKind {
    /// A customer managed policy, attached to roles, users or groups, or set
    /// as a permissions boundary.
    Managed,
    /// A role's inline policy.
    RoleInline,
    /// A user's inline policy.
    UserInline,
    /// A group's inline policy.
    GroupInline,
}

/// An IAM identity policy read in an account, kept because one of its
/// statements uses an organization condition key
/// (`crate::trust::ORG_CONDITION_KEYS`). The usual one is a data perimeter:
/// `Deny` unless `aws:ResourceOrgID` is the organization's. Once an account
/// leaves, its own resources no longer carry that ID, nor do its neighbours'
/// for the principals it keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IdentityPolicy {
    /// The account that holds the policy.
    pub account_id: String,
    /// A managed policy, or the inline policy of a role, user or group.
    pub kind: IdentityPolicyKind,
    /// A managed policy's ARN; for an inline policy, the ARN of the role,
    /// user or group that holds it.
    pub arn: String,
    /// The policy's name (an inline policy's name within its holder).
    pub name: String,
    /// A managed policy's default version (`v3`), the one in force; none for
    /// an inline policy.
    #[serde(default)]
    pub version_id: Option<String>,
    /// The roles, users and groups the policy applies to (ARNs): a managed
    /// policy's attachments and the roles and users it bounds, or an inline
    /// policy's holder.
    #[serde(default)]
    pub attached_to: Vec<String>,
    /// The policy document, parsed.
    pub policy: serde_json::Value,
}

impl IdentityPolicy {
    /// The organization condition keys the policy uses, sorted.
    pub fn org_condition_keys(&self) -> Vec<String> {
        crate::trust::org_condition_keys(&self.policy)
    }

    /// How reports name the policy: a managed policy's ARN; an inline
    /// policy's holder ARN and name (`arn:aws:iam::…:role/app#perimeter`).
    pub fn label(&self) -> String {
        match self.kind {
            IdentityPolicyKind::Managed => self.arn.clone(),
            _ => format!("{}#{}", self.arn, self.name),
        }
    }

    /// The name of the role, user or group that holds an inline policy (the
    /// last part of its ARN); a managed policy's own name.
    pub fn holder_name(&self) -> &str {
        match self.kind {
            IdentityPolicyKind::Managed => &self.name,
            _ => self.arn.rsplit('/').next().unwrap_or(self.arn.as_str()),
        }
    }
}

/// A CloudFormation StackSet.
///
/// Rule (AWS CloudFormation User Guide, "Enable automatic deployments"): a
/// service-managed StackSet with automatic deployment deletes its stack from an
/// account that leaves the organization (or its target OU) unless
/// `RetainStacksOnAccountRemoval` is true.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StackSet {
    /// StackSet name.
    pub name: String,
    /// StackSet ID or ARN.
    #[serde(default)]
    pub arn: String,
    /// The account that administers it (management or delegated admin).
    pub owner_account_id: String,
    /// `SERVICE_MANAGED` (Organizations deploys it) or `SELF_MANAGED`.
    pub permission_model: StackSetPermissionModel,
    /// True when new accounts in the targets get the stack automatically.
    #[serde(default)]
    pub auto_deployment_enabled: bool,
    /// True when an account leaving keeps its stack.
    #[serde(default)]
    pub retain_stacks_on_account_removal: bool,
    /// Accounts holding a stack instance.
    #[serde(default)]
    pub stack_instance_account_ids: Vec<String>,
}

/// Who deploys a StackSet's stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StackSetPermissionModel {
    /// Deployed by AWS Organizations through trusted access.
    ServiceManaged,
    /// Deployed through roles the administrator created.
    SelfManaged,
}

/// Something discovery could not read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Gap {
    /// An account ID, or `organization`.
    pub scope: String,
    /// The API or item, for example `iam:ListRoles`.
    pub api: String,
    /// The error as AWS returned it.
    pub error: String,
}

/// What kind of JSON value `v` is, as an error names it.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Why a bundle was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BundleError {
    /// Not JSON, or JSON that does not fit the format.
    #[error("not a valid org bundle: {0}")]
    Malformed(String),
    /// A format this build does not read.
    #[error(
        "unsupported bundle format {format:?} version {version}; this build reads {BUNDLE_FORMAT:?} version {BUNDLE_VERSION}"
    )]
    UnsupportedVersion {
        /// The `format` found.
        format: String,
        /// The `version` found.
        version: u64,
    },
    /// The same ID used twice.
    #[error("duplicate id {id:?} in {collection}")]
    DuplicateId {
        /// The collection holding the duplicate.
        collection: &'static str,
        /// The ID.
        id: String,
    },
    /// A parent ID that is neither a root nor an OU.
    #[error("{kind} {id:?} has unknown parent {parent:?}")]
    UnknownParent {
        /// `account` or `organizational unit`.
        kind: &'static str,
        /// The child's ID.
        id: String,
        /// The missing parent.
        parent: String,
    },
    /// A field whose value is not of the documented form.
    #[error("{field} {value:?} is not valid: {expected}")]
    InvalidValue {
        /// The field.
        field: &'static str,
        /// The value found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The OU tree loops back on itself.
    #[error("organizational units form a cycle: {0}")]
    Cycle(String),
}

impl OrgBundle {
    /// Parses and validates a bundle from JSON text.
    pub fn from_json(text: &str) -> Result<Self, BundleError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| BundleError::Malformed(e.to_string()))?;
        if !value.is_object() {
            return Err(BundleError::Malformed(format!(
                "a bundle is a JSON object, not {}",
                json_kind(&value)
            )));
        }
        let format = value.get("format").and_then(|v| v.as_str()).unwrap_or("");
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if format != BUNDLE_FORMAT || version != u64::from(BUNDLE_VERSION) {
            return Err(BundleError::UnsupportedVersion {
                format: format.to_owned(),
                version,
            });
        }
        let bundle: OrgBundle =
            serde_json::from_value(value).map_err(|e| BundleError::Malformed(e.to_string()))?;
        bundle.validate()?;
        Ok(bundle)
    }

    /// Checks what the schema cannot: unique IDs, known parents, no OU cycles.
    /// An account listed under two parents shows up as a duplicate account ID.
    pub fn validate(&self) -> Result<(), BundleError> {
        unique("roots", self.roots.iter().map(|r| r.id.as_str()))?;
        unique(
            "organizational_units",
            self.organizational_units.iter().map(|o| o.id.as_str()),
        )?;
        unique("accounts", self.accounts.iter().map(|a| a.id.as_str()))?;
        for id in self
            .accounts
            .iter()
            .map(|a| &a.id)
            .chain([&self.organization.management_account_id])
        {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BundleError::InvalidValue {
                    field: "account id",
                    value: id.clone(),
                    expected: "twelve digits",
                });
            }
        }
        unique("policies", self.policies.iter().map(|p| p.id.as_str()))?;
        let containers: HashSet<&str> = self
            .roots
            .iter()
            .map(|r| r.id.as_str())
            .chain(self.organizational_units.iter().map(|o| o.id.as_str()))
            .collect();
        for ou in &self.organizational_units {
            if !containers.contains(ou.parent_id.as_str()) {
                return Err(unknown_parent("organizational unit", &ou.id, &ou.parent_id));
            }
        }
        for account in &self.accounts {
            if !containers.contains(account.parent_id.as_str()) {
                return Err(unknown_parent("account", &account.id, &account.parent_id));
            }
        }
        self.check_no_cycles()
    }

    fn check_no_cycles(&self) -> Result<(), BundleError> {
        let parent: HashMap<&str, &str> = self
            .organizational_units
            .iter()
            .map(|o| (o.id.as_str(), o.parent_id.as_str()))
            .collect();
        for ou in &self.organizational_units {
            let mut path = vec![ou.id.as_str()];
            let mut at = ou.id.as_str();
            while let Some(&up) = parent.get(at) {
                if path.contains(&up) {
                    path.push(up);
                    return Err(BundleError::Cycle(path.join(" -> ")));
                }
                path.push(up);
                at = up;
            }
        }
        Ok(())
    }

    /// The depth of an OU below its root (a child of the root has depth 1).
    pub fn ou_depth(&self, ou_id: &str) -> usize {
        let mut depth = 0;
        let mut at = ou_id;
        while let Some(ou) = self.organizational_units.iter().find(|o| o.id == at) {
            depth += 1;
            at = &ou.parent_id;
        }
        depth
    }
}

fn unique<'a>(
    collection: &'static str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<(), BundleError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(BundleError::DuplicateId {
                collection,
                id: id.to_owned(),
            });
        }
    }
    Ok(())
}

fn unknown_parent(kind: &'static str, id: &str, parent: &str) -> BundleError {
    BundleError::UnknownParent {
        kind,
        id: id.to_owned(),
        parent: parent.to_owned(),
    }
}

/// The JSON Schema of the bundle, as written to `docs/org-bundle.schema.json`.
pub fn bundle_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(OrgBundle);
    serde_json::to_value(schema).expect("a schema always serializes")
}

#[cfg(test)]
mod tests {
    use super::{AccountStatus, ResourcePolicy, ResourceService};

    #[test]
    fn a_resource_name_is_read_from_its_arn_as_each_service_writes_it() {
        let name = |service, arn: &str| {
            ResourcePolicy {
                account_id: "111111111111".into(),
                service,
                region: "us-east-1".into(),
                arn: arn.into(),
                policy: serde_json::Value::Null,
            }
            .name()
            .to_owned()
        };
        let cases = [
            (
                ResourceService::S3,
                "arn:aws:s3:::shared-artifacts",
                "shared-artifacts",
            ),
            (
                ResourceService::Kms,
                "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab",
                "1234abcd-12ab",
            ),
            (
                ResourceService::Sqs,
                "arn:aws:sqs:us-east-1:111111111111:org-events",
                "org-events",
            ),
            (
                ResourceService::Lambda,
                "arn:aws:lambda:us-east-1:111111111111:function:org-hook",
                "org-hook",
            ),
            (
                ResourceService::Events,
                "arn:aws:events:us-east-1:111111111111:event-bus/default",
                "default",
            ),
            (
                ResourceService::Ecr,
                "arn:aws:ecr:us-east-1:111111111111:repository/team/app",
                "team/app",
            ),
            (
                ResourceService::SecretsManager,
                "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-password-AbC123",
                "prod/db-password",
            ),
        ];
        for (service, arn, want) in cases {
            assert_eq!(name(service, arn), want, "{arn}");
        }
    }

    #[test]
    fn account_status_reads_state_first_then_the_deprecated_status() {
        let cases = [
            ("ACTIVE", "", AccountStatus::Active),
            ("SUSPENDED", "ACTIVE", AccountStatus::Suspended),
            ("CLOSED", "", AccountStatus::Suspended),
            ("PENDING_CLOSURE", "ACTIVE", AccountStatus::PendingClosure),
            ("ACTIVE", "SUSPENDED", AccountStatus::Active),
            ("", "SUSPENDED", AccountStatus::Suspended),
            ("", "PENDING_CLOSURE", AccountStatus::PendingClosure),
            ("", "", AccountStatus::Active),
        ];
        for (state, status, want) in cases {
            assert_eq!(
                AccountStatus::from_api(state, status),
                want,
                "{state:?} {status:?}"
            );
        }
    }
}
