//! Billing groups planned from an organization: by OU at a depth, one group
//! for the whole organization, or from a user's CSV map; and the plan
//! document (`schema_version: 1`) that the other `orgpool billing` commands
//! read back.
//!
//! Only `ACTIVE` accounts are placed: suspended and closed accounts cannot be
//! billed on the payer side, and are listed as unplaced with the reason.
//!
//! The primary account of a group (Billing Conductor: "the account that serves
//! as the main account in a billing group", and a member of it) is the
//! organization's management account when the group holds it; otherwise the
//! account that joined the organization first, ties broken by ID; a map file
//! may name it.

use std::collections::{BTreeMap, BTreeSet};

use orgpool_model::{AccountStatus, OrgBundle};
use serde::{Deserialize, Serialize};

use crate::BillingError;
use crate::pricing::{CustomLineItem, PUBLIC_RATES_PLAN, PricingFile, PricingPlan};

/// The plan document's version.
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// How accounts were grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One group per OU at a depth.
    Ou,
    /// One group for the whole organization (a billing transfer).
    Org,
    /// From a CSV map.
    File,
}

/// One billing group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingGroup {
    /// 1 to 128 of `a-zA-Z0-9_+=.-@`.
    pub name: String,
    /// A member account that is the group's main account.
    pub primary_account: String,
    /// The member accounts, sorted.
    pub accounts: Vec<String>,
    /// The pricing plan's name.
    pub pricing_plan: String,
    /// Where the group comes from (an OU path, the organization, the map).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// An account the plan does not place, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unplaced {
    /// The account.
    pub account_id: String,
    /// Why it is in no group.
    pub reason: String,
}

/// The plan: what `orgpool billing plan` writes and the other commands read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingPlan {
    /// [`PLAN_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The organization planned.
    pub organization_id: String,
    /// The organization's management account.
    pub management_account_id: String,
    /// How accounts were grouped.
    pub by: Grouping,
    /// The groups.
    pub billing_groups: Vec<BillingGroup>,
    /// The pricing plans the groups use.
    pub pricing_plans: Vec<PricingPlan>,
    /// Fees and credits.
    #[serde(default)]
    pub custom_line_items: Vec<CustomLineItem>,
    /// Accounts in no group.
    #[serde(default)]
    pub unplaced_accounts: Vec<Unplaced>,
}

impl BillingPlan {
    /// Reads a plan document, naming `path` on error.
    pub fn parse(path: &str, text: &str) -> Result<Self, BillingError> {
        let plan: BillingPlan = serde_json::from_str(text).map_err(|e| {
            BillingError::BadInput(format!("{path}: not an orgpool billing plan: {e}"))
        })?;
        if plan.schema_version != PLAN_SCHEMA_VERSION {
            return Err(BillingError::BadInput(format!(
                "{path}: schema_version {} is not supported (expected {PLAN_SCHEMA_VERSION})",
                plan.schema_version
            )));
        }
        Ok(plan)
    }

    /// The group an account is in.
    pub fn group_of(&self, account: &str) -> Option<&BillingGroup> {
        self.billing_groups
            .iter()
            .find(|g| g.accounts.iter().any(|a| a == account))
    }

    /// A pricing plan by name.
    pub fn pricing_plan(&self, name: &str) -> Option<&PricingPlan> {
        self.pricing_plans.iter().find(|p| p.name == name)
    }
}

/// A row of the `--map` CSV: `account_id,billing_group[,primary]`.
#[derive(Debug, Clone, Deserialize)]
struct MapRow {
    account_id: String,
    billing_group: String,
    #[serde(default)]
    primary: Option<String>,
}

/// How to group: the inputs of [`plan`].
pub enum Source<'a> {
    /// Per OU at `depth` (1: the OUs under the root).
    Ou {
        /// The depth.
        depth: usize,
    },
    /// One group for the organization.
    Org,
    /// From a CSV map: its file name (for errors) and its text.
    File {
        /// The file name.
        path: &'a str,
        /// Its content.
        text: &'a str,
    },
}

