//! Command-line arguments (clap derive). Each command's `--help` ends with an
//! example; validators reject bad values before any work starts (exit code 2).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// orgpool: what you save by pooling your AWS billing, whether to break up your
/// organization or import it whole, and how to move without losing anything.
#[derive(Debug, Parser)]
#[command(name = "orgpool", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  orgpool demo\n  orgpool demo generate --out ./demo --accounts 40 --months 6\n\nExit codes: 0 ok, 1 failure, 2 bad usage or bad input."
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format for data.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table, env = "ORGPOOL_FORMAT")]
    pub format: Format,
    /// More diagnostics on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How data is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text tables.
    Table,
    /// JSON, for scripts.
    Json,
    /// Markdown tables.
    Markdown,
    /// A standalone HTML page.
    Html,
    /// Comma-separated values, one table after another (for spreadsheets).
    Csv,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run orgpool end to end on a generated demo organization, or generate one.
    #[command(
        after_help = "Examples:\n  orgpool demo\n  orgpool demo --keep ./demo-run\n  orgpool demo generate --out ./demo"
    )]
    Demo(DemoArgs),
    /// What you would save: current commitment posture, the best purchase, a backtest.
    #[command(
        after_help = "Examples:\n  orgpool estimate --cur ./demo/cur\n  orgpool estimate --cur ./exports --lookback-days 60 --term 3y --payment all_upfront --format json\n  orgpool estimate --cur 'cur/*.parquet' --plans compute_sp --max-commitment 25 --chart curve.svg\n  orgpool estimate --cur s3://my-cur-bucket/exports/orgpool/data --profile billing\n  orgpool estimate --cur ./demo/cur --pool-cur ./payer/cur --format json\n  orgpool estimate --cur ./demo/cur --org ./demo/org.json\n\nInputs: CUR 2.0 Parquet (a Data Exports folder, a glob or files), legacy CUR Parquet or CSV(.gz), FOCUS 1.x CSV or Parquet; the format is detected from the columns. Each may be local or s3://bucket/prefix (read in place, with AWS's standard credential chain).\n\nThe export's hourly summary is cached (see --cache-dir), so asking again of the same files with another term, payment, window or plan list skips the scan; a changed, added or removed file, or another orgpool build, is scanned afresh.\n\nWith --org, the per-account breakdown names each account as the organization bundle does.\n\nWith --pool-cur, the pooled what-if: over the same window, the pool's idle Savings Plans (Compute and SageMaker, and EC2 Instance ones within their family and region) cover your uncovered usage and yours cover the pool's, hour by hour by AWS's rules, and one purchase is made for what both leave; the gain is what that saves beyond the two best purchases apart. It applies to a break-up (your accounts join the payer's organization); a billing transfer keeps commitments inside your organization."
    )]
    Estimate(EstimateArgs),
    /// Break up the organization or import it whole: the decision, its impacts, leave readiness and a runbook.
    #[command(
        after_help = "Examples:\n  orgpool assess --org org.json --cur ./cur\n  orgpool assess --org org.json --cur ./cur --format html > assessment.html\n  orgpool assess --org org.json --format markdown > runbook.md\n  orgpool assess --org org.json --cur s3://my-cur-bucket/exports --active-threshold 25 --format json\n  orgpool assess --org org.json --cur ./cur --path break_up\n  orgpool assess --org org.json --cur ./cur --pool-cur ./payer/cur\n\nWithout --cur, activity is unknown and the report says so. The thresholds' defaults are documented under each flag."
    )]
    Assess(AssessArgs),
    /// Read an organization live from AWS (management account) into a bundle.
    #[command(
        after_help = "Examples:\n  orgpool discover --out org.json\n  orgpool discover --profile mgmt --region us-east-1 --out org.json --format json\n  orgpool discover --print-policy > orgpool-discovery-policy.json\n  orgpool discover --out org.json --member-role OrgpoolDiscoveryReadOnly --external-id \"$EXTERNAL_ID\"\n  orgpool discover --out org.json --regions us-east-1,eu-west-1\n  orgpool discover --out org.json --no-resource-policies --no-identity-policies\n\nRun it with the organization's management account credentials. Trails, Config aggregators, RAM shares and StackSets are read in every region enabled for the account (--regions all, the default) or in the regions listed. In every account (through --member-role), discovery reads the IAM roles, the customer managed and inline IAM policies, the S3 bucket policies, and the KMS key, SQS queue, SNS topic, Lambda function, EventBridge event bus, ECR repository and Secrets Manager secret policies of those regions, and keeps those that trust other accounts or name the organization (aws:PrincipalOrgID, aws:ResourceOrgID and the like). What cannot be read is recorded in the bundle as a gap, and listed."
    )]
    Discover(DiscoverArgs),
    /// Print a CloudFormation template creating the read-only role discovery needs.
    #[command(
        after_help = "Examples:\n  orgpool onboarding-template > orgpool-role.json\n  aws cloudformation deploy --template-file orgpool-role.json --stack-name orgpool --capabilities CAPABILITY_NAMED_IAM --parameter-overrides TrustedPrincipalArn=arn:aws:iam::111122223333:root ExternalId=choose-a-secret"
    )]
    OnboardingTemplate,
    /// Work with organization bundles.
    #[command(
        after_help = "Examples:\n  orgpool org show org.json\n  orgpool org show org.json --format json\n  orgpool org from-cli ./aws-exports --out org.json"
    )]
    Org(OrgArgs),
    /// The payer side: billing groups, pricing plans and their CloudFormation.
    #[command(
        after_help = "Examples:\n  orgpool billing plan --org org.json --by ou --depth 2 --format json > plan.json\n  orgpool billing plan --org org.json --by org --pricing-plan pricing.yaml --format json > plan.json\n  orgpool billing plan --org org.json --by file --map groups.csv\n  orgpool billing cloudformation --plan plan.json > billing.json\n\ndocs/billing.md documents the pricing-plan file and the plan's JSON."
    )]
    Billing(BillingArgs),
}

