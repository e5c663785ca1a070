//! A bill's lines and the commitments behind them, as the pro forma engine
//! consumes them: what the billing-data reader produces from any format.
//!
//! "Actual" is what AWS billed in the amortized view: covered usage at the
//! commitment's effective cost, a commitment's unused part on its owner, a
//! Savings Plan negation at zero.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::CommitmentClass;

/// A text many rows share (an account, a service, a usage type…): cloning
/// it takes no allocation. A large bill has hundreds of thousands of rows
/// and a few thousand distinct texts.
pub type SharedText = Arc<str>;

/// Serde for [`SharedText`] fields, as plain strings.
pub mod shared_text {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the text as a string.
    pub fn serialize<S: Serializer>(text: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(text)
    }

    /// Reads a string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(d).map(Arc::from)
    }
}

/// What kind of charge a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Usage, covered by a commitment or not.
    Usage,
    /// A commitment's own fee (RI fee, Savings Plan recurring or upfront fee).
    CommitmentFee,
    /// Tax, credits, refunds, support and other fees.
    Other,
}

/// The charges of one account, in one hour, for one usage type and
/// operation of one service in one region, summed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChargeRow {
    /// Hours since the Unix epoch.
    pub hour: i64,
    /// Billing period, `YYYY-MM`.
    #[serde(with = "shared_text")]
    pub period: SharedText,
    /// The usage account.
    #[serde(with = "shared_text")]
    pub account: SharedText,
    /// Product code.
    #[serde(with = "shared_text")]
    pub service: SharedText,
    /// Seller (`AWS`, `AWS Marketplace`).
    #[serde(with = "shared_text")]
    pub billing_entity: SharedText,
    /// Usage type.
    #[serde(with = "shared_text")]
    pub usage_type: SharedText,
    /// Operation.
    #[serde(with = "shared_text")]
    pub operation: SharedText,
    /// Region code, empty when none.
    #[serde(with = "shared_text")]
    pub region: SharedText,
    /// Instance family, empty when none.
    #[serde(with = "shared_text")]
    pub family: SharedText,
    /// Which commitments could cover it.
    pub class: Option<CommitmentClass>,
    /// Usage, commitment fee or other.
    pub kind: ChargeKind,
    /// Usage amount.
    pub amount: f64,
    /// AWS's size normalization factor of the usage (a large is 4), 0 when
    /// the bill gives none.
    pub normalization_factor: f64,
    /// At public on-demand rates, free tier applied (usage the free tier
    /// made free costs 0 here).
    pub public_cost: f64,
    /// At public on-demand rates without the free tier: for usage the free
    /// tier made free, AWS's public on-demand cost of it; else `public_cost`.
    pub paid_tier_cost: f64,
    /// Whether this is usage the free tier made free. Such usage is kept
    /// apart from paid usage of the same kind, so a commitment never covers
    /// it while the free tier is on (AWS applied the free tier to what its
    /// commitments left).
    pub free_tier: bool,
    /// What AWS billed, amortized.
    pub actual_cost: f64,
}

/// What a commitment held in the bill is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum HeldKind {
    /// A Compute Savings Plan.
    ComputeSp,
    /// An EC2 Instance Savings Plan for a family in a region.
    Ec2InstanceSp {
        /// Instance family.
        family: String,
        /// Region code.
        region: String,
    },
    /// A SageMaker Savings Plan.
    SagemakerSp,
    /// A Reserved Instance for usage with this key: `usage_type|operation|region`
    /// for one that counts instances, `flex|family|region|operation` for a
    /// size-flexible one (see [`size_flexible`]), whose units are normalized.
    Reservation {
        /// The reservation key.
        key: String,
    },
}

/// A Savings Plan or Reserved Instance, as its fee lines and the usage it
/// covered show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentRow {
    /// ARN.
    pub id: String,
    /// The purchasing account.
    pub owner: String,
    /// What it is.
    pub kind: HeldKind,
    /// The product code its fee is billed under.
    pub service: String,
    /// Per hour: dollars for a Savings Plan, units for an RI.
    pub per_hour: f64,
    /// Amortized cost per hour.
    pub hourly_fee: f64,
    /// First hour held (hours since the epoch).
    pub first_hour: i64,
    /// Last hour held, inclusive.
    pub last_hour: i64,
    /// When it was bought, in seconds since the epoch (for a Savings Plan,
    /// its first hour in the data). Sources list commitments oldest first.
    pub purchased: i64,
    /// For Savings Plans: observed discount per `usage_type|operation|region`
    /// (1 - effective cost / public cost of the usage it covered).
    pub discounts: Vec<(String, f64)>,
}

/// The key of a size-flexible RI and of the usage it can cover: its family,
/// region and operation (see [`size_flexible`]). The operation names the
/// platform or database engine and licence, which must match; the size need
/// not, as the units are normalized.
pub fn flex_reservation_key(family: &str, region: &str, operation: &str) -> String {
    format!("flex|{family}|{region}|{operation}")
}

