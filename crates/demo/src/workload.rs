//! Workloads: what each demo account runs, and how much of it in a given hour.
//!
//! A workload is a fleet of like resources (instances, functions, buckets) of
//! one offer (service, usage type, region, price). Its size follows daily and
//! weekly seasonality, monthly growth and random bursts; every random draw is a
//! hash of (seed, workload, time), so any hour can be generated on its own and
//! the output does not depend on how the work is split across threads.

use orgpool_savings::simulator::Service;

use crate::catalog::{self, REGIONS, Region};
use crate::org::{DemoOrg, Role};

/// What a workload's resources are billed as.
#[derive(Debug, Clone)]
pub struct Offer {
    /// `line_item_product_code`.
    pub product_code: &'static str,
    /// `line_item_usage_type`.
    pub usage_type: String,
    /// `line_item_operation`.
    pub operation: &'static str,
    /// `line_item_line_item_description` for on-demand lines.
    pub description: String,
    /// `pricing_unit`.
    pub unit: &'static str,
    /// Public on-demand rate per unit.
    pub rate: f64,
    /// The rate as CUR text.
    pub rate_text: String,
    /// The negated rate as CUR text.
    pub negated_rate_text: String,
    /// What the line is actually billed at per unit (Spot is below on-demand).
    pub billed_rate: f64,
    /// `billed_rate` as CUR text.
    pub billed_rate_text: String,
    /// `pricing_term`.
    pub pricing_term: &'static str,
    /// The service as the simulator sees it.
    pub service: Service,
    /// Instance family, `lambda` or `fargate` (rate table key), or "".
    pub family: String,
    /// Instance type, or "".
    pub instance_type: String,
    /// Size normalization factor for instances.
    pub normalization_factor: Option<f64>,
    /// Region index into [`REGIONS`].
    pub region: usize,
    /// The `product` map.
    pub product: Vec<(String, String)>,
    /// `product_product_family`.
    pub product_family: &'static str,
    /// `product_sku`.
    pub sku: String,
    /// Reservation key for RDS, when an RI could cover it.
    pub reservation_key: Option<u32>,
}

/// How a workload's resources produce lines each hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// Each running resource is one line of one hour (instances, tasks).
    PerResourceHour,
    /// A fixed set of resources, each with a varying amount (functions, buckets).
    Metered {
        /// Units per resource per hour at demand 1.0.
        units: f64,
    },
}

/// A fleet of like resources in one account.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Stable index, part of every random draw.
    pub id: u32,
    /// Index into the org's accounts.
    pub account: usize,
    /// What it is billed as. Fargate tasks have two offers (vCPU and memory).
    pub offers: Vec<Offer>,
    /// How lines are produced.
    pub shape: Shape,
    /// Resources at demand 1.0 (before scaling).
    pub base: f64,
    /// Amplitude of the daily cycle (0 = flat).
    pub daily: f64,
    /// Fraction of demand that goes away at weekends.
    pub weekly: f64,
    /// Growth per month (0.03 = 3%).
    pub growth: f64,
    /// Chance that a given day has a burst.
    pub burst_chance: f64,
    /// Demand multiplier during a burst.
    pub burst_factor: f64,
    /// Resource ID prefix (`i-`, `arn:aws:lambda:…`).
    pub resource_prefix: String,
    /// The `resource_tags` map.
    pub tags: Vec<(String, String)>,
}

/// A 64-bit mix (SplitMix64's finalizer): the demo's position-independent noise.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A uniform draw in [0, 1) from a key.
pub fn unit(key: u64) -> f64 {
    (mix(key) >> 11) as f64 / (1u64 << 53) as f64
}

