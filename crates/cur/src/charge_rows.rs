//! The pro forma's charge rows, worked out in Rust from the bill's line
//! groups ([`crate::charges::CHARGES`]), as the estimate's summary is from
//! its own (see [`crate::summary`]).
//!
//! A group is a time and a combination of the other keys, and the
//! combinations are few. So each combination's row keys (billing period,
//! account, service…, class and family) are worked out once: class and
//! family by [`crate::canonical::classify`], run in SQL over the distinct
//! (product, usage type, operation, instance type) keys only. Each group
//! then adds its costs, by its line type's rule (see the module doc of
//! [`crate::charges`]), to the row of its hour and row keys.
//!
//! A group of usage a commitment may cover whose lines span several hours
//! (a daily or monthly export's, see [`crate::canonical::usage_hours`]) is
//! spread evenly over them, as the estimate's summary spreads it: the
//! simulator applies commitments hour by hour, and a day's usage in its
//! first hour would meet one hour's commitment. Other lines stay in their
//! first hour: no commitment applies to them, so their hour changes no
//! figure, and spreading a month's tax would only multiply the rows.
//!
//! Against the SQL this replaces (a `CASE` and a classification per group,
//! then a `GROUP BY` of 13 columns, then a string per field per row), it
//! takes a fraction of the time, and the rows come out in one fixed order
//! (the scan's partitions in turn, each in its own order) with their sums
//! taken in that order: the same export gives the same rows, bit for bit.
//! `charges::tests` hold it to that SQL.

use rayon::prelude::*;

use orgpool_model::{ChargeKind, ChargeRow, CommitmentClass, SharedText};

use crate::charges::{CHARGES, CoverageByKey, add_coverage};
use crate::line_groups::LineGroups;
use crate::summary::{
    ClassAndFamily, Numbered, RULE_INPUTS, RowIds, Rule, Texts, classify, hours_of, spans_of,
};
use crate::{BillingData, CurError, HOUR_NS, LongLines};

/// A line type, as the rules of a charge read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineType {
    Usage,
    SpCovered,
    Discounted,
    SpFee,
    RiFee,
    SpUpfrontFee,
    Other,
}

impl LineType {
    fn of(text: Option<&str>) -> Self {
        match text {
            Some("Usage") => Self::Usage,
            Some("SavingsPlanCoveredUsage") => Self::SpCovered,
            Some("DiscountedUsage") => Self::Discounted,
            Some("SavingsPlanRecurringFee") => Self::SpFee,
            Some("RIFee") => Self::RiFee,
            Some("SavingsPlanUpfrontFee") => Self::SpUpfrontFee,
            _ => Self::Other,
        }
    }

    fn kind(self) -> ChargeKind {
        match self {
            Self::Usage | Self::SpCovered | Self::Discounted => ChargeKind::Usage,
            Self::SpFee | Self::RiFee | Self::SpUpfrontFee => ChargeKind::CommitmentFee,
            Self::Other => ChargeKind::Other,
        }
    }
}

/// What the rows of one combination share: everything but the hour.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RowKey {
    period: SharedText,
    account: SharedText,
    service: SharedText,
    billing_entity: SharedText,
    usage_type: SharedText,
    operation: SharedText,
    region: SharedText,
    family: SharedText,
    class: Option<CommitmentClass>,
    kind: ChargeKind,
    free: bool,
    /// The ARN of the commitment that covered the usage.
    commitment: Option<String>,
}

/// A combination of one partition's groups, before its class and family
/// are known.
struct Draft {
    key: RowKey,
    rule: u32,
    line_type: LineType,
}

/// The place of each of [`CHARGES`]' outputs this step reads.
struct Outputs {
    usage_amount: usize,
    unblended: usize,
    list_cost: usize,
    unblended_without_list_cost: usize,
    sp_effective: usize,
    unblended_without_sp_effective: usize,
    ri_effective: usize,
    unblended_without_ri_effective: usize,
    sp_unused: usize,
    unblended_without_sp_unused: usize,
    ri_unused_fee: usize,
    ri_unused_upfront: usize,
    nf: usize,
}

