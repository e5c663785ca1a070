//! Live discovery from the management account through the AWS APIs.
//!
//! What is read, and from which API (AWS Organizations API reference):
//! - `DescribeOrganization`: the organization, its feature set, the management
//!   account. Failing here ends discovery: the caller is not in an organization's
//!   management account (or a delegated administrator) or may not read it.
//! - `ListRoots`, then `ListOrganizationalUnitsForParent` from each root down,
//!   breadth first: the OU tree.
//! - `ListAccountsForParent` for every root and OU: each account with its
//!   parent in the same pass (no `ListParents` per account).
//! - `ListPolicies` per policy type, `DescribePolicy` for the content and
//!   `ListTargetsForPolicy` for the attachments.
//! - `ListAWSServiceAccessForOrganization`: trusted access.
//! - `ListDelegatedAdministrators`, then `ListDelegatedServicesForAccount`.
//! - Other services, in their modules: Identity Center, trails, RAM shares,
//!   Config aggregators ([`services`]), StackSets (`stack_sets`), and each
//!   account's IAM roles (`members`), resource policies
//!   (`resource_policies`) and identity policies (`identity_policies`).
//!   Trails, RAM shares, Config aggregators, StackSets, KMS keys, SQS
//!   queues, SNS topics, Lambda functions, EventBridge event buses, ECR
//!   repositories and secrets are regional: they are read in every region
//!   [`DiscoverOptions::regions`] names (`regions`).
//!
//! Every list is paginated to its end. Per-item calls run at most
//! [`DiscoverOptions::concurrency`] at a time. Throttling is retried by the SDK
//! (the caller configures adaptive retry). An API that fails after the first
//! (a policy type not enabled, an access denial) becomes a [`Gap`] in the bundle
//! and discovery goes on.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_organizations::Client;
use aws_sdk_organizations::types as aws;
use aws_smithy_async::future::pagination_stream::PaginationStream;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use orgpool_model::{
    Account, AccountStatus, BUNDLE_FORMAT, BUNDLE_VERSION, BundleSource, DelegatedAdministrator,
    FeatureSet, Gap, JoinedMethod, OrgBundle, Organization, OrganizationalUnit, Policy, PolicyType,
    Root, SourceKind, TrustedService,
};

use crate::OrgError;

mod identity_center;
mod identity_policies;
mod members;
mod regions;
pub(crate) mod resource_policies;
mod services;
mod stack_sets;

pub use identity_policies::GET_ACCOUNT_AUTHORIZATION_DETAILS;
pub use members::{LIST_ROLES, MemberAccess};
pub use regions::{LIST_REGIONS, Regions, is_region_name};
pub(crate) use regions::{Regional, merge};
pub use resource_policies::{LIST_BUCKETS, POLICY_READS};
pub use services::{DESCRIBE_AGGREGATORS, DESCRIBE_TRAILS, GET_ASSOCIATIONS, GET_RESOURCE_SHARES};
pub(crate) use services::{arn_account, security_admins};
pub use stack_sets::{LIST_STACK_INSTANCES, LIST_STACK_SETS};

/// IAM action `organizations:DescribeOrganization`.
pub const DESCRIBE_ORGANIZATION: &str = "organizations:DescribeOrganization";
/// IAM action `organizations:ListRoots`.
pub const LIST_ROOTS: &str = "organizations:ListRoots";
/// IAM action `organizations:ListOrganizationalUnitsForParent`.
pub const LIST_OUS: &str = "organizations:ListOrganizationalUnitsForParent";
/// IAM action `organizations:ListAccountsForParent`.
pub const LIST_ACCOUNTS: &str = "organizations:ListAccountsForParent";
/// IAM action `organizations:ListPolicies`.
pub const LIST_POLICIES: &str = "organizations:ListPolicies";
/// IAM action `organizations:DescribePolicy`.
pub const DESCRIBE_POLICY: &str = "organizations:DescribePolicy";
/// IAM action `organizations:ListTargetsForPolicy`.
pub const LIST_TARGETS: &str = "organizations:ListTargetsForPolicy";
/// IAM action `organizations:ListAWSServiceAccessForOrganization`.
pub const LIST_SERVICE_ACCESS: &str = "organizations:ListAWSServiceAccessForOrganization";
/// IAM action `organizations:ListDelegatedAdministrators`.
pub const LIST_DELEGATED_ADMINS: &str = "organizations:ListDelegatedAdministrators";
/// IAM action `organizations:ListDelegatedServicesForAccount`.
pub const LIST_DELEGATED_SERVICES: &str = "organizations:ListDelegatedServicesForAccount";

