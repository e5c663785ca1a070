//! The runbook: ordered steps for the chosen path, per account where that
//! applies, each with the exact AWS CLI command, a pre-check and a rollback.
//!
//! Placeholders are in `<ANGLE_BRACKETS>`: `<PROFILE_…>` for credentials of
//! the account named, `<HANDSHAKE_ID>`, `<TRANSFER_ARN>`, `<BUCKET>`, …
//!
//! `break_up` (AWS Organizations User Guide, "Leave an organization" and
//! "Remove a member account"): export the configuration; deregister
//! delegated administrators; replace organization-wide logging with account
//! trails; make RAM shares explicit; keep StackSet stacks; record Identity
//! Center access; rewrite organization-conditioned trust, resource and
//! identity policies; lift SCPs that deny the leave; remove each member; delete the
//! organization; accept the payer's invitation in every account; replay the
//! OUs and custom policies in the payer's organization (`replay`) and put each
//! account back in its OU.
//!
//! `import_whole` (AWS Organizations "billing transfer",
//! `InviteOrganizationToTransferResponsibility`, and Billing Conductor, "Billing
//! groups": with billing transfer a billing group maps one-to-one to the
//! transferring organization and must hold all its accounts): export the
//! configuration and check it is complete; the payer invites the organization
//! to transfer its billing; the management account accepts; the payer creates
//! the billing transfer's billing group, with the OU structure kept inside the
//! organization; recreate the OU structure on the payer's side as a cost
//! category (AWS Cost Categories: a rule per OU path matching `LINKED_ACCOUNT`),
//! since the one billing group cannot; discover again and compare.

use orgpool_model::{
    AccountStatus, IdentityPolicyKind, ResourcePolicy, ResourceService, StackSetPermissionModel,
};

use crate::facts::{Facts, OrgKeyedIdentity, OrgKeyedResource};
use crate::report::{AccountReport, Path, Step};

struct Book {
    steps: Vec<Step>,
}

impl Book {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        action: &str,
        account: Option<&str>,
        run_as: String,
        title: String,
        command: String,
        pre_check: String,
        rollback: String,
    ) {
        self.steps.push(Step {
            order: self.steps.len() + 1,
            action: action.to_owned(),
            account_id: account.map(str::to_owned),
            run_as,
            title,
            command,
            pre_check,
            rollback,
        });
    }
}

fn as_account(id: &str) -> String {
    format!("account {id}")
}

fn profile(id: &str) -> String {
    format!("--profile <PROFILE_{id}>")
}

const MANAGEMENT: &str = "management account";
const PAYER: &str = "payer management account";

/// A step that rewrites one resource policy keyed on the organization: the
/// command that writes the new policy, the one that saves the current one
/// first (the pre-check), and the one that puts it back.
fn rewrite_resource_policy(book: &mut Book, r: &OrgKeyedResource<'_>) {
    let p = r.policy;
    let (id, name, region) = (&p.account_id, p.name(), &p.region);
    let with = format!("--region {region} {}", profile(id));
    let (command, pre_check, rollback) = match whole_policy_commands(p) {
        // The policy is read, rewritten and put back whole.
        Some((put, get, stem)) => (
            format!("{put} file://{stem}.json {with}"),
            format!("{get} {with} > {stem}.before.json"),
            format!("{put} file://{stem}.before.json {with}"),
        ),
        // A Lambda policy is made of permissions, added and removed one by one.
        None => (
            format!(
                "aws lambda add-permission --function-name {name} --statement-id {name}-<LEAVING_ACCOUNT_ID> --action {action} --principal <LEAVING_ACCOUNT_ID> {with}",
                action = org_keyed_action(&p.policy)
            ),
            format!(
                "aws lambda get-policy --function-name {name} --query Policy --output text {with} > {name}-policy.before.json"
            ),
            format!(
                "aws lambda remove-permission --function-name {name} --statement-id {name}-<LEAVING_ACCOUNT_ID> {with}"
            ),
        ),
    };
    book.add(
        "rewrite_org_resource_policy",
        Some(id),
        as_account(id),
        format!(
            "Name the leaving accounts beside {} in the policy of {}",
            r.org_keys.join(", "),
            p.arn
        ),
        command,
        pre_check,
        rollback,
    );
}

