//! The canonical line-item view: one SQL shape for every billing format.
//!
//! Each format's table is mapped by a `SELECT` into the same columns, and the
//! union of those is the view `line_items`. Eligibility for commitments is then
//! decided once, from canonical columns (`commitment_class`).
//!
//! Column rules (AWS Data Exports table dictionary, CUR 2.0 `line_item`,
//! `pricing`, `product`, `savings_plan` and `reservation` pages; legacy CUR data
//! dictionary; FOCUS 1.0 specification):
//! - legacy CSV headers map to Athena's snake_case: `lineItem/UsageAccountId` →
//!   `line_item_usage_account_id`, `savingsPlan/SavingsPlanARN` →
//!   `savings_plan_savings_plan_a_r_n` (every capital gets an underscore);
//! - region is `product_region_code` (CUR 2.0), else `product_region` (legacy);
//! - instance type is `product_instance_type`, else the part of the usage type after
//!   `:` (`BoxUsage:m5.large`); the family is the instance type's first part;
//! - `savings_plan_region` holds a region code (`eu-west-3`, `us-east-1`: the
//!   sample values of the legacy CUR data dictionary's `savingsPlan/Region`),
//!   so it is compared with `region` as it is; a plan whose fee lines name a
//!   region some other way matches no usage and is not lent by the pooled
//!   what-if;
//! - FOCUS: `BilledCost` is the billed cost, `ListCost` the public on-demand cost,
//!   `EffectiveCost` the commitment's effective cost, and the line item type follows
//!   from `ChargeCategory`, `CommitmentDiscountType` and `CommitmentDiscountStatus`.
//!   AWS's own FOCUS exports add the CUR's product code, usage type and operation
//!   (`x_ServiceCode`, `x_UsageType` or `SkuMeter`, `x_Operation`), which are read
//!   as a CUR's; without them, an EC2 line is an instance hour when its
//!   `ChargeDescription` names the instance type (see `focus_select`).

use crate::source::Format;

/// Converts a legacy CSV header (`lineItem/UsageAccountId`) to Athena's name.
pub fn snake_case(header: &str) -> String {
    let mut out = String::with_capacity(header.len() + 8);
    for c in header.chars() {
        if c == '/' {
            out.push('_');
        } else if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The kind of value a canonical column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A number.
    Number,
    /// A timestamp.
    Time,
}

/// One canonical column and where it comes from in CUR-shaped data.
pub struct CurColumn {
    /// Canonical name.
    pub name: &'static str,
    /// Value kind.
    pub kind: Kind,
    /// Candidate source columns (snake_case), first present wins.
    pub sources: &'static [&'static str],
    /// Whether a file without any source is refused.
    pub required: bool,
}

const fn c(
    name: &'static str,
    kind: Kind,
    sources: &'static [&'static str],
    required: bool,
) -> CurColumn {
    CurColumn {
        name,
        kind,
        sources,
        required,
    }
}

