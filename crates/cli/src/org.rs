//! `orgpool discover` and `orgpool org show`: take an organization's inventory
//! live from AWS into a bundle, and show a bundle as its OU tree.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{Context, Result};
use orgpool_model::OrgBundle;
use orgpool_org::OrgError;
use orgpool_org::live::DiscoverOptions;
use serde_json::json;

use crate::BadInput;
use crate::args::{DiscoverArgs, Format, FromCliArgs, OrgDiffArgs, OrgShowArgs};
use crate::render::{Section, render};

/// An inventory error, as bad input (exit 2) where the user can fix it.
pub fn org_error(e: OrgError) -> anyhow::Error {
    if e.is_bad_input() {
        anyhow::Error::new(BadInput::from_error(&e))
    } else {
        anyhow::Error::new(e)
    }
}

/// `orgpool discover`: reads the organization and writes the bundle.
pub fn discover(args: &DiscoverArgs, format: Format) -> Result<String> {
    let Some(out) = &args.out else {
        // --print-policy: the policy is the output, whatever --format says.
        let policy = orgpool_org::live::required_policy(&args.member_role);
        return Ok(serde_json::to_string_pretty(&policy)? + "\n");
    };
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let access = crate::aws::access(&args.aws);
    let config = runtime.block_on(orgpool_org::aws::load_config(&access));
    let options = DiscoverOptions {
        concurrency: args.concurrency as usize,
        detail: Some(describe_access(&access)),
        members: orgpool_org::live::MemberAccess {
            role_name: args.member_role.clone(),
            external_id: args.external_id.clone(),
        },
        regions: args.regions.clone(),
        resource_policies: !args.no_resource_policies,
        identity_policies: !args.no_identity_policies,
        progress: std::sync::Arc::new(Spinner::new()),
    };
    let found = runtime
        .block_on(orgpool_org::live::discover(&config, &options))
        .map_err(org_error)?;
    orgpool_org::write_bundle(&found.bundle, out).map_err(org_error)?;
    let b = &found.bundle;
    let seconds = started.elapsed().as_secs_f64();
    let counts = [
        ("accounts", b.accounts.len()),
        ("organizational units", b.organizational_units.len()),
        ("policies", b.policies.len()),
        ("trusted services", b.trusted_services.len()),
        ("delegated administrators", b.delegated_administrators.len()),
        ("identity center instances", b.identity_center.len()),
        ("cloudtrail trails", b.cloudtrail_trails.len()),
        ("config aggregators", b.config_aggregators.len()),
        ("ram shares", b.ram_shares.len()),
        ("stack sets", b.stack_sets.len()),
        ("iam roles", b.iam_roles.len()),
        ("resource policies", b.resource_policies.len()),
        ("identity policies", b.identity_policies.len()),
        ("gaps", b.gaps.len()),
    ];
    let mut summary = Section::new(
        &format!("Discovered organization {}", b.organization.id),
        &["item", "value"],
    );
    summary.row(["bundle".to_owned(), out.display().to_string()]);
    summary.row(["regions read".to_owned(), found.regions.join(", ")]);
    for (k, v) in counts {
        summary.row([k.to_owned(), v.to_string()]);
    }
    let cross_account = b
        .iam_roles
        .iter()
        .filter(|r| r.trust_analysis().is_cross_account())
        .count();
    let org_bound = b
        .iam_roles
        .iter()
        .filter(|r| !r.trust_analysis().org_condition_keys.is_empty())
        .count();
    summary.row([
        "IAM roles read (member accounts)".to_owned(),
        found.roles_read.to_string(),
    ]);
    summary.row(["cross-account roles".to_owned(), cross_account.to_string()]);
    summary.row([
        "roles with organization conditions".to_owned(),
        org_bound.to_string(),
    ]);
    summary.row([
        "resource policies read (all accounts)".to_owned(),
        found.resource_policies_read.to_string(),
    ]);
    summary.row([
        "identity policies read (all accounts)".to_owned(),
        found.identity_policies_read.to_string(),
    ]);
    summary.row(["API calls".to_owned(), found.api_calls.to_string()]);
    summary.row(["seconds".to_owned(), format!("{seconds:.1}")]);
    let mut gaps = Section::new("Gaps (not read)", &["scope", "API", "error"]);
    for g in &b.gaps {
        gaps.row([g.scope.clone(), g.api.clone(), g.error.clone()]);
    }
    let json = json!({
        "schema_version": 1,
        "bundle": out,
        "organization": b.organization.id,
        "counts": counts.iter().map(|(k, v)| (k.replace(' ', "_"), *v)).collect::<BTreeMap<_, _>>(),
        "regions": found.regions,
        "api_calls": found.api_calls,
        "seconds": seconds,
        "gaps": b.gaps,
    });
    let mut sections = vec![summary];
    if !b.gaps.is_empty() {
        sections.push(gaps);
    }
    Ok(render(format, &json, &sections))
}

