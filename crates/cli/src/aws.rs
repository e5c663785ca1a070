//! AWS access for the CLI: the flags on top of AWS's standard configuration
//! chain, loaded by `orgpool_org::aws::load_config`, and handed to the library
//! crates.
//!
//! The library crates never see the AWS SDK: reading billing data from S3 gets an
//! `object_store` credential provider that asks the SDK's chain (and caches what
//! it returns until shortly before it expires).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use object_store::aws::AwsCredential;

use crate::args::AwsArgs;

/// The flags as the org crate's explicit choices.
pub fn access(args: &AwsArgs) -> orgpool_org::aws::AwsAccess {
    orgpool_org::aws::AwsAccess {
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
    }
}

/// S3 options for the billing-data reader: region, endpoint and credentials from
/// the chain. Needs no network until an S3 input is actually read.
pub fn s3_options(args: &AwsArgs) -> Result<orgpool_cur::S3Options> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime to load the AWS configuration")?;
    let config = runtime.block_on(orgpool_org::aws::load_config(&access(args)));
    let credentials = config
        .credentials_provider()
        .map(|p| Arc::new(ChainCredentials::new(p)) as object_store::aws::AwsCredentialProvider);
    Ok(orgpool_cur::S3Options {
        endpoint_url: args.endpoint_url.clone(),
        region: config.region().map(|r| r.as_ref().to_owned()),
        credentials,
    })
}

/// Credentials from the SDK's chain, for `object_store`.
#[derive(Debug)]
struct ChainCredentials {
    provider: SharedCredentialsProvider,
    cached: Mutex<Option<(Arc<AwsCredential>, Option<SystemTime>)>>,
}

/// Credentials are fetched again this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

impl ChainCredentials {
    fn new(provider: SharedCredentialsProvider) -> Self {
        ChainCredentials {
            provider,
            cached: Mutex::new(None),
        }
    }

    fn fresh(&self) -> Option<Arc<AwsCredential>> {
        let guard = self.cached.lock().ok()?;
        let (credential, expiry) = guard.as_ref()?;
        match expiry {
            Some(t) if SystemTime::now() + REFRESH_MARGIN >= *t => None,
            _ => Some(credential.clone()),
        }
    }
}

#[async_trait::async_trait]
impl object_store::CredentialProvider for ChainCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        if let Some(c) = self.fresh() {
            return Ok(c);
        }
        let c = self.provider.provide_credentials().await.map_err(|e| {
            object_store::Error::Generic {
                store: "S3",
                source: format!("no AWS credentials: {e}").into(),
            }
        })?;
        let credential = Arc::new(AwsCredential {
            key_id: c.access_key_id().to_owned(),
            secret_key: c.secret_access_key().to_owned(),
            token: c.session_token().map(str::to_owned),
        });
        if let Ok(mut guard) = self.cached.lock() {
            *guard = Some((credential.clone(), c.expiry()));
        }
        Ok(credential)
    }
}
