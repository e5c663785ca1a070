//! Whether the service control policies let an account call
//! `organizations:LeaveOrganization`.
//!
//! Rules (AWS Organizations User Guide, "SCP evaluation"): an action is
//! allowed for a member account only when an SCP attached at *every* level —
//! the root, each OU on the path, and the account itself — allows it, and no
//! SCP at any level denies it. An explicit `Deny` wins. `Action` and
//! `NotAction` take `*` and `?` wildcards and compare case-insensitively. SCPs
//! never restrict the management account. A deny with a `Condition` is
//! reported as such: whether it applies depends on the caller.

use orgpool_model::{Account, FeatureSet, Policy, PolicyType};

use crate::facts::Facts;

/// The action an account calls to leave.
pub const LEAVE_ACTION: &str = "organizations:LeaveOrganization";

/// Why the SCPs stop an account leaving.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveDenial {
    /// The policies at fault.
    pub policy_ids: Vec<String>,
    /// Where they are attached (root, OU or account ID).
    pub target_id: String,
    /// True for an explicit deny; false when no SCP at that level allows it.
    pub explicit_deny: bool,
    /// True when the deny carries a condition.
    pub conditional: bool,
}

/// The SCP denials that stop `account` leaving, nearest level first.
pub fn leave_denials(facts: &Facts<'_>, account: &Account) -> Vec<LeaveDenial> {
    let bundle = facts.bundle;
    if bundle.organization.feature_set != FeatureSet::All
        || account.id == bundle.organization.management_account_id
    {
        return Vec::new();
    }
    let mut levels = vec![account.id.as_str()];
    levels.extend(facts.ancestors(account));
    let mut out = Vec::new();
    for level in levels {
        let attached: Vec<&Policy> = bundle
            .policies
            .iter()
            .filter(|p| p.policy_type == PolicyType::ServiceControlPolicy)
            .filter(|p| p.targets.iter().any(|t| t == level))
            .collect();
        for p in &attached {
            let denies: Vec<&serde_json::Value> = statements(&p.content)
                .into_iter()
                .filter(|s| effect(s) == "Deny" && covers(s, LEAVE_ACTION))
                .collect();
            if !denies.is_empty() {
                out.push(LeaveDenial {
                    policy_ids: vec![p.id.clone()],
                    target_id: level.to_owned(),
                    explicit_deny: true,
                    conditional: denies.iter().all(|s| s.get("Condition").is_some()),
                });
            }
        }
        // A level with nothing attached was not read (AWS requires one SCP per
        // entity while SCPs are enabled): say nothing rather than guess.
        let allowed = attached.iter().any(|p| {
            statements(&p.content)
                .into_iter()
                .any(|s| effect(s) == "Allow" && covers(s, LEAVE_ACTION))
        });
        if !attached.is_empty() && !allowed {
            out.push(LeaveDenial {
                policy_ids: attached.iter().map(|p| p.id.clone()).collect(),
                target_id: level.to_owned(),
                explicit_deny: false,
                conditional: false,
            });
        }
    }
    out
}

fn statements(content: &serde_json::Value) -> Vec<&serde_json::Value> {
    as_list(content.get("Statement"))
}

fn effect(statement: &serde_json::Value) -> &str {
    statement
        .get("Effect")
        .and_then(|e| e.as_str())
        .unwrap_or("")
}

/// True when the statement's `Action` (or `NotAction`) covers `action`.
fn covers(statement: &serde_json::Value, action: &str) -> bool {
    let matches_any = |key: &str| {
        as_list(statement.get(key))
            .iter()
            .filter_map(|v| v.as_str())
            .any(|pattern| wildcard_match(pattern, action))
    };
    if statement.get("Action").is_some() {
        matches_any("Action")
    } else if statement.get("NotAction").is_some() {
        !matches_any("NotAction")
    } else {
        false
    }
}

fn as_list(value: Option<&serde_json::Value>) -> Vec<&serde_json::Value> {
    match value {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` one; case-insensitive.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let t: Vec<char> = text.to_ascii_lowercase().chars().collect();
    // Classic two-pointer glob with backtracking to the last `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_does() {
        for (pattern, yes) in [
            ("organizations:LeaveOrganization", true),
            ("ORGANIZATIONS:leaveorganization", true),
            ("organizations:*", true),
            ("*", true),
            ("organizations:Leave*", true),
            ("organizations:?eaveOrganization", true),
            ("organizations:Leave", false),
            ("organizations:Describe*", false),
            ("iam:*", false),
            ("*:LeaveOrganization", true),
        ] {
            assert_eq!(wildcard_match(pattern, LEAVE_ACTION), yes, "{pattern}");
        }
    }

    #[test]
    fn not_action_covers_what_it_does_not_list() {
        let s = serde_json::json!({"Effect": "Deny", "NotAction": ["iam:*", "sts:*"]});
        assert!(covers(&s, LEAVE_ACTION));
        let s = serde_json::json!({"Effect": "Deny", "NotAction": "organizations:*"});
        assert!(!covers(&s, LEAVE_ACTION));
    }
}
