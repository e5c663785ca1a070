//! Checks that a move lost nothing: two bundles of one organization, taken
//! before and after, compared item by item (`orgpool org diff`).
//!
//! Each kind of item is matched by a natural key that survives the move,
//! never by an ID AWS gives anew: an OU by its path of names
//! (`Root/Workloads/Production`), a policy by its type and name, an account
//! by its ID, a role or a resource policy by its ARN, an Identity Center
//! assignment by account, permission set name and principal. What the items
//! point at is compared the same way: an account's parent and a policy's
//! targets as OU paths. Times that say only when something was read
//! (`generated_at`) are left out.
//!
//! An item of `before` missing from `after` is **lost**; one whose compared
//! fields differ is **changed** (the fields are named); one only in `after`
//! is **added**, which is no loss. A read that failed in `after` but not in
//! `before` (a new [`Gap`]) leaves its items **unverified**: not read is not
//! "still there". Nothing is lost when there is nothing lost, changed or
//! unverified.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use orgpool_model::{Gap, OrgBundle};
use serde::Serialize;
use serde_json::{Value, json};

use crate::spelling;

/// What happened to one item between the two bundles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In `before`, not in `after`.
    Lost,
    /// In both, with different compared fields.
    Changed,
    /// In `after` only.
    Added,
}

/// One item that differs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Difference {
    /// What changed.
    pub change: Change,
    /// The kind of item (`account`, `policy`, `sso_assignment`, …).
    pub kind: &'static str,
    /// Its natural key.
    pub key: String,
    /// For a changed item, the fields that differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Items compared, by kind (counted in `before`).
    pub compared: BTreeMap<&'static str, usize>,
    /// Every item lost, changed or added, by change, kind and key.
    pub differences: Vec<Difference>,
    /// Reads that failed in `after` but not in `before`.
    pub unverified: Vec<Gap>,
}

impl Comparison {
    /// True when nothing was lost or changed and every read of `before` was
    /// made again.
    pub fn nothing_lost(&self) -> bool {
        self.unverified.is_empty() && self.differences.iter().all(|d| d.change == Change::Added)
    }

    /// The differences of one kind of change.
    pub fn of(&self, change: Change) -> impl Iterator<Item = &Difference> {
        self.differences.iter().filter(move |d| d.change == change)
    }
}

/// How to compare.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The OU path of `after` that stands for `before`'s root, when the
    /// accounts moved into another organization under a replay of their
    /// structure (`orgpool org replay`): only that subtree of `after` is
    /// compared, its paths read from `before`'s root; of the accounts only
    /// `before`'s active ones (a suspended account does not move), and not
    /// when or how they joined; neither the organization, its root nor the
    /// AWS managed policies (they differ by design).
    pub after_root: Option<String>,
    /// Only these kinds of item (all when empty).
    pub kinds: Vec<String>,
    /// Taken off the front of `after`'s policy names (the replay's
    /// `PolicyNamePrefix`), so that they match `before`'s.
    pub policy_prefix: Option<String>,
}

/// Every kind of item compared, in the order reports list them.
pub const KINDS: [&str; 21] = [
    "organization",
    "root",
    "organizational_unit",
    "account",
    "policy",
    "trusted_service",
    "delegated_administrator",
    "sso_instance",
    "sso_permission_set",
    "sso_user",
    "sso_group",
    "sso_group_membership",
    "sso_assignment",
    "cloudtrail_trail",
    "config_aggregator",
    "security_service_admin",
    "ram_share",
    "iam_role",
    "stack_set",
    "resource_policy",
    "identity_policy",
];

/// Compares two bundles of one organization.
pub fn compare(before: &OrgBundle, after: &OrgBundle) -> Comparison {
    compare_items(
        Items::of(before, &Paths::new(before)),
        Items::of(after, &Paths::new(after)),
        before,
        after,
    )
}

