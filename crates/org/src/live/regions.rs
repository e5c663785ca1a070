//! The regions discovery reads the organization's regional services in, and
//! that reading: CloudTrail trails, AWS Config aggregators, AWS RAM shares
//! and CloudFormation StackSets live in one region each, so a share or a
//! StackSet made in a region discovery does not read would be missed, and a
//! migration plan would not know it breaks.
//!
//! The enabled regions come from the Account Management API:
//! `account:ListRegions` with `RegionOptStatusContains` `ENABLED` and
//! `ENABLED_BY_DEFAULT` (AWS Account Management reference, "ListRegions":
//! without `AccountId` it lists the calling account's own regions, which the
//! management account must do for itself). A region an account has not
//! opted into holds none of its resources. Where that call fails, the gap
//! says so and discovery reads the configured region only.
//!
//! Each item is kept once: a multi-region or organization trail shows in
//! every region as a shadow trail with the same ARN.

use std::collections::BTreeSet;

use aws_sdk_account::types::RegionOptStatus;
use futures::StreamExt;
use orgpool_model::{ConfigAggregator, RamShare, StackSet, Trail};

use super::{Session, services, stack_sets};

/// IAM action `account:ListRegions`.
pub const LIST_REGIONS: &str = "account:ListRegions";

/// The actions this module calls.
pub const ACTIONS: &[&str] = &[LIST_REGIONS];

/// Which regions discovery reads the regional services in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Regions {
    /// The region the AWS configuration names.
    #[default]
    Configured,
    /// Every region enabled for the management account
    /// (`account:ListRegions`); the configured one where that fails.
    Enabled,
    /// These regions.
    Listed(Vec<String>),
}

/// The organization-wide services of the regions read, each item once.
#[derive(Debug, Default)]
pub(crate) struct Regional {
    pub trails: Vec<Trail>,
    pub aggregators: Vec<ConfigAggregator>,
    pub ram_shares: Vec<RamShare>,
    pub stack_sets: Vec<StackSet>,
}

/// The regions to read for `choice`, `configured` being the configuration's
/// region; sorted, each once.
pub(super) async fn choose(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    choice: &Regions,
    configured: &str,
) -> Vec<String> {
    let chosen = match choice {
        Regions::Configured => vec![configured.to_owned()],
        Regions::Listed(regions) => regions.clone(),
        Regions::Enabled => match enabled(s, config).await {
            Ok(regions) => regions,
            Err(e) => {
                s.gap(
                    "organization",
                    LIST_REGIONS,
                    format!("{e}; read {configured} only"),
                );
                vec![configured.to_owned()]
            }
        },
    };
    let chosen: BTreeSet<String> = chosen.into_iter().filter(|r| !r.is_empty()).collect();
    chosen.into_iter().collect()
}

/// The regions enabled for the calling account, every page; an error when
/// the call fails or lists none.
async fn enabled(s: &Session<'_>, config: &aws_config::SdkConfig) -> Result<Vec<String>, String> {
    let pages = aws_sdk_account::Client::new(config)
        .list_regions()
        .region_opt_status_contains(RegionOptStatus::Enabled)
        .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
        .into_paginator()
        .send();
    let regions = s
        .all_pages(LIST_REGIONS, pages, |page| {
            page.regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_owned))
                .collect()
        })
        .await?;
    if regions.is_empty() {
        return Err("no enabled region listed".into());
    }
    Ok(regions)
}

/// Reads the regional services in each of `regions`, a few regions at a
/// time, and keeps each item once.
pub(super) async fn read(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    regions: &[String],
    owner_account_id: &str,
) -> Regional {
    let per_region: Vec<Regional> = futures::stream::iter(regions)
        .map(|region| async move {
            let (session, config) = s.in_region(config, region);
            let (trails, aggregators, ram_shares, stack_sets) = futures::join!(
                services::trails(&session, &config),
                services::aggregators(&session, &config),
                services::ram_shares(&session, &config),
                stack_sets::read(&session, &config, owner_account_id),
            );
            Regional {
                trails,
                aggregators,
                ram_shares,
                stack_sets,
            }
        })
        .buffered(s.concurrency().min(4))
        .collect()
        .await;
    merge(per_region)
}

/// The items of every region, in region order, each ARN once. Saved CLI
/// outputs (`crate::from_cli`) are merged by the same rule.
pub(crate) fn merge(per_region: Vec<Regional>) -> Regional {
    let mut out = Regional::default();
    for r in per_region {
        out.trails.extend(r.trails);
        out.aggregators.extend(r.aggregators);
        out.ram_shares.extend(r.ram_shares);
        out.stack_sets.extend(r.stack_sets);
    }
    once_each(&mut out.trails, |t| t.arn.clone());
    once_each(&mut out.aggregators, |a| a.arn.clone());
    once_each(&mut out.ram_shares, |r| r.arn.clone());
    once_each(&mut out.stack_sets, |s| s.arn.clone());
    out
}

/// Keeps the first item of each key, in order.
fn once_each<T>(items: &mut Vec<T>, key: impl Fn(&T) -> String) {
    let mut seen = BTreeSet::new();
    items.retain(|item| seen.insert(key(item)));
}

/// Whether `name` has a region name's shape: lowercase words joined by
/// hyphens, ending in a number (`us-east-1`, `us-gov-west-1`,
/// `ap-southeast-2`). Used for `--regions` and for the regions of saved
/// CLI outputs' file names.
pub fn is_region_name(name: &str) -> bool {
    let mut parts = name.split('-');
    let number = parts.next_back().unwrap_or_default();
    let words: Vec<&str> = parts.collect();
    words.len() >= 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_are_told_from_other_suffixes() {
        for r in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "eu-central-2",
        ] {
            assert!(is_region_name(r), "{r}");
        }
        for r in [
            "",
            "us",
            "us-east",
            "east-1",
            "US-EAST-1",
            "us--1",
            "prod-baseline",
        ] {
            assert!(!is_region_name(r), "{r}");
        }
    }

    fn trail(arn: &str, home: &str) -> Trail {
        Trail {
            name: arn.rsplit('/').next().unwrap_or_default().to_owned(),
            arn: arn.to_owned(),
            account_id: "111111111111".into(),
            home_region: home.into(),
            s3_bucket_name: "logs".into(),
            is_organization_trail: true,
            is_multi_region_trail: true,
        }
    }

    /// A multi-region trail seen from two regions is kept once, as its home
    /// region's read (the first region in order) lists it; a trail of one
    /// region only is kept too.
    #[test]
    fn an_item_seen_from_several_regions_is_kept_once() {
        let org = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org";
        let local = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/local";
        let merged = merge(vec![
            Regional {
                trails: vec![trail(local, "eu-west-1"), trail(org, "us-east-1")],
                ..Regional::default()
            },
            Regional {
                trails: vec![trail(org, "us-east-1")],
                ..Regional::default()
            },
        ]);
        let arns: Vec<&str> = merged.trails.iter().map(|t| t.arn.as_str()).collect();
        assert_eq!(arns, [local, org]);
    }
}