/// The canonical columns of a CUR (2.0 or legacy) line item.
pub const CUR_COLUMNS: &[CurColumn] = &[
    c(
        "billing_period_start",
        Kind::Time,
        &["bill_billing_period_start_date"],
        true,
    ),
    c(
        "payer_account_id",
        Kind::Text,
        &["bill_payer_account_id"],
        true,
    ),
    c(
        "usage_account_id",
        Kind::Text,
        &["line_item_usage_account_id"],
        true,
    ),
    c(
        "usage_start",
        Kind::Time,
        &["line_item_usage_start_date"],
        true,
    ),
    c(
        "usage_end",
        Kind::Time,
        &["line_item_usage_end_date"],
        false,
    ),
    c(
        "line_item_type",
        Kind::Text,
        &["line_item_line_item_type"],
        true,
    ),
    c(
        "billing_entity",
        Kind::Text,
        &["bill_billing_entity"],
        false,
    ),
    c(
        "product_code",
        Kind::Text,
        &["line_item_product_code"],
        true,
    ),
    c("usage_type", Kind::Text, &["line_item_usage_type"], true),
    c("operation", Kind::Text, &["line_item_operation"], false),
    c(
        "region",
        Kind::Text,
        &["product_region_code", "product_region"],
        false,
    ),
    c(
        "instance_type",
        Kind::Text,
        &["product_instance_type"],
        false,
    ),
    c(
        "usage_amount",
        Kind::Number,
        &["line_item_usage_amount"],
        true,
    ),
    c(
        "unblended_cost",
        Kind::Number,
        &["line_item_unblended_cost"],
        true,
    ),
    c(
        "public_on_demand_cost",
        Kind::Number,
        &["pricing_public_on_demand_cost"],
        false,
    ),
    c("currency", Kind::Text, &["line_item_currency_code"], false),
    c(
        "sp_arn",
        Kind::Text,
        &["savings_plan_savings_plan_a_r_n"],
        false,
    ),
    c(
        "sp_effective_cost",
        Kind::Number,
        &["savings_plan_savings_plan_effective_cost"],
        false,
    ),
    c(
        "sp_used_commitment",
        Kind::Number,
        &["savings_plan_used_commitment"],
        false,
    ),
    c(
        "sp_total_commitment",
        Kind::Number,
        &["savings_plan_total_commitment_to_date"],
        false,
    ),
    c(
        "sp_offering_type",
        Kind::Text,
        &["savings_plan_offering_type"],
        false,
    ),
    c(
        "sp_purchase_term",
        Kind::Text,
        &["savings_plan_purchase_term"],
        false,
    ),
    c(
        "sp_payment_option",
        Kind::Text,
        &["savings_plan_payment_option"],
        false,
    ),
    c(
        "sp_instance_family",
        Kind::Text,
        &["savings_plan_instance_type_family"],
        false,
    ),
    c("sp_region", Kind::Text, &["savings_plan_region"], false),
    c(
        "lease_contract_length",
        Kind::Text,
        &["pricing_lease_contract_length"],
        false,
    ),
    c(
        "purchase_option",
        Kind::Text,
        &["pricing_purchase_option"],
        false,
    ),
    c(
        "ri_arn",
        Kind::Text,
        &["reservation_reservation_a_r_n"],
        false,
    ),
    c(
        "ri_effective_cost",
        Kind::Number,
        &["reservation_effective_cost"],
        false,
    ),
    c(
        "ri_unused_recurring_fee",
        Kind::Number,
        &["reservation_unused_recurring_fee"],
        false,
    ),
    c(
        "ri_amortized_upfront",
        Kind::Number,
        &["reservation_amortized_upfront_fee_for_billing_period"],
        false,
    ),
    c(
        "ri_unused_amortized_upfront",
        Kind::Number,
        &["reservation_unused_amortized_upfront_fee_for_billing_period"],
        false,
    ),
    c(
        "normalization_factor",
        Kind::Number,
        &["line_item_normalization_factor"],
        false,
    ),
    c(
        "ri_total_normalized_units",
        Kind::Number,
        &["reservation_total_reserved_normalized_units"],
        false,
    ),
    c("ri_start", Kind::Time, &["reservation_start_time"], false),
    c("ri_end", Kind::Time, &["reservation_end_time"], false),
];

/// Canonical columns FOCUS files must have (FOCUS 1.0 names).
pub const FOCUS_REQUIRED: &[&str] = &[
    "BillingAccountId",
    "BillingPeriodStart",
    "ChargePeriodStart",
    "ChargeCategory",
    "BilledCost",
    "ServiceName",
];

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// A source value as text, with CSV's empty strings (and FOCUS's `NULL`) as null.
fn text(expr: &str, csv: bool) -> String {
    if csv {
        format!("NULLIF(NULLIF(CAST({expr} AS VARCHAR), ''), 'NULL')")
    } else {
        format!("CAST({expr} AS VARCHAR)")
    }
}

/// `expr` as a canonical column of `kind`. `csv`: the file is CSV (every
/// value is text, empty means null). `text_source`: this Parquet column is
/// text though the canonical column is a number or a time (legacy Parquet
/// CURs write RI units and terms so, empty on lines without them): empty
/// means null there too, and anything else must parse.
fn typed(expr: &str, kind: Kind, csv: bool, text_source: bool) -> String {
    let textual = csv || text_source;
    let t = text(expr, textual);
    match (kind, textual) {
        // Parquet text as it is read (dictionaries, see `dictionary_text`):
        // a cast would turn each line's key back into its string.
        (Kind::Text, true) if !csv => expr.to_owned(),
        (Kind::Text, _) => text(expr, csv),
        (Kind::Number, true) => format!("CAST({t} AS DOUBLE)"),
        (Kind::Number, false) => format!("CAST({expr} AS DOUBLE)"),
        (Kind::Time, true) => format!("CAST({t} AS TIMESTAMP)"),
        (Kind::Time, false) => format!("CAST({expr} AS TIMESTAMP)"),
    }
}