/// Compares two bundles as `options` says. An error names an `after_root`
/// that `after` does not hold, or a kind that does not exist.
pub fn compare_with(
    before: &OrgBundle,
    after: &OrgBundle,
    options: &Options,
) -> Result<Comparison, String> {
    if let Some(kind) = options.kinds.iter().find(|k| !KINDS.contains(&k.as_str())) {
        return Err(format!(
            "no kind of item is called {kind:?}; kinds: {}",
            KINDS.join(", ")
        ));
    }
    let after = without_policy_prefix(after, options.policy_prefix.as_deref());
    let mut b = Items::of(before, &Paths::new(before));
    let mut a = match &options.after_root {
        None => Items::of(&after, &Paths::new(&after)),
        Some(path) => {
            let root = before.roots.first().map_or("Root", |r| r.name.as_str());
            let paths = Paths::new(&after).rebased(path, root).ok_or_else(|| {
                format!("{path:?} is no OU path of the bundle after the move (paths start with the root's name, as `orgpool org show` prints the tree)")
            })?;
            let mut items = Items::of(&after, &paths);
            if let Some(ous) = items.by_kind.get_mut("organizational_unit") {
                ous.retain(|key, _| paths.inside(key));
            }
            items
        }
    };
    if options.after_root.is_some() {
        keep_what_moved(before, &after, &mut b, &mut a);
    }
    if !options.kinds.is_empty() {
        let keep = |k: &&str| options.kinds.iter().any(|w| w == k);
        b.by_kind.retain(|k, _| keep(k));
        a.by_kind.retain(|k, _| keep(k));
    }
    Ok(compare_items(b, a, before, &after))
}

/// `after` with `prefix` taken off the front of its policy names (a copy
/// only when there is a prefix).
fn without_policy_prefix<'a>(after: &'a OrgBundle, prefix: Option<&str>) -> Cow<'a, OrgBundle> {
    let Some(prefix) = prefix else {
        return Cow::Borrowed(after);
    };
    let mut copy = after.clone();
    for p in &mut copy.policies {
        if let Some(name) = p.name.strip_prefix(prefix) {
            p.name = name.to_owned();
        }
    }
    Cow::Owned(copy)
}

/// After a break-up, what of the two bundles is compared: `before`'s active
/// accounts (a suspended account does not move) and `after`'s of them, not
/// when or how they joined (they joined the payer anew: by invitation, and
/// later); neither organization nor root, nor the AWS managed policies
/// (every organization has its own).
fn keep_what_moved(before: &OrgBundle, after: &OrgBundle, b: &mut Items, a: &mut Items) {
    use orgpool_model::AccountStatus;
    let managed: BTreeSet<String> = [before, after]
        .iter()
        .flat_map(|x| x.policies.iter())
        .filter(|p| p.aws_managed)
        .map(policy_key)
        .collect();
    let active = |id: &String| {
        before
            .accounts
            .iter()
            .any(|a| a.id == *id && a.status == AccountStatus::Active)
    };
    let known = |id: &String| before.accounts.iter().any(|a| a.id == *id);
    for (items, keep) in [(b, &active as &dyn Fn(&String) -> bool), (a, &known)] {
        items.by_kind.remove("organization");
        items.by_kind.remove("root");
        if let Some(accounts) = items.by_kind.get_mut("account") {
            accounts.retain(|id, _| keep(id));
            for account in accounts.values_mut().filter_map(Value::as_object_mut) {
                account.remove("joined_method");
                account.remove("joined_timestamp");
            }
        }
        if let Some(policies) = items.by_kind.get_mut("policy") {
            policies.retain(|key, _| !managed.contains(key));
        }
    }
}

fn compare_items(b: Items, a: Items, before: &OrgBundle, after: &OrgBundle) -> Comparison {
    let mut out = Comparison {
        compared: BTreeMap::new(),
        differences: Vec::new(),
        unverified: new_gaps(before, after),
    };
    for (kind, before_items) in &b.by_kind {
        let empty = BTreeMap::new();
        let after_items = a.by_kind.get(kind).unwrap_or(&empty);
        out.compared.insert(kind, before_items.len());
        diff_kind(kind, before_items, after_items, &mut out.differences);
    }
    for (kind, after_items) in &a.by_kind {
        if !b.by_kind.contains_key(kind) {
            out.compared.insert(kind, 0);
            diff_kind(kind, &BTreeMap::new(), after_items, &mut out.differences);
        }
    }
    out.differences.sort();
    out
}

/// The differences between one kind's items, by key.
fn diff_kind(
    kind: &'static str,
    before: &BTreeMap<String, Value>,
    after: &BTreeMap<String, Value>,
    out: &mut Vec<Difference>,
) {
    let difference = |change, key: &String, fields| Difference {
        change,
        kind,
        key: key.clone(),
        fields,
    };
    for (key, was) in before {
        match after.get(key) {
            None => out.push(difference(Change::Lost, key, Vec::new())),
            Some(is) if is != was => {
                out.push(difference(Change::Changed, key, changed_fields(was, is)))
            }
            Some(_) => {}
        }
    }
    for key in after.keys().filter(|k| !before.contains_key(*k)) {
        out.push(difference(Change::Added, key, Vec::new()));
    }
}