/// A step that rewrites one identity policy keyed on the organization.
///
/// A managed policy gets a new default version (IAM keeps at most five
/// versions of a managed policy: IAM User Guide, "Versioning IAM policies";
/// the pre-check counts them, so the oldest non-default one can be deleted
/// first), and rolls back by making the version in force now the default
/// again. An inline policy is put whole, from a file, and rolls back by
/// putting the saved one back.
fn rewrite_identity_policy(book: &mut Book, r: &OrgKeyedIdentity<'_>) {
    let p = r.policy;
    let id = &p.account_id;
    let with = profile(id);
    let (command, pre_check, rollback) = match p.kind {
        IdentityPolicyKind::Managed => {
            let arn = &p.arn;
            let stem = format!("{}-policy", p.name);
            let version = p.version_id.as_deref().unwrap_or("<VERSION_ID>");
            (
                format!(
                    "aws iam create-policy-version --policy-arn {arn} --policy-document file://{stem}.json --set-as-default {with}"
                ),
                format!(
                    "aws iam get-policy-version --policy-arn {arn} --version-id {version} --query PolicyVersion.Document {with} > {stem}.before.json && aws iam list-policy-versions --policy-arn {arn} --query 'length(Versions)' {with}"
                ),
                format!(
                    "aws iam set-default-policy-version --policy-arn {arn} --version-id {version} {with}"
                ),
            )
        }
        kind => {
            let holder = match kind {
                IdentityPolicyKind::UserInline => "user",
                IdentityPolicyKind::GroupInline => "group",
                _ => "role",
            };
            let target = format!(
                "--{holder}-name {} --policy-name {}",
                p.holder_name(),
                p.name
            );
            let stem = format!("{}-{}-policy", p.holder_name(), p.name);
            let put = format!("aws iam put-{holder}-policy {target} --policy-document");
            (
                format!("{put} file://{stem}.json {with}"),
                format!(
                    "aws iam get-{holder}-policy {target} --query PolicyDocument {with} > {stem}.before.json"
                ),
                format!("{put} file://{stem}.before.json {with}"),
            )
        }
    };
    book.add(
        "rewrite_org_identity_policy",
        Some(id),
        as_account(id),
        format!(
            "Allow the leaving accounts beside {} in the identity policy {}",
            r.org_keys.join(", "),
            p.label()
        ),
        command,
        pre_check,
        rollback,
    );
}

/// For a service whose policy is put whole: the command that puts it (up to
/// its `file://` argument), the one that prints the current one, and the
/// file name's stem. None for Lambda, whose policy is not put whole.
fn whole_policy_commands(p: &ResourcePolicy) -> Option<(String, String, String)> {
    let (name, arn) = (p.name(), &p.arn);
    // A repository's or a secret's name may hold `/`, which a file name may not.
    let stem = format!("{}-policy", name.replace('/', "-"));
    Some(match p.service {
        ResourceService::S3 => (
            format!("aws s3api put-bucket-policy --bucket {name} --policy"),
            format!("aws s3api get-bucket-policy --bucket {name} --query Policy --output text"),
            stem,
        ),
        ResourceService::Kms => (
            format!("aws kms put-key-policy --key-id {name} --policy-name default --policy"),
            format!(
                "aws kms get-key-policy --key-id {name} --policy-name default --query Policy --output text"
            ),
            stem,
        ),
        ResourceService::Sqs => {
            let url = format!(
                "$(aws sqs get-queue-url --queue-name {name} --query QueueUrl --output text --region {} {})",
                p.region,
                profile(&p.account_id)
            );
            (
                format!("aws sqs set-queue-attributes --queue-url {url} --attributes"),
                format!(
                    "aws sqs get-queue-attributes --queue-url {url} --attribute-names Policy --query Attributes"
                ),
                format!("{name}-attributes"),
            )
        }
        ResourceService::Sns => (
            format!(
                "aws sns set-topic-attributes --topic-arn {arn} --attribute-name Policy --attribute-value"
            ),
            format!(
                "aws sns get-topic-attributes --topic-arn {arn} --query Attributes.Policy --output text"
            ),
            stem,
        ),
        ResourceService::Events => (
            format!("aws events put-permission --event-bus-name {name} --policy"),
            format!("aws events describe-event-bus --name {name} --query Policy --output text"),
            stem,
        ),
        ResourceService::Ecr => (
            format!("aws ecr set-repository-policy --repository-name {name} --policy-text"),
            format!(
                "aws ecr get-repository-policy --repository-name {name} --query policyText --output text"
            ),
            stem,
        ),
        ResourceService::SecretsManager => (
            format!("aws secretsmanager put-resource-policy --secret-id {arn} --resource-policy"),
            format!(
                "aws secretsmanager get-resource-policy --secret-id {arn} --query ResourcePolicy --output text"
            ),
            stem,
        ),
        ResourceService::Lambda => return None,
    })
}