fn null_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "CAST(NULL AS VARCHAR)",
        Kind::Number => "CAST(NULL AS DOUBLE)",
        Kind::Time => "CAST(NULL AS TIMESTAMP)",
    }
}

/// Finds the actual column for a snake_case name in a file's columns.
pub fn resolve<'a>(columns: &'a [String], snake: &str, format: Format) -> Option<&'a str> {
    columns
        .iter()
        .find(|c| {
            if format == Format::LegacyCsv {
                snake_case(c) == snake
            } else {
                c.as_str() == snake
            }
        })
        .map(String::as_str)
}

/// The `SELECT` mapping one CUR-shaped table into canonical columns.
/// `text_columns`: the Parquet columns stored as text.
pub fn cur_select(
    table: &str,
    columns: &[String],
    text_columns: &[String],
    format: Format,
) -> String {
    let csv = format.is_csv();
    let is_text = |c: &str| text_columns.iter().any(|t| t == c);
    let fields: Vec<String> = CUR_COLUMNS
        .iter()
        .map(|col| {
            let source = col.sources.iter().find_map(|s| resolve(columns, s, format));
            let expr = match source {
                Some(s) => typed(&quote(s), col.kind, csv, is_text(s)),
                None => null_of(col.kind).to_owned(),
            };
            format!("{expr} AS {}", col.name)
        })
        .collect();
    format!(
        "SELECT 'AWS' AS provider, {} FROM {table}",
        fields.join(", ")
    )
}

/// The columns AWS adds to its FOCUS exports, where a file has them (AWS
/// Data Exports table dictionary: "FOCUS 1.0 with AWS columns" adds
/// `x_ServiceCode`, `x_UsageType` and `x_Operation`, among others; "FOCUS
/// 1.2 with AWS columns" keeps `x_ServiceCode` and `x_Operation`, and the
/// usage type "is now the SkuMeter column"). They carry the CUR's product
/// code, usage type and operation, so such a file's lines are classified as
/// a CUR's are.
struct AwsColumns {
    service_code: Option<String>,
    usage_type: Option<String>,
    operation: Option<String>,
}

impl AwsColumns {
    fn of(has: &dyn Fn(&str) -> bool, col: &dyn Fn(&str, Kind) -> String) -> Self {
        let text = |name: &str| has(name).then(|| col(name, Kind::Text));
        let is_aws = has("x_ServiceCode") || has("x_Operation");
        AwsColumns {
            service_code: text("x_ServiceCode"),
            // SkuMeter is the usage type only in AWS's own export.
            usage_type: text("x_UsageType").or_else(|| text("SkuMeter").filter(|_| is_aws)),
            operation: text("x_Operation"),
        }
    }
}

/// SQL for the value of AWS's `column` where the file has that column and
/// the line a value in it, else `fallback`.
fn aws_or(column: Option<&String>, fallback: &str) -> String {
    match column {
        Some(column) => format!("COALESCE({column}, {fallback})"),
        None => fallback.to_owned(),
    }
}

/// SQL for the instance type a FOCUS line's description names, as AWS
/// words an instance hour: `$0.0464 per On Demand Linux t2.medium Instance
/// Hour` (the FOCUS 1.0 sample in `shared/data/real`) gives `t2.medium`.
/// Null for other lines (`$0.045 per NAT Gateway Hour`), which no Savings
/// Plan covers.
fn described_instance_type(description: &str) -> String {
    format!("regexp_match({description}, ' ([a-z][a-z0-9-]*\\.[a-z0-9-]+) Instance Hour$')[1]")
}

