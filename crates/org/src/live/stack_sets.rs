//! CloudFormation StackSets administered from the management account, with
//! the accounts that hold their stack instances.
//!
//! APIs: `cloudformation:ListStackSets` (active sets; each summary carries the
//! permission model and the automatic-deployment settings, including
//! `RetainStacksOnAccountRemoval`), then `cloudformation:ListStackInstances`
//! per set. Rule (AWS CloudFormation User Guide, "Enable or disable automatic
//! deployments"): with automatic deployment on, a service-managed StackSet
//! deletes its stacks from an account removed from the target organization or
//! OU unless `RetainStacksOnAccountRemoval` is true.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{PermissionModels, StackSetStatus, StackSetSummary};
use futures::StreamExt;
use orgpool_model::{StackSet, StackSetPermissionModel};

use super::{Session, text};

/// IAM action `cloudformation:ListStackSets`.
pub const LIST_STACK_SETS: &str = "cloudformation:ListStackSets";
/// IAM action `cloudformation:ListStackInstances`.
pub const LIST_STACK_INSTANCES: &str = "cloudformation:ListStackInstances";

/// The actions this module calls.
pub const ACTIONS: &[&str] = &[LIST_STACK_SETS, LIST_STACK_INSTANCES];

/// Active StackSets of the calling account, with their stack instances' accounts.
pub(super) async fn read(
    s: &Session<'_>,
    config: &aws_config::SdkConfig,
    owner_account_id: &str,
) -> Vec<StackSet> {
    let client = Client::new(config);
    let pages = client
        .list_stack_sets()
        .status(StackSetStatus::Active)
        .into_paginator()
        .send();
    let summaries: Vec<StackSetSummary> = s
        .pages(LIST_STACK_SETS, "organization", pages, |page| {
            page.summaries().to_vec()
        })
        .await;
    let client = &client;
    futures::stream::iter(summaries)
        .map(|summary| async move {
            let name = text(summary.stack_set_name());
            let pages = client
                .list_stack_instances()
                .stack_set_name(&name)
                .into_paginator()
                .send();
            let mut accounts: Vec<String> = s
                .pages(LIST_STACK_INSTANCES, &name, pages, |page| {
                    page.summaries()
                        .iter()
                        .filter_map(|i| i.account().map(str::to_owned))
                        .collect()
                })
                .await;
            accounts.sort();
            accounts.dedup();
            let auto = summary.auto_deployment();
            StackSet {
                arn: text(summary.stack_set_id()),
                name,
                owner_account_id: owner_account_id.to_owned(),
                permission_model: match summary.permission_model() {
                    Some(PermissionModels::ServiceManaged) => {
                        StackSetPermissionModel::ServiceManaged
                    }
                    _ => StackSetPermissionModel::SelfManaged,
                },
                auto_deployment_enabled: auto.and_then(|a| a.enabled()).unwrap_or(false),
                retain_stacks_on_account_removal: auto
                    .and_then(|a| a.retain_stacks_on_account_removal())
                    .unwrap_or(false),
                stack_instance_account_ids: accounts,
            }
        })
        .buffered(s.concurrency())
        .collect()
        .await
}