/// The AWS Organizations actions discovery calls.
pub const ORGANIZATIONS_ACTIONS: &[&str] = &[
    DESCRIBE_ORGANIZATION,
    LIST_ROOTS,
    LIST_OUS,
    LIST_ACCOUNTS,
    LIST_POLICIES,
    DESCRIBE_POLICY,
    LIST_TARGETS,
    LIST_SERVICE_ACCESS,
    LIST_DELEGATED_ADMINS,
    LIST_DELEGATED_SERVICES,
];

/// Told what discovery is doing, for a progress display.
pub trait Progress: Send + Sync {
    /// A new stage starts (`organizational units`, `identity center`, …).
    fn stage(&self, name: &str);
    /// `calls` API calls have been made so far.
    fn calls(&self, calls: u64);
}

/// A progress display that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: &str) {}
    fn calls(&self, _: u64) {}
}

/// How to discover.
#[derive(Clone)]
pub struct DiscoverOptions {
    /// Per-item API calls in flight at once.
    pub concurrency: usize,
    /// Free text recorded as the bundle's source detail (profile, region).
    pub detail: Option<String>,
    /// How to reach member accounts for their IAM roles.
    pub members: MemberAccess,
    /// The regions whose organization-wide services (trails, Config
    /// aggregators, RAM shares, StackSets) and whose accounts' regional
    /// resource policies (KMS, SQS, SNS, Lambda, EventBridge, ECR, Secrets
    /// Manager) are read.
    pub regions: Regions,
    /// Whether each account's resource policies (S3, KMS, SQS, SNS, Lambda,
    /// EventBridge, ECR, Secrets Manager) are read.
    pub resource_policies: bool,
    /// Whether each account's customer managed and inline IAM policies are
    /// read (for organization condition keys).
    pub identity_policies: bool,
    /// Where progress goes.
    pub progress: std::sync::Arc<dyn Progress>,
}

impl std::fmt::Debug for DiscoverOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiscoverOptions")
            .field("concurrency", &self.concurrency)
            .field("detail", &self.detail)
            .field("members", &self.members)
            .field("regions", &self.regions)
            .field("resource_policies", &self.resource_policies)
            .field("identity_policies", &self.identity_policies)
            .finish_non_exhaustive()
    }
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            concurrency: 8,
            detail: None,
            members: MemberAccess::default(),
            regions: Regions::default(),
            resource_policies: true,
            identity_policies: true,
            progress: std::sync::Arc::new(Silent),
        }
    }
}

/// A finished discovery: the bundle and what it cost.
#[derive(Debug)]
pub struct Discovery {
    /// The inventory.
    pub bundle: OrgBundle,
    /// AWS API calls made (pages included).
    pub api_calls: u64,
    /// The IAM actions those calls needed.
    pub actions_used: Vec<&'static str>,
    /// IAM roles read in member accounts (the bundle keeps the cross-account
    /// and organization-bound ones).
    pub roles_read: usize,
    /// Resource policies read in the accounts (the bundle keeps those that
    /// use an organization condition key); zero when they were not read.
    pub resource_policies_read: usize,
    /// Customer managed and inline IAM policies read in the accounts (the
    /// bundle keeps those that use an organization condition key); zero when
    /// they were not read.
    pub identity_policies_read: usize,
    /// The regions whose trails, Config aggregators, RAM shares and
    /// StackSets were read.
    pub regions: Vec<String>,
}