/// `orgpool billing`.
#[derive(Debug, Args)]
pub struct BillingArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: BillingAction,
}

/// `orgpool billing …` subcommands.
#[derive(Debug, Subcommand)]
pub enum BillingAction {
    /// Map the organization's accounts to billing groups and check Billing Conductor's rules.
    #[command(
        after_help = "Examples:\n  orgpool billing plan --org org.json --by ou --format json > plan.json\n  orgpool billing plan --org org.json --by ou --depth 3\n  orgpool billing plan --org org.json --by org --pricing-plan pricing.yaml --format json\n  orgpool billing plan --org org.json --by file --map groups.csv\n\n--by ou: one group per OU at --depth (1: the OUs under the root); accounts higher up join the group of their deepest OU, accounts under the root a group \"root\".\n--by org: one group holding every account, as a billing transfer requires.\n--by file: a CSV with header account_id,billing_group[,primary].\nSuspended accounts are listed as unplaced. A plan that breaks a rule exits 2 and names each broken rule."
    )]
    Plan(BillingPlanArgs),
    /// What each billing group would pay: its own commitments, its pricing plan, its custom line items.
    #[command(
        after_help = "Examples:\n  orgpool billing proforma --org org.json --plan plan.json --cur ./cur\n  orgpool billing proforma --org org.json --plan plan.json --cur ./cur --format json\n  orgpool billing proforma --org org.json --plan plan.json --cur ./cur --format csv > proforma.csv\n  orgpool billing proforma --org org.json --plan plan.json --cur ./cur --focus proforma-focus.csv\n  orgpool billing proforma --org org.json --plan plan.json --cur ./cur --no-cache\n\nThe export's charges are cached (--cache-dir) so that another plan over the same files skips the scan. Each group is computed as its own consolidated billing family: Savings Plans and RIs help only inside the group that holds them, pricing rules change public rates, custom line items come last. The margin is the pro forma less what AWS billed (amortized)."
    )]
    Proforma(BillingProformaArgs),
    /// Print the plan as a CloudFormation template (AWS::BillingConductor::*).
    #[command(
        after_help = "Examples:\n  orgpool billing cloudformation --plan plan.json > billing.json\n  aws cloudformation deploy --template-file billing.json --stack-name billing-groups"
    )]
    Cloudformation(BillingCloudformationArgs),
}

