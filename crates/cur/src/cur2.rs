//! The CUR 2.0 column set, as AWS Data Exports writes it to Parquet.
//!
//! Source: AWS Data Exports User Guide, "Data Exports table dictionary" pages
//! `table-dictionary-cur2-bill`, `-line-item`, `-pricing`, `-product`,
//! `-reservation`, `-savings-plan` and `-discount`, plus the map columns
//! (`product`, `resource_tags`, `cost_category`, `discount`) described in
//! "CUR 2.0 schema". Amounts are `double`, dates are timestamps, and the map
//! columns are `map<string, string>` (`map<string, double>` for `discount`).
//! Split cost allocation columns are optional in CUR 2.0 and not listed here.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// The physical kind of a CUR 2.0 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `string`.
    Text,
    /// `double`.
    Number,
    /// `timestamp` (milliseconds, UTC, written without a zone as AWS does).
    Timestamp,
    /// `map<string, string>`.
    TextMap,
    /// `map<string, double>`.
    NumberMap,
}

use ColumnKind::{Number, NumberMap, Text, TextMap, Timestamp};

/// Every CUR 2.0 column orgpool writes and knows, in AWS's order.
pub const COLUMNS: &[(&str, ColumnKind)] = &[
    ("bill_bill_type", Text),
    ("bill_billing_entity", Text),
    ("bill_billing_period_end_date", Timestamp),
    ("bill_billing_period_start_date", Timestamp),
    ("bill_invoice_id", Text),
    ("bill_invoicing_entity", Text),
    ("bill_payer_account_id", Text),
    ("bill_payer_account_name", Text),
    ("cost_category", TextMap),
    ("discount", NumberMap),
    ("discount_bundled_discount", Number),
    ("discount_total_discount", Number),
    ("identity_line_item_id", Text),
    ("identity_time_interval", Text),
    ("line_item_availability_zone", Text),
    ("line_item_blended_cost", Number),
    ("line_item_blended_rate", Text),
    ("line_item_currency_code", Text),
    ("line_item_legal_entity", Text),
    ("line_item_line_item_description", Text),
    ("line_item_line_item_type", Text),
    ("line_item_net_unblended_cost", Number),
    ("line_item_net_unblended_rate", Text),
    ("line_item_normalization_factor", Number),
    ("line_item_normalized_usage_amount", Number),
    ("line_item_operation", Text),
    ("line_item_product_code", Text),
    ("line_item_resource_id", Text),
    ("line_item_tax_type", Text),
    ("line_item_unblended_cost", Number),
    ("line_item_unblended_rate", Text),
    ("line_item_usage_account_id", Text),
    ("line_item_usage_account_name", Text),
    ("line_item_usage_amount", Number),
    ("line_item_usage_end_date", Timestamp),
    ("line_item_usage_start_date", Timestamp),
    ("line_item_usage_type", Text),
    ("pricing_currency", Text),
    ("pricing_lease_contract_length", Text),
    ("pricing_offering_class", Text),
    ("pricing_public_on_demand_cost", Number),
    ("pricing_public_on_demand_rate", Text),
    ("pricing_purchase_option", Text),
    ("pricing_rate_code", Text),
    ("pricing_rate_id", Text),
    ("pricing_term", Text),
    ("pricing_unit", Text),
    ("product", TextMap),
    ("product_comment", Text),
    ("product_fee_code", Text),
    ("product_fee_description", Text),
    ("product_from_location", Text),
    ("product_from_location_type", Text),
    ("product_from_region_code", Text),
    ("product_instance_family", Text),
    ("product_instance_type", Text),
    ("product_instancesku", Text),
    ("product_location", Text),
    ("product_location_type", Text),
    ("product_operation", Text),
    ("product_pricing_unit", Text),
    ("product_product_family", Text),
    ("product_region_code", Text),
    ("product_servicecode", Text),
    ("product_sku", Text),
    ("product_to_location", Text),
    ("product_to_location_type", Text),
    ("product_to_region_code", Text),
    ("product_usagetype", Text),
    ("reservation_amortized_upfront_cost_for_usage", Number),
    (
        "reservation_amortized_upfront_fee_for_billing_period",
        Number,
    ),
    ("reservation_availability_zone", Text),
    ("reservation_effective_cost", Number),
    ("reservation_end_time", Text),
    ("reservation_modification_status", Text),
    ("reservation_normalized_units_per_reservation", Text),
    ("reservation_number_of_reservations", Text),
    ("reservation_recurring_fee_for_usage", Number),
    ("reservation_reservation_a_r_n", Text),
    ("reservation_start_time", Text),
    ("reservation_subscription_id", Text),
    ("reservation_total_reserved_normalized_units", Text),
    ("reservation_total_reserved_units", Text),
    ("reservation_units_per_reservation", Text),
    (
        "reservation_unused_amortized_upfront_fee_for_billing_period",
        Number,
    ),
    ("reservation_unused_normalized_unit_quantity", Number),
    ("reservation_unused_quantity", Number),
    ("reservation_unused_recurring_fee", Number),
    ("reservation_upfront_value", Number),
    ("resource_tags", TextMap),
    (
        "savings_plan_amortized_upfront_commitment_for_billing_period",
        Number,
    ),
    ("savings_plan_end_time", Text),
    ("savings_plan_instance_type_family", Text),
    (
        "savings_plan_net_amortized_upfront_commitment_for_billing_period",
        Number,
    ),
    (
        "savings_plan_net_recurring_commitment_for_billing_period",
        Number,
    ),
    ("savings_plan_net_savings_plan_effective_cost", Number),
    ("savings_plan_offering_type", Text),
    ("savings_plan_payment_option", Text),
    ("savings_plan_purchase_term", Text),
    (
        "savings_plan_recurring_commitment_for_billing_period",
        Number,
    ),
    ("savings_plan_region", Text),
    ("savings_plan_savings_plan_a_r_n", Text),
    ("savings_plan_savings_plan_effective_cost", Number),
    ("savings_plan_savings_plan_rate", Number),
    ("savings_plan_start_time", Text),
    ("savings_plan_total_commitment_to_date", Number),
    ("savings_plan_used_commitment", Number),
];