/// A spinner on stderr with the stage and the API calls so far; indicatif
/// draws nothing when stderr is not a terminal.
struct Spinner(indicatif::ProgressBar);

impl Spinner {
    fn new() -> Self {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} discovering {prefix}: {pos} API calls",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Spinner(bar)
    }
}

impl orgpool_org::live::Progress for Spinner {
    fn stage(&self, name: &str) {
        self.0.set_prefix(name.to_owned());
    }
    fn calls(&self, calls: u64) {
        self.0.set_position(calls);
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

fn describe_access(access: &orgpool_org::aws::AwsAccess) -> String {
    let mut parts = vec!["live discovery".to_owned()];
    if let Some(p) = &access.profile {
        parts.push(format!("profile {p}"));
    }
    if let Some(r) = &access.region {
        parts.push(format!("region {r}"));
    }
    if let Some(e) = &access.endpoint_url {
        parts.push(format!("endpoint {e}"));
    }
    parts.join(", ")
}

/// `orgpool org from-cli`: a bundle from saved CLI outputs, written to `--out`
/// (then a one-line summary is printed) or to standard output.
pub fn from_cli(args: &FromCliArgs) -> Result<String> {
    let bundle = orgpool_org::from_cli::read(&args.dir).map_err(org_error)?;
    for gap in &bundle.gaps {
        tracing::warn!("{}: {} ({})", gap.scope, gap.api, gap.error);
    }
    match &args.out {
        Some(path) => {
            orgpool_org::write_bundle(&bundle, path).map_err(org_error)?;
            Ok(format!(
                "wrote {} ({} accounts, {} OUs, {} policies, {} roles, {} resource policies, \
                 {} identity policies, {} gaps)\n",
                path.display(),
                bundle.accounts.len(),
                bundle.organizational_units.len(),
                bundle.policies.len(),
                bundle.iam_roles.len(),
                bundle.resource_policies.len(),
                bundle.identity_policies.len(),
                bundle.gaps.len()
            ))
        }
        None => Ok(serde_json::to_string_pretty(&bundle)? + "\n"),
    }
}

/// `orgpool org show`: the OU tree with accounts, policies and delegated admins.
pub fn show(args: &OrgShowArgs, format: Format) -> Result<String> {
    let bundle = orgpool_org::read_bundle(&args.bundle).map_err(org_error)?;
    let tree = Tree::new(&bundle);
    let roots: Vec<serde_json::Value> = bundle.roots.iter().map(|r| tree.json(&r.id)).collect();
    let json = json!({
        "schema_version": 1,
        "organization": bundle.organization,
        "roots": roots,
        "gaps": bundle.gaps,
    });
    let mut section = Section::new(
        &format!(
            "Organization {} (management account {})",
            bundle.organization.id, bundle.organization.management_account_id
        ),
        &["tree", "id", "status", "policies", "delegated admin for"],
    );
    for r in &bundle.roots {
        tree.rows(&r.id, 0, &mut section);
    }
    Ok(render(format, &json, &[section]))
}

/// `orgpool org diff`: what of BEFORE is lost, changed or unverified in
/// AFTER, and what was added; with whether nothing was lost.
pub fn diff(args: &OrgDiffArgs, format: Format) -> Result<(String, bool)> {
    let before = orgpool_org::read_bundle(&args.before).map_err(org_error)?;
    let after = orgpool_org::read_bundle(&args.after).map_err(org_error)?;
    let options = orgpool_assess::compare::Options {
        after_root: args.after_root.clone(),
        kinds: args.kinds.clone(),
        policy_prefix: args.policy_prefix.clone(),
    };
    let c = orgpool_assess::compare::compare_with(&before, &after, &options).map_err(BadInput)?;
    use orgpool_assess::compare::Change;
    let listed = |change| -> Vec<&orgpool_assess::compare::Difference> { c.of(change).collect() };
    let (lost, changed, added) = (
        listed(Change::Lost),
        listed(Change::Changed),
        listed(Change::Added),
    );
    let json = json!({
        "schema_version": 1,
        "before": {"bundle": args.before, "organization": before.organization.id, "generated_at": before.generated_at},
        "after": {"bundle": args.after, "organization": after.organization.id, "generated_at": after.generated_at},
        "nothing_lost": c.nothing_lost(),
        "compared": c.compared,
        "lost": lost,
        "changed": changed,
        "added": added,
        "unverified": c.unverified,
    });
    let verdict = if c.nothing_lost() {
        "nothing lost"
    } else {
        "LOST OR CHANGED ITEMS"
    };
    let mut summary = Section::new(
        &format!(
            "{} → {}: {verdict}",
            args.before.display(),
            args.after.display()
        ),
        &["item", "compared", "lost", "changed", "added"],
    );
    for (kind, count) in &c.compared {
        let of = |list: &[&orgpool_assess::compare::Difference]| {
            list.iter().filter(|d| d.kind == *kind).count().to_string()
        };
        summary.row([
            (*kind).to_owned(),
            count.to_string(),
            of(&lost),
            of(&changed),
            of(&added),
        ]);
    }
    let mut details = Section::new("Differences", &["change", "item", "key", "fields"]);
    for d in lost.iter().chain(&changed).chain(&added) {
        let change = match d.change {
            Change::Lost => "lost",
            Change::Changed => "changed",
            Change::Added => "added",
        };
        details.row([
            change.to_owned(),
            d.kind.to_owned(),
            d.key.clone(),
            d.fields.join(", "),
        ]);
    }
    let mut unread = Section::new(
        "Not read after the move (unverified)",
        &["scope", "API", "error"],
    );
    for g in &c.unverified {
        unread.row([g.scope.clone(), g.api.clone(), g.error.clone()]);
    }
    let mut sections = vec![summary];
    if !c.differences.is_empty() {
        sections.push(details);
    }
    if !c.unverified.is_empty() {
        sections.push(unread);
    }
    Ok((render(format, &json, &sections), c.nothing_lost()))
}

/// The bundle indexed by parent, for walking the OU tree.
struct Tree<'a> {
    bundle: &'a OrgBundle,
    policies: BTreeMap<&'a str, Vec<&'a str>>,
    delegated: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> Tree<'a> {
    fn new(bundle: &'a OrgBundle) -> Self {
        let mut policies: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for p in &bundle.policies {
            for t in &p.targets {
                policies
                    .entry(t.as_str())
                    .or_default()
                    .push(p.name.as_str());
            }
        }
        let mut delegated: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for d in &bundle.delegated_administrators {
            delegated
                .entry(d.account_id.as_str())
                .or_default()
                .push(d.service_principal.as_str());
        }
        Tree {
            bundle,
            policies,
            delegated,
        }
    }

    fn name(&self, id: &str) -> String {
        if let Some(r) = self.bundle.roots.iter().find(|r| r.id == id) {
            return r.name.clone();
        }
        self.bundle
            .organizational_units
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| o.name.clone())
    }