/// How `orgpool billing plan` groups accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// One group per OU at --depth.
    Ou,
    /// One group for the whole organization.
    Org,
    /// As a --map CSV says.
    File,
}

/// `orgpool billing plan`.
#[derive(Debug, Args)]
pub struct BillingPlanArgs {
    /// The organization bundle.
    #[arg(long, value_name = "BUNDLE")]
    pub org: PathBuf,
    /// How to group the accounts.
    #[arg(long, value_enum)]
    pub by: GroupBy,
    /// For --by ou: the OU depth that makes a group (1: the OUs under the root).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=5))]
    pub depth: u64,
    /// For --by file: CSV with header account_id,billing_group[,primary].
    #[arg(long, value_name = "CSV", required_if_eq("by", "file"))]
    pub map: Option<PathBuf>,
    /// Pricing plans, their assignment to groups and custom line items (YAML or JSON; docs/billing.md).
    #[arg(long, value_name = "FILE")]
    pub pricing_plan: Option<PathBuf>,
}

/// `orgpool billing proforma`.
#[derive(Debug, Args)]
pub struct BillingProformaArgs {
    /// The organization bundle.
    #[arg(long, value_name = "BUNDLE")]
    pub org: PathBuf,
    /// The plan, as `orgpool billing plan --format json` writes it.
    #[arg(long, value_name = "PLAN")]
    pub plan: PathBuf,
    /// Billing data: CUR 2.0 / legacy CUR / FOCUS files, folders, globs or s3:// prefixes.
    #[arg(long, value_name = "PATH", num_args = 1.., required = true)]
    pub cur: Vec<String>,
    /// Force the input format instead of detecting it.
    #[arg(long, value_parser = parse_format)]
    pub input_format: Option<orgpool_cur::Format>,
    /// Also write the pro forma lines as FOCUS 1.2 columns (CSV) to this file.
    #[arg(long, value_name = "FILE")]
    pub focus: Option<PathBuf>,
    /// Where the export's charges are kept between runs.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// AWS access for s3:// inputs.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `orgpool billing cloudformation`.
#[derive(Debug, Args)]
pub struct BillingCloudformationArgs {
    /// The plan, as `orgpool billing plan --format json` writes it.
    #[arg(long, value_name = "PLAN")]
    pub plan: PathBuf,
}

/// `orgpool discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Where to write the bundle (JSON).
    #[arg(long, value_name = "BUNDLE", required_unless_present = "print_policy")]
    pub out: Option<PathBuf>,
    /// Print the read-only IAM policy discovery needs, and do nothing else.
    #[arg(long, conflicts_with = "out")]
    pub print_policy: bool,
    /// Per-item API calls in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// Role assumed in each member account to read its IAM roles.
    #[arg(
        long,
        default_value = "OrganizationAccountAccessRole",
        value_name = "NAME"
    )]
    pub member_role: String,
    /// External ID the member role's trust policy requires.
    #[arg(
        long,
        value_name = "ID",
        env = "ORGPOOL_EXTERNAL_ID",
        hide_env_values = true
    )]
    pub external_id: Option<String>,
    /// Regions whose trails, Config aggregators, RAM shares and StackSets, and whose accounts' KMS keys, SQS queues, SNS topics, Lambda functions, event buses, ECR repositories and secrets, are read: `all` (every region enabled for the account, from account:ListRegions; the configured region if that fails, with a gap) or a comma-separated list.
    #[arg(long, value_name = "all|REGION,...", default_value = "all", value_parser = parse_regions)]
    pub regions: orgpool_org::live::Regions,
    /// Skip reading each account's resource policies (S3 buckets, and the KMS keys, SQS queues, SNS topics, Lambda functions, EventBridge event buses, ECR repositories and Secrets Manager secrets of every region read); the bundle then records them as a gap.
    #[arg(long)]
    pub no_resource_policies: bool,
    /// Skip reading each account's customer managed and inline IAM policies (one iam:GetAccountAuthorizationDetails per account, for data-perimeter conditions such as aws:ResourceOrgID); the bundle then records them as a gap.
    #[arg(long)]
    pub no_identity_policies: bool,
    /// AWS access.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `orgpool assess`.
