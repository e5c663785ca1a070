//! The demo's price list: regions, instance types and per-unit service prices.
//!
//! Prices are AWS's public on-demand rates for us-east-1 as published in 2024
//! (EC2, RDS, SageMaker, Lambda, Fargate, S3, data transfer and CloudFront
//! pricing pages), rounded; other regions apply a flat multiplier. They only
//! need to be realistic, not current: every figure orgpool computes from the
//! demo is read back from the data, never from this table.

/// A region the demo uses.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    /// Region code.
    pub code: &'static str,
    /// The `product_location` name.
    pub location: &'static str,
    /// Usage type prefix ("" for us-east-1, as AWS writes it for EC2).
    pub prefix: &'static str,
    /// Usage type prefix for services that always prefix (Fargate, SageMaker).
    pub long_prefix: &'static str,
    /// Price multiplier against us-east-1.
    pub multiplier: f64,
    /// The availability zone the demo places instances in.
    pub zone: &'static str,
}

/// Regions, us-east-1 first.
pub const REGIONS: [Region; 3] = [
    Region {
        code: "us-east-1",
        location: "US East (N. Virginia)",
        prefix: "",
        long_prefix: "USE1-",
        multiplier: 1.0,
        zone: "us-east-1a",
    },
    Region {
        code: "eu-west-1",
        location: "EU (Ireland)",
        prefix: "EU-",
        long_prefix: "EU-",
        multiplier: 1.12,
        zone: "eu-west-1b",
    },
    Region {
        code: "ap-southeast-2",
        location: "Asia Pacific (Sydney)",
        prefix: "APS2-",
        long_prefix: "APS2-",
        multiplier: 1.25,
        zone: "ap-southeast-2a",
    },
];

/// An EC2 instance type.
#[derive(Debug, Clone, Copy)]
pub struct InstanceType {
    /// For example `m5.large`.
    pub name: &'static str,
    /// vCPUs; Windows adds a license fee per vCPU-hour.
    pub vcpus: u32,
    /// Linux on-demand price per hour in us-east-1.
    pub linux_hourly: f64,
    /// AWS's size normalization factor (large = 4).
    pub normalization_factor: f64,
}

/// EC2 instance types, across nine families.
pub const INSTANCE_TYPES: &[InstanceType] = &[
    it("m5.large", 2, 0.096, 4.0),
    it("m5.xlarge", 4, 0.192, 8.0),
    it("m5.2xlarge", 8, 0.384, 16.0),
    it("c5.large", 2, 0.085, 4.0),
    it("c5.xlarge", 4, 0.17, 8.0),
    it("c5.2xlarge", 8, 0.34, 16.0),
    it("r5.large", 2, 0.126, 4.0),
    it("r5.xlarge", 4, 0.252, 8.0),
    it("t3.medium", 2, 0.0416, 2.0),
    it("t3.large", 2, 0.0832, 4.0),
    it("m6i.large", 2, 0.096, 4.0),
    it("m6i.xlarge", 4, 0.192, 8.0),
    it("c6g.large", 2, 0.068, 4.0),
    it("c6g.xlarge", 4, 0.136, 8.0),
    it("r6g.large", 2, 0.1008, 4.0),
    it("i3.large", 2, 0.156, 4.0),
    it("m7g.large", 2, 0.0816, 4.0),
];

const fn it(name: &'static str, vcpus: u32, linux_hourly: f64, nf: f64) -> InstanceType {
    InstanceType {
        name,
        vcpus,
        linux_hourly,
        normalization_factor: nf,
    }
}

/// Windows license fee per vCPU-hour, added to the Linux rate.
pub const WINDOWS_PER_VCPU_HOUR: f64 = 0.046;
/// Spot price as a fraction of on-demand.
pub const SPOT_FRACTION: f64 = 0.32;

/// An RDS instance class with its MySQL price in us-east-1.
pub const RDS_CLASSES: &[(&str, f64)] = &[("db.r5.large", 0.25), ("db.m5.large", 0.171)];
/// AWS's normalization factor of every [`RDS_CLASSES`] entry (all are
/// Single-AZ larges): the units an instance-hour takes of a size-flexible
/// reserved DB instance.
pub const RDS_NORMALIZATION_FACTOR: f64 = 4.0;
/// SageMaker ML instance types with their us-east-1 price.
pub const SAGEMAKER_TYPES: &[(&str, f64)] = &[("ml.m5.xlarge", 0.23), ("ml.g4dn.xlarge", 0.736)];

/// Lambda duration, per GB-second.
pub const LAMBDA_GB_SECOND: f64 = 0.000_016_666_7;
/// Lambda requests, per request.
pub const LAMBDA_REQUEST: f64 = 0.000_000_2;
/// Fargate, per vCPU-hour.
pub const FARGATE_VCPU_HOUR: f64 = 0.040_48;
/// Fargate, per GB-hour.
pub const FARGATE_GB_HOUR: f64 = 0.004_445;
/// S3 Standard storage, per GB-month.
pub const S3_GB_MONTH: f64 = 0.023;
/// S3 PUT/COPY/POST/LIST requests, per request.
pub const S3_TIER1_REQUEST: f64 = 0.000_005;
/// Data transfer out to the internet, per GB.
pub const DATA_TRANSFER_OUT_GB: f64 = 0.09;
/// CloudFront data transfer out (US), per GB.
pub const CLOUDFRONT_GB: f64 = 0.085;
/// CloudFront HTTPS requests (US), per request.
pub const CLOUDFRONT_REQUEST: f64 = 0.000_001;

/// Looks up an instance type by name.
pub fn instance_type(name: &str) -> &'static InstanceType {
    INSTANCE_TYPES
        .iter()
        .find(|t| t.name == name)
        .unwrap_or(&INSTANCE_TYPES[0])
}

/// The family of an instance type name (`m5.large` → `m5`, `db.r5.large` → `r5`).
pub fn family_of(instance_type: &str) -> &str {
    orgpool_model::instance_family(instance_type)
}

/// EC2's `instanceFamily` product attribute for a family code (`m5` → `General purpose`);
/// the CUR's `product_instance_family` holds this, not the code.
pub fn family_category(family: &str) -> &'static str {
    match family.chars().next() {
        Some('c') => "Compute optimized",
        Some('r' | 'x') => "Memory optimized",
        Some('i' | 'd') => "Storage optimized",
        Some('g' | 'p') => "GPU instance",
        _ => "General purpose",
    }
}

/// Formats a rate as AWS writes rates in the CUR (a decimal string).
pub fn rate_text(rate: f64) -> String {
    let text = format!("{rate:.10}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() || trimmed == "-" {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_rate_text() {
        assert_eq!(family_of("m5.large"), "m5");
        assert_eq!(family_of("db.r5.large"), "r5");
        assert_eq!(family_of("ml.m5.xlarge"), "m5");
        assert_eq!(rate_text(0.096), "0.096");
        assert_eq!(rate_text(0.0), "0");
        assert_eq!(rate_text(-0.25), "-0.25");
        let families: std::collections::HashSet<_> =
            INSTANCE_TYPES.iter().map(|t| family_of(t.name)).collect();
        assert!(families.len() >= 6);
    }
}