    fn policies_of(&self, id: &str) -> Vec<&'a str> {
        self.policies.get(id).cloned().unwrap_or_default()
    }

    fn json(&self, id: &str) -> serde_json::Value {
        let children: Vec<serde_json::Value> = self
            .bundle
            .organizational_units
            .iter()
            .filter(|o| o.parent_id == id)
            .map(|o| self.json(&o.id))
            .collect();
        let accounts: Vec<serde_json::Value> = self
            .bundle
            .accounts
            .iter()
            .filter(|a| a.parent_id == id)
            .map(|a| {
                json!({
                    "id": a.id,
                    "name": a.name,
                    "status": a.status,
                    "joined_method": a.joined_method,
                    "policies": self.policies_of(&a.id),
                    "delegated_admin_for": self.delegated.get(a.id.as_str()).cloned().unwrap_or_default(),
                })
            })
            .collect();
        json!({
            "id": id,
            "name": self.name(id),
            "policies": self.policies_of(id),
            "accounts": accounts,
            "organizational_units": children,
        })
    }

    fn rows(&self, id: &str, depth: usize, out: &mut Section) {
        let indent = "  ".repeat(depth);
        let marker = if depth == 0 { "" } else { "└ " };
        out.row([
            format!("{indent}{marker}{}", self.name(id)),
            id.to_owned(),
            if depth == 0 { "root" } else { "OU" }.to_owned(),
            self.policies_of(id).join(", "),
            String::new(),
        ]);
        for a in self.bundle.accounts.iter().filter(|a| a.parent_id == id) {
            let status = serde_json::to_value(a.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            out.row([
                format!("{indent}  · {}", a.name),
                a.id.clone(),
                status,
                self.policies_of(&a.id).join(", "),
                self.delegated
                    .get(a.id.as_str())
                    .map(|d| d.join(", "))
                    .unwrap_or_default(),
            ]);
        }
        for ou in self
            .bundle
            .organizational_units
            .iter()
            .filter(|o| o.parent_id == id)
        {
            self.rows(&ou.id, depth + 1, out);
        }
    }
}