#[derive(Debug, Args)]
pub struct AssessArgs {
    /// The organization bundle (from `orgpool discover`, `org from-cli` or `demo generate`).
    #[arg(long, value_name = "BUNDLE")]
    pub org: PathBuf,
    /// Billing data that tell which accounts are active (same inputs as `estimate --cur`).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub cur: Vec<String>,
    /// Force the billing data's format instead of detecting it.
    #[arg(long, value_parser = parse_format)]
    pub input_format: Option<orgpool_cur::Format>,
    /// Days of usage, ending at the last hour in the data, that decide activity.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub activity_days: u32,
    /// An account is active above this usage spend over those days (billing currency; tax, fees, credits and commitment fees excluded).
    #[arg(long, default_value_t = 10.0, value_parser = parse_positive)]
    pub active_threshold: f64,
    /// Break up only with at most this many active accounts.
    #[arg(long, default_value_t = 1)]
    pub max_active_accounts: usize,
    /// Too complex to break from this many accounts (suspended ones aside).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..))]
    pub complex_accounts: u64,
    /// … or from OUs nested this deep.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub complex_ou_depth: u64,
    /// … or from this many custom organization policies.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub complex_policies: u64,
    /// Plan the runbook for this path instead of the recommended one.
    #[arg(long, value_enum)]
    pub path: Option<PathChoice>,
    /// The payer pool's billing data: runs the pooled what-if (as `estimate
    /// --cur … --pool-cur …`) and weighs what each path gains or leaves out.
    #[arg(long, num_args = 1.., value_name = "PATH", requires = "cur")]
    pub pool_cur: Vec<String>,
    /// AWS access, for `s3://` billing data.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `--path` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum PathChoice {
    /// Every account leaves and joins the payer on its own.
    BreakUp,
    /// The organization transfers its billing and stays intact.
    ImportWhole,
}

/// `orgpool org`.
#[derive(Debug, Args)]
pub struct OrgArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: OrgAction,
}

