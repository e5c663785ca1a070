//! Resource policies read in each account: S3 bucket policies, KMS key
//! policies, SQS queue policies, SNS topic policies, Lambda function
//! policies, EventBridge event bus policies, ECR repository policies and
//! Secrets Manager secret policies. A policy is kept when
//! one of its statements uses an organization condition key
//! (`orgpool_model::trust::ORG_CONDITION_KEYS`): `aws:PrincipalOrgID` in a
//! shared bucket's `Allow`, or a data perimeter's `Deny` on
//! `StringNotEquals aws:PrincipalOrgID`. Such a policy changes meaning for an
//! account that leaves the organization; the others are counted, not kept.
//!
//! APIs, in the account's own credentials (the management account's, or the
//! member role's; see `members`):
//! - S3 (one list per account, buckets being global): `s3:ListAllMyBuckets`
//!   (`ListBuckets`), then per bucket `s3:GetBucketLocation` (an empty
//!   constraint is us-east-1, `EU` is eu-west-1: S3 API reference,
//!   "GetBucketLocation") and `s3:GetBucketPolicy` in the bucket's own region
//!   (S3 answers a request sent to another region with a redirect). A bucket
//!   without a policy answers `NoSuchBucketPolicy`, which is not a gap.
//! - KMS, in each region read: `kms:ListKeys`; when there are keys,
//!   `kms:ListAliases`, to leave out the AWS managed keys (`alias/aws/…`),
//!   whose policies AWS writes; then `kms:GetKeyPolicy` with the policy name
//!   `default`, the only one a key has (KMS API reference, "GetKeyPolicy").
//! - SQS, in each region read: `sqs:ListQueues`, then `sqs:GetQueueAttributes`
//!   for `Policy` and `QueueArn`.
//! - SNS, in each region read: `sns:ListTopics`, then `sns:GetTopicAttributes`
//!   (its `Policy` attribute).
//! - Lambda, in each region read: `lambda:ListFunctions`, then
//!   `lambda:GetPolicy` per function; a function without a policy answers
//!   `ResourceNotFoundException`, which is not a gap.
//! - EventBridge, in each region read: `events:ListEventBuses`, whose answer
//!   carries each bus's policy.
//! - ECR, in each region read: `ecr:DescribeRepositories`, then
//!   `ecr:GetRepositoryPolicy` per repository; a repository without a policy
//!   answers `RepositoryPolicyNotFoundException`, which is not a gap (ECR API
//!   reference, "GetRepositoryPolicy").
//! - Secrets Manager, in each region read: `secretsmanager:ListSecrets`,
//!   then `secretsmanager:GetResourcePolicy` per secret; a secret without a
//!   policy answers without one (Secrets Manager API reference,
//!   "GetResourcePolicy").
//!
//! A failing call is a gap for its account, and discovery goes on.

use aws_sdk_ecr::Client as Ecr;
use aws_sdk_eventbridge::Client as EventBridge;
use aws_sdk_kms::Client as Kms;
use aws_sdk_lambda::Client as Lambda;
use aws_sdk_s3::Client as S3;
use aws_sdk_secretsmanager::Client as SecretsManager;
use aws_sdk_sns::Client as Sns;
use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::types::QueueAttributeName;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::StreamExt;
use orgpool_model::{ResourcePolicy, ResourceService};

use super::{Session, describe, text};
use crate::iam_details::decode_policy;

/// IAM action `s3:ListAllMyBuckets` (the `ListBuckets` API).
pub const LIST_BUCKETS: &str = "s3:ListAllMyBuckets";
/// IAM action `s3:GetBucketLocation`.
pub const GET_BUCKET_LOCATION: &str = "s3:GetBucketLocation";
/// IAM action `s3:GetBucketPolicy`.
pub const GET_BUCKET_POLICY: &str = "s3:GetBucketPolicy";
/// IAM action `kms:ListKeys`.
pub const LIST_KEYS: &str = "kms:ListKeys";
/// IAM action `kms:ListAliases`.
pub const LIST_ALIASES: &str = "kms:ListAliases";
/// IAM action `kms:GetKeyPolicy`.
pub const GET_KEY_POLICY: &str = "kms:GetKeyPolicy";
/// IAM action `sqs:ListQueues`.
pub const LIST_QUEUES: &str = "sqs:ListQueues";
/// IAM action `sqs:GetQueueAttributes`.
pub const GET_QUEUE_ATTRIBUTES: &str = "sqs:GetQueueAttributes";
/// IAM action `sns:ListTopics`.
pub const LIST_TOPICS: &str = "sns:ListTopics";
/// IAM action `sns:GetTopicAttributes`.
pub const GET_TOPIC_ATTRIBUTES: &str = "sns:GetTopicAttributes";