/// Plans billing groups for `bundle`, priced as `pricing` says (public rates
/// when `None`). The result is not yet checked: see [`crate::validate`].
pub fn plan(
    bundle: &OrgBundle,
    source: Source<'_>,
    pricing: Option<&PricingFile>,
) -> Result<BillingPlan, BillingError> {
    let mut unplaced: Vec<Unplaced> = bundle
        .accounts
        .iter()
        .filter(|a| a.status != AccountStatus::Active)
        .map(|a| Unplaced {
            account_id: a.id.clone(),
            reason: format!(
                "{} accounts cannot be billed on the payer side",
                match a.status {
                    AccountStatus::Suspended => "SUSPENDED",
                    AccountStatus::PendingClosure => "PENDING_CLOSURE",
                    AccountStatus::Active => "ACTIVE",
                }
            ),
        })
        .collect();
    let (by, drafts) = match source {
        Source::Ou { depth } => (Grouping::Ou, by_ou(bundle, depth.max(1))),
        Source::Org => (Grouping::Org, by_org(bundle)),
        Source::File { path, text } => {
            let (drafts, missing) = by_map(bundle, path, text)?;
            unplaced.extend(missing);
            (Grouping::File, drafts)
        }
    };
    let plan_for = |name: &str| -> String {
        pricing
            .and_then(|p| {
                p.assignments
                    .get(name)
                    .or(p.default_pricing_plan.as_ref())
                    .cloned()
            })
            .unwrap_or_else(|| PUBLIC_RATES_PLAN.to_owned())
    };
    let billing_groups: Vec<BillingGroup> = drafts
        .into_iter()
        .map(|d| BillingGroup {
            pricing_plan: plan_for(&d.name),
            primary_account: d
                .primary
                .unwrap_or_else(|| primary_account(bundle, &d.accounts)),
            accounts: d.accounts.into_iter().collect(),
            name: d.name,
            description: d.description,
        })
        .collect();
    let mut pricing_plans = pricing.map(|p| p.pricing_plans.clone()).unwrap_or_default();
    if billing_groups
        .iter()
        .any(|g| g.pricing_plan == PUBLIC_RATES_PLAN)
        && !pricing_plans.iter().any(|p| p.name == PUBLIC_RATES_PLAN)
    {
        pricing_plans.push(PricingPlan {
            name: PUBLIC_RATES_PLAN.to_owned(),
            description: "no rules: public on-demand rates".to_owned(),
            rules: Vec::new(),
        });
    }
    Ok(BillingPlan {
        schema_version: PLAN_SCHEMA_VERSION,
        organization_id: bundle.organization.id.clone(),
        management_account_id: bundle.organization.management_account_id.clone(),
        by,
        billing_groups,
        pricing_plans,
        custom_line_items: pricing
            .map(|p| p.custom_line_items.clone())
            .unwrap_or_default(),
        unplaced_accounts: unplaced,
    })
}

/// A group before its pricing plan and primary account are settled.
struct Draft {
    name: String,
    description: String,
    accounts: BTreeSet<String>,
    primary: Option<String>,
}

fn active_accounts(bundle: &OrgBundle) -> impl Iterator<Item = &orgpool_model::Account> {
    bundle
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
}

fn by_org(bundle: &OrgBundle) -> Vec<Draft> {
    vec![Draft {
        name: group_name(&bundle.organization.id),
        description: format!(
            "the whole organization {}, as a billing transfer requires",
            bundle.organization.id
        ),
        accounts: active_accounts(bundle).map(|a| a.id.clone()).collect(),
        primary: None,
    }]
}

/// The OUs from the root down to `parent` (root first); empty for the root.
fn ou_chain<'a>(bundle: &'a OrgBundle, parent: &str) -> Vec<&'a orgpool_model::OrganizationalUnit> {
    let mut chain = Vec::new();
    let mut at = parent;
    while let Some(ou) = bundle.organizational_units.iter().find(|o| o.id == at) {
        if chain.len() > bundle.organizational_units.len() {
            break;
        }
        chain.push(ou);
        at = ou.parent_id.as_str();
    }
    chain.reverse();
    chain
}

fn by_ou(bundle: &OrgBundle, depth: usize) -> Vec<Draft> {
    // Key: the OU at `depth` on the account's path, or the deepest one above
    // it when the account sits higher; `None` for accounts under the root.
    let mut groups: BTreeMap<Option<String>, Draft> = BTreeMap::new();
    for account in active_accounts(bundle) {
        let chain = ou_chain(bundle, &account.parent_id);
        let cut = &chain[..chain.len().min(depth)];
        let key = cut.last().map(|ou| ou.id.clone());
        let draft = groups.entry(key).or_insert_with(|| {
            let path: Vec<&str> = cut.iter().map(|o| o.name.as_str()).collect();
            Draft {
                name: if path.is_empty() {
                    "root".to_owned()
                } else {
                    group_name(&path.join("-"))
                },
                description: if path.is_empty() {
                    "accounts directly under the root".to_owned()
                } else {
                    format!(
                        "OU {} ({})",
                        path.join("/"),
                        cut.last().map(|o| o.id.as_str()).unwrap_or_default()
                    )
                },
                accounts: BTreeSet::new(),
                primary: None,
            }
        });
        draft.accounts.insert(account.id.clone());
    }
    let mut drafts: Vec<Draft> = groups.into_values().collect();
    make_names_unique(&mut drafts);
    drafts
}