/// The `SELECT` mapping one FOCUS table into canonical columns.
/// `text_columns`: the Parquet columns stored as text.
pub fn focus_select(
    table: &str,
    columns: &[String],
    text_columns: &[String],
    format: Format,
) -> String {
    let csv = format.is_csv();
    let is_text = |c: &str| text_columns.iter().any(|t| t == c);
    let has = |c: &str| columns.iter().any(|x| x == c);
    let col = |name: &str, kind: Kind| {
        if has(name) {
            typed(&quote(name), kind, csv, is_text(name))
        } else {
            null_of(kind).to_owned()
        }
    };
    let category = col("ChargeCategory", Kind::Text);
    let ctype = col("CommitmentDiscountType", Kind::Text);
    let status = col("CommitmentDiscountStatus", Kind::Text);
    let service = col("ServiceName", Kind::Text);
    let unit = col("ConsumedUnit", Kind::Text);
    let pricing = col("PricingCategory", Kind::Text);
    let region = if has("RegionId") {
        col("RegionId", Kind::Text)
    } else {
        col("Region", Kind::Text)
    };
    let line_type = format!(
        "CASE WHEN {category} = 'Usage' AND {status} = 'Unused' THEN 'UnusedCommitment' \
              WHEN {category} = 'Usage' AND {ctype} = 'Savings Plan' THEN 'SavingsPlanCoveredUsage' \
              WHEN {category} = 'Usage' AND {ctype} = 'Reservation' THEN 'DiscountedUsage' \
              WHEN {category} = 'Usage' THEN 'Usage' \
              WHEN {category} = 'Purchase' AND {ctype} = 'Savings Plan' THEN 'SavingsPlanRecurringFee' \
              WHEN {category} = 'Purchase' THEN 'RIFee' \
              WHEN {category} = 'Tax' THEN 'Tax' \
              WHEN {category} = 'Credit' THEN 'Credit' \
              ELSE 'Fee' END"
    );
    let aws = AwsColumns::of(&has, &col);
    let product_code = format!(
        "CASE {service} WHEN 'Amazon Elastic Compute Cloud' THEN 'AmazonEC2' WHEN 'AWS Lambda' THEN 'AWSLambda' \
              WHEN 'Amazon Elastic Container Service' THEN 'AmazonECS' WHEN 'Amazon SageMaker' THEN 'AmazonSageMaker' \
              WHEN 'Amazon Elastic Kubernetes Service' THEN 'AmazonEKS' \
              WHEN 'Amazon Relational Database Service' THEN 'AmazonRDS' ELSE {service} END"
    );
    let product_code = aws_or(aws.service_code.as_ref(), &product_code);
    // Without AWS's usage type and operation, a line's kind is read from its
    // service, unit and description: an EC2 line of hours (not Spot) is an
    // instance hour when its description names the instance type, and
    // reads as BoxUsage of RunInstances; other EC2 lines (volumes, NAT
    // gateways) get no operation, so no commitment covers them. A line
    // without a description (FOCUS allows it to be null) cannot tell, and
    // is taken for an instance hour of an unknown family.
    let description = col("ChargeDescription", Kind::Text);
    let described = described_instance_type(&description);
    let instance_hour = format!(
        "{service} = 'Amazon Elastic Compute Cloud' AND {unit} IN ('Hours', 'Hrs') AND {pricing} <> 'Dynamic' \
         AND ({described} IS NOT NULL OR {description} IS NULL)"
    );
    let usage_type = format!(
        "CASE WHEN {instance_hour} THEN 'BoxUsage' \
              WHEN {service} IN ('Amazon Elastic Container Service', 'Amazon Elastic Kubernetes Service') \
                   AND {description} LIKE 'AWS Fargate%' THEN 'Fargate' \
              WHEN {service} = 'AWS Lambda' AND {unit} LIKE '%Second%' THEN 'Lambda-GB-Second' ELSE {unit} END"
    );
    let usage_type = aws_or(aws.usage_type.as_ref(), &usage_type);
    let operation = format!(
        "CASE WHEN {pricing} = 'Dynamic' THEN 'Spot' WHEN {instance_hour} THEN 'RunInstances' END"
    );
    let operation = aws_or(aws.operation.as_ref(), &operation);
    // With AWS's usage type the instance type is in it, as in a CUR.
    let instance_type = match aws.usage_type {
        Some(_) => null_of(Kind::Text).to_owned(),
        None => format!("CASE WHEN {instance_hour} THEN {described} END"),
    };
    let commitment_id = col("CommitmentDiscountId", Kind::Text);
    let is_sp = format!("{ctype} = 'Savings Plan'");
    let is_ri = format!("{ctype} = 'Reservation'");
    let effective = col("EffectiveCost", Kind::Number);
    let fields = [
        format!("{} AS provider", col("ProviderName", Kind::Text)),
        format!(
            "{} AS billing_period_start",
            col("BillingPeriodStart", Kind::Time)
        ),
        format!(
            "{} AS payer_account_id",
            col("BillingAccountId", Kind::Text)
        ),
        format!(
            "COALESCE({}, {}) AS usage_account_id",
            col("SubAccountId", Kind::Text),
            col("BillingAccountId", Kind::Text)
        ),
        format!("{} AS usage_start", col("ChargePeriodStart", Kind::Time)),
        format!("{} AS usage_end", col("ChargePeriodEnd", Kind::Time)),
        format!("{line_type} AS line_item_type"),
        format!("{} AS billing_entity", col("ProviderName", Kind::Text)),
        format!("{product_code} AS product_code"),
        format!("{usage_type} AS usage_type"),
        format!("{operation} AS operation"),
        format!("{region} AS region"),
        format!("{instance_type} AS instance_type"),
        format!("{} AS usage_amount", col("ConsumedQuantity", Kind::Number)),
        format!("{} AS unblended_cost", col("BilledCost", Kind::Number)),
        format!("{} AS public_on_demand_cost", col("ListCost", Kind::Number)),
        format!("{} AS currency", col("BillingCurrency", Kind::Text)),
        format!("CASE WHEN {is_sp} THEN {commitment_id} END AS sp_arn"),
        format!(
            "CASE WHEN {is_sp} AND {category} = 'Usage' THEN {effective} END AS sp_effective_cost"
        ),
        format!("{} AS sp_used_commitment", null_of(Kind::Number)),
        format!("{} AS sp_total_commitment", null_of(Kind::Number)),
        format!("{} AS sp_offering_type", null_of(Kind::Text)),
        format!("{} AS sp_purchase_term", null_of(Kind::Text)),
        format!("{} AS sp_payment_option", null_of(Kind::Text)),
        format!("{} AS sp_instance_family", null_of(Kind::Text)),
        format!("{} AS sp_region", null_of(Kind::Text)),
        format!("CASE WHEN {is_ri} THEN {commitment_id} END AS ri_arn"),
        format!("{} AS lease_contract_length", null_of(Kind::Text)),
        format!("{} AS purchase_option", null_of(Kind::Text)),
        format!(
            "CASE WHEN {is_ri} AND {category} = 'Usage' THEN {effective} END AS ri_effective_cost"
        ),
        format!("{} AS ri_unused_recurring_fee", null_of(Kind::Number)),
        format!("{} AS ri_amortized_upfront", null_of(Kind::Number)),
        format!("{} AS ri_unused_amortized_upfront", null_of(Kind::Number)),
        format!("{} AS normalization_factor", null_of(Kind::Number)),
        format!("{} AS ri_total_normalized_units", null_of(Kind::Number)),
        format!("{} AS ri_start", null_of(Kind::Time)),
        format!("{} AS ri_end", null_of(Kind::Time)),
    ];
    // UNION ALL matches columns by position: emit them in the CUR order.
    let named: std::collections::HashMap<&str, &String> = fields
        .iter()
        .filter_map(|f| f.rsplit_once(" AS ").map(|(_, name)| (name, f)))
        .collect();
    let ordered: Vec<&str> = std::iter::once("provider")
        .chain(CUR_COLUMNS.iter().map(|c| c.name))
        .map(|name| named.get(name).map_or("", |f| f.as_str()))
        .collect();
    debug_assert!(
        ordered.iter().all(|f| !f.is_empty()),
        "FOCUS mapping misses a canonical column"
    );
    format!("SELECT {} FROM {table}", ordered.join(", "))
}

