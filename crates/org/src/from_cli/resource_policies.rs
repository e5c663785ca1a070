//! The accounts' resource policies from saved CLI outputs, kept by the rules
//! `orgpool discover` keeps them by (`crate::live::resource_policies`): a
//! policy using an organization condition key is kept; the others are read
//! and dropped.
//!
//! Resource policies live in each account and, but for S3's, in each region,
//! so the files are saved under `resource-policies/ACCOUNT/` (S3, whose
//! buckets are listed once per account) and `resource-policies/ACCOUNT/REGION/`
//! (the rest), with the account's own credentials:
//!
//! | file | command |
//! | --- | --- |
//! | `ACCOUNT/s3api-list-buckets.json` | `aws s3api list-buckets` |
//! | `ACCOUNT/s3api-get-bucket-location-BUCKET.json` | `aws s3api get-bucket-location --bucket BUCKET` |
//! | `ACCOUNT/s3api-get-bucket-policy-BUCKET.json` | `aws s3api get-bucket-policy --bucket BUCKET` |
//! | `ACCOUNT/REGION/kms-list-keys.json` | `aws kms list-keys` |
//! | `ACCOUNT/REGION/kms-list-aliases.json` | `aws kms list-aliases` |
//! | `ACCOUNT/REGION/kms-get-key-policy-KEY.json` | `aws kms get-key-policy --key-id KEY --policy-name default` |
//! | `ACCOUNT/REGION/sqs-list-queues.json` | `aws sqs list-queues` |
//! | `ACCOUNT/REGION/sqs-get-queue-attributes-QUEUE.json` | `aws sqs get-queue-attributes --queue-url URL --attribute-names Policy QueueArn` (QUEUE: the URL's last part) |
//! | `ACCOUNT/REGION/sns-list-topics.json` | `aws sns list-topics` |
//! | `ACCOUNT/REGION/sns-get-topic-attributes-TOPIC.json` | `aws sns get-topic-attributes --topic-arn ARN` (TOPIC: the ARN's last part) |
//! | `ACCOUNT/REGION/lambda-list-functions.json` | `aws lambda list-functions` |
//! | `ACCOUNT/REGION/lambda-get-policy-FUNCTION.json` | `aws lambda get-policy --function-name FUNCTION` |
//! | `ACCOUNT/REGION/events-list-event-buses.json` | `aws events list-event-buses` (it carries the policies) |
//! | `ACCOUNT/REGION/ecr-describe-repositories.json` | `aws ecr describe-repositories` |
//! | `ACCOUNT/REGION/ecr-get-repository-policy-REPOSITORY.json` | `aws ecr get-repository-policy --repository-name REPOSITORY` |
//! | `ACCOUNT/REGION/secretsmanager-list-secrets.json` | `aws secretsmanager list-secrets` |
//! | `ACCOUNT/REGION/secretsmanager-get-resource-policy-SECRET.json` | `aws secretsmanager get-resource-policy --secret-id SECRET` |
//!
//! ECR repository and secret names may hold `/`; in a file's name it is
//! written `%2F` ([`file_key`]).
//!
//! "No policy" and "not read" stay apart:
//! - A resource without a policy is a file without the policy's field.
//!   S3, Lambda and ECR answer that case with an error
//!   (`NoSuchBucketPolicy`, `ResourceNotFoundException`,
//!   `RepositoryPolicyNotFoundException`), for which the script writes `{}`.
//! - The CLI prints nothing for an answer without fields (an account without
//!   queues), so an empty file is such an answer.
//! - A command that failed otherwise leaves no file (the script removes it),
//!   and a missing file is a gap for its account naming the resource or the
//!   region, as a failed call is live.
//!
//! The regions read are those saved for some account. An account missing
//! one of them, or missing its folder, has a gap for each policy read there;
//! with no `resource-policies` folder at all, each is one gap for the
//! organization. The AWS managed keys (an `alias/aws/…` alias) are left out
//! as live; without `kms-list-aliases.json` every key is read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use orgpool_model::{Gap, ResourcePolicy, ResourceService};
use serde_json::Value;

use super::{Folder, bad, list, parse, required_text};
use crate::OrgError;
use crate::live::{self, resource_policies as rp};