/// The policy types read, in AWS's API spelling.
const POLICY_TYPES: [(aws::PolicyType, PolicyType); 5] = [
    (
        aws::PolicyType::ServiceControlPolicy,
        PolicyType::ServiceControlPolicy,
    ),
    (
        aws::PolicyType::ResourceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ),
    (aws::PolicyType::TagPolicy, PolicyType::TagPolicy),
    (aws::PolicyType::BackupPolicy, PolicyType::BackupPolicy),
    (
        aws::PolicyType::AiservicesOptOutPolicy,
        PolicyType::AiservicesOptOutPolicy,
    ),
];

pub(crate) struct Session<'a> {
    client: Client,
    options: &'a DiscoverOptions,
    tally: &'a Tally,
    /// The region a regional read is in, named in its gaps.
    region: Option<String>,
}

/// What a discovery's calls add up to, shared by its regional sessions.
#[derive(Default)]
struct Tally {
    calls: AtomicU64,
    actions: std::sync::Mutex<std::collections::BTreeSet<&'static str>>,
    gaps: std::sync::Mutex<Vec<Gap>>,
}

/// Discovers the organization the configuration's credentials manage.
pub async fn discover(
    config: &aws_config::SdkConfig,
    options: &DiscoverOptions,
) -> Result<Discovery, OrgError> {
    let tally = Tally::default();
    let session = Session {
        client: Client::new(config),
        options,
        tally: &tally,
        region: None,
    };
    let stage = |name: &str| options.progress.stage(name);
    stage("organization");
    let organization = session.organization().await?;
    let roots = session.roots().await?;
    stage("organizational units");
    let organizational_units = session.ou_tree(&roots).await;
    let mut containers: Vec<String> = roots.iter().map(|r| r.id.clone()).collect();
    containers.extend(organizational_units.iter().map(|o| o.id.clone()));
    stage("accounts");
    let accounts = session.accounts(&containers).await;
    stage("policies");
    let policies = session.policies().await;
    stage("trusted access and delegated administrators");
    let trusted_services = session.trusted_services().await;
    let delegated_administrators = session.delegated_administrators().await;
    let account_ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
    stage("identity center");
    let identity_center = identity_center::read(&session, config, &account_ids).await;
    stage("regions");
    let region = config
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_default();
    let read_regions = regions::choose(&session, config, &options.regions, &region).await;
    stage("trails, aggregators, RAM shares, StackSets");
    let regional = regions::read(
        &session,
        config,
        &read_regions,
        &organization.management_account_id,
    )
    .await;
    let security_service_admins = services::security_admins(&delegated_administrators, &region);
    stage("member accounts");
    let member_reads = members::read(
        &session,
        config,
        &accounts,
        &organization.management_account_id,
        &options.members,
        members::MemberReadsAsked {
            resource_policy_regions: options.resource_policies.then_some(read_regions.as_slice()),
            identity_policies: options.identity_policies,
        },
    )
    .await;
    if !options.resource_policies {
        for api in resource_policies::POLICY_READS {
            session.gap(
                "organization",
                api,
                "resource policies not read (discovery was told to skip them)".into(),
            );
        }
    }
    if !options.identity_policies {
        session.gap(
            "organization",
            identity_policies::GET_ACCOUNT_AUTHORIZATION_DETAILS,
            "identity policies not read (discovery was told to skip them)".into(),
        );
    }
    let gaps = tally.gaps.lock().map(|g| g.clone()).unwrap_or_default();
    let bundle = OrgBundle {
        format: BUNDLE_FORMAT.to_owned(),
        version: BUNDLE_VERSION,
        generated_at: Utc::now(),
        source: BundleSource {
            kind: SourceKind::Live,
            detail: options.detail.clone(),
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
        iam_roles: member_reads.roles,
        stack_sets: regional.stack_sets,
        resource_policies: member_reads.resource_policies,
        identity_policies: member_reads.identity_policies,
        gaps,
    };
    bundle
        .validate()
        .map_err(|e| OrgError::Aws(format!("AWS returned an inconsistent organization: {e}")))?;
    Ok(Discovery {
        bundle,
        api_calls: tally.calls.load(Ordering::Relaxed),
        roles_read: member_reads.roles_read,
        resource_policies_read: member_reads.resource_policies_read,
        identity_policies_read: member_reads.identity_policies_read,
        regions: read_regions,
        actions_used: tally
            .actions
            .lock()
            .map(|a| a.iter().copied().collect())
            .unwrap_or_default(),
    })
}

pub(crate) fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

/// An AWS timestamp, rounded to the microsecond: AWS's JSON protocols send epoch
/// seconds as a float, whose last digits are noise below that.
pub(crate) fn time(value: Option<&aws_smithy_types::DateTime>) -> DateTime<Utc> {
    value
        .and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
        .map(|t| chrono::SubsecRound::round_subsecs(t, 6))
        .unwrap_or_default()
}

/// The error's message with its AWS error code, for gaps and messages.
pub(crate) fn describe<E: std::error::Error>(e: &E) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out = format!("{out}: {s}");
        source = s.source();
    }
    out
}