/// `orgpool org …` subcommands.
#[derive(Debug, Subcommand)]
pub enum OrgAction {
    /// Print a bundle's OU tree with its accounts, policies and delegated admins.
    #[command(
        after_help = "Examples:\n  orgpool org show org.json\n  orgpool org show org.json --format json"
    )]
    Show(OrgShowArgs),
    /// Build a bundle from saved `aws organizations|sso-admin|identitystore` outputs.
    #[command(
        after_help = "Examples:\n  orgpool org from-cli ./aws-exports --out org.json\n  orgpool org from-cli ./aws-exports > org.json\n\nThe folder holds one JSON file per command; docs/from-cli.md lists the names and a script that writes them."
    )]
    FromCli(FromCliArgs),
    /// Check that a move lost nothing: compare a bundle taken before with one taken after.
    #[command(
        after_help = "Examples:\n  orgpool discover --out org-after.json && orgpool org diff org-export.json org-after.json\n  orgpool org diff before.json after.json --format json\n  orgpool org diff org-export.json payer.json --after-root 'Root/Customers/acme (from o-abcd123456)' --policy-prefix o-abcd123456- --kinds organizational_unit,account,policy\n\nItems are matched by what survives a move, not by IDs AWS gives anew: OUs by their path of names, policies by type and name (targets as OU paths), accounts by ID, roles and resource policies by ARN, Identity Center assignments by account, permission set name and principal name. Lists what was lost, changed (with the fields) or added, and the reads that failed after but not before (unverified).\n\nExit status: 0 when nothing was lost, changed or left unverified (added items are no loss); 1 otherwise; 2 for a bundle that cannot be read."
    )]
    Diff(OrgDiffArgs),
    /// Recreate a bundle's OUs and custom policies in the payer's organization: a CloudFormation template.
    #[command(
        after_help = "Examples:\n  orgpool org replay org-export.json > org-replay.json\n  aws cloudformation deploy --template-file org-replay.json --stack-name orgpool-replay --parameter-overrides ParentId=ou-abcd-12345678 PolicyNamePrefix=o-abcd123456-\n\nUnder the OU (or root) ParentId names, one OU stands for the old root, then every OU by the same names and nesting, and every custom SCP, RCP, tag, backup and AI opt-out policy with its content and targets (AWS managed policies exist everywhere and are not replayed). Deploy it in the payer's management account once the accounts have joined: policies attached to accounts need them as members. The template's Outputs give each replayed OU's ID and its Metadata (orgpool:accounts) each account's OU, for aws organizations move-account; orgpool assess --path break_up lists those moves."
    )]
    Replay(OrgReplayArgs),
}

/// `orgpool org replay`.
#[derive(Debug, Args)]
pub struct OrgReplayArgs {
    /// The bundle of the organization the accounts leave.
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
}

/// `orgpool org diff`.
#[derive(Debug, Args)]
pub struct OrgDiffArgs {
    /// The bundle taken before the move (the runbook's `org-export.json`).
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    /// The bundle taken after it.
    #[arg(value_name = "AFTER")]
    pub after: PathBuf,
    /// After a break-up: the OU path in AFTER (the payer's organization) that stands for BEFORE's root, as `orgpool org replay` made it (`Root/Customers/acme (from o-…)`). Only that subtree and BEFORE's accounts are compared.
    #[arg(long, value_name = "PATH")]
    pub after_root: Option<String>,
    /// Compare only these kinds of item (comma-separated): organization, root, organizational_unit, account, policy, trusted_service, delegated_administrator, sso_instance, sso_permission_set, sso_user, sso_group, sso_group_membership, sso_assignment, cloudtrail_trail, config_aggregator, security_service_admin, ram_share, iam_role, stack_set, resource_policy, identity_policy.
    #[arg(long, value_name = "KIND,...", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Take this off the front of AFTER's policy names before matching them (the replay template's PolicyNamePrefix).
    #[arg(long, value_name = "PREFIX")]
    pub policy_prefix: Option<String>,
}

/// `orgpool org from-cli`.
#[derive(Debug, Args)]
pub struct FromCliArgs {
    /// The folder of saved CLI outputs.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write the bundle here (default: standard output).
    #[arg(long, value_name = "BUNDLE")]
    pub out: Option<PathBuf>,
}

/// `orgpool org show`.
#[derive(Debug, Args)]
pub struct OrgShowArgs {
    /// The bundle (from `orgpool discover` or `orgpool demo generate`).
    #[arg(value_name = "BUNDLE")]
    pub bundle: PathBuf,
}