/// The first action a statement keyed on the organization allows (what a
/// Lambda permission for a named account must allow in its place).
fn org_keyed_action(policy: &serde_json::Value) -> String {
    orgpool_model::statements(policy)
        .into_iter()
        .filter(|s| !orgpool_model::statement_org_keys(s).is_empty())
        .find_map(|s| match s.get("Action") {
            Some(serde_json::Value::String(a)) => Some(a.clone()),
            Some(serde_json::Value::Array(list)) => {
                list.first().and_then(|a| a.as_str()).map(str::to_owned)
            }
            _ => None,
        })
        .unwrap_or_else(|| "lambda:InvokeFunction".to_owned())
}

/// The steps of `path` for this organization.
pub fn runbook(facts: &Facts<'_>, accounts: &[AccountReport], path: Path) -> Vec<Step> {
    let mut book = Book { steps: Vec::new() };
    export_configuration(facts, &mut book);
    match path {
        Path::BreakUp => break_up(facts, accounts, &mut book),
        Path::ImportWhole => import_whole(facts, &mut book),
    }
    book.steps
}

fn export_configuration(facts: &Facts<'_>, book: &mut Book) {
    let org = &facts.bundle.organization.id;
    book.add(
        "export_configuration",
        None,
        MANAGEMENT.into(),
        format!("Export the configuration of {org} (accounts, OUs, policies, Identity Center, roles, shares) as the baseline"),
        "orgpool discover --out org-export.json".into(),
        "aws organizations describe-organization --query Organization.Id --output text".into(),
        "nothing to undo: read-only".into(),
    );
    book.add(
        "check_export_complete",
        None,
        MANAGEMENT.into(),
        "Check the export read everything: its list of gaps must be empty".into(),
        "jq '.gaps | length' org-export.json".into(),
        "test -s org-export.json".into(),
        "nothing to undo: read-only; grant what `orgpool discover --print-policy` lists and export again if gaps remain".into(),
    );
}

