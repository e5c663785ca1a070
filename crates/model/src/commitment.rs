//! Commitment vocabulary: the plan kinds orgpool buys or finds, their terms and
//! payment options, spelled as orgpool's JSON and CLI spell them.
//!
//! Source: AWS Savings Plans User Guide ("What are Savings Plans?") and the Cost
//! Explorer API (`GetSavingsPlansPurchaseRecommendation`): terms of one or three
//! years; No, Partial or All Upfront payment.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A kind of commitment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// Reserved Instances for Amazon RDS.
    RdsRi,
    /// EC2 Instance Savings Plan: one instance family in one region.
    Ec2InstanceSp,
    /// Compute Savings Plan: EC2, Fargate and Lambda, any family and region.
    ComputeSp,
    /// SageMaker Savings Plan.
    SagemakerSp,
}

/// A commitment term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Term {
    /// One year.
    #[serde(rename = "1y")]
    OneYear,
    /// Three years.
    #[serde(rename = "3y")]
    ThreeYears,
}

/// A payment option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payment {
    /// Nothing up front; the whole commitment is billed hourly.
    NoUpfront,
    /// About half up front.
    PartialUpfront,
    /// Everything up front.
    AllUpfront,
}

/// A closed set of spellings: `$name` says what a value is, in errors
/// ("unknown plan \"x\"; expected one of: …").
macro_rules! string_enum {
    ($ty:ident, $name:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// The spelling used in JSON, CSV and on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim() {
                    $($text => Ok($ty::$variant),)+
                    other => Err(format!(
                        "unknown {} {other:?}; expected one of: {}",
                        $name,
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

string_enum!(PlanKind, "plan", {
    RdsRi => "rds_ri",
    Ec2InstanceSp => "ec2_instance_sp",
    ComputeSp => "compute_sp",
    SagemakerSp => "sagemaker_sp",
});
string_enum!(Term, "term", { OneYear => "1y", ThreeYears => "3y" });
string_enum!(Payment, "payment option", {
    NoUpfront => "no_upfront",
    PartialUpfront => "partial_upfront",
    AllUpfront => "all_upfront",
});

impl Term {
    /// Hours in the term: 365-day years, as AWS counts them (its reservation
    /// offerings' durations are 31,536,000 and 94,608,000 seconds, for
    /// example ElastiCache's `DescribeReservedCacheNodesOfferings`,
    /// "Duration ... Valid Values: 1 | 3 | 31536000 | 94608000").
    pub fn hours(self) -> u32 {
        match self {
            Term::OneYear => 8_760,
            Term::ThreeYears => 26_280,
        }
    }
}

impl Payment {
    /// The share of a commitment's value over its term paid at purchase,
    /// where AWS fixes it: none for No Upfront, all of it for All Upfront.
    ///
    /// A Partial Upfront Savings Plan pays half: the least AWS accepts, and
    /// the rate is the same whatever is paid above it (Savings Plans API,
    /// `CreateSavingsPlan`: `upfrontPaymentAmount` is "a whole number between
    /// 50 and 99 percent of the total value of the Savings Plan"). A Partial
    /// Upfront RI's fee is set by its offering, which billing data do not
    /// give before the purchase: `None`.
    pub fn upfront_share(self, plan: PlanKind) -> Option<f64> {
        match self {
            Payment::NoUpfront => Some(0.0),
            Payment::AllUpfront => Some(1.0),
            Payment::PartialUpfront if plan.is_savings_plan() => Some(0.5),
            Payment::PartialUpfront => None,
        }
    }
}

impl PlanKind {
    /// True for Savings Plans, false for Reserved Instances.
    pub fn is_savings_plan(self) -> bool {
        !matches!(self, PlanKind::RdsRi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_through_from_str_and_serde() {
        for kind in PlanKind::ALL {
            assert_eq!(kind.as_str().parse::<PlanKind>().unwrap(), *kind);
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for term in Term::ALL {
            assert_eq!(serde_json::to_value(term).unwrap(), term.as_str());
        }
        for payment in Payment::ALL {
            assert_eq!(serde_json::to_value(payment).unwrap(), payment.as_str());
        }
        let err = "5y".parse::<Term>().unwrap_err();
        assert!(err.contains("1y, 3y"), "{err}");
    }

    #[test]
    fn upfront_shares_are_awss_where_it_fixes_them() {
        use Payment::*;
        for plan in PlanKind::ALL {
            assert_eq!(NoUpfront.upfront_share(*plan), Some(0.0));
            assert_eq!(AllUpfront.upfront_share(*plan), Some(1.0));
        }
        assert_eq!(PartialUpfront.upfront_share(PlanKind::ComputeSp), Some(0.5));
        assert_eq!(
            PartialUpfront.upfront_share(PlanKind::SagemakerSp),
            Some(0.5)
        );
        assert_eq!(PartialUpfront.upfront_share(PlanKind::RdsRi), None);
        assert_eq!(Term::OneYear.hours() * 3, Term::ThreeYears.hours());
        assert_eq!(u64::from(Term::OneYear.hours()) * 3600, 31_536_000);
    }
}