impl Workload {
    /// Demand at an hour, relative to `base` (1.0 = typical).
    pub fn demand(&self, seed: u64, hour_index: u32, hour_of_day: u32, weekend: bool) -> f64 {
        let phase = std::f64::consts::TAU * (f64::from(hour_of_day) - 9.0) / 24.0;
        let daily = 1.0 + self.daily * phase.sin();
        let weekly = if weekend { 1.0 - self.weekly } else { 1.0 };
        let growth = (1.0 + self.growth).powf(f64::from(hour_index) / 730.0);
        let day = u64::from(hour_index / 24);
        let key = seed ^ (u64::from(self.id) << 32) ^ day;
        let burst = if unit(key) < self.burst_chance {
            let start = (unit(key ^ 0xb1) * 18.0) as u32;
            let length = 2 + (unit(key ^ 0xb2) * 6.0) as u32;
            if (start..start + length).contains(&hour_of_day) {
                self.burst_factor
            } else {
                1.0
            }
        } else {
            1.0
        };
        let noise = 0.92 + 0.16 * unit(key ^ (u64::from(hour_of_day) << 8) ^ 0x5eed);
        (daily * weekly * growth * burst * noise).max(0.0)
    }

    /// Running resources (or metered resources) at an hour, at a row scale.
    pub fn resources(&self, scale: f64, demand: f64) -> u32 {
        let fleet = self.base * scale;
        match self.shape {
            Shape::PerResourceHour => (fleet * demand).round() as u32,
            Shape::Metered { .. } => fleet.round().max(if fleet > 0.0 { 1.0 } else { 0.0 }) as u32,
        }
    }
}

/// Builds every workload of the org.
pub fn workloads_for(org: &DemoOrg, seed: u64) -> Vec<Workload> {
    let mut out = Vec::new();
    for (index, account) in org.accounts.iter().enumerate() {
        for spec in templates(account.role, seed ^ index as u64) {
            let id = out.len() as u32;
            out.push(spec.build(id, index, &account.account.name));
        }
    }
    out
}

/// A workload before it is placed in an account.
#[derive(Debug, Clone)]
struct Spec {
    kind: Kind,
    base: f64,
    daily: f64,
    weekly: f64,
    growth: f64,
    burst_chance: f64,
    burst_factor: f64,
    app: &'static str,
}

#[derive(Debug, Clone)]
enum Kind {
    Ec2 {
        itype: &'static str,
        region: usize,
        windows: bool,
        spot: bool,
    },
    Rds {
        class: usize,
    },
    SageMaker {
        itype: usize,
        region: usize,
    },
    Lambda {
        region: usize,
    },
    Fargate {
        region: usize,
    },
    S3 {
        gb: f64,
    },
    DataTransfer {
        region: usize,
    },
    CloudFront,
}

fn spec(kind: Kind, base: f64, app: &'static str) -> Spec {
    Spec {
        kind,
        base,
        daily: 0.0,
        weekly: 0.0,
        growth: 0.01,
        burst_chance: 0.0,
        burst_factor: 1.0,
        app,
    }
}

impl Spec {
    fn daily(mut self, amplitude: f64) -> Self {
        self.daily = amplitude;
        self
    }
    fn weekly(mut self, drop: f64) -> Self {
        self.weekly = drop;
        self
    }
    fn growth(mut self, monthly: f64) -> Self {
        self.growth = monthly;
        self
    }
    fn bursts(mut self, chance: f64, factor: f64) -> Self {
        self.burst_chance = chance;
        self.burst_factor = factor;
        self
    }
}

fn ec2(itype: &'static str, region: usize, base: f64, app: &'static str) -> Spec {
    spec(
        Kind::Ec2 {
            itype,
            region,
            windows: false,
            spot: false,
        },
        base,
        app,
    )
}