/// `orgpool estimate`.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Billing data: folders, globs or files (repeat or separate with spaces).
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub cur: Vec<String>,
    /// Force the input format instead of detecting it.
    #[arg(long, value_parser = parse_format)]
    pub input_format: Option<orgpool_cur::Format>,
    /// Look back this many days from the end of the data (Cost Explorer offers 7, 30 or 60).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3660), conflicts_with_all = ["start", "end"])]
    pub lookback_days: u32,
    /// Window start (YYYY-MM-DD or RFC 3339), with --end.
    #[arg(long, requires = "end", value_parser = parse_time)]
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// Window end, exclusive (YYYY-MM-DD or RFC 3339), with --start.
    #[arg(long, requires = "start", value_parser = parse_time)]
    pub end: Option<chrono::DateTime<chrono::Utc>>,
    /// Commitment term.
    #[arg(long, default_value = "1y", value_parser = parse_enum::<orgpool_model::Term>)]
    pub term: orgpool_model::Term,
    /// Payment option.
    #[arg(long, default_value = "no_upfront", value_parser = parse_enum::<orgpool_model::Payment>)]
    pub payment: orgpool_model::Payment,
    /// Plans that may be recommended, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "compute_sp,ec2_instance_sp,sagemaker_sp,rds_ri", value_parser = parse_enum::<orgpool_model::PlanKind>)]
    pub plans: Vec<orgpool_model::PlanKind>,
    /// Discount table (CSV: plan,term,payment,region,family,discount); overrides the others.
    #[arg(long, value_name = "FILE")]
    pub rates: Option<PathBuf>,
    /// The organization bundle (from `orgpool discover`, `org from-cli` or
    /// `demo generate`): names the accounts of the per-account breakdown.
    #[arg(long, value_name = "BUNDLE")]
    pub org: Option<PathBuf>,
    /// Cap on the total new hourly commitment, in $/h.
    #[arg(long, value_parser = parse_positive)]
    pub max_commitment: Option<f64>,
    /// Lowest acceptable utilization of the new commitments (0 to 1).
    #[arg(long, value_parser = parse_fraction)]
    pub target_utilization: Option<f64>,
    /// Write the savings-versus-commitment curve as an SVG chart.
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// The payer pool's billing data (its management account's export, same
    /// forms as --cur): adds a pooled what-if, what joining the pool saves
    /// beyond buying alone (idle commitments shared, one purchase for both).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub pool_cur: Vec<String>,
    /// Where the export's summary is kept between runs.
    #[command(flatten)]
    pub cache: CacheArgs,
    /// AWS access, for `s3://` inputs.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Only read the lines the estimate's scan reads, group nothing, and
    /// print how many there were and how long it took, as JSON: what
    /// reading the export costs alone (for `bench/`; not a user's command).
    #[arg(long, hide = true, conflicts_with = "pool_cur")]
    pub scan_only: bool,
}

/// Where what a scan of an export found is kept between runs.
#[derive(Debug, Args, Clone, Default)]
pub struct CacheArgs {
    /// Keep what the scan of the export found here (the estimate's hourly
    /// summary, the pro forma's charges), so that asking again of the same
    /// files skips the scan (default: $XDG_CACHE_HOME/orgpool or ~/.cache/orgpool).
    #[arg(long, value_name = "DIR", env = "ORGPOOL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Scan the export even if it was cached, and cache nothing (overrides
    /// --cache-dir and ORGPOOL_CACHE_DIR).
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    /// The cache folder per `--cache-dir` and `--no-cache`.
    pub fn cache(&self) -> Option<orgpool_cur::SummaryCache> {
        if self.no_cache {
            return None;
        }
        self.cache_dir
            .clone()
            .or_else(orgpool_cur::SummaryCache::default_dir)
            .map(orgpool_cur::SummaryCache::at)
    }
}

/// AWS access: the standard credential chain, with these on top.
#[derive(Debug, Args, Clone, Default)]
pub struct AwsArgs {
    /// Named profile from the shared AWS config files (else AWS_PROFILE, else default).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (else AWS_REGION, else the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Send AWS requests to this endpoint instead (an S3-compatible store, a test server).
    #[arg(long, value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint_url: Option<String>,
}

fn parse_endpoint(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(text.trim_end_matches('/').to_owned())
        }
        _ => Err(format!(
            "{text:?} is not an http(s) URL such as http://127.0.0.1:5000"
        )),
    }
}