impl Outputs {
    fn find() -> Self {
        let at = |name: &str| {
            CHARGES
                .outputs
                .iter()
                .position(|o| *o == name)
                .unwrap_or_else(|| panic!("CHARGES has no output {name}"))
        };
        Outputs {
            usage_amount: at("usage_amount"),
            unblended: at("unblended"),
            list_cost: at("list_cost"),
            unblended_without_list_cost: at("unblended_without_list_cost"),
            sp_effective: at("sp_effective"),
            unblended_without_sp_effective: at("unblended_without_sp_effective"),
            ri_effective: at("ri_effective"),
            unblended_without_ri_effective: at("unblended_without_ri_effective"),
            sp_unused: at("sp_unused"),
            unblended_without_sp_unused: at("unblended_without_sp_unused"),
            ri_unused_fee: at("ri_unused_fee"),
            ri_unused_upfront: at("ri_unused_upfront"),
            nf: at("nf"),
        }
    }
}

/// One group's part of its row: each `None` where SQL's would be null.
struct Costs {
    amount: Option<f64>,
    public: Option<f64>,
    actual: Option<f64>,
    paid_tier: Option<f64>,
    list: f64,
    nf: Option<f64>,
}

impl Costs {
    /// Each hour's part of these costs, when they are those of `hours`
    /// hours: every sum divided, the normalization factor (a maximum) kept.
    fn per_hour_of(self, hours: u32) -> Self {
        if hours <= 1 {
            return self;
        }
        let n = f64::from(hours);
        let each = |x: Option<f64>| x.map(|x| x / n);
        Costs {
            amount: each(self.amount),
            public: each(self.public),
            actual: each(self.actual),
            paid_tier: each(self.paid_tier),
            list: self.list / n,
            nf: self.nf,
        }
    }

    /// Group `group` of `part`, of line type `t`, free tier or not.
    fn of(part: &LineGroups, group: usize, o: &Outputs, t: LineType, free: bool) -> Self {
        let out = |i: usize| part.output(group, i);
        let both = |a: usize, b: usize| Some(out(a).unwrap_or(0.0) + out(b).unwrap_or(0.0));
        let unblended = out(o.unblended);
        let amount = match t {
            LineType::Usage | LineType::SpCovered | LineType::Discounted => out(o.usage_amount),
            _ => Some(0.0),
        };
        let public = if t == LineType::Discounted {
            both(o.list_cost, o.unblended_without_list_cost)
        } else {
            unblended
        };
        let actual = match t {
            LineType::SpCovered => both(o.sp_effective, o.unblended_without_sp_effective),
            LineType::Discounted => both(o.ri_effective, o.unblended_without_ri_effective),
            LineType::SpFee => both(o.sp_unused, o.unblended_without_sp_unused),
            LineType::RiFee => both(o.ri_unused_fee, o.ri_unused_upfront),
            _ => unblended,
        };
        let list = out(o.list_cost).unwrap_or(0.0);
        Costs {
            amount,
            public,
            actual,
            paid_tier: if free { Some(list) } else { public },
            list,
            nf: out(o.nf),
        }
    }
}

/// A row's sums so far (a sum of nothing reads 0, as the SQL's null did).
#[derive(Default, Clone, Copy)]
struct Sums {
    amount: f64,
    public: f64,
    actual: f64,
    paid_tier: f64,
    list: f64,
    nf: Option<f64>,
}

impl Sums {
    fn add(&mut self, c: &Costs) {
        self.amount += c.amount.unwrap_or(0.0);
        self.public += c.public.unwrap_or(0.0);
        self.actual += c.actual.unwrap_or(0.0);
        self.paid_tier += c.paid_tier.unwrap_or(0.0);
        self.list += c.list;
        if let Some(nf) = c.nf {
            self.nf = Some(self.nf.map_or(nf, |m| m.max(nf)));
        }
    }
}

/// The text of id `id` among `values` (id `i` is `[i - 1]`, 0 is null).
fn text(values: &[Box<str>], id: u32) -> Option<&str> {
    (id > 0).then(|| &*values[id as usize - 1])
}

/// The charge groups' text keys a row's keys are read from, in the order
/// [`drafts`] takes them.
const ROW_TEXTS: [&str; 10] = [
    "usage_account_id",
    "payer_account_id",
    "product_code",
    "billing_entity",
    "usage_type",
    "operation",
    "region",
    "line_item_type",
    "sp_arn",
    "ri_arn",
];

