//! The decision and its reasons.
//!
//! The rule (DESIGN.md, "What orgpool is for"):
//! - `import_whole` when IAM Identity Center has permission sets assigned,
//!   when accounts communicate (see [`crate::facts`]), or when the setup is
//!   too complex to break (see [`crate::Thresholds`]);
//! - otherwise `break_up` for an organization with one account (suspended
//!   accounts aside), or with at most `break_up_max_active_accounts` (1)
//!   active accounts among unused ones;
//! - otherwise `import_whole`: several accounts are active, or activity is
//!   unknown because no billing data were given — keeping the organization
//!   whole breaks nothing, so it is the safe answer when in doubt.

use crate::Thresholds;
use crate::facts::Facts;
use crate::report::{AccountReport, Path, Reason};

fn reason(rule: &str, detail: String, evidence: Vec<String>) -> Reason {
    Reason {
        rule: rule.to_owned(),
        detail,
        evidence,
    }
}

/// The recommended path, with every reason that led to it.
pub fn decide(
    facts: &Facts<'_>,
    accounts: &[AccountReport],
    t: &Thresholds,
) -> (Path, Vec<Reason>) {
    let mut keep = Vec::new();
    if facts.sso_in_use() {
        let accounts: std::collections::BTreeSet<&str> = facts
            .sso_assignments
            .iter()
            .map(|(_, a)| a.account_id.as_str())
            .collect();
        keep.push(reason(
            "sso_in_use",
            format!(
                "IAM Identity Center has {} assignment(s) in {} account(s); Identity Center cannot run without an organization",
                facts.sso_assignments.len(),
                accounts.len()
            ),
            facts
                .sso_assignments
                .iter()
                .map(|(i, _)| (*i).to_owned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
        ));
    }
    for (rule, detail, evidence) in facts.communication() {
        keep.push(reason(
            rule,
            format!("accounts communicate: {detail}"),
            evidence,
        ));
    }
    for (detail, evidence) in facts.complexity(t) {
        keep.push(reason(
            "too_complex",
            format!("too complex to break: {detail}"),
            evidence,
        ));
    }
    if !keep.is_empty() {
        return (Path::ImportWhole, keep);
    }
    let live: Vec<&AccountReport> = accounts.iter().filter(|a| a.status == "ACTIVE").collect();
    if live.len() <= 1 {
        let ids = live.iter().map(|a| a.id.clone()).collect();
        return (
            Path::BreakUp,
            vec![reason(
                "single_account",
                "the organization has one account (suspended accounts aside), no Identity Center assignments and no communication between accounts".into(),
                ids,
            )],
        );
    }
    if live.iter().any(|a| a.active.is_none()) {
        return (
            Path::ImportWhole,
            vec![reason(
                "activity_unknown",
                format!(
                    "{} accounts and no billing data: activity is unknown, and importing whole breaks nothing; give --cur to see whether only one account is in use",
                    live.len()
                ),
                live.iter().map(|a| a.id.clone()).collect(),
            )],
        );
    }
    let active: Vec<String> = live
        .iter()
        .filter(|a| a.active == Some(true))
        .map(|a| a.id.clone())
        .collect();
    if active.len() <= t.break_up_max_active_accounts {
        let detail = match active.len() {
            0 => format!(
                "no account spent more than {:.2} on usage in the last {} days; none uses SSO or talks to another",
                t.active_usage, t.activity_days
            ),
            n => format!(
                "{n} active account(s) among {} unused; no Identity Center assignments and no communication between accounts",
                live.len() - n
            ),
        };
        return (
            Path::BreakUp,
            vec![reason("one_active_account", detail, active)],
        );
    }
    (
        Path::ImportWhole,
        vec![reason(
            "several_active_accounts",
            format!(
                "{} accounts are active (more than {}); the break-up rule is for one active account among unused ones",
                active.len(),
                t.break_up_max_active_accounts
            ),
            active,
        )],
    )
}
