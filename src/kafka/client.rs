//! Client construction in one place: librdkafka configuration from our settings, and the
//! client context that bridges librdkafka's logs and errors into `tracing`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;

/// Builds a librdkafka configuration from `properties`, then applies `forced` on top.
#[must_use]
pub fn client_config(
    properties: &BTreeMap<String, String>,
    forced: &[(&str, &str)],
) -> ClientConfig {
    let mut config = ClientConfig::new();
    for (key, value) in properties {
        config.set(key, value);
    }
    for (key, value) in forced {
        if let Some(given) = properties.get(*key).filter(|given| given != value) {
            tracing::warn!("property {key}={given} is overridden with {value}: the tool needs it");
        }
        config.set(*key, *value);
    }
    config.set_log_level(if tracing::enabled!(tracing::Level::DEBUG) {
        RDKafkaLogLevel::Debug
    } else {
        RDKafkaLogLevel::Warning
    });
    config
}

/// Context shared by our consumer and producer: routes librdkafka's logs to `tracing` and
/// remembers the last client-level error (for example why a broker cannot be reached), so
/// that a timeout can say why it happened.
#[derive(Debug, Default)]
pub struct Context {
    last_error: Mutex<Option<String>>,
}

impl Context {
    /// The last error librdkafka reported for this client, if any.
    #[must_use]
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .map_or(None, |guard| guard.as_ref().cloned())
    }

    /// A suffix for error messages: `" (last error: ...)"` or nothing.
    #[must_use]
    pub fn reason(&self) -> String {
        self.last_error()
            .map(|error| format!(" (last error: {error})"))
            .unwrap_or_default()
    }
}

impl ClientContext for Context {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        // librdkafka retries what it logs as an error (a refused connection, say); the tool
        // reports the failures that matter itself, so these are warnings to the user.
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical => {
                tracing::error!(target: "librdkafka", "{facility}: {message}");
            }
            RDKafkaLogLevel::Error | RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "librdkafka", "{facility}: {message}");
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "{facility}: {message}");
            }
            RDKafkaLogLevel::Debug => {
                tracing::debug!(target: "librdkafka", "{facility}: {message}");
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        // Transient (the client retries); reported when it makes an operation time out.
        tracing::debug!(target: "librdkafka", "{error}: {reason}");
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(reason.to_owned());
        }
    }
}

impl ConsumerContext for Context {}