/// IAM action `lambda:ListFunctions`.
pub const LIST_FUNCTIONS: &str = "lambda:ListFunctions";
/// IAM action `lambda:GetPolicy`.
pub const GET_FUNCTION_POLICY: &str = "lambda:GetPolicy";
/// IAM action `events:ListEventBuses`.
pub const LIST_EVENT_BUSES: &str = "events:ListEventBuses";

/// IAM action `ecr:DescribeRepositories`.
pub const DESCRIBE_REPOSITORIES: &str = "ecr:DescribeRepositories";
/// IAM action `ecr:GetRepositoryPolicy`.
pub const GET_REPOSITORY_POLICY: &str = "ecr:GetRepositoryPolicy";
/// IAM action `secretsmanager:ListSecrets`.
pub const LIST_SECRETS: &str = "secretsmanager:ListSecrets";
/// IAM action `secretsmanager:GetResourcePolicy`.
pub const GET_SECRET_POLICY: &str = "secretsmanager:GetResourcePolicy";

/// The actions this module calls (in each account it reads).
pub const ACTIONS: &[&str] = &[
    LIST_BUCKETS,
    GET_BUCKET_LOCATION,
    GET_BUCKET_POLICY,
    LIST_KEYS,
    LIST_ALIASES,
    GET_KEY_POLICY,
    LIST_QUEUES,
    GET_QUEUE_ATTRIBUTES,
    LIST_TOPICS,
    GET_TOPIC_ATTRIBUTES,
    LIST_FUNCTIONS,
    GET_FUNCTION_POLICY,
    LIST_EVENT_BUSES,
    DESCRIBE_REPOSITORIES,
    GET_REPOSITORY_POLICY,
    LIST_SECRETS,
    GET_SECRET_POLICY,
];

/// The calls that read a policy, one per service: the gaps a bundle records
/// when the policies are not read.
pub const POLICY_READS: [&str; 8] = [
    GET_BUCKET_POLICY,
    GET_KEY_POLICY,
    GET_QUEUE_ATTRIBUTES,
    GET_TOPIC_ATTRIBUTES,
    GET_FUNCTION_POLICY,
    LIST_EVENT_BUSES,
    GET_REPOSITORY_POLICY,
    GET_SECRET_POLICY,
];

/// Per-resource calls in flight at once within one list.
const PER_LIST: usize = 4;

/// The resource policies of one account.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Those using an organization condition key.
    pub kept: Vec<ResourcePolicy>,
    /// Policies read in all, kept or not.
    pub read: usize,
    /// Policies whose document is not JSON, so could not be checked for
    /// organization keys: the API that read each, and its ARN.
    pub unreadable: Vec<(&'static str, String)>,
}

impl Found {
    pub(crate) fn add(&mut self, policies: Vec<ResourcePolicy>) {
        self.read += policies.len();
        for p in policies {
            if p.policy.is_string() {
                self.unreadable.push((read_api(p.service), p.arn));
            } else if !p.org_condition_keys().is_empty() {
                self.kept.push(p);
            }
        }
    }
}

/// The call that reads a service's policies.
fn read_api(service: ResourceService) -> &'static str {
    match service {
        ResourceService::S3 => GET_BUCKET_POLICY,
        ResourceService::Kms => GET_KEY_POLICY,
        ResourceService::Sqs => GET_QUEUE_ATTRIBUTES,
        ResourceService::Sns => GET_TOPIC_ATTRIBUTES,
        ResourceService::Lambda => GET_FUNCTION_POLICY,
        ResourceService::Events => LIST_EVENT_BUSES,
        ResourceService::Ecr => GET_REPOSITORY_POLICY,
        ResourceService::SecretsManager => GET_SECRET_POLICY,
    }
}

