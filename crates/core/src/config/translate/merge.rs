//! How a translated property meets the others: the higher-ranked source wins, equal ranks
//! must agree, and a Java setting is irrelevant when its replacement is set above it.

use crate::config::ConfigError;
use crate::config::layers::{Origin, Properties, Property};

pub(super) fn with_value(property: Property, value: &str) -> Property {
    Property {
        value: value.to_owned(),
        origin: property.origin,
    }
}

pub(super) fn invalid(key: &str, origin: &Origin, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        origin: origin.to_string(),
        reason: reason.into(),
    }
}

/// Inserts a librdkafka property, the higher-ranked source winning; equal ranks must agree.
pub(super) fn put(out: &mut Properties, key: &str, property: Property) -> Result<(), ConfigError> {
    match out.get(key) {
        Some(existing) if existing.origin.rank > property.origin.rank => {
            tracing::debug!(
                key,
                kept = %existing.origin,
                ignored = %property.origin,
                "overridden by a source of higher precedence"
            );
        }
        Some(existing)
            if existing.origin.rank == property.origin.rank && existing.value != property.value =>
        {
            return Err(ConfigError::Conflict {
                key: key.to_owned(),
                first: existing.origin.to_string(),
                second: property.origin.to_string(),
                reason: "set twice with the same precedence (once through a Java name); \
                         keep only one"
                    .to_owned(),
            });
        }
        _ => {
            out.insert(key.to_owned(), property);
        }
    }
    Ok(())
}

/// Whether every one of `targets` is set by a source ranked above `origin`, making a Java
/// setting from `origin` irrelevant.
pub(super) fn superseded(input: &Properties, origin: &Origin, targets: &[&str]) -> bool {
    targets.iter().all(|target| {
        input
            .get(*target)
            .is_some_and(|property| property.origin.rank > origin.rank)
    })
}

/// The one of several alias names with the highest precedence, all of them removed.
pub(super) fn take_alias(input: &mut Properties, names: &[&str]) -> Option<Property> {
    names
        .iter()
        .filter_map(|name| input.remove(*name))
        .max_by_key(|property| property.origin.rank)
}

/// The class name without its package.
pub(super) fn short_class(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}