impl<'a> Session<'a> {
    /// Reads every page of a paginated call, each page counted as one call. A
    /// failing page becomes a gap for `scope` and ends the list; what was read
    /// before it is kept.
    async fn pages<P, E, T>(
        &self,
        action: &'static str,
        scope: &str,
        mut pages: PaginationStream<Result<P, E>>,
        mut items: impl FnMut(P) -> Vec<T>,
    ) -> Vec<T>
    where
        E: std::error::Error,
    {
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            self.call(action);
            match page {
                Ok(page) => out.extend(items(page)),
                Err(e) => {
                    self.gap(scope, action, describe(&e));
                    break;
                }
            }
        }
        out
    }

    /// Reads every page of a paginated call; the first error is returned, for
    /// callers that cannot go on without the list.
    async fn all_pages<P, E, T>(
        &self,
        action: &'static str,
        mut pages: PaginationStream<Result<P, E>>,
        mut items: impl FnMut(P) -> Vec<T>,
    ) -> Result<Vec<T>, String>
    where
        E: std::error::Error,
    {
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            self.call(action);
            out.extend(items(page.map_err(|e| describe(&e))?));
        }
        Ok(out)
    }

    /// This session and `config` for reads in `region`: the same tally, its
    /// gaps naming the region; the configuration's region set to it.
    fn in_region(
        &self,
        config: &aws_config::SdkConfig,
        region: &str,
    ) -> (Session<'a>, aws_config::SdkConfig) {
        let session = Session {
            client: self.client.clone(),
            options: self.options,
            tally: self.tally,
            region: Some(region.to_owned()),
        };
        let config = config
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        (session, config)
    }

    /// Per-item calls in flight at once.
    fn concurrency(&self) -> usize {
        self.options.concurrency.max(1)
    }

    /// Counts one API call (a page of a list counts as one).
    fn call(&self, action: &'static str) {
        let calls = self.tally.calls.fetch_add(1, Ordering::Relaxed) + 1;
        self.options.progress.calls(calls);
        if let Ok(mut used) = self.tally.actions.lock() {
            used.insert(action);
        }
    }

    fn gap(&self, scope: &str, api: &str, error: String) {
        let error = match &self.region {
            Some(region) => format!("in {region}: {error}"),
            None => error,
        };
        tracing::warn!("{scope}: {api}: {error}");
        if let Ok(mut gaps) = self.tally.gaps.lock() {
            gaps.push(Gap {
                scope: scope.to_owned(),
                api: api.to_owned(),
                error,
            });
        }
    }

    async fn organization(&self) -> Result<Organization, OrgError> {
        self.call(DESCRIBE_ORGANIZATION);
        let out = self
            .client
            .describe_organization()
            .send()
            .await
            .map_err(|e| {
                OrgError::Access(format!(
                    "{DESCRIBE_ORGANIZATION} failed ({}); run discovery with credentials of the organization's management account",
                    describe(&e)
                ))
            })?;
        let org = out
            .organization()
            .ok_or_else(|| OrgError::Aws("DescribeOrganization returned no organization".into()))?;
        Ok(Organization {
            id: text(org.id()),
            arn: text(org.arn()),
            feature_set: match org.feature_set() {
                Some(aws::OrganizationFeatureSet::ConsolidatedBilling) => {
                    FeatureSet::ConsolidatedBilling
                }
                _ => FeatureSet::All,
            },
            management_account_id: text(org.master_account_id()),
            management_account_email: text(org.master_account_email()),
        })
    }

    async fn roots(&self) -> Result<Vec<Root>, OrgError> {
        let pages = self.client.list_roots().into_paginator().send();
        self.all_pages(LIST_ROOTS, pages, |page| {
            page.roots()
                .iter()
                .map(|r| Root {
                    id: text(r.id()),
                    name: text(r.name()),
                    enabled_policy_types: r
                        .policy_types()
                        .iter()
                        .filter(|t| t.status() == Some(&aws::PolicyTypeStatus::Enabled))
                        .filter_map(|t| policy_type(t.r#type()?))
                        .collect(),
                })
                .collect()
        })
        .await
        .map_err(|e| OrgError::Access(format!("{LIST_ROOTS}: {e}")))
    }

    /// The OU tree, breadth first from the roots; a level's parents are read
    /// concurrently.
    async fn ou_tree(&self, roots: &[Root]) -> Vec<OrganizationalUnit> {
        let mut all = Vec::new();
        let mut level: Vec<String> = roots.iter().map(|r| r.id.clone()).collect();
        while !level.is_empty() {
            let children: Vec<Vec<OrganizationalUnit>> = futures::stream::iter(level)
                .map(|parent| self.ous_under(parent))
                .buffered(self.options.concurrency.max(1))
                .collect()
                .await;
            let children: Vec<OrganizationalUnit> = children.into_iter().flatten().collect();
            level = children.iter().map(|o| o.id.clone()).collect();
            all.extend(children);
        }
        all
    }

    async fn ous_under(&self, parent: String) -> Vec<OrganizationalUnit> {
        let pages = self
            .client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        self.pages(LIST_OUS, &parent, pages, |page| {
            page.organizational_units()
                .iter()
                .map(|o| OrganizationalUnit {
                    id: text(o.id()),
                    name: text(o.name()),
                    parent_id: parent.clone(),
                })
                .collect()
        })
        .await
    }

    async fn accounts(&self, containers: &[String]) -> Vec<Account> {
        let lists: Vec<Vec<Account>> = futures::stream::iter(containers.iter().cloned())
            .map(|parent| self.accounts_under(parent))
            .buffered(self.options.concurrency.max(1))
            .collect()
            .await;
        lists.into_iter().flatten().collect()
    }

    async fn accounts_under(&self, parent: String) -> Vec<Account> {
        let pages = self
            .client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        self.pages(LIST_ACCOUNTS, &parent, pages, |page| {
            page.accounts()
                .iter()
                .map(|a| account(a, &parent))
                .collect()
        })
        .await
    }

    async fn policies(&self) -> Vec<Policy> {
        let mut out = Vec::new();
        for (aws_type, ours) in POLICY_TYPES {
            let summaries = match self.policy_summaries(aws_type.clone()).await {
                Ok(s) => s,
                Err(e) => {
                    self.gap(
                        "organization",
                        &format!("{LIST_POLICIES}({})", aws_type.as_str()),
                        e,
                    );
                    continue;
                }
            };
            let policies: Vec<Option<Policy>> = futures::stream::iter(summaries)
                .map(|s| self.policy(s, ours))
                .buffered(self.options.concurrency.max(1))
                .collect()
                .await;
            out.extend(policies.into_iter().flatten());
        }
        out
    }

    async fn policy_summaries(
        &self,
        filter: aws::PolicyType,
    ) -> Result<Vec<aws::PolicySummary>, String> {
        let pages = self
            .client
            .list_policies()
            .filter(filter)
            .into_paginator()
            .send();
        self.all_pages(LIST_POLICIES, pages, |page| page.policies().to_vec())
            .await
    }

    async fn policy(&self, summary: aws::PolicySummary, policy_type: PolicyType) -> Option<Policy> {
        let id = text(summary.id());
        self.call(DESCRIBE_POLICY);
        let content = match self.client.describe_policy().policy_id(&id).send().await {
            Ok(out) => out
                .policy()
                .and_then(|p| p.content())
                .map(|c| {
                    serde_json::from_str(c).unwrap_or_else(|_| serde_json::Value::String(c.into()))
                })
                .unwrap_or(serde_json::Value::Null),
            Err(e) => {
                self.gap(&id, DESCRIBE_POLICY, describe(&e));
                serde_json::Value::Null
            }
        };
        let pages = self
            .client
            .list_targets_for_policy()
            .policy_id(&id)
            .into_paginator()
            .send();
        let targets = self
            .pages(LIST_TARGETS, &id, pages, |page| {
                page.targets().iter().map(|t| text(t.target_id())).collect()
            })
            .await;
        Some(Policy {
            id,
            name: text(summary.name()),
            description: text(summary.description()),
            policy_type,
            aws_managed: summary.aws_managed(),
            content,
            targets,
        })
    }

    async fn trusted_services(&self) -> Vec<TrustedService> {
        let pages = self
            .client
            .list_aws_service_access_for_organization()
            .into_paginator()
            .send();
        self.pages(LIST_SERVICE_ACCESS, "organization", pages, |page| {
            page.enabled_service_principals()
                .iter()
                .map(|s| TrustedService {
                    service_principal: text(s.service_principal()),
                    date_enabled: time(s.date_enabled()),
                })
                .collect()
        })
        .await
    }

    async fn delegated_administrators(&self) -> Vec<DelegatedAdministrator> {
        let pages = self
            .client
            .list_delegated_administrators()
            .into_paginator()
            .send();
        let admins = self
            .all_pages(LIST_DELEGATED_ADMINS, pages, |page| {
                page.delegated_administrators()
                    .iter()
                    .map(|a| text(a.id()))
                    .collect()
            })
            .await;
        let admins = match admins {
            Ok(admins) => admins,
            Err(e) => {
                self.gap("organization", LIST_DELEGATED_ADMINS, e);
                return Vec::new();
            }
        };
        let per_account: Vec<Vec<DelegatedAdministrator>> = futures::stream::iter(admins)
            .map(|account| self.delegated_services(account))
            .buffered(self.options.concurrency.max(1))
            .collect()
            .await;
        per_account.into_iter().flatten().collect()
    }

    async fn delegated_services(&self, account_id: String) -> Vec<DelegatedAdministrator> {
        let pages = self
            .client
            .list_delegated_services_for_account()
            .account_id(&account_id)
            .into_paginator()
            .send();
        self.pages(LIST_DELEGATED_SERVICES, &account_id, pages, |page| {
            page.delegated_services()
                .iter()
                .map(|s| DelegatedAdministrator {
                    account_id: account_id.clone(),
                    service_principal: text(s.service_principal()),
                    delegation_enabled_date: time(s.delegation_enabled_date()),
                })
                .collect()
        })
        .await
    }
}

fn policy_type(t: &aws::PolicyType) -> Option<PolicyType> {
    POLICY_TYPES
        .iter()
        .find(|(a, _)| a == t)
        .map(|(_, ours)| *ours)
}

fn account(a: &aws::Account, parent: &str) -> Account {
    // `State` supersedes the deprecated `Status` (Organizations API reference,
    // Account data type); both are read, `State` first.
    #[allow(deprecated)]
    let legacy_status = a.status();
    let status = AccountStatus::from_api(
        a.state().map_or("", |s| s.as_str()),
        legacy_status.map_or("", |s| s.as_str()),
    );
    Account {
        id: text(a.id()),
        name: text(a.name()),
        email: text(a.email()),
        status,
        state: a.state().map(|s| s.as_str().to_owned()),
        joined_method: match a.joined_method() {
            Some(aws::AccountJoinedMethod::Invited) => JoinedMethod::Invited,
            _ => JoinedMethod::Created,
        },
        joined_timestamp: time(a.joined_timestamp()),
        parent_id: parent.to_owned(),
    }
}

/// Every IAM action discovery calls: the read-only policy it needs
/// (`orgpool discover --print-policy`). A test holds this list to the calls a
/// full discovery actually makes.
pub fn required_actions() -> Vec<&'static str> {
    [
        ORGANIZATIONS_ACTIONS,
        identity_center::ACTIONS,
        regions::ACTIONS,
        services::ACTIONS,
        stack_sets::ACTIONS,
        members::ACTIONS,
        resource_policies::ACTIONS,
        identity_policies::ACTIONS,
    ]
    .concat()
}