/// Reads `account`'s resource policies: its buckets once, its keys, queues
/// and topics in each of `regions`.
pub(super) async fn read(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    account: &str,
    regions: &[String],
) -> Found {
    let mut found = Found::default();
    found.add(buckets(s, config, account).await);
    let per_region: Vec<Vec<ResourcePolicy>> = futures::stream::iter(regions)
        .map(|region| async move {
            let (session, config) = s.in_region(config, region);
            let r = InRegion {
                session,
                config,
                account,
                region,
            };
            let (keys, queues, topics, functions, buses, repositories, secrets) = futures::join!(
                keys(&r),
                queues(&r),
                topics(&r),
                functions(&r),
                event_buses(&r),
                repositories(&r),
                secrets(&r),
            );
            [
                keys,
                queues,
                topics,
                functions,
                buses,
                repositories,
                secrets,
            ]
            .concat()
        })
        .buffered(PER_LIST)
        .collect()
        .await;
    for policies in per_region {
        found.add(policies);
    }
    found
}

/// A policy document read as text, when there is one.
pub(crate) fn policy(
    account: &str,
    service: ResourceService,
    region: &str,
    arn: String,
    document: Option<&str>,
) -> Option<ResourcePolicy> {
    let document = document.filter(|d| !d.trim().is_empty())?;
    Some(ResourcePolicy {
        account_id: account.to_owned(),
        service,
        region: region.to_owned(),
        arn,
        policy: decode_policy(Some(document)),
    })
}

/// An S3 client for `region`; path-style addressing when an endpoint URL is
/// configured (a local endpoint has no per-bucket host names).
fn s3_client(config: &aws_config::SdkConfig, region: &str) -> S3 {
    let builder = aws_sdk_s3::config::Builder::from(config)
        .region(aws_config::Region::new(region.to_owned()))
        .force_path_style(config.endpoint_url().is_some());
    S3::from_conf(builder.build())
}

/// The account's bucket policies.
async fn buckets(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    account: &str,
) -> Vec<ResourcePolicy> {
    let home = config
        .region()
        .map(|r| r.as_ref().to_owned())
        .unwrap_or_else(|| "us-east-1".to_owned());
    let client = s3_client(config, &home);
    let pages = client.list_buckets().into_paginator().send();
    let names: Vec<String> = s
        .pages(LIST_BUCKETS, account, pages, |page| {
            page.buckets()
                .iter()
                .filter_map(|b| b.name().map(str::to_owned))
                .collect()
        })
        .await;
    let client = &client;
    futures::stream::iter(names)
        .map(|name| async move { bucket_policy(s, config, client, account, name).await })
        .buffered(PER_LIST)
        .filter_map(|p| async move { p })
        .collect()
        .await
}

/// One bucket's policy, read in the bucket's region.
async fn bucket_policy(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    client: &S3,
    account: &str,
    name: String,
) -> Option<ResourcePolicy> {
    s.call(GET_BUCKET_LOCATION);
    let region = match client.get_bucket_location().bucket(&name).send().await {
        Ok(out) => bucket_region(out.location_constraint().map(|c| c.as_str())),
        Err(e) => {
            s.gap(
                account,
                GET_BUCKET_LOCATION,
                format!("{name}: {}", describe(&e)),
            );
            return None;
        }
    };
    s.call(GET_BUCKET_POLICY);
    let out = s3_client(config, &region)
        .get_bucket_policy()
        .bucket(&name)
        .send()
        .await;
    match out {
        Ok(out) => policy(
            account,
            ResourceService::S3,
            &region,
            format!("arn:aws:s3:::{name}"),
            out.policy(),
        ),
        Err(e) if e.code() == Some("NoSuchBucketPolicy") => None,
        Err(e) => {
            s.gap(
                account,
                GET_BUCKET_POLICY,
                format!("{name}: {}", describe(&e)),
            );
            None
        }
    }
}