fn templates(role: Role, seed: u64) -> Vec<Spec> {
    use Kind::*;
    match role {
        Role::Management => vec![spec(S3 { gb: 40.0 }, 1.0, "billing-exports")],
        Role::LogArchive => vec![spec(S3 { gb: 3_000.0 }, 3.0, "logs").growth(0.04)],
        Role::SecurityTooling => vec![
            ec2("t3.medium", 0, 2.0, "siem"),
            spec(Lambda { region: 0 }, 2.0, "guardrails").daily(0.2),
        ],
        Role::Network => vec![
            ec2("m5.large", 0, 2.0, "egress-proxy"),
            spec(DataTransfer { region: 0 }, 2.0, "egress").daily(0.5),
        ],
        Role::SharedServices => vec![
            spec(
                Ec2 {
                    itype: "c5.xlarge",
                    region: 0,
                    windows: false,
                    spot: true,
                },
                4.0,
                "ci",
            )
            .daily(0.6)
            .weekly(0.7)
            .bursts(0.3, 2.5),
            ec2("m6i.large", 0, 3.0, "artifacts"),
            spec(Fargate { region: 0 }, 4.0, "runners")
                .daily(0.5)
                .weekly(0.6),
        ],
        Role::PaymentsProd => vec![
            ec2("m5.large", 0, 12.0, "payments-api")
                .daily(0.45)
                .weekly(0.15)
                .growth(0.03)
                .bursts(0.08, 1.8),
            ec2("m5.xlarge", 1, 4.0, "payments-eu")
                .daily(0.4)
                .weekly(0.1),
            spec(Rds { class: 0 }, 3.0, "payments-db").growth(0.0),
            spec(Lambda { region: 0 }, 6.0, "webhooks")
                .daily(0.5)
                .bursts(0.1, 3.0),
            spec(CloudFront, 1.0, "checkout-cdn").daily(0.5),
        ],
        Role::PaymentsStaging => vec![
            ec2("m5.large", 0, 3.0, "payments-api").weekly(0.9),
            ec2("t3.large", 0, 2.0, "tools").weekly(0.5),
        ],
        Role::AnalyticsProd => vec![
            ec2("r5.xlarge", 1, 6.0, "warehouse").weekly(0.5).daily(0.2),
            ec2("r6g.large", 0, 4.0, "stream").daily(0.3),
            ec2("i3.large", 0, 2.0, "search").growth(0.0),
            spec(
                SageMaker {
                    itype: 0,
                    region: 0,
                },
                3.0,
                "models",
            )
            .bursts(0.25, 3.0)
            .weekly(0.6),
        ],
        Role::DataLake => vec![
            spec(Rds { class: 1 }, 1.0, "catalog-db").growth(0.0),
            spec(S3 { gb: 5_000.0 }, 4.0, "lake").growth(0.05),
            ec2("c6g.xlarge", 0, 4.0, "etl").daily(0.5).bursts(0.2, 2.0),
            spec(
                Ec2 {
                    itype: "c5.2xlarge",
                    region: 0,
                    windows: false,
                    spot: true,
                },
                3.0,
                "spark",
            )
            .bursts(0.4, 3.0)
            .weekly(0.5),
        ],
        Role::WebProd => vec![
            ec2("c5.large", 0, 10.0, "web")
                .daily(0.6)
                .weekly(0.2)
                .growth(0.02),
            ec2("m7g.large", 0, 4.0, "cache").daily(0.3),
            spec(
                Ec2 {
                    itype: "m5.xlarge",
                    region: 2,
                    windows: true,
                    spot: false,
                },
                2.0,
                "cms",
            )
            .growth(0.0),
            spec(Fargate { region: 0 }, 6.0, "frontend").daily(0.5),
            spec(CloudFront, 2.0, "site-cdn").daily(0.6),
            spec(DataTransfer { region: 0 }, 1.0, "web-egress").daily(0.6),
        ],
        Role::IdleSandbox => vec![spec(S3 { gb: 0.2 }, 1.0, "scratch").growth(0.0)],
        Role::Suspended => Vec::new(),
        Role::Team => team_templates(seed),
    }
}