/// The folder the files are saved under, in the export's folder.
pub const FOLDER: &str = "resource-policies";

/// A resource's name as it ends a file's name: a `/`, which ECR repository
/// and secret names may hold, as `%2F`. Neither kind of name may hold `%`
/// (ECR API reference, `CreateRepository`; Secrets Manager API reference,
/// `CreateSecret`), so two names never share a file.
pub fn file_key(name: &str) -> String {
    name.replace('/', "%2F")
}

/// The policies naming the organization among those saved for the `active`
/// accounts. Gaps go to `f`.
pub(super) fn read(f: &mut Folder, active: &[&str]) -> Result<Vec<ResourcePolicy>, OrgError> {
    if !f.has(FOLDER)? {
        f.gaps.extend(live::POLICY_READS.iter().map(|api| Gap {
            scope: "organization".to_owned(),
            api: (*api).to_owned(),
            error: format!(
                "no {FOLDER}/ACCOUNT folder in the export; save one per account \
                 (docs/from-cli.md), or `orgpool discover` reads them live"
            ),
        }));
        return Ok(Vec::new());
    }
    let root = f.sub(FOLDER)?;
    let regions = saved_regions(&root.dir)?;
    let mut kept = Vec::new();
    for &id in active {
        if !root.has(id)? {
            let error = format!("{FOLDER}/{id} is not in the folder");
            f.gaps.extend(gaps(id, &live::POLICY_READS, &error));
            continue;
        }
        let mut place = Place {
            folder: root.sub(id)?,
            rel: format!("{FOLDER}/{id}"),
            account: id,
            region: "",
        };
        let mut found = rp::Found::default();
        found.add(buckets(&mut place)?);
        for region in &regions {
            found.add(in_region(&mut place, region)?);
        }
        f.gaps.append(&mut place.folder.gaps);
        f.gaps.extend(found.unreadable.iter().map(|(api, arn)| Gap {
            scope: id.to_owned(),
            api: (*api).to_owned(),
            error: format!(
                "{arn}: the policy document is not JSON, so it was not checked \
                     for organization keys"
            ),
        }));
        kept.extend(found.kept);
    }
    Ok(kept)
}

/// A gap for `account` and each of `apis`, saying `error`.
fn gaps<'a>(account: &'a str, apis: &'a [&str], error: &'a str) -> impl Iterator<Item = Gap> + 'a {
    apis.iter().map(move |api| Gap {
        scope: account.to_owned(),
        api: (*api).to_owned(),
        error: error.to_owned(),
    })
}

/// The regions some account's folder holds, sorted: subfolders named like a
/// region (`crate::live::is_region_name`).
fn saved_regions(root: &Path) -> Result<Vec<String>, OrgError> {
    let mut regions = BTreeSet::new();
    for account in subfolders(root)? {
        for name in subfolders(&root.join(account))? {
            if live::is_region_name(&name) {
                regions.insert(name);
            }
        }
    }
    Ok(regions.into_iter().collect())
}

/// The names of `dir`'s subfolders.
fn subfolders(dir: &Path) -> Result<Vec<String>, OrgError> {
    let entries = std::fs::read_dir(dir).map_err(|e| bad(dir, format!("cannot list it ({e})")))?;
    Ok(entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect())
}

/// One account's folder, or one of its regions'.
struct Place<'a> {
    folder: Folder,
    /// The folder's path within the export, for gaps.
    rel: String,
    account: &'a str,
    /// Empty for the account's own folder.
    region: &'a str,
}