fn break_up(facts: &Facts<'_>, accounts: &[AccountReport], book: &mut Book) {
    let b = facts.bundle;
    let management = b.organization.management_account_id.as_str();
    let leaving: Vec<&AccountReport> = accounts
        .iter()
        .filter(|a| !a.management && a.status == "ACTIVE")
        .collect();
    for d in &b.delegated_administrators {
        book.add(
            "deregister_delegated_admin",
            Some(&d.account_id),
            MANAGEMENT.into(),
            format!("Deregister {} as delegated administrator for {}", d.account_id, d.service_principal),
            format!("aws organizations deregister-delegated-administrator --account-id {} --service-principal {}", d.account_id, d.service_principal),
            format!("aws organizations list-delegated-services-for-account --account-id {}", d.account_id),
            format!("aws organizations register-delegated-administrator --account-id {} --service-principal {}", d.account_id, d.service_principal),
        );
    }
    for s in &b.security_service_admins {
        book.add(
            "disable_security_admin",
            Some(&s.admin_account_id),
            MANAGEMENT.into(),
            format!(
                "Stop {} administering {} for the organization in {}",
                s.admin_account_id, s.service, s.region
            ),
            format!(
                "aws {} disable-organization-admin-account --admin-account-id {} --region {}",
                s.service, s.admin_account_id, s.region
            ),
            format!(
                "aws {} list-organization-admin-accounts --region {}",
                s.service, s.region
            ),
            format!(
                "aws {} enable-organization-admin-account --admin-account-id {} --region {}",
                s.service, s.admin_account_id, s.region
            ),
        );
    }
    if b.cloudtrail_trails.iter().any(|t| t.is_organization_trail) {
        for a in &leaving {
            book.add(
                "create_account_trail",
                Some(&a.id),
                as_account(&a.id),
                format!("Replace the organization trail with an account trail in {} ({})", a.id, a.name),
                format!("aws cloudtrail create-trail --name account-trail --s3-bucket-name <BUCKET> --is-multi-region-trail {p} && aws cloudtrail start-logging --name account-trail {p}", p = profile(&a.id)),
                format!("aws cloudtrail describe-trails {} (the bucket policy must let this account write)", profile(&a.id)),
                format!("aws cloudtrail delete-trail --name account-trail {}", profile(&a.id)),
            );
        }
    }
    for agg in b.config_aggregators.iter().filter(|a| a.organization_wide) {
        let sources: Vec<&str> = leaving.iter().map(|a| a.id.as_str()).collect();
        book.add(
            "replace_config_aggregator",
            Some(&agg.account_id),
            as_account(&agg.account_id),
            format!("Switch Config aggregator {} from the organization to explicit accounts", agg.name),
            format!("aws configservice put-configuration-aggregator --configuration-aggregator-name {} --account-aggregation-sources AccountIds={},AllAwsRegions=true {}", agg.name, sources.join(","), profile(&agg.account_id)),
            format!("aws configservice describe-configuration-aggregators --configuration-aggregator-names {} {}", agg.name, profile(&agg.account_id)),
            format!("aws configservice put-configuration-aggregator --configuration-aggregator-name {} --organization-aggregation-source RoleArn=<CONFIG_ROLE_ARN>,AllAwsRegions=true {}", agg.name, profile(&agg.account_id)),
        );
    }
    for share in facts
        .internal_ram_shares
        .iter()
        .filter(|s| Facts::share_is_org_scoped(s))
    {
        let consumers: Vec<&str> = leaving
            .iter()
            .map(|a| a.id.as_str())
            .filter(|a| *a != share.owner_account_id)
            .collect();
        if consumers.is_empty() {
            continue;
        }
        let p = profile(&share.owner_account_id);
        book.add(
            "share_explicitly",
            Some(&share.owner_account_id),
            as_account(&share.owner_account_id),
            format!("Share {} with the consuming accounts by ID, not through the organization", share.name),
            format!("aws ram update-resource-share --resource-share-arn {arn} --allow-external-principals {p} && aws ram associate-resource-share --resource-share-arn {arn} --principals {} {p}", consumers.join(" "), arn = share.arn),
            format!("aws ram get-resource-share-associations --association-type PRINCIPAL --resource-share-arns {} {p}", share.arn),
            format!("aws ram disassociate-resource-share --resource-share-arn {} --principals {} {p}", share.arn, consumers.join(" ")),
        );
    }
    for set in b.stack_sets.iter().filter(|s| {
        s.permission_model == StackSetPermissionModel::ServiceManaged
            && !s.retain_stacks_on_account_removal
    }) {
        book.add(
            "retain_stack_set_stacks",
            Some(&set.owner_account_id),
            as_account(&set.owner_account_id),
            format!("Keep the stacks of StackSet {} in accounts that leave", set.name),
            format!("aws cloudformation update-stack-set --stack-set-name {} --use-previous-template --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=true", set.name),
            format!("aws cloudformation describe-stack-set --stack-set-name {} --query StackSet.AutoDeployment", set.name),
            format!("aws cloudformation update-stack-set --stack-set-name {} --use-previous-template --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false", set.name),
        );
    }
    let assignments = facts.assignments_by_account();
    for (account, list) in &assignments {
        let instance = list.first().map(|(i, _)| *i).unwrap_or_default();
        book.add(
            "record_sso_access",
            Some(account),
            MANAGEMENT.into(),
            format!("Record the {} Identity Center assignment(s) of {account}, then recreate that access as IAM roles in it", list.len()),
            format!("aws sso-admin list-account-assignments-for-principal --instance-arn {instance} --principal-id <PRINCIPAL_ID> --principal-type GROUP --filter AccountId={account} > sso-{account}.json"),
            format!("aws sso-admin list-permission-sets-provisioned-to-account --instance-arn {instance} --account-id {account}"),
            "nothing to undo: read-only; the recreated roles can be deleted".into(),
        );
    }
    for r in &facts.org_condition_roles {
        let (id, name) = (&r.role.account_id, &r.role.role_name);
        book.add(
            "rewrite_org_trust",
            Some(id),
            as_account(id),
            format!("Trust explicit account IDs instead of {} in role {name}", r.org_keys.join(", ")),
            format!("aws iam update-assume-role-policy --role-name {name} --policy-document file://{name}-trust.json {}", profile(id)),
            format!("aws iam get-role --role-name {name} --query Role.AssumeRolePolicyDocument {} > {name}-trust.before.json", profile(id)),
            format!("aws iam update-assume-role-policy --role-name {name} --policy-document file://{name}-trust.before.json {}", profile(id)),
        );
    }
    for r in &facts.org_condition_resources {
        rewrite_resource_policy(book, r);
    }
    for r in &facts.org_condition_identities {
        rewrite_identity_policy(book, r);
    }
    let mut lifted = std::collections::BTreeSet::new();
    for a in b
        .accounts
        .iter()
        .filter(|a| leaving.iter().any(|l| l.id == a.id))
    {
        for denial in crate::scp::leave_denials(facts, a)
            .into_iter()
            .filter(|d| d.explicit_deny)
        {
            let target = denial.target_id;
            for policy in denial.policy_ids {
                if !lifted.insert((policy.clone(), target.clone())) {
                    continue;
                }
                book.add(
                    "lift_leave_denial",
                    Some(&a.id),
                    MANAGEMENT.into(),
                    format!("Let accounts under {target} leave: detach SCP {policy}, which denies organizations:LeaveOrganization"),
                    format!("aws organizations detach-policy --policy-id {policy} --target-id {target}"),
                    format!("aws organizations list-policies-for-target --target-id {target} --filter SERVICE_CONTROL_POLICY"),
                    format!("aws organizations attach-policy --policy-id {policy} --target-id {target}"),
                );
            }
        }
    }
    for a in &leaving {
        book.add(
            "check_standalone",
            Some(&a.id),
            MANAGEMENT.into(),
            format!("Check {} ({}) can stand alone: contact information, payment method, root access", a.id, a.name),
            format!("aws account get-contact-information --account-id {}", a.id),
            "the account's manual checks are done (payment method in its Billing console, root email reachable)".into(),
            "nothing to undo: read-only".into(),
        );
        book.add(
            "leave_organization",
            Some(&a.id),
            MANAGEMENT.into(),
            format!("Remove {} ({}) from the organization", a.id, a.name),
            format!("aws organizations remove-account-from-organization --account-id {}", a.id),
            format!("aws organizations list-delegated-services-for-account --account-id {} (expect none) && aws organizations describe-account --account-id {}", a.id, a.id),
            format!("aws organizations invite-account-to-organization --target Id={},Type=ACCOUNT, then accept in the account", a.id),
        );
    }
    for a in &leaving {
        accept_invitation(book, &a.id, &a.name);
    }
    book.add(
        "delete_organization",
        Some(management),
        MANAGEMENT.into(),
        format!("Delete organization {} once the management account is its only account", b.organization.id),
        "aws organizations delete-organization".into(),
        "aws organizations list-accounts --query 'length(Accounts)' (expect 1)".into(),
        "aws organizations create-organization --feature-set ALL (a new organization ID: organization conditions must be rewritten)".into(),
    );
    let name = accounts
        .iter()
        .find(|a| a.management)
        .map(|a| a.name.as_str())
        .unwrap_or("management");
    accept_invitation(book, management, name);
    replay_structure(facts, book);
}