fn team_templates(seed: u64) -> Vec<Spec> {
    const TYPES: [&str; 8] = [
        "m5.large",
        "c5.large",
        "r5.large",
        "m6i.large",
        "c6g.large",
        "t3.large",
        "m5.xlarge",
        "r6g.large",
    ];
    let pick = |salt: u64, n: usize| (mix(seed ^ salt) % n as u64) as usize;
    let mut specs = vec![
        ec2(
            TYPES[pick(1, TYPES.len())],
            pick(2, 3),
            2.0 + pick(3, 6) as f64,
            "service",
        )
        .daily(0.4)
        .weekly(0.2)
        .growth(0.02),
        ec2(
            TYPES[pick(4, TYPES.len())],
            0,
            1.0 + pick(5, 3) as f64,
            "worker",
        )
        .bursts(0.15, 2.0),
    ];
    if pick(6, 2) == 0 {
        specs.push(spec(Kind::Lambda { region: pick(7, 3) }, 3.0, "functions").daily(0.5));
    } else {
        specs.push(spec(Kind::Fargate { region: 0 }, 3.0, "tasks").daily(0.4));
    }
    if pick(8, 4) == 0 {
        specs.push(spec(
            Kind::Ec2 {
                itype: "m5.large",
                region: 0,
                windows: true,
                spot: false,
            },
            1.0,
            "legacy",
        ));
    }
    specs
}

impl Spec {
    fn build(self, id: u32, account: usize, account_name: &str) -> Workload {
        let (offers, shape, prefix) = offers_for(&self.kind);
        let environment = if account_name.contains("staging") {
            "staging"
        } else {
            "prod"
        };
        let cost_center = account_name.split('-').next().unwrap_or("platform");
        Workload {
            id,
            account,
            offers,
            shape,
            base: self.base,
            daily: self.daily,
            weekly: self.weekly,
            growth: self.growth,
            burst_chance: self.burst_chance,
            burst_factor: self.burst_factor,
            resource_prefix: prefix,
            tags: vec![
                ("user_Application".to_owned(), self.app.to_owned()),
                ("user_CostCenter".to_owned(), cost_center.to_owned()),
                ("user_Environment".to_owned(), environment.to_owned()),
            ],
        }
    }
}

struct OfferSpec<'a> {
    product_code: &'static str,
    servicecode: &'static str,
    service_name: &'static str,
    usage_type: String,
    operation: &'static str,
    description: String,
    unit: &'static str,
    rate: f64,
    billed_rate: f64,
    pricing_term: &'static str,
    service: Service,
    family: &'a str,
    instance_type: &'a str,
    normalization_factor: Option<f64>,
    region: usize,
    product_family: &'static str,
    extra: Vec<(&'static str, String)>,
}

fn offer(spec: OfferSpec<'_>) -> Offer {
    let region: &Region = &REGIONS[spec.region];
    let mut product: Vec<(String, String)> = vec![
        ("product_name".to_owned(), spec.service_name.to_owned()),
        ("region".to_owned(), region.code.to_owned()),
        ("servicecode".to_owned(), spec.servicecode.to_owned()),
        ("usagetype".to_owned(), spec.usage_type.clone()),
    ];
    if !spec.instance_type.is_empty() {
        product.push(("instance_type".to_owned(), spec.instance_type.to_owned()));
        product.push(("instance_type_family".to_owned(), spec.family.to_owned()));
        product.push((
            "instance_family".to_owned(),
            catalog::family_category(spec.family).to_owned(),
        ));
    }
    product.extend(spec.extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
    product.sort();
    let sku_key = spec
        .usage_type
        .bytes()
        .fold(spec.region as u64, |h, b| mix(h ^ u64::from(b)));
    Offer {
        product_code: spec.product_code,
        sku: format!("{:016X}", mix(sku_key))[..16].to_owned(),
        usage_type: spec.usage_type,
        operation: spec.operation,
        description: spec.description,
        unit: spec.unit,
        rate: spec.rate,
        rate_text: catalog::rate_text(spec.rate),
        negated_rate_text: catalog::rate_text(-spec.rate),
        billed_rate: spec.billed_rate,
        billed_rate_text: catalog::rate_text(spec.billed_rate),
        pricing_term: spec.pricing_term,
        service: spec.service,
        family: spec.family.to_owned(),
        instance_type: spec.instance_type.to_owned(),
        normalization_factor: spec.normalization_factor,
        region: spec.region,
        product,
        product_family: spec.product_family,
        reservation_key: None,
    }
}

/// The reservation key of RDS class `class` in us-east-1 (MySQL, single-AZ).
pub fn rds_reservation_key(class: usize) -> u32 {
    class as u32
}

fn base_offer(
    product_code: &'static str,
    servicecode: &'static str,
    service_name: &'static str,
    region: usize,
) -> OfferSpec<'static> {
    OfferSpec {
        product_code,
        servicecode,
        service_name,
        usage_type: String::new(),
        operation: "",
        description: String::new(),
        unit: "",
        rate: 0.0,
        billed_rate: 0.0,
        pricing_term: "OnDemand",
        service: Service::Other,
        family: "",
        instance_type: "",
        normalization_factor: None,
        region,
        product_family: "",
        extra: Vec::new(),
    }
}

