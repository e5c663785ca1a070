//! Organization-wide services seen from the management account: CloudTrail
//! trails, AWS RAM shares and AWS Config aggregators, each read in one region
//! per call (`regions` calls them for every region discovery reads), and the
//! GuardDuty and Security Hub organization administrators.
//!
//! APIs: `cloudtrail:DescribeTrails` (with shadow trails, so a multi-region or
//! organization trail homed elsewhere is seen); `ram:GetResourceShares` for
//! shares the account owns, then `ram:GetResourceShareAssociations` per share
//! for its principals and its resources; `config:DescribeConfigurationAggregators`. The GuardDuty and
//! Security Hub administrators are the delegated administrators registered for
//! `guardduty.amazonaws.com` and `securityhub.amazonaws.com` (GuardDuty User
//! Guide, "Managing accounts with AWS Organizations": designating the
//! administrator registers it as the service's delegated administrator), so
//! they come from the Organizations inventory without more permissions.

use aws_sdk_cloudtrail::Client as CloudTrail;
use aws_sdk_config::Client as Config;
use aws_sdk_ram::Client as Ram;
use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType as AssociationType};
use futures::StreamExt;
use orgpool_model::{
    ConfigAggregator, DelegatedAdministrator, RamShare, SecurityServiceAdmin, Trail,
};

use super::{Session, describe, text};

/// IAM action `cloudtrail:DescribeTrails`.
pub const DESCRIBE_TRAILS: &str = "cloudtrail:DescribeTrails";
/// IAM action `ram:GetResourceShares`.
pub const GET_RESOURCE_SHARES: &str = "ram:GetResourceShares";
/// IAM action `ram:GetResourceShareAssociations`.
pub const GET_ASSOCIATIONS: &str = "ram:GetResourceShareAssociations";
/// IAM action `config:DescribeConfigurationAggregators`.
pub const DESCRIBE_AGGREGATORS: &str = "config:DescribeConfigurationAggregators";

/// The actions this module calls.
pub const ACTIONS: &[&str] = &[
    DESCRIBE_TRAILS,
    GET_RESOURCE_SHARES,
    GET_ASSOCIATIONS,
    DESCRIBE_AGGREGATORS,
];

/// The account ID field of an ARN (`arn:partition:service:region:account:…`).
pub(crate) fn arn_account(arn: &str) -> String {
    arn.split(':').nth(4).unwrap_or_default().to_owned()
}

/// CloudTrail trails, organization trails flagged.
pub(super) async fn trails(s: &Session<'_>, config: &aws_config::SdkConfig) -> Vec<Trail> {
    s.call(DESCRIBE_TRAILS);
    match CloudTrail::new(config)
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
    {
        Ok(out) => out
            .trail_list()
            .iter()
            .map(|t| {
                let arn = text(t.trail_arn());
                Trail {
                    name: text(t.name()),
                    account_id: arn_account(&arn),
                    arn,
                    home_region: text(t.home_region()),
                    s3_bucket_name: text(t.s3_bucket_name()),
                    is_organization_trail: t.is_organization_trail().unwrap_or(false),
                    is_multi_region_trail: t.is_multi_region_trail().unwrap_or(false),
                }
            })
            .collect(),
        Err(e) => {
            s.gap("organization", DESCRIBE_TRAILS, describe(&e));
            Vec::new()
        }
    }
}

/// AWS Config aggregators, organization-wide ones flagged.
pub(super) async fn aggregators(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
) -> Vec<ConfigAggregator> {
    let client = Config::new(config);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        s.call(DESCRIBE_AGGREGATORS);
        let page = client
            .describe_configuration_aggregators()
            .set_next_token(token.take())
            .send()
            .await;
        match page {
            Ok(page) => {
                out.extend(page.configuration_aggregators().iter().map(|a| {
                    let arn = text(a.configuration_aggregator_arn());
                    ConfigAggregator {
                        name: text(a.configuration_aggregator_name()),
                        account_id: arn_account(&arn),
                        arn,
                        organization_wide: a.organization_aggregation_source().is_some(),
                        source_account_ids: a
                            .account_aggregation_sources()
                            .iter()
                            .flat_map(|s| s.account_ids().iter().cloned())
                            .collect(),
                    }
                }));
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                    _ => break,
                }
            }
            Err(e) => {
                s.gap("organization", DESCRIBE_AGGREGATORS, describe(&e));
                break;
            }
        }
    }
    out
}

/// RAM resource shares the management account owns, with principals and resources.
pub(super) async fn ram_shares(s: &Session<'_>, config: &aws_config::SdkConfig) -> Vec<RamShare> {
    let client = Ram::new(config);
    let mut shares = Vec::new();
    let mut pages = client
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        s.call(GET_RESOURCE_SHARES);
        match page {
            Ok(page) => shares.extend(page.resource_shares().iter().cloned()),
            Err(e) => {
                s.gap("organization", GET_RESOURCE_SHARES, describe(&e));
                return Vec::new();
            }
        }
    }
    let client = &client;
    futures::stream::iter(shares)
        .map(|share| async move {
            let arn = text(share.resource_share_arn());
            let principals = associations(s, client, &arn, AssociationType::Principal).await;
            let resource_arns = associations(s, client, &arn, AssociationType::Resource).await;
            RamShare {
                name: text(share.name()),
                owner_account_id: text(share.owning_account_id()),
                allow_external_principals: share.allow_external_principals().unwrap_or(false),
                arn,
                principals,
                resource_arns,
            }
        })
        .buffered(s.concurrency())
        .collect()
        .await
}

/// The principals or resources associated with a share.
async fn associations(
    s: &Session<'_>,
    client: &Ram,
    share: &str,
    kind: AssociationType,
) -> Vec<String> {
    let pages = client
        .get_resource_share_associations()
        .association_type(kind)
        .resource_share_arns(share)
        .into_paginator()
        .send();
    s.pages(GET_ASSOCIATIONS, share, pages, |page| {
        page.resource_share_associations()
            .iter()
            .filter_map(|a| a.associated_entity().map(str::to_owned))
            .collect()
    })
    .await
}

/// GuardDuty and Security Hub organization administrators, from the delegated
/// administrator registrations.
pub(crate) fn security_admins(
    delegated: &[DelegatedAdministrator],
    region: &str,
) -> Vec<SecurityServiceAdmin> {
    delegated
        .iter()
        .filter_map(|d| {
            let service = match d.service_principal.as_str() {
                "guardduty.amazonaws.com" => "guardduty",
                "securityhub.amazonaws.com" => "securityhub",
                _ => return None,
            };
            Some(SecurityServiceAdmin {
                service: service.to_owned(),
                admin_account_id: d.account_id.clone(),
                region: region.to_owned(),
            })
        })
        .collect()
}