impl EstimateArgs {
    /// The defaults of `orgpool estimate --cur DIR`.
    pub fn for_folder(dir: &std::path::Path) -> Self {
        Self::with_defaults(&[dir.to_string_lossy().into_owned()])
    }

    /// The defaults of `orgpool estimate --cur PATH...`.
    pub fn with_defaults(cur: &[String]) -> Self {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: EstimateArgs,
        }
        // Parsed from no arguments but the required one, then filled in, so
        // that a path starting with `-` is never taken for a flag.
        let mut args = Wrapper::parse_from(["estimate", "--cur", "x"]).args;
        args.cur = cur.to_vec();
        args
    }

    /// Where to keep the summary, per `--cache-dir` and `--no-cache`.
    pub fn cache(&self) -> Option<orgpool_cur::SummaryCache> {
        self.cache.cache()
    }
}

fn parse_format(text: &str) -> Result<orgpool_cur::Format, String> {
    orgpool_cur::Format::parse(text)
}

fn parse_enum<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, String> {
    text.parse()
}

/// `all`, or regions such as `us-east-1,eu-west-1`.
fn parse_regions(text: &str) -> Result<orgpool_org::live::Regions, String> {
    if text.trim() == "all" {
        return Ok(orgpool_org::live::Regions::Enabled);
    }
    let regions: Vec<String> = text.split(',').map(|r| r.trim().to_owned()).collect();
    for r in &regions {
        if !orgpool_org::live::is_region_name(r) {
            return Err(format!(
                "{r:?} is not a region name (such as us-east-1); give `all` or a comma-separated list"
            ));
        }
    }
    Ok(orgpool_org::live::Regions::Listed(regions))
}

fn parse_positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("{text:?} is not a non-negative number")),
    }
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("{text:?} is not a fraction between 0 and 1")),
    }
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

/// `orgpool demo`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DemoArgs {
    /// Generate only (no subcommand: generate into a temporary folder and run everything).
    #[command(subcommand)]
    pub action: Option<DemoAction>,
    /// Keep the generated data in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

/// `orgpool demo …` subcommands.
#[derive(Debug, Subcommand)]
pub enum DemoAction {
    /// Write a demo organization bundle (org.json) and its CUR 2.0 export (cur/).
    #[command(
        after_help = "Examples:\n  orgpool demo generate --out ./demo\n  orgpool demo generate --out ./big --rows 10000000 --seed 7\n  orgpool demo generate --out ./payer --seed 7 --accounts 40 --commitment-scale 3\n\nThe same arguments always give the same files."
    )]
    Generate(GenerateArgs),
}

/// `orgpool demo generate`.
#[derive(Debug, Args, Clone)]
pub struct GenerateArgs {
    /// Folder to write org.json and cur/ into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Accounts in the organization, the management account included.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub accounts: u32,
    /// Months of hourly billing data.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=36))]
    pub months: u32,
    /// Size the export to about this many line items (for benchmarks).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=2_000_000_000))]
    pub rows: Option<u64>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First billing period, as YYYY-MM.
    #[arg(long, default_value = "2026-07", value_parser = parse_month)]
    pub start: NaiveDate,
    /// Worker threads (the output does not depend on it; default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub threads: Option<u32>,
    /// Size the Savings Plans held at this multiple of the default (a Compute
    /// SP at 30 % of the eligible base); 3 makes an over-committed payer pool
    /// whose plans sit idle in quiet hours.
    #[arg(long, default_value_t = 1.0, value_parser = parse_commitment_scale)]
    pub commitment_scale: f64,
}

fn parse_commitment_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 20.0 => Ok(x),
        _ => Err(format!("{text:?} is not a number above 0 and at most 20")),
    }
}

fn parse_month(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a month; expected YYYY-MM, for example 2026-07"))
}
