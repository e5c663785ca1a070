//! Break up the organization or import it whole: the decision with its
//! reasons, the impacts in four areas, each account's leave readiness, and a
//! runbook for the chosen path.
//!
//! An engine: it reads an [`OrgBundle`] (and, when billing data were given,
//! each account's [`AccountUsage`]) and returns an [`Assessment`], the JSON
//! contract of `orgpool assess`. [`render`] turns it into Markdown or a
//! standalone HTML page. No I/O.
//!
//! - [`facts`]: what the bundle says about SSO, communication and complexity;
//! - [`decision`]: the rule and its reasons;
//! - [`impacts`]: the four areas, covering AWS's migration checklist;
//! - [`scp`] and [`readiness`]: what stops each account leaving;
//! - [`runbook`]: the ordered steps, with commands, pre-checks and rollbacks;
//! - [`replay`]: the OUs and guardrails, as a template for the payer's
//!   organization;
//! - [`compare`]: after the move, what of the organization was lost.

pub mod compare;
pub mod decision;
pub mod facts;
pub mod impacts;
pub mod readiness;
pub mod render;
pub mod replay;
pub mod report;
pub mod runbook;
pub mod scp;
mod thresholds;

use orgpool_model::{AccountStatus, AccountUsage, OrgBundle};

pub use report::*;
pub use thresholds::Thresholds;

/// A value's JSON spelling, as AWS spells it (`SERVICE_CONTROL_POLICY`).
pub(crate) fn spelling<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => other.map(|v| v.to_string()).unwrap_or_default(),
    }
}

/// AWS's spelling of an account status.
pub fn status_name(status: AccountStatus) -> &'static str {
    match status {
        AccountStatus::Active => "ACTIVE",
        AccountStatus::Suspended => "SUSPENDED",
        AccountStatus::PendingClosure => "PENDING_CLOSURE",
    }
}

/// Assesses `bundle`; `usage` is each account's usage spend over the
/// activity window, or `None` when no billing data were given.
pub fn assess(bundle: &OrgBundle, usage: Option<&AccountUsage>, t: &Thresholds) -> Assessment {
    assess_for(bundle, usage, t, None)
}

/// [`assess`], with the runbook and the impacts' severities planned for
/// `path` instead of the recommendation (the user may choose to break up an
/// organization orgpool would import whole). The recommendation and its
/// reasons stay what the rule says.
pub fn assess_for(
    bundle: &OrgBundle,
    usage: Option<&AccountUsage>,
    t: &Thresholds,
    path: Option<Path>,
) -> Assessment {
    assess_with(bundle, usage, t, path, None)
}

/// [`assess_for`], with what the pooled what-if found: the commitment
/// sharing impact then says what each path gains or leaves out.
pub fn assess_with(
    bundle: &OrgBundle,
    usage: Option<&AccountUsage>,
    t: &Thresholds,
    path: Option<Path>,
    pooling: Option<Pooling>,
) -> Assessment {
    let facts = facts::Facts::of(bundle);
    let accounts = readiness::account_reports(&facts, usage, t);
    let (recommendation, reasons) = decision::decide(&facts, &accounts, t);
    let planned = path.unwrap_or(recommendation);
    let impacts = impacts::impacts(&facts, &accounts, planned, pooling.as_ref());
    let runbook = runbook::runbook(&facts, &accounts, planned);
    Assessment {
        schema_version: SCHEMA_VERSION,
        organization_id: bundle.organization.id.clone(),
        management_account_id: bundle.organization.management_account_id.clone(),
        recommendation,
        planned_path: planned,
        reasons,
        activity: activity_summary(bundle, &accounts, usage, t),
        impacts,
        accounts,
        runbook,
        thresholds: t.clone(),
        inventory_gaps: bundle
            .gaps
            .iter()
            .map(|g| format!("{} {}: {}", g.scope, g.api, g.error))
            .collect(),
        pooling,
    }
}

fn activity_summary(
    bundle: &OrgBundle,
    accounts: &[AccountReport],
    usage: Option<&AccountUsage>,
    t: &Thresholds,
) -> ActivitySummary {
    let active = accounts.iter().filter(|a| a.active == Some(true)).count();
    let idle = accounts.iter().filter(|a| a.active == Some(false)).count();
    let Some(u) = usage else {
        return ActivitySummary {
            known: false,
            start: None,
            end: None,
            active_accounts: 0,
            idle_accounts: 0,
            unknown_account_ids: Vec::new(),
            note: "Activity is unknown: no billing data were given (--cur). Every account's `active` and `usage_cost` are null.".into(),
        };
    };
    let unknown: Vec<String> = u
        .cost_by_account
        .keys()
        .filter(|id| !bundle.accounts.iter().any(|a| &a.id == *id))
        .cloned()
        .collect();
    ActivitySummary {
        known: true,
        start: Some(u.start),
        end: Some(u.end),
        active_accounts: active,
        idle_accounts: idle,
        note: format!(
            "{active} account(s) spent more than {:.2} on usage (tax, fees, credits and commitment fees excluded) from {} to {} ({} days ending at the last hour of usage); {idle} did not.{}",
            t.active_usage,
            u.start.format("%Y-%m-%d %H:%M"),
            u.end.format("%Y-%m-%d %H:%M"),
            t.activity_days,
            if unknown.is_empty() {
                String::new()
            } else {
                format!(
                    " The billing data also name {} account(s) the bundle does not list: {}.",
                    unknown.len(),
                    unknown.join(", ")
                )
            }
        ),
        unknown_account_ids: unknown,
    }
}