/// Line item types that appear in `line_item_line_item_type`.
///
/// Source: `table-dictionary-cur2-line-item`, column `line_item_line_item_type`.
pub mod line_item_type {
    /// On-demand usage, or usage no commitment covered.
    pub const USAGE: &str = "Usage";
    /// Usage covered by a Reserved Instance.
    pub const DISCOUNTED_USAGE: &str = "DiscountedUsage";
    /// The monthly recurring fee of a Reserved Instance.
    pub const RI_FEE: &str = "RIFee";
    /// Usage covered by a Savings Plan, at the on-demand rate.
    pub const SAVINGS_PLAN_COVERED_USAGE: &str = "SavingsPlanCoveredUsage";
    /// The negation of covered usage's on-demand cost.
    pub const SAVINGS_PLAN_NEGATION: &str = "SavingsPlanNegation";
    /// The hourly recurring fee of a Savings Plan.
    pub const SAVINGS_PLAN_RECURRING_FEE: &str = "SavingsPlanRecurringFee";
    /// Tax.
    pub const TAX: &str = "Tax";
    /// Credits.
    pub const CREDIT: &str = "Credit";
    /// Fees (support, subscriptions).
    pub const FEE: &str = "Fee";
}

/// The Arrow type of a column kind.
pub fn data_type(kind: ColumnKind) -> DataType {
    match kind {
        Text => DataType::Utf8,
        Number => DataType::Float64,
        Timestamp => DataType::Timestamp(TimeUnit::Millisecond, None),
        TextMap => map_type(DataType::Utf8),
        NumberMap => map_type(DataType::Float64),
    }
}