/// One commitment class and the lines it may cover: the products it applies
/// to and, in SQL over `usage_type` and `operation`, which of their lines.
struct ClassRule {
    class: &'static str,
    products: &'static [&'static str],
    lines: &'static str,
}

/// Savings Plans eligibility (AWS Savings Plans User Guide, "Savings Plans
/// overview"): EC2 instance usage (not Spot), Fargate, Lambda duration and
/// provisioned concurrency for Compute SPs; EC2 for EC2 Instance SPs; SageMaker
/// ML instances for SageMaker SPs. Data transfer is never covered. RDS
/// Reserved Instances cover RDS instance hours, Single-AZ
/// (`InstanceUsage:db.r5.large`) and Multi-AZ (`Multi-AZUsage:db.m4.large`,
/// as the 2018 workshop bill names them): AWS RDS User Guide, "Reserved DB
/// instances for Amazon RDS", sells reserved DB instances for either
/// deployment, and a size-flexible one covers a Multi-AZ instance at twice
/// its normalized units (see `orgpool_model::size_flexible`). Storage and
/// I/O (`RDS:Multi-AZ-PIOPS`, `Aurora:StorageUsage`) are not instance hours.
const CLASS_RULES: &[ClassRule] = &[
    ClassRule {
        class: "ec2",
        products: &["AmazonEC2"],
        lines: "operation LIKE 'RunInstances%' AND usage_type NOT LIKE '%SpotUsage%' \
                AND usage_type NOT LIKE '%Bytes%' AND usage_type NOT LIKE '%DataXfer%'",
    },
    ClassRule {
        class: "fargate",
        products: &["AmazonECS", "AmazonEKS"],
        lines: "usage_type LIKE '%Fargate%'",
    },
    ClassRule {
        class: "lambda",
        products: &["AWSLambda"],
        lines: "usage_type LIKE '%Lambda-GB-Second%' OR usage_type LIKE '%Lambda-Provisioned%'",
    },
    ClassRule {
        class: "sagemaker",
        products: &["AmazonSageMaker"],
        lines: "usage_type LIKE '%ml.%'",
    },
    ClassRule {
        class: "rds",
        products: &["AmazonRDS"],
        lines: "usage_type LIKE '%InstanceUsage%' OR usage_type LIKE '%Multi-AZUsage:%'",
    },
];

