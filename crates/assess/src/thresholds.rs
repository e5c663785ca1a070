//! The numbers the decision depends on, with their documented defaults.
//!
//! Every one is a flag of `orgpool assess`; the defaults are orgpool's
//! judgement, stated here so a reader can disagree with a number rather than
//! with hidden code.

use serde::Serialize;

/// Thresholds of the break-up / import-whole decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    /// Days of billing data, ending at the last hour with usage, that decide
    /// whether an account is active. Default 30.
    pub activity_days: u32,
    /// An account is active when its usage spend over those days is above
    /// this, in the billing currency. Default 10.00: an idle account's
    /// leftovers (a log bucket, a KMS key, a trail) stay below it, while one
    /// t3.micro running all month (about 7.50 USD) is near it and anything
    /// larger is above.
    pub active_usage: f64,
    /// Break up only when at most this many accounts are active. Default 1
    /// (the rule: one account, or one active account among unused ones).
    pub break_up_max_active_accounts: usize,
    /// The setup is too complex to break when it has at least this many
    /// accounts that are not suspended. Default 25.
    pub complex_accounts: usize,
    /// … or OUs nested at least this deep below the root. Default 3.
    pub complex_ou_depth: usize,
    /// … or at least this many custom (not AWS-managed) organization policies.
    /// Default 10.
    pub complex_policies: usize,
    /// An account the organization created less than this many days before
    /// the inventory cannot leave yet (AWS Organizations User Guide, "Leave an
    /// organization as a member account": 7 days). Default 7.
    pub min_account_age_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            activity_days: 30,
            active_usage: 10.0,
            break_up_max_active_accounts: 1,
            complex_accounts: 25,
            complex_ou_depth: 3,
            complex_policies: 10,
            min_account_age_days: 7,
        }
    }
}