/// Each combination of `part`'s groups as a [`Draft`]: its row keys but
/// class and family, with its rule numbered among `rules`.
fn drafts(
    part: &LineGroups,
    rule_texts: &mut [Texts],
    rules: &mut Numbered<Rule>,
) -> Result<Vec<Draft>, CurError> {
    let missing = |name: &str| CurError::Engine(format!("the charge groups have no column {name}"));
    let key = |name: &str| part.text_key(name).ok_or_else(|| missing(name));
    let found = ROW_TEXTS
        .iter()
        .map(|name| key(name))
        .collect::<Result<Vec<_>, _>>()?;
    let [
        account,
        payer,
        product,
        entity,
        usage_type,
        operation,
        region,
        line_type,
        sp_arn,
        ri_arn,
    ]: [(usize, &[Box<str>]); ROW_TEXTS.len()] =
        found.try_into().expect("one key per name of ROW_TEXTS");
    let mut rule_inputs = Vec::new();
    for (i, name) in RULE_INPUTS.iter().enumerate() {
        let (slot, values) = key(name)?;
        rule_inputs.push((slot, rule_texts[i].ids_of(values)));
    }
    let (Some(flag), 2) = (part.flag_key(), part.layout.times.len()) else {
        return Err(CurError::Engine(
            "the charge groups have no free-tier flag or billing period".into(),
        ));
    };
    fn get<'a>(c: &[u32], (slot, values): (usize, &'a [Box<str>])) -> Option<&'a str> {
        text(values, c[slot])
    }
    let owned = |c: &[u32], k, default: &str| SharedText::from(get(c, k).unwrap_or(default));
    let period = |c: &[u32]| -> SharedText {
        part.time(1, c[0])
            .map(|ns| {
                chrono::DateTime::from_timestamp_nanos(ns)
                    .format("%Y-%m")
                    .to_string()
            })
            .unwrap_or_default()
            .into()
    };
    Ok(part
        .combinations
        .iter()
        .map(|c| {
            let t = LineType::of(get(c, line_type));
            let commitment = match t {
                LineType::SpCovered => get(c, sp_arn),
                LineType::Discounted => get(c, ri_arn),
                _ => None,
            };
            let mut rule: Rule = [0; 4];
            for (r, (slot, ids)) in rule.iter_mut().zip(&rule_inputs) {
                *r = ids[c[*slot] as usize];
            }
            Draft {
                key: RowKey {
                    period: period(c),
                    account: get(c, account)
                        .or_else(|| get(c, payer))
                        .unwrap_or_default()
                        .into(),
                    service: owned(c, product, ""),
                    billing_entity: owned(c, entity, "AWS"),
                    usage_type: owned(c, usage_type, ""),
                    operation: owned(c, operation, ""),
                    region: owned(c, region, ""),
                    family: "".into(),
                    class: None,
                    kind: t.kind(),
                    free: t == LineType::Usage && c[flag] == 1,
                    commitment: commitment.map(str::to_owned),
                },
                rule: rules.id(rule),
                line_type: t,
            }
        })
        .collect())
}