fn map_type(value: DataType) -> DataType {
    let entries = Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", value, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// The Arrow schema of a CUR 2.0 export: every column nullable, as AWS writes it.
pub fn arrow_schema() -> SchemaRef {
    let fields: Vec<Field> = COLUMNS
        .iter()
        .map(|(name, kind)| Field::new(*name, data_type(*kind), true))
        .collect();
    Arc::new(Schema::new(fields))
}

/// The index of a column in [`COLUMNS`].
pub fn column_index(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|(n, _)| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_unique_snake_case_and_the_schema_matches() {
        let mut seen = std::collections::HashSet::new();
        for (name, _) in COLUMNS {
            assert!(seen.insert(*name), "duplicate {name}");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
        let schema = arrow_schema();
        assert_eq!(schema.fields().len(), COLUMNS.len());
        assert!(matches!(
            schema.field_with_name("product").unwrap().data_type(),
            DataType::Map(..)
        ));
        assert_eq!(column_index("bill_bill_type"), Some(0));
    }
}

/// Compile-time indexes into [`COLUMNS`], for writers that fill rows by position.
pub mod col {
    use super::COLUMNS;

    const fn same(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The index of `name`; a name not in [`COLUMNS`] fails the build.
    pub const fn index(name: &str) -> usize {
        let mut i = 0;
        while i < COLUMNS.len() {
            if same(COLUMNS[i].0.as_bytes(), name.as_bytes()) {
                return i;
            }
            i += 1;
        }
        panic!("not a CUR 2.0 column")
    }

    macro_rules! columns {
        ($($name:ident),+ $(,)?) => {
            $(
                #[doc = concat!("Index of `", stringify!($name), "`.")]
                #[allow(non_upper_case_globals)]
                pub const $name: usize = index(stringify!($name));
            )+
        };
    }

    columns!(
        bill_bill_type,
        bill_billing_entity,
        bill_billing_period_end_date,
        bill_billing_period_start_date,
        bill_invoice_id,
        bill_invoicing_entity,
        bill_payer_account_id,
        bill_payer_account_name,
        cost_category,
        discount,
        identity_line_item_id,
        identity_time_interval,
        line_item_availability_zone,
        line_item_blended_cost,
        line_item_blended_rate,
        line_item_currency_code,
        line_item_legal_entity,
        line_item_line_item_description,
        line_item_line_item_type,
        line_item_net_unblended_cost,
        line_item_net_unblended_rate,
        line_item_normalization_factor,
        line_item_normalized_usage_amount,
        line_item_operation,
        line_item_product_code,
        line_item_resource_id,
        line_item_tax_type,
        line_item_unblended_cost,
        line_item_unblended_rate,
        line_item_usage_account_id,
        line_item_usage_account_name,
        line_item_usage_amount,
        line_item_usage_end_date,
        line_item_usage_start_date,
        line_item_usage_type,
        pricing_currency,
        pricing_lease_contract_length,
        pricing_offering_class,
        pricing_public_on_demand_cost,
        pricing_public_on_demand_rate,
        pricing_purchase_option,
        pricing_term,
        pricing_unit,
        product,
        product_instance_family,
        product_instance_type,
        product_location,
        product_location_type,
        product_operation,
        product_pricing_unit,
        product_product_family,
        product_region_code,
        product_servicecode,
        product_sku,
        product_usagetype,
        reservation_effective_cost,
        reservation_end_time,
        reservation_number_of_reservations,
        reservation_recurring_fee_for_usage,
        reservation_reservation_a_r_n,
        reservation_start_time,
        reservation_total_reserved_normalized_units,
        reservation_unused_quantity,
        reservation_unused_recurring_fee,
        reservation_amortized_upfront_cost_for_usage,
        resource_tags,
        savings_plan_amortized_upfront_commitment_for_billing_period,
        savings_plan_end_time,
        savings_plan_instance_type_family,
        savings_plan_offering_type,
        savings_plan_payment_option,
        savings_plan_purchase_term,
        savings_plan_recurring_commitment_for_billing_period,
        savings_plan_region,
        savings_plan_savings_plan_a_r_n,
        savings_plan_savings_plan_effective_cost,
        savings_plan_savings_plan_rate,
        savings_plan_start_time,
        savings_plan_total_commitment_to_date,
        savings_plan_used_commitment,
        savings_plan_net_savings_plan_effective_cost,
        savings_plan_net_recurring_commitment_for_billing_period,
    );
}