/// The region a `GetBucketLocation` constraint names: none (or an empty one)
/// is us-east-1, and the legacy `EU` is eu-west-1.
pub(crate) fn bucket_region(constraint: Option<&str>) -> String {
    match constraint.unwrap_or_default() {
        "" => "us-east-1".to_owned(),
        "EU" => "eu-west-1".to_owned(),
        other => other.to_owned(),
    }
}

/// One account's reads in one region.
struct InRegion<'r> {
    session: Session<'r>,
    config: aws_config::SdkConfig,
    account: &'r str,
    region: &'r str,
}

impl InRegion<'_> {
    /// The session, configuration, account and region.
    fn parts(&self) -> (&Session<'_>, &aws_config::SdkConfig, &str, &str) {
        (&self.session, &self.config, self.account, self.region)
    }

    /// Reads one policy per item of `service`, [`PER_LIST`] at a time,
    /// counting each call as `action`. `fetch` answers an item's ARN and
    /// policy document (none when it has no policy), or the call's error,
    /// which becomes a gap naming the item (`label`).
    async fn each_policy<T, Fut>(
        &self,
        (service, action): (ResourceService, &'static str),
        items: Vec<T>,
        label: impl Fn(&T) -> String,
        fetch: impl Fn(T) -> Fut,
    ) -> Vec<ResourcePolicy>
    where
        Fut: std::future::Future<Output = Result<(String, Option<String>), String>>,
    {
        let (s, _, account, region) = self.parts();
        futures::stream::iter(items)
            .map(|item| {
                let name = label(&item);
                let answer = fetch(item);
                async move {
                    s.call(action);
                    match answer.await {
                        Ok((arn, document)) => {
                            policy(account, service, region, arn, document.as_deref())
                        }
                        Err(e) => {
                            s.gap(account, action, format!("{name}: {e}"));
                            None
                        }
                    }
                }
            })
            .buffered(PER_LIST)
            .filter_map(|p| async move { p })
            .collect()
            .await
    }
}

/// The IDs of the AWS managed keys among `aliases` (name, target key): those
/// an `alias/aws/…` alias names. AWS creates and names them (KMS Developer
/// Guide, "AWS managed keys": their aliases are `aws/service-name`, and no
/// one else may create an alias that begins with `aws/`) and writes their
/// policies, which never name a customer's organization: reading them would
/// cost a call each (`ListKeys` lists them with the customer's own keys)
/// for nothing.
pub(crate) fn aws_managed_keys(
    aliases: &[(String, Option<String>)],
) -> std::collections::BTreeSet<String> {
    aliases
        .iter()
        .filter(|(name, _)| name.starts_with("alias/aws/"))
        .filter_map(|(_, target)| target.clone())
        .collect()
}

/// The key policies of the region's KMS keys, AWS managed keys left out.
async fn keys(r: &InRegion<'_>) -> Vec<ResourcePolicy> {
    let (s, config, account, _) = r.parts();
    let client = Kms::new(config);
    let pages = client.list_keys().into_paginator().send();
    let keys: Vec<(String, String)> = s
        .pages(LIST_KEYS, account, pages, |page| {
            page.keys()
                .iter()
                .filter_map(|k| Some((k.key_id()?.to_owned(), k.key_arn()?.to_owned())))
                .collect()
        })
        .await;
    // Only when there are keys: an account-region without any costs no call.
    let keys = if keys.is_empty() {
        keys
    } else {
        let pages = client.list_aliases().into_paginator().send();
        let aliases = s
            .all_pages(LIST_ALIASES, pages, |page| {
                page.aliases()
                    .iter()
                    .map(|a| (text(a.alias_name()), a.target_key_id().map(str::to_owned)))
                    .collect()
            })
            .await;
        // Without the aliases every key is read: nothing is lost.
        let managed = aliases.map(|a| aws_managed_keys(&a)).unwrap_or_default();
        keys.into_iter()
            .filter(|(id, _)| !managed.contains(id))
            .collect()
    };
    let client = &client;
    let fetch = |(id, arn): (String, String)| async move {
        let out = client.get_key_policy().key_id(&id).policy_name("default");
        let out = out.send().await.map_err(|e| describe(&e))?;
        Ok((arn, out.policy().map(str::to_owned)))
    };
    let label = |(_, arn): &(String, String)| arn.clone();
    r.each_policy((ResourceService::Kms, GET_KEY_POLICY), keys, label, fetch)
        .await
}