/// The top-level fields whose values differ between two objects.
fn changed_fields(was: &Value, is: &Value) -> Vec<String> {
    let (Some(was), Some(is)) = (was.as_object(), is.as_object()) else {
        return vec!["value".to_owned()];
    };
    let names: BTreeSet<&String> = was.keys().chain(is.keys()).collect();
    names
        .into_iter()
        .filter(|n| was.get(*n) != is.get(*n))
        .cloned()
        .collect()
}

/// The gaps of `after` that `before` did not have (by scope and API).
fn new_gaps(before: &OrgBundle, after: &OrgBundle) -> Vec<Gap> {
    let known: BTreeSet<(&str, &str)> = before
        .gaps
        .iter()
        .map(|g| (g.scope.as_str(), g.api.as_str()))
        .collect();
    after
        .gaps
        .iter()
        .filter(|g| !known.contains(&(g.scope.as_str(), g.api.as_str())))
        .cloned()
        .collect()
}

/// A bundle's items, by kind, then by natural key, each as the JSON of the
/// fields compared.
struct Items {
    by_kind: BTreeMap<&'static str, BTreeMap<String, Value>>,
}

impl Items {
    fn of(b: &OrgBundle, paths: &Paths) -> Self {
        let mut items = Items {
            by_kind: BTreeMap::new(),
        };
        let o = &b.organization;
        items.add("organization", "organization", json!({
            "id": o.id, "feature_set": o.feature_set, "management_account_id": o.management_account_id,
        }));
        for r in &b.roots {
            let types: BTreeSet<String> = r.enabled_policy_types.iter().map(spelling).collect();
            items.add("root", &r.name, json!({ "enabled_policy_types": types }));
        }
        for ou in &b.organizational_units {
            items.add("organizational_unit", &paths.path(&ou.id), json!({}));
        }
        for a in &b.accounts {
            items.add(
                "account",
                &a.id,
                json!({
                    "name": a.name, "email": a.email, "status": a.status,
                    "joined_method": a.joined_method, "joined_timestamp": a.joined_timestamp,
                    "parent": paths.path(&a.parent_id),
                }),
            );
        }
        for p in &b.policies {
            let targets: BTreeSet<String> = p.targets.iter().map(|t| paths.path(t)).collect();
            let key = policy_key(p);
            items.add(
                "policy",
                &key,
                json!({
                    "description": p.description, "content": p.content, "targets": targets,
                }),
            );
        }
        for t in &b.trusted_services {
            items.add("trusted_service", &t.service_principal, json!({}));
        }
        for d in &b.delegated_administrators {
            items.add(
                "delegated_administrator",
                &format!("{} {}", d.account_id, d.service_principal),
                json!({}),
            );
        }
        items.add_identity_center(b);
        items.add_all("cloudtrail_trail", &b.cloudtrail_trails, |t| t.arn.clone());
        items.add_all("config_aggregator", &b.config_aggregators, |c| {
            c.arn.clone()
        });
        items.add_all("security_service_admin", &b.security_service_admins, |s| {
            format!("{} {}", s.service, s.region)
        });
        items.add_all("ram_share", &b.ram_shares, |s| s.arn.clone());
        items.add_all("iam_role", &b.iam_roles, |r| r.arn.clone());
        items.add_all("stack_set", &b.stack_sets, |s| s.name.clone());
        items.add_all("resource_policy", &b.resource_policies, |p| p.arn.clone());
        items.add_all("identity_policy", &b.identity_policies, |p| p.label());
        items
    }

    fn add(&mut self, kind: &'static str, key: &str, value: Value) {
        self.by_kind
            .entry(kind)
            .or_default()
            .insert(key.to_owned(), value);
    }

    /// Items compared whole (every field), keyed by `key`.
    fn add_all<T: Serialize>(
        &mut self,
        kind: &'static str,
        items: &[T],
        key: impl Fn(&T) -> String,
    ) {
        // The kind is listed even when it has no item.
        self.by_kind.entry(kind).or_default();
        for item in items {
            let value = serde_json::to_value(item).unwrap_or(Value::Null);
            self.add(kind, &key(item), value);
        }
    }