impl Place<'_> {
    /// A listing: `None`, and a gap for `api` naming the file, when missing.
    fn listing(&mut self, name: &str, api: &str) -> Result<Option<(PathBuf, Value)>, OrgError> {
        let label = match self.region {
            "" => String::new(),
            region => format!("in {region}: "),
        };
        self.answer(name, api, &label)
    }

    /// A resource's file: `None`, and a gap for `api` naming the resource
    /// (`label`) and the file, when missing.
    fn item(
        &mut self,
        name: &str,
        api: &str,
        label: &str,
    ) -> Result<Option<(PathBuf, Value)>, OrgError> {
        self.answer(name, api, &format!("{label}: "))
    }

    /// File `name` parsed (an empty one is an answer without fields); when
    /// missing, `None` and a gap whose error starts with `prefix`.
    fn answer(
        &mut self,
        name: &str,
        api: &str,
        prefix: &str,
    ) -> Result<Option<(PathBuf, Value)>, OrgError> {
        let path = self.folder.path_of(name)?;
        if !path.exists() {
            self.folder.gaps.push(Gap {
                scope: self.account.to_owned(),
                api: api.to_owned(),
                error: format!("{prefix}{}/{name} is not in the folder", self.rel),
            });
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| bad(&path, format!("cannot read it ({e})")))?;
        if text.trim().is_empty() {
            return Ok(Some((path, Value::Object(Default::default()))));
        }
        let value = parse(&path, &text)?;
        Ok(Some((path, value)))
    }

    /// A policy of this place's account and region.
    fn policy(
        &self,
        service: ResourceService,
        arn: String,
        document: Option<&str>,
    ) -> Option<ResourcePolicy> {
        rp::policy(self.account, service, self.region, arn, document)
    }

    /// The policies of the resources listing `file` names (`api` reads
    /// it): each item of its list `field` gives a (file key, ARN) pair by
    /// `names`, then [`Place::each_policy`] reads the resources.
    fn listed(
        &mut self,
        (file, api, field): (&str, &str, &str),
        names: (&str, &str),
        read: (ResourceService, &str, &str),
        document: impl Fn(&Value) -> (Option<String>, Option<String>),
    ) -> Result<Vec<ResourcePolicy>, OrgError> {
        let Some((path, v)) = self.listing(file, api)? else {
            return Ok(Vec::new());
        };
        let items = pairs(&path, &v, field, names)?;
        self.each_policy(read, items, document)
    }

    /// Each resource's policy: `items` are (file key, ARN), the file is
    /// `{prefix}-{key}.json`, and `document` finds the policy in it (and,
    /// for SQS, the ARN the file gives).
    fn each_policy(
        &mut self,
        (service, api, prefix): (ResourceService, &str, &str),
        items: Vec<(String, String)>,
        document: impl Fn(&Value) -> (Option<String>, Option<String>),
    ) -> Result<Vec<ResourcePolicy>, OrgError> {
        let mut out = Vec::new();
        for (key, arn) in items {
            let name = format!("{prefix}-{}.json", file_key(&key));
            let Some((_, v)) = self.item(&name, api, &arn)? else {
                continue;
            };
            let (given_arn, doc) = document(&v);
            out.extend(self.policy(service, given_arn.unwrap_or(arn), doc.as_deref()));
        }
        Ok(out)
    }
}