/// The policies of the region's SQS queues.
async fn queues(r: &InRegion<'_>) -> Vec<ResourcePolicy> {
    let (s, config, account, _) = r.parts();
    let client = Sqs::new(config);
    let pages = client.list_queues().into_paginator().send();
    let urls: Vec<String> = s
        .pages(LIST_QUEUES, account, pages, |page| {
            page.queue_urls().to_vec()
        })
        .await;
    let client = &client;
    let fetch = |url: String| async move {
        let out = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::Policy)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let attribute = |name| out.attributes().and_then(|a| a.get(&name)).cloned();
        let arn = attribute(QueueAttributeName::QueueArn).unwrap_or(url);
        Ok((arn, attribute(QueueAttributeName::Policy)))
    };
    let label = String::clone;
    r.each_policy(
        (ResourceService::Sqs, GET_QUEUE_ATTRIBUTES),
        urls,
        label,
        fetch,
    )
    .await
}

/// The policies of the region's SNS topics.
async fn topics(r: &InRegion<'_>) -> Vec<ResourcePolicy> {
    let (s, config, account, _) = r.parts();
    let client = Sns::new(config);
    let pages = client.list_topics().into_paginator().send();
    let arns: Vec<String> = s
        .pages(LIST_TOPICS, account, pages, |page| {
            page.topics()
                .iter()
                .filter_map(|t| t.topic_arn().map(str::to_owned))
                .collect()
        })
        .await;
    let client = &client;
    let fetch = |arn: String| async move {
        let out = client.get_topic_attributes().topic_arn(&arn).send().await;
        let out = out.map_err(|e| describe(&e))?;
        let document = out.attributes().and_then(|a| a.get("Policy")).cloned();
        Ok((arn, document))
    };
    let label = String::clone;
    r.each_policy(
        (ResourceService::Sns, GET_TOPIC_ATTRIBUTES),
        arns,
        label,
        fetch,
    )
    .await
}

/// The policies of the region's Lambda functions.
async fn functions(r: &InRegion<'_>) -> Vec<ResourcePolicy> {
    let (s, config, account, _) = r.parts();
    let client = Lambda::new(config);
    let pages = client.list_functions().into_paginator().send();
    let functions: Vec<(String, String)> = s
        .pages(LIST_FUNCTIONS, account, pages, |page| {
            page.functions()
                .iter()
                .filter_map(|f| Some((f.function_name()?.to_owned(), f.function_arn()?.to_owned())))
                .collect()
        })
        .await;
    let client = &client;
    let fetch = |(name, arn): (String, String)| async move {
        match client.get_policy().function_name(&name).send().await {
            Ok(out) => Ok((arn, out.policy().map(str::to_owned))),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok((arn, None)),
            Err(e) => Err(describe(&e)),
        }
    };
    let label = |(_, arn): &(String, String)| arn.clone();
    let service = ResourceService::Lambda;
    r.each_policy((service, GET_FUNCTION_POLICY), functions, label, fetch)
        .await
}

/// The policies of the region's EventBridge event buses, which their list
/// carries.
async fn event_buses(r: &InRegion<'_>) -> Vec<ResourcePolicy> {
    let (s, config, account, region) = r.parts();
    let client = EventBridge::new(config);
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        s.call(LIST_EVENT_BUSES);
        let page = client
            .list_event_buses()
            .set_next_token(token.take())
            .send()
            .await;
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                s.gap(account, LIST_EVENT_BUSES, describe(&e));
                break;
            }
        };
        out.extend(page.event_buses().iter().filter_map(|bus| {
            let arn = bus.arn()?.to_owned();
            policy(account, ResourceService::Events, region, arn, bus.policy())
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => break,
        }
    }
    out
}