    /// Identity Center, by names rather than by the IDs a new instance would
    /// give: permission sets by name, users by user name, groups by display
    /// name, assignments and memberships by those.
    fn add_identity_center(&mut self, b: &OrgBundle) {
        for i in &b.identity_center {
            self.add("sso_instance", &i.instance_arn, json!({ "owner_account_id": i.owner_account_id, "identity_store_id": i.identity_store_id }));
            let set_name = |arn: &str| {
                i.permission_sets
                    .iter()
                    .find(|p| p.arn == arn)
                    .map_or_else(|| arn.to_owned(), |p| p.name.clone())
            };
            let user_name = |id: &str| {
                i.users
                    .iter()
                    .find(|u| u.id == id)
                    .map_or_else(|| format!("user {id}"), |u| format!("user {}", u.user_name))
            };
            let group_name = |id: &str| {
                i.groups.iter().find(|g| g.id == id).map_or_else(
                    || format!("group {id}"),
                    |g| format!("group {}", g.display_name),
                )
            };
            for p in &i.permission_sets {
                let managed: BTreeSet<_> = p.managed_policies.iter().collect();
                let customer: BTreeSet<_> = p.customer_managed_policies.iter().collect();
                self.add(
                    "sso_permission_set",
                    &p.name,
                    json!({
                        "description": p.description, "session_duration": p.session_duration,
                        "managed_policies": managed, "customer_managed_policies": customer,
                        "inline_policy": p.inline_policy,
                    }),
                );
            }
            for u in &i.users {
                let emails: BTreeSet<_> = u.emails.iter().collect();
                self.add(
                    "sso_user",
                    &u.user_name,
                    json!({ "display_name": u.display_name, "emails": emails }),
                );
            }
            for g in &i.groups {
                self.add(
                    "sso_group",
                    &g.display_name,
                    json!({ "description": g.description }),
                );
            }
            for m in &i.group_memberships {
                let key = format!("{} in {}", user_name(&m.user_id), group_name(&m.group_id));
                self.add("sso_group_membership", &key, json!({}));
            }
            for a in &i.account_assignments {
                let principal = match a.principal_type {
                    orgpool_model::PrincipalType::User => user_name(&a.principal_id),
                    orgpool_model::PrincipalType::Group => group_name(&a.principal_id),
                };
                let key = format!(
                    "{} {} {principal}",
                    a.account_id,
                    set_name(&a.permission_set_arn)
                );
                self.add("sso_assignment", &key, json!({}));
            }
        }
    }
}

/// A policy's natural key: its type and name.
fn policy_key(p: &orgpool_model::Policy) -> String {
    format!("{}/{}", spelling(&p.policy_type), p.name)
}

/// Each root's and OU's path of names from its root (`Root/Workloads/Prod`);
/// an account ID or any other target stays as it is.
struct Paths {
    by_id: BTreeMap<String, String>,
    /// After [`Paths::rebased`], the new root's name.
    root: Option<String>,
}

impl Paths {
    fn new(b: &OrgBundle) -> Self {
        let mut by_id: BTreeMap<String, String> = b
            .roots
            .iter()
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect();
        // Parents before children: at most as many passes as the tree is deep.
        let mut left: Vec<_> = b.organizational_units.iter().collect();
        while !left.is_empty() {
            let before = left.len();
            left.retain(|ou| match by_id.get(&ou.parent_id).cloned() {
                Some(parent) => {
                    by_id.insert(ou.id.clone(), format!("{parent}/{}", ou.name));
                    false
                }
                None => true,
            });
            if left.len() == before {
                // Parents outside the bundle: name those OUs from where the
                // tree breaks.
                for ou in left.drain(..) {
                    by_id.insert(ou.id.clone(), format!("{}/{}", ou.parent_id, ou.name));
                }
            }
        }
        Paths { by_id, root: None }
    }

    /// The paths under `path` read from `root` instead (`Root/Customers/Acme/Prod`
    /// becomes `Root/Prod` when `path` is `Root/Customers/Acme`); none when no
    /// root or OU has that path.
    fn rebased(mut self, path: &str, root: &str) -> Option<Self> {
        if !self.by_id.values().any(|p| p == path) {
            return None;
        }
        let prefix = format!("{path}/");
        for p in self.by_id.values_mut() {
            if p == path {
                *p = root.to_owned();
            } else if let Some(rest) = p.strip_prefix(&prefix) {
                *p = format!("{root}/{rest}");
            } else {
                // Outside the subtree: kept apart from every path inside it.
                *p = format!("(outside) {p}");
            }
        }
        self.root = Some(root.to_owned());
        Some(self)
    }

    /// Whether a path is inside the rebased subtree (and not its root).
    fn inside(&self, path: &str) -> bool {
        self.root
            .as_ref()
            .is_none_or(|root| path.starts_with(&format!("{root}/")))
    }

    fn path(&self, id: &str) -> String {
        self.by_id.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}
