//! Schema registry client names: the URL, `USER_INFO` basic authentication and a PEM
//! truststore are understood; serializer-only names are dropped; every other registry name is
//! an error, so the registry is never reached without the credentials or TLS asked for.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::config::layers::{Properties, Role};
use crate::config::types::{IdWidth, RegistrySettings};

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
    let id_handler = input.remove(ID_HANDLER);
    let use_id = input.remove(USE_ID);

    let Some(url) = url.filter(|url| !url.value.trim().is_empty()) else {
        for property in [
            &source,
            &user_info,
            &truststore,
            &truststore_type,
            &endpoint,
            &id_handler,
            &use_id,
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

    if let Some(use_id) = &use_id {
        let value = use_id.value.trim();
        if !["globalId", "contentId"].contains(&value) {
            return Err(invalid(
                USE_ID,
                &use_id.origin,
                format!("{value:?} is neither globalId nor contentId"),
            ));
        }
        tracing::debug!(
            origin = %use_id.origin,
            "{USE_ID}={value}: ids are looked up with GET /schemas/ids/ID of the registry's \
             Confluent-compatible API"
        );
    }
    let id_width = match &id_handler {
        None => IdWidth::Four,
        Some(handler) => id_width(handler.value.trim()).ok_or_else(|| {
            invalid(
                ID_HANDLER,
                &handler.origin,
                format!(
                    "{:?} is not an id handler this tool reads; supported: \
                     io.apicurio.registry.serde.Legacy8ByteIdHandler (8-byte ids) and \
                     io.apicurio.registry.serde.Default4ByteIdHandler (4-byte ids)",
                    handler.value.trim()
                ),
            )
        })?,
    };

    Ok(Some(RegistrySettings {
        url: url.value.trim().to_owned(),
        basic_auth,
        ca_location,
        id_width,
    }))
}

/// Apicurio's serde setting for how schema ids are framed, read the way its deserializer
/// reads it (the class name of an `IdHandler`).
const ID_HANDLER: &str = "apicurio.registry.id-handler";
/// Apicurio's serde setting for which id the frame holds (`globalId` or `contentId`).
const USE_ID: &str = "apicurio.registry.use-id";

/// The id width an Apicurio id handler class writes (its full or its simple name).
fn id_width(class: &str) -> Option<IdWidth> {
    let simple = class
        .strip_prefix("io.apicurio.registry.serde.")
        .unwrap_or(class);
    match simple {
        "Legacy8ByteIdHandler" | "DefaultIdHandler" => Some(IdWidth::Eight),
        "Default4ByteIdHandler" | "Legacy4ByteIdHandler" => Some(IdWidth::Four),
        _ => None,
    }
}
