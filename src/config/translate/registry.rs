//! Schema registry client names: the URL, `USER_INFO` basic authentication and a PEM
//! truststore are understood; serializer-only names are dropped; every other registry name is
//! an error, so the registry is never reached without the credentials or TLS asked for.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::config::layers::{Properties, Role};
use crate::config::types::RegistrySettings;

use super::merge::{invalid, take_alias};
use super::stores::{StoreFormat, store_format, truststore_advice};

/// Registry names with an equivalent alias (the `schema.registry.` prefixed form is also
/// accepted by the Java registry client).
const BASIC_AUTH_SOURCE: [&str; 2] = [
    "basic.auth.credentials.source",
    "schema.registry.basic.auth.credentials.source",
];
const BASIC_AUTH_USER_INFO: [&str; 2] = [
    "basic.auth.user.info",
    "schema.registry.basic.auth.user.info",
];

pub(super) fn registry(
    input: &mut Properties,
    role: Role,
) -> Result<Option<RegistrySettings>, ConfigError> {
    let url = input.remove("schema.registry.url");
    let source = take_alias(input, &BASIC_AUTH_SOURCE);
    let user_info = take_alias(input, &BASIC_AUTH_USER_INFO);
    let truststore = input.remove("schema.registry.ssl.truststore.location");
    let truststore_type = input.remove("schema.registry.ssl.truststore.type");
    let truststore_password = input.remove("schema.registry.ssl.truststore.password");
    let endpoint = input.remove("schema.registry.ssl.endpoint.identification.algorithm");

    let Some(url) = url.filter(|url| !url.value.trim().is_empty()) else {
        for property in [
            &source,
            &user_info,
            &truststore,
            &truststore_type,
            &endpoint,
        ]
        .into_iter()
        .flatten()
        {
            tracing::debug!(origin = %property.origin, %role, "registry setting ignored: no schema.registry.url");
        }
        return Ok(None);
    };

    if let Some(source) = &source {
        let kind = source.value.trim();
        if !kind.eq_ignore_ascii_case("USER_INFO") {
            return Err(invalid(
                BASIC_AUTH_SOURCE[0],
                &source.origin,
                format!(
                    "credentials source {kind:?} is not supported; give the credentials with \
                     basic.auth.user.info=USER:PASSWORD and basic.auth.credentials.source=USER_INFO"
                ),
            ));
        }
        if user_info.is_none() {
            return Err(invalid(
                BASIC_AUTH_SOURCE[0],
                &source.origin,
                "USER_INFO needs basic.auth.user.info=USER:PASSWORD",
            ));
        }
    }
    let basic_auth = user_info
        .map(|info| {
            info.value
                .split_once(':')
                .map(|(user, password)| (user.to_owned(), password.to_owned()))
                .ok_or_else(|| {
                    invalid(
                        BASIC_AUTH_USER_INFO[0],
                        &info.origin,
                        "expected USER:PASSWORD",
                    )
                })
        })
        .transpose()?;

    let ca_location = match truststore {
        None => None,
        Some(location) => match store_format(&location.value, truststore_type.as_ref()) {
            StoreFormat::Pem => {
                if let Some(password) = truststore_password {
                    tracing::debug!(
                        origin = %password.origin,
                        "dropped schema.registry.ssl.truststore.password: a PEM truststore has none"
                    );
                }
                Some(PathBuf::from(location.value.trim()))
            }
            format => {
                return Err(invalid(
                    "schema.registry.ssl.truststore.location",
                    &location.origin,
                    truststore_advice(
                        &format,
                        location.value.trim(),
                        "schema.registry.ssl.truststore.location",
                    ),
                ));
            }
        },
    };

    if let Some(endpoint) = endpoint
        && !endpoint.value.trim().eq_ignore_ascii_case("https")
    {
        return Err(invalid(
            "schema.registry.ssl.endpoint.identification.algorithm",
            &endpoint.origin,
            "host name verification of the schema registry cannot be turned off",
        ));
    }

    Ok(Some(RegistrySettings {
        url: url.value.trim().to_owned(),
        basic_auth,
        ca_location,
    }))
}
