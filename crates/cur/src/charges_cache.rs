//! The pro forma's charge rows and held commitments (see [`crate::charges`])
//! as one Arrow batch, so that they can be kept in the [`SummaryCache`]
//! beside the estimate's summary: asking for the pro forma again of the same
//! export (another plan, other pricing rules, other custom line items) then
//! skips the scan of every line.
//!
//! The batch has a row per charge row: its hour, its texts as dictionaries
//! (a billing period or an account is stored once, and read back as one
//! shared text), its class and kind as small codes, its amounts. The held
//! commitments, a few per Savings Plan or RI and billing period, travel as
//! JSON in the schema's metadata, with what was spread over several hours
//! (see [`crate::charge_rows`]).
//!
//! An entry's key is the summary's (the program, the view and every file's
//! identity and content digest) with the charge scan's layout and the fee
//! lines' SQL added, so an entry is read back only by the same build over
//! the same files.
//!
//! [`SummaryCache`]: crate::SummaryCache

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch,
    StringDictionaryBuilder, UInt8Array,
};
use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema, SchemaRef, UInt8Type};
use orgpool_model::{ChargeKind, ChargeRow, CommitmentClass, CommitmentRow, SharedText};

use crate::LongLines;
use crate::charges::Charges;

/// The schema metadata key holding the held commitments, as JSON.
const HELD: &str = "orgpool.held_commitments";

/// The kinds and classes by their code in the batch.
const KINDS: [ChargeKind; 3] = [
    ChargeKind::Usage,
    ChargeKind::CommitmentFee,
    ChargeKind::Other,
];
const CLASSES: [CommitmentClass; 5] = [
    CommitmentClass::Ec2,
    CommitmentClass::Fargate,
    CommitmentClass::Lambda,
    CommitmentClass::Sagemaker,
    CommitmentClass::Rds,
];

/// A charge row's texts, in the batch's order.
const TEXTS: [&str; 8] = [
    "period",
    "account",
    "service",
    "billing_entity",
    "usage_type",
    "operation",
    "region",
    "family",
];

/// A charge row's amounts, in the batch's order.
const AMOUNTS: [&str; 5] = [
    "amount",
    "normalization_factor",
    "public_cost",
    "paid_tier_cost",
    "actual_cost",
];

fn texts_of(row: &ChargeRow) -> [&str; 8] {
    [
        &row.period,
        &row.account,
        &row.service,
        &row.billing_entity,
        &row.usage_type,
        &row.operation,
        &row.region,
        &row.family,
    ]
}

fn amounts_of(row: &ChargeRow) -> [f64; 5] {
    [
        row.amount,
        row.normalization_factor,
        row.public_cost,
        row.paid_tier_cost,
        row.actual_cost,
    ]
}

/// The cache key of the charges of the files and view `summary_key` names
/// (see `crate::summary_key`).
pub(crate) fn key(summary_key: &str) -> String {
    format!(
        "charges\nlayout: {}\nfees: {}\nschema: {:?}\n{summary_key}",
        crate::charges::CHARGES.scan_sql("line_items"),
        crate::charges::COMMITMENT_FEES_SQL,
        schema(String::new())
    )
}

fn schema(held: String) -> Schema {
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let mut fields = vec![Field::new("hour", DataType::Int64, false)];
    fields.extend(
        TEXTS
            .iter()
            .map(|name| Field::new(*name, dictionary.clone(), false)),
    );
    fields.push(Field::new("class", DataType::UInt8, true));
    fields.push(Field::new("kind", DataType::UInt8, false));
    fields.push(Field::new("free_tier", DataType::Boolean, false));
    fields.extend(
        AMOUNTS
            .iter()
            .map(|name| Field::new(*name, DataType::Float64, false)),
    );
    Schema::new(fields).with_metadata(HashMap::from([(HELD.to_owned(), held)]))
}

/// `rows` and `held` as one batch (with its schema), what was spread
/// (`long`) in the schema's metadata.
pub(crate) fn encode(
    rows: &[ChargeRow],
    held: &[CommitmentRow],
    long: LongLines,
) -> Result<(SchemaRef, RecordBatch), String> {
    let held = serde_json::to_string(held).map_err(|e| e.to_string())?;
    let schema = schema(held);
    let mut metadata = schema.metadata().clone();
    metadata.extend(long.to_metadata());
    let schema = Arc::new(schema.with_metadata(metadata));
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from_iter_values(
        rows.iter().map(|r| r.hour),
    ))];
    for i in 0..TEXTS.len() {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for row in rows {
            builder.append_value(texts_of(row)[i]);
        }
        columns.push(Arc::new(builder.finish()));
    }
    let code = |class: CommitmentClass| CLASSES.iter().position(|c| *c == class);
    columns.push(Arc::new(UInt8Array::from_iter(
        rows.iter().map(|r| r.class.and_then(code).map(|i| i as u8)),
    )));
    columns.push(Arc::new(UInt8Array::from_iter_values(rows.iter().map(
        |r| KINDS.iter().position(|k| *k == r.kind).unwrap_or(0) as u8,
    ))));
    columns.push(Arc::new(BooleanArray::from_iter(
        rows.iter().map(|r| Some(r.free_tier)),
    )));
    for i in 0..AMOUNTS.len() {
        columns.push(Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| amounts_of(r)[i]),
        )));
    }
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())?;
    Ok((schema, batch))
}

