//! The assessment as data: the JSON contract (`schema_version: 1`) that
//! scripts read, and that the Markdown and HTML renderers turn into pages.
//!
//! Stable fields: `recommendation`, `reasons[]`, `impacts[]` with
//! `{area, severity, title, evidence[], remediation}`, `accounts[]` with
//! `{id, name, active, usage_cost, leave_blockers[]}`, and `runbook[]`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Thresholds;

/// The JSON contract's version.
pub const SCHEMA_VERSION: u32 = 1;

/// The two ways to bring an organization under the pooled payer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// Every account leaves the organization and joins the payer on its own.
    BreakUp,
    /// The organization stays intact and transfers its billing to the payer.
    ImportWhole,
}

impl Path {
    /// `break_up` or `import_whole`.
    pub fn as_str(self) -> &'static str {
        match self {
            Path::BreakUp => "break_up",
            Path::ImportWhole => "import_whole",
        }
    }
}

/// How bad an impact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; nothing to do.
    Info,
    /// A small change.
    Low,
    /// Something stops working unless it is replaced.
    Medium,
    /// Security, logging or access is lost unless it is replaced first.
    High,
    /// AWS refuses the move, or the loss cannot be undone.
    Blocker,
}

impl Severity {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Blocker => "blocker",
        }
    }
}

/// The four areas every decision is explained in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// Who can reach what: SCPs, Identity Center, role trust.
    AccessControl,
    /// Logging, security and monitoring that span accounts.
    CrossAccountFunctions,
    /// Each account's standing: payment, contacts, age, commitments.
    AccountManagement,
    /// OUs, policies inherited through them, the billing structure.
    OrganizationalStructure,
}

impl Area {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Area::AccessControl => "access_control",
            Area::CrossAccountFunctions => "cross_account_functions",
            Area::AccountManagement => "account_management",
            Area::OrganizationalStructure => "organizational_structure",
        }
    }
}

/// Why the recommendation is what it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// A stable code: `sso_in_use`, `cross_account_roles`, `single_account`, …
    pub rule: String,
    /// The reason in words.
    pub detail: String,
    /// Resource IDs that show it.
    pub evidence: Vec<String>,
}

/// What one path does to one thing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathEffect {
    /// How bad it is under this path.
    pub severity: Severity,
    /// What breaks (or why nothing does).
    pub effect: String,
}

/// One impact of the move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    /// A stable code, for example `org_trail`.
    pub id: String,
    /// The area it belongs to.
    pub area: Area,
    /// Its severity under the recommended path.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// Resource IDs (ARNs, account, policy and OU IDs).
    pub evidence: Vec<String>,
    /// What to do about it.
    pub remediation: String,
    /// What happens under `break_up`.
    pub break_up: PathEffect,
    /// What happens under `import_whole`.
    pub import_whole: PathEffect,
}

/// Something in the way of an account leaving the organization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaveItem {
    /// A stable code: `delegated_administrator`, `created_recently`, …
    pub check: String,
    /// True when AWS refuses to let the account leave until it is fixed;
    /// false when leaving works but loses what `detail` says.
    pub blocking: bool,
    /// What was found.
    pub detail: String,
    /// Resource IDs.
    pub evidence: Vec<String>,
    /// The fix.
    pub fix: String,
}

/// One account's activity and leave readiness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountReport {
    /// Account ID.
    pub id: String,
    /// Account name.
    pub name: String,
    /// `ACTIVE`, `SUSPENDED` or `PENDING_CLOSURE`.
    pub status: String,
    /// True for the management account.
    pub management: bool,
    /// Whether it is active; `null` when no billing data were given.
    pub active: Option<bool>,
    /// Usage spend over the activity window; `null` without billing data.
    pub usage_cost: Option<f64>,
    /// What stands in the way of leaving, each with its fix.
    pub leave_blockers: Vec<LeaveItem>,
    /// Prerequisites the APIs cannot show, to check by hand.
    pub manual_checks: Vec<LeaveItem>,
}

/// What was known about activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivitySummary {
    /// Whether billing data were given (and had usage).
    pub known: bool,
    /// Window start, when known.
    pub start: Option<DateTime<Utc>>,
    /// Window end (exclusive), when known.
    pub end: Option<DateTime<Utc>>,
    /// Accounts above the threshold.
    pub active_accounts: usize,
    /// Accounts at or below it.
    pub idle_accounts: usize,
    /// Usage spend in the billing data for accounts the bundle does not list.
    pub unknown_account_ids: Vec<String>,
    /// A sentence for people.
    pub note: String,
}

/// One step of the runbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// 1-based position; steps run in this order.
    pub order: usize,
    /// A stable code of the kind of step, for example `leave_organization`.
    pub action: String,
    /// The account the step is about, when it is about one.
    pub account_id: Option<String>,
    /// Whose credentials run it: `management account`, `account 1234…`, `payer`.
    pub run_as: String,
    /// What the step does.
    pub title: String,
    /// The exact AWS CLI command (placeholders in `<ANGLE_BRACKETS>`).
    pub command: String,
    /// What to check before running it.
    pub pre_check: String,
    /// How to undo it.
    pub rollback: String,
}

/// The whole assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Always 1.
    pub schema_version: u32,
    /// The organization assessed.
    pub organization_id: String,
    /// Its management account.
    pub management_account_id: String,
    /// `break_up` or `import_whole`.
    pub recommendation: Path,
    /// The path the runbook and the impacts' `severity` are for: the
    /// recommendation, unless the user chose the other (`--path`).
    pub planned_path: Path,
    /// Why.
    pub reasons: Vec<Reason>,
    /// Activity, as far as it is known.
    pub activity: ActivitySummary,
    /// Impacts in the four areas, most severe first.
    pub impacts: Vec<Impact>,
    /// Every account, with its activity and leave readiness.
    pub accounts: Vec<AccountReport>,
    /// The ordered steps of the planned path.
    pub runbook: Vec<Step>,
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// Things the inventory could not read, which the assessment may miss.
    pub inventory_gaps: Vec<String>,
    /// What the pooled what-if found, when it was run (`--pool-cur`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooling: Option<Pooling>,
}

/// What the pooled what-if (`orgpool estimate --pool-cur`) found, in the
/// billing currency per month: the money a break-up brings into play (the
/// accounts join the payer's consolidated billing family) and importing
/// whole leaves out (a billing transfer keeps commitments inside the
/// organization).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pooling {
    /// The organization's best purchase of its own saves.
    pub alone_per_month: f64,
    /// The pool and the organization together, beyond the pool alone with
    /// the organization buying nothing: what the payer could pass on.
    pub value_of_joining_per_month: f64,
    /// Together less the two apart.
    pub gain_per_month: f64,
}