/// The payer recreates the organization's OUs and guardrails under an OU of
/// its own (`orgpool org replay`), then puts each account back in its OU.
/// Nothing to do for an organization without custom policies attached.
fn replay_structure(facts: &Facts<'_>, book: &mut Book) {
    let b = facts.bundle;
    if !crate::replay::has_guardrails(b) {
        return;
    }
    let stack = format!("orgpool-replay-{}", b.organization.id);
    book.add(
        "replay_structure",
        None,
        PAYER.into(),
        format!("Recreate the OUs and the custom policies of {} under an OU of the payer's organization", b.organization.id),
        format!("orgpool org replay org-export.json > org-replay.json && aws cloudformation deploy --template-file org-replay.json --stack-name {stack} --parameter-overrides ParentId=<PAYER_PARENT_ID> PolicyNamePrefix={org}-", org = b.organization.id),
        "aws organizations list-children --parent-id <PAYER_PARENT_ID> --child-type ORGANIZATIONAL_UNIT".into(),
        format!("aws cloudformation delete-stack --stack-name {stack} (move the accounts back to <PAYER_ROOT_ID> first)"),
    );
    for (account, ou) in crate::replay::placements(b) {
        let destination = format!(
            "$(aws cloudformation describe-stacks --stack-name {stack} --query \"Stacks[0].Outputs[?OutputKey=='{ou}'].OutputValue\" --output text)"
        );
        book.add(
            "move_to_replayed_ou",
            Some(&account),
            PAYER.into(),
            format!("Put {account} back in its OU ({ou} of the replayed structure)"),
            format!("aws organizations move-account --account-id {account} --source-parent-id <PAYER_ROOT_ID> --destination-parent-id {destination}"),
            format!("aws organizations list-parents --child-id {account} (expect <PAYER_ROOT_ID>)"),
            format!("aws organizations move-account --account-id {account} --source-parent-id {destination} --destination-parent-id <PAYER_ROOT_ID>"),
        );
    }
    let stand_in = crate::replay::root_stand_in_name(b);
    book.add(
        "verify_replay",
        None,
        PAYER.into(),
        "Discover the payer's organization and compare the replayed OUs, accounts and guardrails with the export: nothing may be lost or changed".into(),
        format!("orgpool discover --profile <PROFILE_PAYER> --out payer-after.json && orgpool org diff org-export.json payer-after.json --after-root '<PAYER_PARENT_PATH>/{stand_in}' --policy-prefix {org}- --kinds organizational_unit,account,policy", org = b.organization.id),
        format!("aws cloudformation describe-stacks --stack-name {stack} --query 'Stacks[0].StackStatus' (expect CREATE_COMPLETE)"),
        "nothing to undo: read-only; any difference is a finding to fix before closing the move".into(),
    );
}

