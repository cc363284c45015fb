//! Java truststores and keystores: PEM and PKCS#12 files become librdkafka's `ssl.*`
//! locations; JKS and unknown formats are refused with advice.

use std::path::Path;

use crate::config::ConfigError;
use crate::config::layers::{Properties, Property};

use super::merge::{invalid, put, superseded};

/// Format of a Java key or trust store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StoreFormat {
    Pem,
    Pkcs12,
    Jks,
    Other(String),
}

/// The store format from its `*.type` property, else from the file name (`.pem`/`.crt` → PEM,
/// `.p12`/`.pfx` → PKCS#12), else JKS, Java's default.
pub(super) fn store_format(location: &str, kind: Option<&Property>) -> StoreFormat {
    if let Some(kind) = kind {
        let kind = kind.value.trim();
        return match kind.to_ascii_uppercase().as_str() {
            "PEM" => StoreFormat::Pem,
            "PKCS12" => StoreFormat::Pkcs12,
            "JKS" => StoreFormat::Jks,
            _ => StoreFormat::Other(kind.to_owned()),
        };
    }
    let extension = Path::new(location.trim())
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("pem" | "crt") => StoreFormat::Pem,
        Some("p12" | "pfx") => StoreFormat::Pkcs12,
        _ => StoreFormat::Jks,
    }
}

/// The advice for a truststore librdkafka (or our registry client) cannot read; `target` is the
/// property to set to the converted file.
pub(super) fn truststore_advice(format: &StoreFormat, location: &str, target: &str) -> String {
    match format {
        StoreFormat::Pkcs12 => format!(
            "a PKCS12 truststore cannot be read here; convert it to PEM with \
             `openssl pkcs12 -in {location} -nokeys -out truststore.pem` and set \
             {target}=truststore.pem"
        ),
        StoreFormat::Other(kind) => format!(
            "truststore type {kind:?} is not supported; give the CA certificates as a PEM file \
             with {target}"
        ),
        StoreFormat::Jks | StoreFormat::Pem => format!(
            "a JKS truststore cannot be read here; convert it to PEM with \
             `keytool -list -rfc -keystore {location} -storepass <password> > truststore.pem` \
             and set {target}=truststore.pem"
        ),
    }
}

pub(super) fn truststore(input: &mut Properties, out: &mut Properties) -> Result<(), ConfigError> {
    const KEY: &str = "ssl.truststore.location";
    let Some(location) = input.remove(KEY) else {
        return Ok(());
    };
    let kind = input.remove("ssl.truststore.type");
    let password = input.remove("ssl.truststore.password");
    if superseded(input, &location.origin, &["ssl.ca.location"])
        || superseded(input, &location.origin, &["ssl.ca.pem"])
    {
        tracing::debug!(origin = %location.origin, "{KEY} overridden by librdkafka's ssl.ca.*");
        return Ok(());
    }
    match store_format(&location.value, kind.as_ref()) {
        StoreFormat::Pem => {
            if let Some(password) = password {
                tracing::debug!(
                    origin = %password.origin,
                    "dropped ssl.truststore.password: a PEM truststore has none"
                );
            }
            put(out, "ssl.ca.location", location)
        }
        format => Err(invalid(
            KEY,
            &location.origin,
            truststore_advice(&format, location.value.trim(), "ssl.ca.location"),
        )),
    }
}

pub(super) fn keystore(input: &mut Properties, out: &mut Properties) -> Result<(), ConfigError> {
    const KEY: &str = "ssl.keystore.location";
    let kind = input.remove("ssl.keystore.type");
    let password = input.remove("ssl.keystore.password");
    let Some(location) = input.remove(KEY) else {
        // Inline PEM keys (`ssl.keystore.key`) come with a PEM type and no location.
        if let Some(password) = password {
            put(out, "ssl.keystore.password", password)?;
        }
        return Ok(());
    };
    if superseded(
        input,
        &location.origin,
        &["ssl.certificate.location", "ssl.key.location"],
    ) || superseded(
        input,
        &location.origin,
        &["ssl.certificate.pem", "ssl.key.pem"],
    ) {
        tracing::debug!(origin = %location.origin, "{KEY} overridden by librdkafka's ssl.certificate.* and ssl.key.*");
        return Ok(());
    }
    match store_format(&location.value, kind.as_ref()) {
        StoreFormat::Pkcs12 => {
            if let Some(password) = password {
                put(out, "ssl.keystore.password", password)?;
            }
            put(out, KEY, location)
        }
        StoreFormat::Pem => {
            if let Some(password) = password {
                tracing::debug!(
                    origin = %password.origin,
                    "dropped ssl.keystore.password: a PEM keystore uses ssl.key.password"
                );
            }
            put(out, "ssl.certificate.location", location.clone())?;
            put(out, "ssl.key.location", location)
        }
        StoreFormat::Jks => {
            let path = location.value.trim();
            Err(invalid(
                KEY,
                &location.origin,
                format!(
                    "a JKS keystore cannot be read here; convert it to PKCS12 with \
                     `keytool -importkeystore -srckeystore {path} -destkeystore keystore.p12 \
                     -deststoretype PKCS12` and set ssl.keystore.location=keystore.p12 and \
                     ssl.keystore.type=PKCS12"
                ),
            ))
        }
        StoreFormat::Other(kind) => Err(invalid(
            KEY,
            &location.origin,
            format!("keystore type {kind:?} is not supported; use PKCS12 or PEM"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::layers::Origin;

    #[test]
    fn store_formats() {
        let pem = Property {
            value: "PEM".into(),
            origin: Origin::builtin(),
        };
        for (location, kind, expected) in [
            ("/a/ca.pem", None, StoreFormat::Pem),
            ("/a/ca.CRT", None, StoreFormat::Pem),
            ("/a/store.p12", None, StoreFormat::Pkcs12),
            ("/a/store.pfx", None, StoreFormat::Pkcs12),
            ("/a/store.jks", None, StoreFormat::Jks),
            ("/a/store", None, StoreFormat::Jks),
            ("/a/store.jks", Some(&pem), StoreFormat::Pem),
        ] {
            assert_eq!(store_format(location, kind), expected, "{location}");
        }
    }
}