/// The inverse of [`encode`]; an error says what of the entry is wrong.
pub(crate) fn decode(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(Charges, LongLines), String> {
    let held = schema.metadata().get(HELD).ok_or("no held commitments")?;
    let held: Vec<CommitmentRow> = serde_json::from_str(held).map_err(|e| e.to_string())?;
    let long = LongLines::from_metadata(schema.metadata())?;
    let mut rows = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for batch in batches {
        decode_batch(batch, &mut rows)?;
    }
    Ok(((rows, held), long))
}

fn decode_batch(batch: &RecordBatch, rows: &mut Vec<ChargeRow>) -> Result<(), String> {
    let column = |name: &str| {
        batch
            .column_by_name(name)
            .ok_or_else(|| format!("no column {name}"))
    };
    let wrong = |name: &str| format!("column {name} has the wrong type");
    let hours = column("hour")?
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| wrong("hour"))?;
    let texts = TEXTS
        .iter()
        .map(|name| shared_texts(column(name)?.as_ref()).ok_or_else(|| wrong(name)))
        .collect::<Result<Vec<_>, _>>()?;
    let classes = column("class")?
        .as_primitive_opt::<UInt8Type>()
        .ok_or_else(|| wrong("class"))?;
    let kinds = column("kind")?
        .as_primitive_opt::<UInt8Type>()
        .ok_or_else(|| wrong("kind"))?;
    let free_tier = column("free_tier")?
        .as_boolean_opt()
        .ok_or_else(|| wrong("free_tier"))?;
    let amounts = AMOUNTS
        .iter()
        .map(|name| {
            column(name)?
                .as_primitive_opt::<arrow::datatypes::Float64Type>()
                .ok_or_else(|| wrong(name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, &hour) in hours.values().iter().enumerate() {
        let text = |t: usize| texts[t][i].clone();
        let class = match classes.is_valid(i) {
            true => Some(
                *CLASSES
                    .get(classes.value(i) as usize)
                    .ok_or("a bad class")?,
            ),
            false => None,
        };
        let kind = *KINDS.get(kinds.value(i) as usize).ok_or("a bad kind")?;
        let amount = |a: usize| amounts[a].value(i);
        rows.push(ChargeRow {
            hour,
            period: text(0),
            account: text(1),
            service: text(2),
            billing_entity: text(3),
            usage_type: text(4),
            operation: text(5),
            region: text(6),
            family: text(7),
            class,
            kind,
            amount: amount(0),
            normalization_factor: amount(1),
            public_cost: amount(2),
            paid_tier_cost: amount(3),
            free_tier: free_tier.value(i),
            actual_cost: amount(4),
        });
    }
    Ok(())
}

/// A dictionary column's values, a row each, each distinct text shared.
fn shared_texts(column: &dyn Array) -> Option<Vec<SharedText>> {
    let dictionary = column.as_dictionary_opt::<Int32Type>()?;
    let values = dictionary.values().as_string_opt::<i32>()?;
    let shared: Vec<SharedText> = values.iter().map(|v| Arc::from(v.unwrap_or(""))).collect();
    dictionary
        .keys()
        .iter()
        .map(|k| shared.get(usize::try_from(k?).ok()?).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(hour: i64, class: Option<CommitmentClass>, kind: ChargeKind) -> ChargeRow {
        let t = |s: &str| SharedText::from(s);
        ChargeRow {
            hour,
            period: t("2026-07"),
            account: t("111111111111"),
            service: t("AmazonEC2"),
            billing_entity: t("AWS"),
            usage_type: t("BoxUsage:m5.large"),
            operation: t("RunInstances"),
            region: t("us-east-1"),
            family: t(if class.is_some() { "m5" } else { "" }),
            class,
            kind,
            amount: 1.5,
            normalization_factor: 4.0,
            public_cost: 0.096,
            paid_tier_cost: 0.096,
            free_tier: hour % 2 == 0,
            actual_cost: -0.0625,
        }
    }

    #[test]
    fn charge_rows_and_commitments_read_back_as_they_were_written() {
        let rows: Vec<ChargeRow> = (0..10)
            .map(|h| {
                let class = CLASSES.get(h as usize % 6).copied();
                row(h, class, KINDS[h as usize % 3])
            })
            .collect();
        let held = vec![CommitmentRow {
            id: "arn:aws:savingsplans::111111111111:savingsplan/x".into(),
            owner: "111111111111".into(),
            kind: orgpool_model::HeldKind::Ec2InstanceSp {
                family: "m5".into(),
                region: "us-east-1".into(),
            },
            service: "ComputeSavingsPlans".into(),
            per_hour: 0.9987199209039549,
            // Read back exactly only with serde_json's `float_roundtrip`
            // (the default parser was one unit in the last place off).
            hourly_fee: 0.10291324200268817,
            first_hour: 0,
            last_hour: 9,
            purchased: 0,
            discounts: vec![("BoxUsage:m5.large|RunInstances|us-east-1".into(), 0.28)],
        }];
        let long = LongLines {
            on_demand_cost: 123.456789,
            longest_hours: 24,
        };
        let (schema, batch) = encode(&rows, &held, long).unwrap();
        assert_eq!(
            decode(&schema, std::slice::from_ref(&batch)).unwrap(),
            ((rows, held), long)
        );
        // A shared text is one allocation per distinct value.
        let ((back, _), _) = decode(&schema, &[batch]).unwrap();
        assert!(Arc::ptr_eq(&back[0].account, &back[9].account));
    }

    #[test]
    fn an_entry_of_another_shape_is_refused_not_misread() {
        let (schema, batch) = encode(
            &[row(0, None, ChargeKind::Usage)],
            &[],
            LongLines::default(),
        )
        .unwrap();
        let without_metadata = Arc::new(Schema::new(schema.fields().clone()));
        assert!(decode(&without_metadata, std::slice::from_ref(&batch)).is_err());
        let narrower = batch.project(&[0, 1]).unwrap();
        let err = decode(&schema, &[narrower]).unwrap_err();
        assert!(err.contains("no column"), "{err}");
    }
}
