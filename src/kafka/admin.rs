//! Topic configuration look-ups (the cleanup policy, for the tombstone safety check).

use anyhow::Context as _;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;

use crate::config::Settings;

use super::client::client_config;

/// The `cleanup.policy` of `topic` (`delete`, `compact` or `compact,delete`).
///
/// # Errors
/// When the cluster cannot be asked or refuses.
pub fn cleanup_policy(settings: &Settings, topic: &str) -> anyhow::Result<String> {
    let admin: AdminClient<DefaultClientContext> = client_config(&settings.consumer, &[])
        .create()
        .context("cannot create the Kafka admin client")?;
    let options = AdminOptions::new().request_timeout(Some(settings.timeout));
    let results = futures::executor::block_on(
        admin.describe_configs([&ResourceSpecifier::Topic(topic)], &options),
    )
    .with_context(|| format!("cannot describe topic {topic}"))?;
    let resource = results
        .into_iter()
        .next()
        .context("no answer for the topic configuration")?
        .map_err(|code| anyhow::anyhow!("cannot describe topic {topic}: {code}"))?;
    Ok(resource
        .get("cleanup.policy")
        .and_then(|entry| entry.value.clone())
        .unwrap_or_else(|| "delete".to_owned()))
}

/// Whether tombstones remove records under `policy`.
#[must_use]
pub fn compacts(policy: &str) -> bool {
    policy.split(',').any(|p| p.trim() == "compact")
}