/// The line item types of usage, of any product, covered or not (CUR 2.0
/// table dictionary, `line_item_line_item_type`); everything else is a fee,
/// a tax, a credit or a negation.
pub(crate) const USAGE_TYPES: [&str; 3] = ["Usage", "SavingsPlanCoveredUsage", "DiscountedUsage"];

/// Usage lines ([`USAGE_TYPES`]), as SQL over the canonical view.
pub(crate) fn usage_lines() -> String {
    format!("line_item_type IN ({})", sql_list(&USAGE_TYPES))
}

pub(crate) fn sql_list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cheap necessary condition for `commitment_class IS NOT NULL`: the line's
/// product is one some commitment applies to. Scans use it to drop most other
/// lines before any string function runs.
pub fn may_be_eligible() -> String {
    format!("product_code IN ({})", sql_list(&eligible_products()))
}

/// The products some commitment may cover (every [`ClassRule`]'s).
pub(crate) fn eligible_products() -> Vec<&'static str> {
    CLASS_RULES
        .iter()
        .flat_map(|r| r.products.iter().copied())
        .collect()
}

/// `rows` with the commitment class that may cover each line, its instance
/// type (`itype`) and its family. They depend only on `product_code`,
/// `usage_type`, `operation` and `instance_type`, so this may run on rows
/// already grouped by those.
pub fn classify(rows: &str) -> String {
    let cases: String = CLASS_RULES
        .iter()
        .map(|r| {
            format!(
                "WHEN product_code IN ({}) AND ({}) THEN '{}' ",
                sql_list(r.products),
                r.lines,
                r.class
            )
        })
        .collect();
    format!(
        "SELECT *, \
           CASE WHEN commitment_class IS NULL THEN NULL \
                WHEN commitment_class IN ('lambda', 'fargate') THEN commitment_class \
                ELSE {family} END AS family \
         FROM ( \
           SELECT *, \
             COALESCE(NULLIF(instance_type, ''), CASE WHEN strpos(usage_type, ':') > 0 THEN split_part(usage_type, ':', 2) END) AS itype, \
             CASE {cases}END AS commitment_class \
           FROM ({rows}) AS r \
         ) AS c",
        family = itype_family("itype")
    )
}

/// SQL for the instance family of the instance type `itype` (a column of
/// [`classify`]'s rows): `m5` of `m5.large`, `r5` of `db.r5.large` and of
/// `ml.r5.large`; null when there is none. An RI's `RIFee` line names its
/// instance type in its usage type after the colon (`HeavyUsage:c4.large`
/// in the 2018 workshop bill in `shared/data/real`), which [`classify`]
/// takes as `itype`, so this gives an RI's family too.
pub fn itype_family(itype: &str) -> String {
    format!(
        "CASE WHEN starts_with({itype}, 'db.') OR starts_with({itype}, 'ml.') THEN split_part({itype}, '.', 2) \
              ELSE NULLIF(split_part({itype}, '.', 1), '') END"
    )
}