/// RDS operations of the database engines whose reserved DB instances are
/// size-flexible, as the AWS Price List and the CUR name them
/// (`CreateDBInstance:` and an engine code): MySQL (0002), Oracle BYOL (SE1
/// 0003, SE 0004, EE 0005, SE2 0019), PostgreSQL (0014), Aurora MySQL (0016),
/// MariaDB (0018) and Aurora PostgreSQL (0021).
///
/// AWS RDS User Guide, "Reserved DB instances for Amazon RDS": a DB instance
/// must match a reserved DB instance's Region, engine, instance type and
/// licence, and its size only for RDS for SQL Server and RDS for Oracle
/// Licence Included (SQL Server 0008–0012 and 0015, Oracle SE1 0006 and SE2
/// 0020 here): those count whole instances. Db2, size-flexible too, is left
/// out until a bill shows its engine code.
const SIZE_FLEXIBLE_RDS: [&str; 9] = [
    "CreateDBInstance:0002",
    "CreateDBInstance:0003",
    "CreateDBInstance:0004",
    "CreateDBInstance:0005",
    "CreateDBInstance:0014",
    "CreateDBInstance:0016",
    "CreateDBInstance:0018",
    "CreateDBInstance:0019",
    "CreateDBInstance:0021",
];

/// The database engine and licence an RDS operation names, for the engines
/// of [`SIZE_FLEXIBLE_RDS`] (the same source): `CreateDBInstance:0002` is
/// MySQL. `None` for any other operation; a bill's operation code is then
/// the only name orgpool gives it.
pub fn rds_engine_name(operation: &str) -> Option<&'static str> {
    let code = operation.strip_prefix("CreateDBInstance:")?;
    Some(match code {
        "0002" => "MySQL",
        "0003" => "Oracle SE1 (BYOL)",
        "0004" => "Oracle SE (BYOL)",
        "0005" => "Oracle EE (BYOL)",
        "0014" => "PostgreSQL",
        "0016" => "Aurora MySQL",
        "0018" => "MariaDB",
        "0019" => "Oracle SE2 (BYOL)",
        "0021" => "Aurora PostgreSQL",
        _ => return None,
    })
}

/// Whether an RI of `class` and `operation` (and the usage it covers) is
/// size-flexible: it then applies to any size of its family in its region,
/// in normalized units (a large is 4, an xlarge 8; AWS's normalization
/// factor, which for a Multi-AZ DB instance counts twice: the 2018 workshop
/// bill's `Multi-AZUsage:db.m4.large` lines say 8).
///
/// - EC2 (AWS EC2 User Guide, "Instance size flexibility"): regional Linux/Unix
///   RIs of shared tenancy, operation `RunInstances`; Windows and the other
///   platforms (`RunInstances:0002`…) count whole instances.
/// - RDS: the engines of `SIZE_FLEXIBLE_RDS`.
pub fn size_flexible(class: CommitmentClass, operation: &str) -> bool {
    match class {
        CommitmentClass::Ec2 => operation == "RunInstances",
        CommitmentClass::Rds => SIZE_FLEXIBLE_RDS.contains(&operation),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_flexibility_follows_the_platform_and_the_database_engine() {
        use CommitmentClass::*;
        assert!(size_flexible(Ec2, "RunInstances"));
        assert!(!size_flexible(Ec2, "RunInstances:0002"), "Windows");
        assert!(size_flexible(Rds, "CreateDBInstance:0002"), "MySQL");
        assert!(size_flexible(Rds, "CreateDBInstance:0018"), "MariaDB");
        assert!(
            size_flexible(Rds, "CreateDBInstance:0021"),
            "Aurora PostgreSQL"
        );
        assert!(
            !size_flexible(Rds, "CreateDBInstance:0012"),
            "SQL Server SE"
        );
        assert!(
            !size_flexible(Rds, "CreateDBInstance:0020"),
            "Oracle SE2 LI"
        );
        assert!(!size_flexible(Rds, "RunInstances"), "an EC2 operation");
        assert!(!size_flexible(Sagemaker, "RunInstance"));
        assert_eq!(rds_engine_name("CreateDBInstance:0002"), Some("MySQL"));
        assert_eq!(rds_engine_name("CreateDBInstance:0014"), Some("PostgreSQL"));
        assert_eq!(rds_engine_name("CreateDBInstance:0012"), None, "not named");
        assert_eq!(rds_engine_name("RunInstances:0002"), None, "not RDS");
        for operation in SIZE_FLEXIBLE_RDS {
            assert!(rds_engine_name(operation).is_some(), "{operation}");
        }
        assert_eq!(
            flex_reservation_key("r5", "us-east-1", "CreateDBInstance:0002"),
            "flex|r5|us-east-1|CreateDBInstance:0002"
        );
    }
}