/// The text of `field`, when there is one.
fn field(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The text of attribute `name` in the `Attributes` SQS and SNS answer with.
fn attribute(v: &Value, name: &str) -> Option<String> {
    v.get("Attributes").and_then(|a| field(a, name))
}

/// The pairs (`a`, `b`) of each item of list `name` in a listing, both
/// required.
fn pairs(
    path: &Path,
    v: &Value,
    name: &str,
    (a, b): (&str, &str),
) -> Result<Vec<(String, String)>, OrgError> {
    list(path, v, name)?
        .iter()
        .map(|item| Ok((required_text(path, item, a)?, required_text(path, item, b)?)))
        .collect()
}

/// The account's bucket policies, each in its bucket's region.
fn buckets(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    let Some((path, v)) = p.listing("s3api-list-buckets.json", rp::LIST_BUCKETS)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for bucket in list(&path, &v, "Buckets")? {
        let name = required_text(&path, bucket, "Name")?;
        let location = format!("s3api-get-bucket-location-{name}.json");
        let Some((_, location)) = p.item(&location, rp::GET_BUCKET_LOCATION, &name)? else {
            continue;
        };
        let region = rp::bucket_region(location.get("LocationConstraint").and_then(Value::as_str));
        let file = format!("s3api-get-bucket-policy-{name}.json");
        let Some((_, policy)) = p.item(&file, rp::GET_BUCKET_POLICY, &name)? else {
            continue;
        };
        let document = policy.get("Policy").and_then(Value::as_str);
        let arn = format!("arn:aws:s3:::{name}");
        out.extend(rp::policy(
            p.account,
            ResourceService::S3,
            &region,
            arn,
            document,
        ));
    }
    Ok(out)
}

/// The account's policies in `region`: when its folder is missing, a gap
/// for each read there.
fn in_region(account: &mut Place, region: &str) -> Result<Vec<ResourcePolicy>, OrgError> {
    if !account.folder.has(region)? {
        let error = format!("in {region}: {}/{region} is not in the folder", account.rel);
        let regional: Vec<&str> = live::POLICY_READS
            .into_iter()
            .filter(|api| *api != rp::GET_BUCKET_POLICY)
            .collect();
        account
            .folder
            .gaps
            .extend(gaps(account.account, &regional, &error));
        return Ok(Vec::new());
    }
    let mut p = Place {
        folder: account.folder.sub(region)?,
        rel: format!("{}/{region}", account.rel),
        account: account.account,
        region,
    };
    let mut out = keys(&mut p)?;
    out.extend(queues(&mut p)?);
    out.extend(topics(&mut p)?);
    out.extend(functions(&mut p)?);
    out.extend(event_buses(&mut p)?);
    out.extend(repositories(&mut p)?);
    out.extend(secrets(&mut p)?);
    account.folder.gaps.append(&mut p.folder.gaps);
    Ok(out)
}

/// The key policies, AWS managed keys left out.
fn keys(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    let Some((path, v)) = p.listing("kms-list-keys.json", rp::LIST_KEYS)? else {
        return Ok(Vec::new());
    };
    let mut keys = pairs(&path, &v, "Keys", ("KeyId", "KeyArn"))?;
    if !keys.is_empty() && p.folder.has("kms-list-aliases.json")? {
        let (path, v) = p.folder.required("kms-list-aliases.json")?;
        let aliases: Vec<(String, Option<String>)> = list(&path, &v, "Aliases")?
            .iter()
            .map(|a| {
                (
                    field(a, "AliasName").unwrap_or_default(),
                    field(a, "TargetKeyId"),
                )
            })
            .collect();
        let managed = rp::aws_managed_keys(&aliases);
        keys.retain(|(id, _)| !managed.contains(id));
    }
    let read = (
        ResourceService::Kms,
        rp::GET_KEY_POLICY,
        "kms-get-key-policy",
    );
    p.each_policy(read, keys, |v| (None, field(v, "Policy")))
}

/// The queue policies. The CLI prints nothing for a region without queues
/// (SQS leaves `QueueUrls` out), so the list may be missing.
fn queues(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    let Some((_, v)) = p.listing("sqs-list-queues.json", rp::LIST_QUEUES)? else {
        return Ok(Vec::new());
    };
    let urls = v.get("QueueUrls").and_then(Value::as_array);
    let items = urls
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|url| {
            (
                url.rsplit('/').next().unwrap_or(url).to_owned(),
                url.to_owned(),
            )
        })
        .collect();
    let read = (
        ResourceService::Sqs,
        rp::GET_QUEUE_ATTRIBUTES,
        "sqs-get-queue-attributes",
    );
    p.each_policy(read, items, |v| {
        (attribute(v, "QueueArn"), attribute(v, "Policy"))
    })
}

/// The topic policies.
fn topics(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    let Some((path, v)) = p.listing("sns-list-topics.json", rp::LIST_TOPICS)? else {
        return Ok(Vec::new());
    };
    let mut items = Vec::new();
    for topic in list(&path, &v, "Topics")? {
        let arn = required_text(&path, topic, "TopicArn")?;
        items.push((arn.rsplit(':').next().unwrap_or(&arn).to_owned(), arn));
    }
    let read = (
        ResourceService::Sns,
        rp::GET_TOPIC_ATTRIBUTES,
        "sns-get-topic-attributes",
    );
    p.each_policy(read, items, |v| (None, attribute(v, "Policy")))
}