/// The policies of the region's ECR repositories.
async fn repositories(r: &InRegion<'_>) -> Vec<ResourcePolicy> {
    let (s, config, account, _) = r.parts();
    let client = Ecr::new(config);
    let pages = client.describe_repositories().into_paginator().send();
    let repositories: Vec<(String, String)> = s
        .pages(DESCRIBE_REPOSITORIES, account, pages, |page| {
            page.repositories()
                .iter()
                .filter_map(|r| {
                    Some((
                        r.repository_name()?.to_owned(),
                        r.repository_arn()?.to_owned(),
                    ))
                })
                .collect()
        })
        .await;
    let client = &client;
    let fetch = |(name, arn): (String, String)| async move {
        match client
            .get_repository_policy()
            .repository_name(&name)
            .send()
            .await
        {
            Ok(out) => Ok((arn, out.policy_text().map(str::to_owned))),
            Err(e) if e.code() == Some("RepositoryPolicyNotFoundException") => Ok((arn, None)),
            Err(e) => Err(describe(&e)),
        }
    };
    let label = |(_, arn): &(String, String)| arn.clone();
    let service = ResourceService::Ecr;
    r.each_policy((service, GET_REPOSITORY_POLICY), repositories, label, fetch)
        .await
}

/// The policies of the region's Secrets Manager secrets.
async fn secrets(r: &InRegion<'_>) -> Vec<ResourcePolicy> {
    let (s, config, account, _) = r.parts();
    let client = SecretsManager::new(config);
    let pages = client.list_secrets().into_paginator().send();
    let arns: Vec<String> = s
        .pages(LIST_SECRETS, account, pages, |page| {
            page.secret_list()
                .iter()
                .filter_map(|secret| secret.arn().map(str::to_owned))
                .collect()
        })
        .await;
    let client = &client;
    let fetch = |arn: String| async move {
        let out = client.get_resource_policy().secret_id(&arn).send().await;
        let out = out.map_err(|e| describe(&e))?;
        Ok((arn, out.resource_policy().map(str::to_owned)))
    };
    let label = String::clone;
    let service = ResourceService::SecretsManager;
    r.each_policy((service, GET_SECRET_POLICY), arns, label, fetch)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_managed_keys_are_those_an_aws_alias_names() {
        let alias = |name: &str, target: Option<&str>| (name.to_owned(), target.map(str::to_owned));
        let managed = aws_managed_keys(&[
            alias("alias/aws/ebs", Some("k-ebs")),
            alias("alias/aws/s3", None),
            alias("alias/team/aws/logs", Some("k-team")),
            alias("alias/awsome", Some("k-awsome")),
            alias("alias/app", Some("k-app")),
        ]);
        assert_eq!(
            managed,
            std::collections::BTreeSet::from(["k-ebs".to_owned()])
        );
    }

    #[test]
    fn a_bucket_location_names_its_region() {
        assert_eq!(bucket_region(None), "us-east-1");
        assert_eq!(bucket_region(Some("")), "us-east-1");
        assert_eq!(bucket_region(Some("EU")), "eu-west-1");
        assert_eq!(bucket_region(Some("ap-south-1")), "ap-south-1");
    }

    #[test]
    fn only_policies_naming_the_organization_are_kept_and_all_are_counted() {
        let make = |arn: &str, document: &str| {
            policy(
                "111111111111",
                ResourceService::Sns,
                "us-east-1",
                arn.into(),
                Some(document),
            )
        };
        let org = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc1234567"}}}]}"#;
        let plain = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sns:Publish"}]}"#;
        let mut found = Found::default();
        found.add(
            [
                make("arn:a", org),
                make("arn:b", plain),
                make("arn:c", "  "),
            ]
            .into_iter()
            .flatten()
            .collect(),
        );
        assert_eq!(found.read, 2, "an empty policy is no policy");
        assert_eq!(found.kept.len(), 1);
        assert!(found.unreadable.is_empty());
        found.add(make("arn:d", "{not json").into_iter().collect());
        assert_eq!(found.read, 3);
        assert_eq!(found.kept.len(), 1);
        assert_eq!(
            found.unreadable,
            vec![(GET_TOPIC_ATTRIBUTES, "arn:d".to_owned())],
            "a document that is not JSON is not checked, and says so"
        );
        assert_eq!(found.kept[0].arn, "arn:a");
        assert_eq!(
            found.kept[0].org_condition_keys(),
            vec!["aws:PrincipalOrgID"]
        );
    }
}
