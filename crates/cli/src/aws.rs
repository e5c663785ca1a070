//! AWS access for the CLI: AWS's standard configuration chain (flags, then
//! `AWS_*` environment variables, then the shared config and credentials files
//! with `--profile`, SSO sessions, web identity, container and instance roles),
//! resolved once with `aws-config` and handed to the library crates.
//!
//! The library crates never see the AWS SDK: reading billing data from S3 gets an
//! `object_store` credential provider that asks the SDK's chain (and caches what
//! it returns until shortly before it expires).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use object_store::aws::AwsCredential;

use crate::args::AwsArgs;

/// Loads the SDK configuration the standard way, with the flags on top.
pub async fn sdk_config(args: &AwsArgs) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &args.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// S3 options for the billing-data reader: region, endpoint and credentials from
/// the chain. Needs no network until an S3 input is actually read.
pub fn s3_options(args: &AwsArgs) -> Result<orgpool_cur::S3Options> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime to load the AWS configuration")?;
    let config = runtime.block_on(sdk_config(args));
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