/// The charge rows of the line groups of the scan's partitions (in their
/// order), and what each commitment covered in them.
pub(crate) fn charge_rows(
    data: &BillingData,
    parts: &[LineGroups],
) -> Result<(Vec<ChargeRow>, CoverageByKey, LongLines), CurError> {
    let clock = std::time::Instant::now();
    let mut rule_texts: Vec<Texts> = std::iter::repeat_with(Texts::default).take(4).collect();
    let mut rules: Numbered<Rule> = Numbered::default();
    let drafts = parts
        .iter()
        .map(|part| drafts(part, &mut rule_texts, &mut rules))
        .collect::<Result<Vec<_>, _>>()?;
    let classes: Vec<ClassAndFamily> = classify(data, &rules.keys, &rule_texts)?;
    tracing::debug!(
        "charge rows: {} rule keys classified, {:.3} s",
        rules.keys.len(),
        clock.elapsed().as_secs_f64()
    );
    // Each partition's combinations' row keys, numbered across partitions,
    // with their line types.
    let mut keys: Numbered<RowKey> = Numbered::default();
    let templates: Vec<Vec<Template>> = drafts
        .into_iter()
        .zip(parts)
        .map(|(drafts, part)| {
            let spans = spans_of(part)?;
            Ok(drafts
                .into_iter()
                .zip(spans)
                .map(|(d, span)| {
                    let ClassAndFamily { class, family, .. } = &classes[d.rule as usize];
                    let mut key = d.key;
                    key.class = class.as_deref().and_then(CommitmentClass::parse);
                    key.family = family.as_deref().unwrap_or_default().into();
                    let coverable = key.kind == ChargeKind::Usage && key.class.is_some();
                    Template {
                        free: key.free,
                        key: keys.id(key),
                        line_type: d.line_type,
                        span: if coverable { span } else { 1 },
                    }
                })
                .collect())
        })
        .collect::<Result<_, CurError>>()?;
    // The rows, (hour, row key) pairs in the order first seen, and their sums.
    let outputs = Outputs::find();
    let groups: usize = parts.iter().map(|p| p.keys.len()).sum();
    let hours = parts.iter().zip(&templates).flat_map(|(p, templates)| {
        p.keys.iter().flat_map(|&(t, c)| {
            let hours = group_hours(p.time(0, t), templates[c as usize].span);
            [hours.start, hours.end - 1]
        })
    });
    let mut ids = RowIds::spanning(hours, keys.keys.len());
    let mut sums: Vec<Sums> = Vec::with_capacity(groups);
    let mut long_lines = LongLines::default();
    for (part, templates) in parts.iter().zip(&templates) {
        for (group, &(time, c)) in part.keys.iter().enumerate() {
            let t = templates[c as usize];
            let hours = group_hours(part.time(0, time), t.span);
            let span = (hours.end - hours.start) as u32;
            let costs = Costs::of(part, group, &outputs, t.line_type, t.free);
            if span > 1 {
                long_lines.count(span, costs.public);
            }
            let costs = costs.per_hour_of(span);
            for hour in hours {
                let row = ids.id((hour, t.key)) as usize;
                if row == sums.len() {
                    sums.push(Sums::default());
                }
                sums[row].add(&costs);
            }
        }
    }
    let rows = ids.into_keys();
    tracing::debug!(
        "charge rows: {} groups summed, {:.3} s",
        sums.len(),
        clock.elapsed().as_secs_f64()
    );
    let keys = keys.keys;
    let covered = coverage(&keys, &rows, &sums);
    tracing::debug!(
        "charge rows: coverage, {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    let out = rows
        .par_iter()
        .zip(&sums)
        .map(|(&(hour, key), s)| {
            let k = &keys[key as usize];
            ChargeRow {
                hour,
                period: k.period.clone(),
                account: k.account.clone(),
                service: k.service.clone(),
                billing_entity: k.billing_entity.clone(),
                usage_type: k.usage_type.clone(),
                operation: k.operation.clone(),
                region: k.region.clone(),
                family: k.family.clone(),
                class: k.class,
                kind: k.kind,
                free_tier: k.free,
                amount: s.amount,
                public_cost: s.public,
                actual_cost: s.actual,
                normalization_factor: s.nf.unwrap_or(0.0),
                paid_tier_cost: s.paid_tier,
            }
        })
        .collect();
    Ok((out, covered, long_lines))
}

/// What the rows of one combination of a partition's groups share.
#[derive(Clone, Copy)]
struct Template {
    /// The number of its row key.
    key: u32,
    line_type: LineType,
    free: bool,
    /// The hours each of its groups is spread over (1: its first alone).
    span: u32,
}

/// The hours (since the epoch) a group at `time` spread over `span` hours
/// counts in; a group of no time in hour 0 alone.
fn group_hours(time: Option<i64>, span: u32) -> std::ops::Range<i64> {
    match time {
        Some(ns) => hours_of(ns.div_euclid(HOUR_NS), span),
        None => 0..1,
    }
}

/// What each commitment covered, from the rows its usage is in: at the
/// rows' actual (effective) cost, public on-demand cost and amount.
///
/// A row key's rows (one per hour) are summed first, in the rows' order,
/// then each key's totals added to its commitment's in the keys' order: a
/// few hundred keys looked up by text, not 100,000s of rows.
fn coverage(keys: &[RowKey], rows: &[(i64, u32)], sums: &[Sums]) -> CoverageByKey {
    let mut per_key: Vec<Option<[f64; 3]>> = vec![None; keys.len()];
    for (&(_, key), s) in rows.iter().zip(sums) {
        if keys[key as usize].commitment.is_some() {
            let [effective, public, amount] = per_key[key as usize].get_or_insert([0.0; 3]);
            *effective += s.actual;
            *public += s.list;
            *amount += s.amount;
        }
    }
    let mut covered = CoverageByKey::new();
    for (k, totals) in keys.iter().zip(per_key) {
        if let (Some(arn), Some(totals)) = (&k.commitment, totals) {
            add_coverage(
                &mut covered,
                arn,
                [&k.usage_type, &k.operation, &k.region, &k.family],
                totals,
            );
        }
    }
    covered
}