/// Two OUs with the same name at the same depth would give two groups one
/// name: later ones get `-2`, `-3`, ….
fn make_names_unique(drafts: &mut [Draft]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for d in drafts.iter_mut() {
        let n = seen.entry(d.name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            d.name = format!("{}-{}", d.name, n);
        }
    }
}

fn by_map(
    bundle: &OrgBundle,
    path: &str,
    text: &str,
) -> Result<(Vec<Draft>, Vec<Unplaced>), BillingError> {
    let bad = |line: u64, what: String| BillingError::BadInput(format!("{path}:{line}: {what}"));
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| BillingError::BadInput(format!("{path}: {e}")))?
        .clone();
    for column in ["account_id", "billing_group"] {
        if !headers.iter().any(|h| h == column) {
            return Err(BillingError::BadInput(format!(
                "{path}: missing column {column:?} (header must be account_id,billing_group[,primary])"
            )));
        }
    }
    let mut groups: BTreeMap<String, Draft> = BTreeMap::new();
    let mut placed: BTreeMap<String, String> = BTreeMap::new();
    for (i, row) in reader.deserialize::<MapRow>().enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| bad(line, e.to_string()))?;
        let Some(account) = bundle.accounts.iter().find(|a| a.id == row.account_id) else {
            return Err(bad(
                line,
                format!(
                    "account {:?} is not in organization {}",
                    row.account_id, bundle.organization.id
                ),
            ));
        };
        if account.status != AccountStatus::Active {
            continue;
        }
        if row.billing_group.is_empty() {
            return Err(bad(line, "billing_group is empty".into()));
        }
        if let Some(first) = placed.insert(row.account_id.clone(), row.billing_group.clone()) {
            return Err(bad(
                line,
                format!(
                    "account {} is mapped twice ({first} and {}); an account can be in one billing group only",
                    row.account_id, row.billing_group
                ),
            ));
        }
        let draft = groups
            .entry(row.billing_group.clone())
            .or_insert_with(|| Draft {
                name: row.billing_group.clone(),
                description: format!("from {path}"),
                accounts: BTreeSet::new(),
                primary: None,
            });
        draft.accounts.insert(row.account_id.clone());
        let is_primary = row
            .primary
            .as_deref()
            .is_some_and(|p| matches!(p.to_ascii_lowercase().as_str(), "true" | "yes" | "1"));
        if is_primary {
            if let Some(other) = &draft.primary {
                return Err(bad(
                    line,
                    format!(
                        "group {} already has primary account {other}",
                        row.billing_group
                    ),
                ));
            }
            draft.primary = Some(row.account_id.clone());
        }
    }
    let missing = active_accounts(bundle)
        .filter(|a| !placed.contains_key(&a.id))
        .map(|a| Unplaced {
            account_id: a.id.clone(),
            reason: format!("not in {path}"),
        })
        .collect();
    Ok((groups.into_values().collect(), missing))
}

/// The management account when the group holds it; otherwise the account
/// that joined first, ties broken by ID.
fn primary_account(bundle: &OrgBundle, accounts: &BTreeSet<String>) -> String {
    let management = &bundle.organization.management_account_id;
    if accounts.contains(management) {
        return management.clone();
    }
    bundle
        .accounts
        .iter()
        .filter(|a| accounts.contains(&a.id))
        .min_by(|a, b| {
            a.joined_timestamp
                .cmp(&b.joined_timestamp)
                .then(a.id.cmp(&b.id))
        })
        .map(|a| a.id.clone())
        .unwrap_or_default()
}

/// A valid Billing Conductor name from free text: characters outside
/// `a-zA-Z0-9_+=.-@` become `-`, and the result is cut to 128 characters.
pub fn group_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| if is_name_char(c) { c } else { '-' })
        .take(128)
        .collect();
    if name.is_empty() {
        "group".to_owned()
    } else {
        name
    }
}

/// Whether `c` may appear in a Billing Conductor name (`[a-zA-Z0-9_+=.\-@]`).
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=.-@".contains(c)
}