/// The function policies.
fn functions(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    p.listed(
        (
            "lambda-list-functions.json",
            rp::LIST_FUNCTIONS,
            "Functions",
        ),
        ("FunctionName", "FunctionArn"),
        (
            ResourceService::Lambda,
            rp::GET_FUNCTION_POLICY,
            "lambda-get-policy",
        ),
        |v| (None, field(v, "Policy")),
    )
}

/// The event bus policies, which the list carries.
fn event_buses(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    let Some((path, v)) = p.listing("events-list-event-buses.json", rp::LIST_EVENT_BUSES)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for bus in list(&path, &v, "EventBuses")? {
        let arn = required_text(&path, bus, "Arn")?;
        let document = field(bus, "Policy");
        out.extend(p.policy(ResourceService::Events, arn, document.as_deref()));
    }
    Ok(out)
}

/// The repository policies.
fn repositories(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    p.listed(
        (
            "ecr-describe-repositories.json",
            rp::DESCRIBE_REPOSITORIES,
            "repositories",
        ),
        ("repositoryName", "repositoryArn"),
        (
            ResourceService::Ecr,
            rp::GET_REPOSITORY_POLICY,
            "ecr-get-repository-policy",
        ),
        |v| (None, field(v, "policyText")),
    )
}

/// The secret policies.
fn secrets(p: &mut Place) -> Result<Vec<ResourcePolicy>, OrgError> {
    p.listed(
        (
            "secretsmanager-list-secrets.json",
            rp::LIST_SECRETS,
            "SecretList",
        ),
        ("Name", "ARN"),
        (
            ResourceService::SecretsManager,
            rp::GET_SECRET_POLICY,
            "secretsmanager-get-resource-policy",
        ),
        |v| (None, field(v, "ResourcePolicy")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = r#"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc1234567\"}}}]}"#;
    const PLAIN: &str = r#"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"222222222222\"},\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"#;

    /// An export folder holding `files` (paths under `resource-policies/`).
    fn folder(files: &[(&str, String)]) -> (tempfile::TempDir, Folder) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(FOLDER).join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let f = Folder {
            dir: dir.path().to_owned(),
            gaps: Vec::new(),
        };
        (dir, f)
    }

    fn scoped(f: &Folder) -> Vec<(&str, &str)> {
        f.gaps
            .iter()
            .map(|g| (g.scope.as_str(), g.api.as_str()))
            .collect()
    }

    /// Every listing of account `a` in us-east-1, empty.
    fn empty_region(a: &str) -> Vec<(String, String)> {
        [
            ("kms-list-keys", r#"{"Keys": []}"#),
            ("sqs-list-queues", ""),
            ("sns-list-topics", r#"{"Topics": []}"#),
            ("lambda-list-functions", r#"{"Functions": []}"#),
            ("events-list-event-buses", r#"{"EventBuses": []}"#),
            ("ecr-describe-repositories", r#"{"repositories": []}"#),
            ("secretsmanager-list-secrets", r#"{"SecretList": []}"#),
        ]
        .into_iter()
        .map(|(name, text)| (format!("{a}/us-east-1/{name}.json"), text.to_owned()))
        .collect()
    }

    fn owned(files: Vec<(String, String)>) -> Vec<(&'static str, String)> {
        files
            .into_iter()
            .map(|(n, t)| (&*Box::leak(n.into_boxed_str()), t))
            .collect()
    }

    /// A hand-made account: a bucket naming the organization (in `EU`, so
    /// eu-west-1), one trusting an account, one without a policy (`{}` as the
    /// script writes for `NoSuchBucketPolicy`); a customer key naming the
    /// organization and an AWS managed key with no file (left out, no gap);
    /// no queues (an empty file, as the CLI prints); an event bus whose
    /// policy is not JSON (a gap naming it); a repository whose name holds a
    /// `/` (`%2F` in the file's name) naming the organization, and one
    /// without a policy.
    #[test]
    fn policies_are_kept_as_live_and_no_policy_is_not_a_gap() {
        let a = "111111111111";
        let mut files = vec![
            (
                format!("{a}/s3api-list-buckets.json"),
                r#"{"Buckets": [{"Name": "shared"}, {"Name": "plain"}, {"Name": "bare"}]}"#
                    .to_owned(),
            ),
            (
                format!("{a}/s3api-get-bucket-location-shared.json"),
                r#"{"LocationConstraint": "EU"}"#.to_owned(),
            ),
            (
                format!("{a}/s3api-get-bucket-location-plain.json"),
                r#"{"LocationConstraint": null}"#.to_owned(),
            ),
            (
                format!("{a}/s3api-get-bucket-location-bare.json"),
                String::new(),
            ),
            (
                format!("{a}/s3api-get-bucket-policy-shared.json"),
                format!(r#"{{"Policy": "{ORG}"}}"#),
            ),
            (
                format!("{a}/s3api-get-bucket-policy-plain.json"),
                format!(r#"{{"Policy": "{PLAIN}"}}"#),
            ),
            (
                format!("{a}/s3api-get-bucket-policy-bare.json"),
                "{}".to_owned(),
            ),
        ];
        files.extend(empty_region(a));
        let region = |name: &str| format!("{a}/us-east-1/{name}.json");
        files.extend([
            (
                region("kms-list-keys"),
                r#"{"Keys": [{"KeyId": "k-own", "KeyArn": "arn:k-own"}, {"KeyId": "k-aws", "KeyArn": "arn:k-aws"}]}"#.to_owned(),
            ),
            (
                region("kms-list-aliases"),
                r#"{"Aliases": [{"AliasName": "alias/aws/ebs", "TargetKeyId": "k-aws"}, {"AliasName": "alias/aws/s3"}]}"#.to_owned(),
            ),
            (region("kms-get-key-policy-k-own"), format!(r#"{{"Policy": "{ORG}", "PolicyName": "default"}}"#)),
            (
                region("events-list-event-buses"),
                r#"{"EventBuses": [{"Name": "default", "Arn": "arn:bus", "Policy": "{not json"}]}"#.to_owned(),
            ),
            (
                region("ecr-describe-repositories"),
                r#"{"repositories": [{"repositoryName": "team/app", "repositoryArn": "arn:repo/team/app"},
                    {"repositoryName": "solo", "repositoryArn": "arn:repo/solo"}]}"#.to_owned(),
            ),
            (region("ecr-get-repository-policy-team%2Fapp"), format!(r#"{{"repositoryName": "team/app", "policyText": "{ORG}"}}"#)),
            (region("ecr-get-repository-policy-solo"), "{}".to_owned()),
        ]);
        let (_d, mut f) = folder(&owned(files));
        let kept = read(&mut f, &[a]).unwrap();
        let got: Vec<(&str, ResourceService, &str)> = kept
            .iter()
            .map(|p| (p.arn.as_str(), p.service, p.region.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("arn:aws:s3:::shared", ResourceService::S3, "eu-west-1"),
                ("arn:k-own", ResourceService::Kms, "us-east-1"),
                ("arn:repo/team/app", ResourceService::Ecr, "us-east-1"),
            ]
        );
        assert!(kept.iter().all(|p| p.account_id == a));
        assert_eq!(scoped(&f), [(a, rp::LIST_EVENT_BUSES)]);
        assert!(f.gaps[0].error.contains("arn:bus") && f.gaps[0].error.contains("not JSON"));
    }

    /// Nothing saved: a gap per read for the organization. An account
    /// without its folder: a gap per read for it. An account without a
    /// region another has: a gap per regional read, naming the region. A
    /// resource without its file: a gap naming it and the file.
    #[test]
    fn what_was_not_saved_is_a_gap() {
        let (_d, mut f) = folder(&[]);
        std::fs::remove_dir_all(f.dir.join(FOLDER)).ok();
        assert!(read(&mut f, &["111111111111"]).unwrap().is_empty());
        let org: Vec<(&str, &str)> = live::POLICY_READS
            .iter()
            .map(|api| ("organization", *api))
            .collect();
        assert_eq!(scoped(&f), org);

        let (a, b) = ("111111111111", "222222222222");
        let mut files = empty_region(a);
        files.push((
            format!("{a}/s3api-list-buckets.json"),
            r#"{"Buckets": [{"Name": "logs"}]}"#.to_owned(),
        ));
        files.push((
            format!("{a}/s3api-get-bucket-location-logs.json"),
            "{}".to_owned(),
        ));
        files.push((
            format!("{b}/s3api-list-buckets.json"),
            r#"{"Buckets": []}"#.to_owned(),
        ));
        let (_d, mut f) = folder(&owned(files));
        let c = "333333333333";
        assert!(read(&mut f, &[a, b, c]).unwrap().is_empty());
        let mut expected = vec![(a, rp::GET_BUCKET_POLICY)];
        expected.extend(live::POLICY_READS[1..].iter().map(|api| (b, *api)));
        expected.extend(live::POLICY_READS.iter().map(|api| (c, *api)));
        assert_eq!(scoped(&f), expected);
        assert!(
            f.gaps[0]
                .error
                .contains("logs: resource-policies/111111111111/s3api-get-bucket-policy-logs.json"),
            "{}",
            f.gaps[0].error
        );
        assert!(
            f.gaps[1]
                .error
                .contains("in us-east-1: resource-policies/222222222222/us-east-1"),
            "{}",
            f.gaps[1].error
        );
        assert!(
            f.gaps
                .last()
                .unwrap()
                .error
                .contains("resource-policies/333333333333 is not")
        );
    }

    /// A file that is not JSON, a listing without its list, an item without
    /// its name, and a name that would leave the folder are errors naming
    /// the file, the field or the name.
    #[test]
    fn a_wrong_file_is_an_error_naming_it() {
        let a = "111111111111";
        for (name, text, says) in [
            ("s3api-list-buckets.json", "{\"Buckets\": [", "not JSON"),
            ("s3api-list-buckets.json", "{}", "no list \"Buckets\""),
            (
                "s3api-list-buckets.json",
                r#"{"Buckets": [{}]}"#,
                "missing field \"Name\"",
            ),
            (
                "us-east-1/lambda-list-functions.json",
                r#"{"Functions": [{"FunctionName": "f"}]}"#,
                "missing field \"FunctionArn\"",
            ),
            (
                "s3api-list-buckets.json",
                r#"{"Buckets": [{"Name": "../../etc/passwd"}]}"#,
                "path separator",
            ),
            (
                "us-east-1/lambda-list-functions.json",
                r#"{"Functions": [{"FunctionName": "a\\b", "FunctionArn": "arn:f"}]}"#,
                "path separator",
            ),
        ] {
            let mut files = empty_region(a);
            files.retain(|(n, _)| !n.ends_with(name));
            files.push((format!("{a}/{name}"), text.to_owned()));
            let (_d, mut f) = folder(&owned(files));
            let err = read(&mut f, &[a]).unwrap_err();
            assert!(err.is_bad_input());
            let err = err.to_string();
            assert!(err.contains(says), "{name}: {err}");
            assert!(err.contains(FOLDER), "{name}: {err}");
        }
    }

    /// A `/` in a secret's or a repository's name is written `%2F`, so
    /// even a hostile one names a file in the folder: here a missing one,
    /// so a gap naming it.
    #[test]
    fn a_slash_in_a_name_is_written_percent_2f() {
        assert_eq!(file_key("team/app/web"), "team%2Fapp%2Fweb");
        assert_eq!(file_key("plain"), "plain");
        let a = "111111111111";
        let mut files = empty_region(a);
        files.retain(|(n, _)| !n.ends_with("secretsmanager-list-secrets.json"));
        files.push((
            format!("{a}/us-east-1/secretsmanager-list-secrets.json"),
            r#"{"SecretList": [{"Name": "../../etc/passwd", "ARN": "arn:s"}]}"#.to_owned(),
        ));
        files.push((
            format!("{a}/s3api-list-buckets.json"),
            r#"{"Buckets": []}"#.to_owned(),
        ));
        let (_d, mut f) = folder(&owned(files));
        assert!(read(&mut f, &[a]).unwrap().is_empty());
        assert_eq!(scoped(&f), [(a, rp::GET_SECRET_POLICY)]);
        assert!(
            f.gaps[0]
                .error
                .contains("secretsmanager-get-resource-policy-..%2F..%2Fetc%2Fpasswd.json"),
            "{}",
            f.gaps[0].error
        );
    }
}