fn accept_invitation(book: &mut Book, id: &str, name: &str) {
    book.add(
        "accept_payer_invitation",
        Some(id),
        as_account(id),
        format!("Accept the payer organization's invitation in {id} ({name})"),
        format!("aws organizations accept-handshake --handshake-id <HANDSHAKE_ID> {}", profile(id)),
        format!("aws organizations list-handshakes-for-account --filter ActionType=INVITE {} (the payer has invited {id})", profile(id)),
        format!("aws organizations leave-organization {} (the account must still stand alone)", profile(id)),
    );
}

fn import_whole(facts: &Facts<'_>, book: &mut Book) {
    let b = facts.bundle;
    let management = b.organization.management_account_id.as_str();
    let moving = b
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
        .count();
    book.add(
        "invite_billing_transfer",
        Some(management),
        PAYER.into(),
        format!("Invite organization {} to transfer its billing to the payer from the 1st of next month", b.organization.id),
        format!("aws organizations invite-organization-to-transfer-responsibility --type BILLING --target Id={management},Type=ACCOUNT --start-timestamp <FIRST_OF_NEXT_MONTH> --source-name {}", b.organization.id),
        "aws organizations describe-organization (run as the payer: it must be a management account)".into(),
        "aws organizations cancel-handshake --handshake-id <HANDSHAKE_ID>".into(),
    );
    book.add(
        "accept_billing_transfer",
        Some(management),
        MANAGEMENT.into(),
        "Accept the billing transfer".into(),
        "aws organizations accept-handshake --handshake-id <HANDSHAKE_ID>".into(),
        "aws organizations list-handshakes-for-account (the transfer invitation is OPEN)".into(),
        "aws organizations terminate-responsibility-transfer --id <TRANSFER_ID> (ends the transfer; billing returns to the management account)".into(),
    );
    let ous: Vec<&str> = b
        .organizational_units
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    book.add(
        "create_billing_group",
        Some(management),
        PAYER.into(),
        format!(
            "Create the billing transfer's billing group: all {moving} accounts, primary {management}; the OU structure ({}) stays inside the organization",
            if ous.is_empty() { "no OUs".to_owned() } else { ous.join(", ") }
        ),
        format!("aws billingconductor create-billing-group --name {} --account-grouping ResponsibilityTransferArn=<TRANSFER_ARN> --computation-preference PricingPlanArn=<PRICING_PLAN_ARN>", b.organization.id),
        "aws organizations list-inbound-responsibility-transfers --type BILLING (the transfer is ACCEPTED)".into(),
        "aws billingconductor delete-billing-group --arn <BILLING_GROUP_ARN>".into(),
    );
    if let Some(rules) = ou_cost_category_rules(b) {
        book.add(
            "ou_cost_category",
            None,
            PAYER.into(),
            "Recreate the OU structure on the payer's side as a cost category, one value per OU path, for reports and pro forma splits".into(),
            format!("aws ce create-cost-category-definition --name {}-ou --rule-version CostCategoryExpression.v1 --rules '{rules}'", b.organization.id),
            "aws ce get-dimension-values --dimension LINKED_ACCOUNT --time-period Start=<TRANSFER_START>,End=<TODAY> lists the organization's accounts (the transfer is in effect)".into(),
            "aws ce delete-cost-category-definition --cost-category-arn <COST_CATEGORY_ARN>".into(),
        );
    }
    book.add(
        "verify_nothing_lost",
        None,
        MANAGEMENT.into(),
        "Discover again after the transfer and compare with the export: nothing may be lost, changed or left unread".into(),
        "orgpool discover --out org-after.json && orgpool org diff org-export.json org-after.json".into(),
        "the transfer's start date has passed".into(),
        "nothing to undo: read-only; any difference is a finding to fix before closing the move".into(),
    );
}

