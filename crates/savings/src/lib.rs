//! The savings engine: what commitments cost and how AWS applies them.
//!
//! - [`rates`]: discount tables (plan, term, payment, region, family → discount),
//!   with the embedded default table and the `--rates` CSV format.
//! - [`simulator`]: the one implementation of AWS's application order for RIs and
//!   Savings Plans. Estimates, backtests, pooled what-ifs, pro forma bills and the
//!   demo generator all call it.
//! - [`optimizer`] and [`estimate`]: the best purchase on top of what is held,
//!   its curve and its backtest.
//! - [`pooling`]: the pooled what-if, an organization and the payer's pool
//!   sharing idle commitments and one purchase.

pub mod estimate;
pub mod optimizer;
pub mod pooling;
pub mod rates;
pub mod simulator;

pub use rates::{RateError, RateKey, RateSource, RateTable};
pub use simulator::{
    Allocation, Commitment, CommitmentScope, HourOutcome, Service, Usage, simulate_hour,
};

/// What the modules' tests share.
#[cfg(test)]
mod test_series {
    use orgpool_model::{CommitmentClass, UsageSeries};

    /// A series of `class` and `family` in us-east-1.
    pub(crate) fn series(class: CommitmentClass, family: &str, hourly: Vec<f64>) -> UsageSeries {
        UsageSeries {
            class,
            region: "us-east-1".into(),
            family: family.into(),
            operation: String::new(),
            hourly,
        }
    }

    /// A 1-year No Upfront request for `plans` at `table`'s rates, uncapped.
    pub(crate) fn one_year_no_upfront<'a>(
        table: &'a crate::RateTable,
        plans: &'a [orgpool_model::PlanKind],
    ) -> crate::estimate::Request<'a> {
        crate::estimate::Request {
            term: orgpool_model::Term::OneYear,
            payment: orgpool_model::Payment::NoUpfront,
            plans,
            rates: crate::estimate::RateChain {
                tables: vec![table],
            },
            max_commitment: None,
            target_utilization: None,
        }
    }
}
