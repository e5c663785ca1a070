//! Loading AWS's configuration: the standard chain (`AWS_*` environment
//! variables, the shared config and credentials files with a profile, SSO
//! sessions, web identity, container and instance roles), with explicit
//! choices on top, one HTTP client (hyper 1 with rustls on ring), and adaptive
//! retry with backoff so throttling slows discovery down instead of failing it.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Explicit choices that override the chain.
#[derive(Debug, Clone, Default)]
pub struct AwsAccess {
    /// A named profile (else `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// A region (else `AWS_REGION`, else the profile's).
    pub region: Option<String>,
    /// Send every request here instead of AWS's endpoints (tests use moto).
    pub endpoint_url: Option<String>,
}

/// Attempts per request, throttling retries included.
const MAX_ATTEMPTS: u32 = 10;

/// Loads the SDK configuration.
pub async fn load_config(access: &AwsAccess) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::adaptive().with_max_attempts(MAX_ATTEMPTS));
    if let Some(profile) = &access.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &access.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &access.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}