/// The IAM policy discovery needs, as a JSON document: the read-only actions
/// on everything, and `sts:AssumeRole` only on the member role's name.
pub fn required_policy(member_role: &str) -> serde_json::Value {
    let read_only: Vec<&str> = required_actions()
        .into_iter()
        .filter(|a| *a != members::ASSUME_ROLE)
        .collect();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrgpoolDiscoveryReadOnly",
                "Effect": "Allow",
                "Action": read_only,
                "Resource": "*"
            },
            {
                "Sid": "OrgpoolReadMemberAccounts",
                "Effect": "Allow",
                "Action": members::ASSUME_ROLE,
                "Resource": format!("arn:aws:iam::*:role/{member_role}")
            }
        ]
    })
}

/// A CloudFormation template (JSON) that creates the read-only discovery role:
/// it trusts the principal given as a parameter, only with the external ID
/// given as another (the confused-deputy guard, IAM User Guide, "Access to AWS
/// accounts owned by third parties"), and carries [`required_policy`] inline.
pub fn onboarding_template() -> serde_json::Value {
    serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "orgpool: a read-only role for discovering this AWS Organization (orgpool discover).",
        "Parameters": {
            "TrustedPrincipalArn": {
                "Type": "String",
                "Description": "The IAM principal (role or account root ARN) allowed to assume the role.",
                "AllowedPattern": "^arn:aws[a-z-]*:iam::\\d{12}:(root|role/.+|user/.+)$"
            },
            "ExternalId": {
                "Type": "String",
                "Description": "The external ID the caller must present.",
                "MinLength": 2,
                "MaxLength": 1224,
                "NoEcho": true
            },
            "RoleName": {
                "Type": "String",
                "Default": "OrgpoolDiscoveryReadOnly",
                "Description": "Name of the role to create."
            }
        },
        "Resources": {
            "DiscoveryRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": { "Ref": "RoleName" },
                    "Description": "Read-only access for orgpool discover",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": { "AWS": { "Ref": "TrustedPrincipalArn" } },
                            "Action": "sts:AssumeRole",
                            "Condition": { "StringEquals": { "sts:ExternalId": { "Ref": "ExternalId" } } }
                        }]
                    },
                    "Policies": [{
                        "PolicyName": "orgpool-discovery-read-only",
                        "PolicyDocument": required_policy(&MemberAccess::default().role_name)
                    }]
                }
            }
        },
        "Outputs": {
            "RoleArn": {
                "Description": "Pass this role to orgpool (as a profile's role_arn with external_id).",
                "Value": { "Fn::GetAtt": ["DiscoveryRole", "Arn"] }
            }
        }
    })
}