/// An offer billed at its public rate, with the fields every offer needs.
#[allow(clippy::too_many_arguments)]
fn priced(
    product_code: &'static str,
    service_name: &'static str,
    region: usize,
    usage_type: String,
    operation: &'static str,
    unit: &'static str,
    rate: f64,
    product_family: &'static str,
) -> OfferSpec<'static> {
    let mut spec = base_offer(product_code, product_code, service_name, region);
    spec.usage_type = usage_type;
    spec.operation = operation;
    spec.unit = unit;
    spec.rate = rate;
    spec.billed_rate = rate;
    spec.product_family = product_family;
    spec
}

fn offers_for(kind: &Kind) -> (Vec<Offer>, Shape, String) {
    match kind {
        Kind::Ec2 {
            itype,
            region,
            windows,
            spot,
        } => {
            let t = catalog::instance_type(itype);
            let r = &REGIONS[*region];
            let linux = t.linux_hourly * r.multiplier;
            let rate = if *windows {
                linux + catalog::WINDOWS_PER_VCPU_HOUR * f64::from(t.vcpus)
            } else {
                linux
            };
            let os = if *windows { "Windows" } else { "Linux" };
            let (usage_type, operation, billed, term, description) = if *spot {
                let spot_rate = rate * catalog::SPOT_FRACTION;
                (
                    format!("{}SpotUsage:{}", r.prefix, t.name),
                    "RunInstances:SV001",
                    spot_rate,
                    "Spot",
                    format!(
                        "${} per Spot {os} {} Instance Hour",
                        catalog::rate_text(spot_rate),
                        t.name
                    ),
                )
            } else {
                (
                    format!("{}BoxUsage:{}", r.prefix, t.name),
                    if *windows {
                        "RunInstances:0002"
                    } else {
                        "RunInstances"
                    },
                    rate,
                    "OnDemand",
                    format!(
                        "${} per On Demand {os} {} Instance Hour",
                        catalog::rate_text(rate),
                        t.name
                    ),
                )
            };
            let mut o = base_offer(
                "AmazonEC2",
                "AmazonEC2",
                "Amazon Elastic Compute Cloud",
                *region,
            );
            o.usage_type = usage_type;
            o.operation = operation;
            o.description = description;
            o.unit = "Hrs";
            o.rate = rate;
            o.billed_rate = billed;
            o.pricing_term = term;
            o.service = if *spot { Service::Other } else { Service::Ec2 };
            o.family = catalog::family_of(t.name);
            o.instance_type = t.name;
            o.normalization_factor = Some(t.normalization_factor);
            o.product_family = "Compute Instance";
            o.extra = vec![
                ("operating_system", os.to_owned()),
                ("tenancy", "Shared".to_owned()),
                ("vcpu", t.vcpus.to_string()),
                ("capacitystatus", "Used".to_owned()),
            ];
            (vec![offer(o)], Shape::PerResourceHour, "i-0".to_owned())
        }
        Kind::Rds { class } => {
            let (name, price) = catalog::RDS_CLASSES[*class];
            let mut o = base_offer(
                "AmazonRDS",
                "AmazonRDS",
                "Amazon Relational Database Service",
                0,
            );
            o.usage_type = format!("InstanceUsage:{name}");
            o.operation = "CreateDBInstance:0002";
            o.description = format!(
                "${} per RDS {name} instance hour (or partial hour) running MySQL",
                catalog::rate_text(price)
            );
            o.unit = "Hrs";
            o.rate = price;
            o.billed_rate = price;
            o.service = Service::Rds;
            o.family = catalog::family_of(name);
            o.instance_type = name;
            o.normalization_factor = Some(catalog::RDS_NORMALIZATION_FACTOR);
            o.product_family = "Database Instance";
            o.extra = vec![
                ("database_engine", "MySQL".to_owned()),
                ("deployment_option", "Single-AZ".to_owned()),
            ];
            let mut offer = offer(o);
            offer.reservation_key = Some(rds_reservation_key(*class));
            (
                vec![offer],
                Shape::PerResourceHour,
                "arn:aws:rds:us-east-1:db:".to_owned(),
            )
        }
        Kind::SageMaker { itype, region } => {
            let (name, price) = catalog::SAGEMAKER_TYPES[*itype];
            let r = &REGIONS[*region];
            let rate = price * r.multiplier;
            let mut o = base_offer(
                "AmazonSageMaker",
                "AmazonSageMaker",
                "Amazon SageMaker",
                *region,
            );
            o.usage_type = format!("{}Train:{name}", r.long_prefix);
            o.operation = "CreateTrainingJob";
            o.description = format!("${} per Training {name} hour", catalog::rate_text(rate));
            o.unit = "Hrs";
            o.rate = rate;
            o.billed_rate = rate;
            o.service = Service::SageMaker;
            o.family = catalog::family_of(name);
            o.instance_type = name;
            o.product_family = "ML Instance";
            (
                vec![offer(o)],
                Shape::PerResourceHour,
                "arn:aws:sagemaker:us-east-1:training-job/".to_owned(),
            )
        }
        Kind::Lambda { region } => {
            let r = &REGIONS[*region];
            let prefix = r.long_prefix.replace("USE1-", "");
            let (code, name) = ("AWSLambda", "AWS Lambda");
            let mut duration = priced(
                code,
                name,
                *region,
                format!("{prefix}Lambda-GB-Second"),
                "Invoke",
                "Lambda-GB-Second",
                catalog::LAMBDA_GB_SECOND,
                "Serverless",
            );
            duration.description = "AWS Lambda - Total Compute".to_owned();
            duration.service = Service::Lambda;
            duration.family = "lambda";
            let mut requests = priced(
                code,
                name,
                *region,
                format!("{prefix}Request"),
                "Invoke",
                "Requests",
                catalog::LAMBDA_REQUEST,
                "Serverless",
            );
            requests.description = "AWS Lambda - Total Requests".to_owned();
            let resource = format!("arn:aws:lambda:{}:function:fn-", r.code);
            (
                vec![offer(duration), offer(requests)],
                Shape::Metered { units: 9_000.0 },
                resource,
            )
        }
        Kind::Fargate { region } => {
            let r = &REGIONS[*region];
            let (code, name) = ("AmazonECS", "Amazon Elastic Container Service");
            let mut cpu = priced(
                code,
                name,
                *region,
                format!("{}Fargate-vCPU-Hours:perCPU", r.long_prefix),
                "FargateTask",
                "hours",
                catalog::FARGATE_VCPU_HOUR * r.multiplier,
                "Compute",
            );
            cpu.description = format!("AWS Fargate - vCPU - {}", r.location);
            let mut memory = priced(
                code,
                name,
                *region,
                format!("{}Fargate-GB-Hours", r.long_prefix),
                "FargateTask",
                "GB-Hours",
                catalog::FARGATE_GB_HOUR * r.multiplier,
                "Compute",
            );
            memory.description = format!("AWS Fargate - Memory - {}", r.location);
            for o in [&mut cpu, &mut memory] {
                o.service = Service::Fargate;
                o.family = "fargate";
            }
            let resource = format!("arn:aws:ecs:{}:task/", r.code);
            (
                vec![offer(cpu), offer(memory)],
                Shape::PerResourceHour,
                resource,
            )
        }
        Kind::S3 { gb } => {
            let (code, name) = ("AmazonS3", "Amazon Simple Storage Service");
            let mut storage = priced(
                code,
                name,
                0,
                "TimedStorage-ByteHrs".to_owned(),
                "StandardStorage",
                "GB-Mo",
                catalog::S3_GB_MONTH,
                "Storage",
            );
            storage.description = "$0.023 per GB - first 50 TB / month of storage used".to_owned();
            let mut requests = priced(
                code,
                name,
                0,
                "Requests-Tier1".to_owned(),
                "PutObject",
                "Requests",
                catalog::S3_TIER1_REQUEST,
                "API Request",
            );
            requests.description = "$0.005 per 1,000 PUT, COPY, POST, or LIST requests".to_owned();
            // Per hour: the bucket's GB as GB-months (730 hours a month), and requests.
            (
                vec![offer(storage), offer(requests)],
                Shape::Metered { units: gb / 730.0 },
                "bucket-".to_owned(),
            )
        }
        Kind::DataTransfer { region } => {
            let r = &REGIONS[*region];
            let mut o = priced(
                "AWSDataTransfer",
                "AWS Data Transfer",
                *region,
                format!("{}DataTransfer-Out-Bytes", r.prefix),
                "RunInstances",
                "GB",
                catalog::DATA_TRANSFER_OUT_GB * r.multiplier,
                "Data Transfer",
            );
            o.description =
                "$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier"
                    .to_owned();
            (
                vec![offer(o)],
                Shape::Metered { units: 5.0 },
                "nat-0".to_owned(),
            )
        }
        Kind::CloudFront => {
            let (code, name) = ("AmazonCloudFront", "Amazon CloudFront");
            let mut bytes = priced(
                code,
                name,
                0,
                "US-DataTransfer-Out-Bytes".to_owned(),
                "WEB",
                "GB",
                catalog::CLOUDFRONT_GB,
                "Data Transfer",
            );
            bytes.description = "$0.085 per GB - first 10 TB / month data transfer out".to_owned();
            let mut requests = priced(
                code,
                name,
                0,
                "US-Requests-Tier2-HTTPS".to_owned(),
                "GET",
                "Requests",
                catalog::CLOUDFRONT_REQUEST,
                "Request",
            );
            requests.description = "$0.0100 per 10,000 HTTPS Requests".to_owned();
            (
                vec![offer(bytes), offer(requests)],
                Shape::Metered { units: 6.0 },
                "arn:aws:cloudfront::distribution/E".to_owned(),
            )
        }
    }
}

/// Per-unit amounts of each offer of a metered workload, relative to its first.
pub fn metered_ratio(offer_index: usize, product_code: &str) -> f64 {
    match (product_code, offer_index) {
        (_, 0) => 1.0,
        ("AWSLambda", _) => 2.5,            // requests per GB-second
        ("AmazonS3", _) => 3_000.0,         // requests per GB-month-hour
        ("AmazonCloudFront", _) => 9_000.0, // requests per GB
        ("AmazonECS", _) => 2.0,            // GB per vCPU
        _ => 1.0,
    }
}