/// The cost category rules that map each active account to its OU path
/// (`Workloads - Production`), as the JSON `--rules` takes; `None` when every
/// account sits under the root.
///
/// AWS Cost Management API Reference, `CostCategory` and `CostCategoryRule`:
/// a value is 1 to 50 characters of letters, digits, spaces, `-` and `_`, not
/// starting or ending with a space, and a cost category holds at most 500
/// rules. Other characters become `_`, longer paths keep their last 50
/// characters (the leaf is the most telling), and beyond 500 paths the step
/// is left out rather than written to fail.
fn ou_cost_category_rules(b: &orgpool_model::OrgBundle) -> Option<String> {
    const MAX_RULES: usize = 500;
    let mut by_path: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for a in b
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Active)
    {
        by_path
            .entry(cost_category_value(&ou_path(b, &a.parent_id)))
            .or_default()
            .push(a.id.as_str());
    }
    if by_path.keys().all(|k| k == ROOT_VALUE) || by_path.len() > MAX_RULES {
        return None;
    }
    let rules: Vec<serde_json::Value> = by_path
        .into_iter()
        .map(|(value, accounts)| {
            serde_json::json!({
                "Value": value,
                "Rule": { "Dimensions": { "Key": "LINKED_ACCOUNT", "Values": accounts } }
            })
        })
        .collect();
    Some(serde_json::Value::Array(rules).to_string())
}

/// The cost category value of accounts directly under the root.
const ROOT_VALUE: &str = "root";

/// An OU path as a valid cost category value (see [`ou_cost_category_rules`]).
fn cost_category_value(path: &[&str]) -> String {
    if path.is_empty() {
        return ROOT_VALUE.to_owned();
    }
    let joined: String = path
        .join(" - ")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let chars: Vec<char> = joined.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(50)..].iter().collect();
    let trimmed = tail.trim();
    if trimmed.is_empty() {
        "_".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The names of the OUs from the root down to `parent`; empty for the root.
/// Stops at a cycle or an unknown parent rather than looping.
fn ou_path<'a>(b: &'a orgpool_model::OrgBundle, parent: &str) -> Vec<&'a str> {
    let mut names = Vec::new();
    let mut at = parent;
    while let Some(ou) = b.organizational_units.iter().find(|o| o.id == at) {
        if names.len() > b.organizational_units.len() {
            break;
        }
        names.push(ou.name.as_str());
        at = ou.parent_id.as_str();
    }
    names.reverse();
    names
}

#[cfg(test)]
mod tests {
    use super::cost_category_value;

    #[test]
    fn cost_category_values_follow_aws_pattern_and_length() {
        assert_eq!(cost_category_value(&[]), "root");
        assert_eq!(
            cost_category_value(&["Workloads", "Prod"]),
            "Workloads - Prod"
        );
        assert_eq!(cost_category_value(&["a/b", "c.d"]), "a_b - c_d");
        let long = "x".repeat(60);
        let v = cost_category_value(&[&long, "leaf"]);
        assert_eq!(v.chars().count(), 50);
        assert!(v.ends_with(" - leaf"));
        assert_eq!(cost_category_value(&["   "]), "_");
    }
}