/// Derived columns over the union of canonical rows: billing period text,
/// the hour of use, the hours a line spans ([`usage_hours`]), and (see
/// [`classify`]) instance family and the commitment class that may cover
/// the line.
pub fn enrich(union: &str) -> String {
    format!(
        "SELECT *, \
           to_char(billing_period_start, '%Y-%m') AS billing_period, \
           date_trunc('hour', usage_start) AS usage_hour, \
           {} AS usage_hours \
         FROM ({}) AS e",
        usage_hours(),
        classify(union)
    )
}

/// SQL for the number of hours a line's usage spans, as text, when it
/// spans more than one (else null): `24` for a line of a day.
///
/// A CUR exported at daily or monthly granularity (Data Exports' table
/// configuration `TIME_GRANULARITY`: HOURLY, DAILY or MONTHLY) puts a day's
/// or a month's usage in one line, from `line_item_usage_start_date` to
/// `line_item_usage_end_date`; an hourly one puts a few such lines
/// (storage, requests) among its hourly ones; FOCUS says the same with
/// `ChargePeriodStart` and `ChargePeriodEnd`. The estimate spreads such a
/// line evenly over its hours (see `summary`), since commitments apply
/// hour by hour. A line that ends more than an hour after it starts spans
/// the hours from its start's hour to its end, rounded up; any other, its
/// start's hour alone, and no line more than a month (see
/// `line_groups::MAX_SPAN_HOURS`). The estimate's scan works this out itself, from
/// `usage_start` and `usage_end` (`line_groups::SpanIds`: this expression,
/// evaluated on every line, would nearly double the scan's time); this
/// column states the same rule in SQL, for questions and tests.
pub fn usage_hours() -> String {
    let seconds =
        "(date_part('epoch', usage_end) - date_part('epoch', date_trunc('hour', usage_start)))";
    format!(
        "CASE WHEN usage_end > usage_start + INTERVAL '1 hour' \
              THEN CAST(LEAST(CAST(ceil({seconds} / 3600) AS BIGINT), {max}) AS VARCHAR) END",
        max = crate::line_groups::MAX_SPAN_HOURS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_names(select: &str) -> Vec<String> {
        let body = select
            .trim_start_matches("SELECT ")
            .rsplit_once(" FROM ")
            .unwrap()
            .0
            .to_owned();
        // Split on top-level commas only.
        let (mut depth, mut start, mut names) = (0i32, 0usize, Vec::new());
        for (i, ch) in body.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    names.push(
                        body[start..i]
                            .rsplit_once(" AS ")
                            .unwrap()
                            .1
                            .trim()
                            .to_owned(),
                    );
                    start = i + 1;
                }
                _ => {}
            }
        }
        names.push(
            body[start..]
                .rsplit_once(" AS ")
                .unwrap()
                .1
                .trim()
                .to_owned(),
        );
        names
    }

    #[test]
    fn every_format_yields_the_same_columns_in_the_same_order() {
        let cur = output_names(&cur_select("t", &[], &[], Format::Cur2Parquet));
        let focus = output_names(&focus_select(
            "t",
            &["ChargeCategory".to_owned()],
            &[],
            Format::FocusCsv,
        ));
        assert_eq!(cur, focus);
        assert_eq!(cur.len(), CUR_COLUMNS.len() + 1);
    }

    #[test]
    fn the_eligibility_prefilter_names_every_product_a_class_rule_covers() {
        let filter = may_be_eligible();
        for rule in CLASS_RULES {
            for product in rule.products {
                assert!(filter.contains(&format!("'{product}'")), "{product}");
            }
        }
        assert!(classify("t").contains("WHEN product_code IN ('AmazonECS', 'AmazonEKS') AND (usage_type LIKE '%Fargate%') THEN 'fargate'"));
    }

    #[test]
    fn legacy_headers_become_athena_names() {
        assert_eq!(
            snake_case("lineItem/UsageAccountId"),
            "line_item_usage_account_id"
        );
        assert_eq!(
            snake_case("savingsPlan/SavingsPlanARN"),
            "savings_plan_savings_plan_a_r_n"
        );
        assert_eq!(
            snake_case("pricing/publicOnDemandCost"),
            "pricing_public_on_demand_cost"
        );
        assert_eq!(snake_case("product/region"), "product_region");
        assert_eq!(snake_case("bill/PayerAccountId"), "bill_payer_account_id");
    }
}
