//! The schema registry client: schemas fetched by id (`GET /schemas/ids/{id}?deleted=true`)
//! through `schema_registry_converter`'s async client, run on a small current-thread tokio
//! runtime of our own so the rest of the program stays synchronous (its blocking client must
//! not run inside a runtime, and we never are in one).
//!
//! Each id is fetched once per run, and failures are remembered like successes: a registry
//! that is down costs one timeout per schema id, not one per record.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use schema_registry_converter::async_impl::avro::get_avro_schema;
use schema_registry_converter::async_impl::schema_registry::{SrSettings, get_schema_by_id};
use schema_registry_converter::error::SRCError;
use schema_registry_converter::schema_registry_common::{RawError, SchemaType};

use crate::config::RegistrySettings;

use super::avro::{WriterSchema, one_line};
use super::registry_tls;
pub use super::setup_error::SetupError;

/// What the registry holds for a schema id.
#[derive(Debug)]
pub enum RegistrySchema {
    Avro(Box<WriterSchema>),
    /// A JSON Schema: the payload is JSON text.
    Json,
    /// A Protobuf schema: the payload is message indexes and a Protobuf message.
    Protobuf,
    /// A schema type this tool does not know.
    Other(String),
}

/// Why a schema could not be had, on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(String);

/// A schema registry client with a cache by schema id.
pub struct Registry {
    // Dropped before the runtime it ran on.
    settings: SrSettings,
    runtime: tokio::runtime::Runtime,
    cache: HashMap<u32, Result<Arc<RegistrySchema>, FetchError>>,
    fetches: usize,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("cached", &self.cache.len())
            .field("fetches", &self.fetches)
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A client for `registry` (one URL, or several separated by commas, tried in turn) that
    /// gives up on a request after `timeout`.
    ///
    /// # Errors
    /// [`SetupError`] when the CA file cannot be read or holds no certificate, or the HTTP
    /// client or the runtime cannot be built.
    pub fn new(registry: &RegistrySettings, timeout: Duration) -> Result<Self, SetupError> {
        let mut urls = registry
            .url
            .split(',')
            .map(|url| url.trim().trim_end_matches('/'))
            .filter(|url| !url.is_empty());
        let first = urls
            .next()
            .ok_or_else(|| SetupError::Client("schema.registry.url is empty".into()))?;
        let mut builder = SrSettings::new_builder(first.to_owned());
        for url in urls {
            builder.add_url(url.to_owned());
        }
        if let Some((user, password)) = &registry.basic_auth {
            builder.set_basic_authorization(user, Some(password));
        }
        builder.set_timeout(timeout);
        let client = reqwest::Client::builder().tls_backend_preconfigured(
            registry_tls::client_config(registry.ca_location.as_deref())?,
        );
        let settings = builder
            .build_with(client)
            .map_err(|error| SetupError::Client(describe(&error)))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| SetupError::Client(format!("cannot start a runtime: {error}")))?;
        Ok(Self {
            settings,
            runtime,
            cache: HashMap::new(),
            fetches: 0,
        })
    }

    /// The schema with `id`, fetched on first use and remembered (failures too) for the run.
    ///
    /// # Errors
    /// [`FetchError`] saying why the registry did not give a usable schema: unreachable,
    /// an HTTP error status (404 for an unknown id, 401 for wrong credentials), or a schema
    /// that does not parse.
    pub fn schema(&mut self, id: u32) -> Result<Arc<RegistrySchema>, FetchError> {
        if let Some(known) = self.cache.get(&id) {
            return known.clone();
        }
        self.fetches += 1;
        let fetched = self
            .runtime
            .block_on(fetch(&self.settings, id))
            .map(Arc::new);
        if let Err(error) = &fetched {
            tracing::debug!("schema {id}: {error}");
        }
        self.cache.insert(id, fetched.clone());
        fetched
    }

    /// How many requests for a schema went out (the cache answered the others).
    #[must_use]
    pub fn fetches(&self) -> usize {
        self.fetches
    }
}

async fn fetch(settings: &SrSettings, id: u32) -> Result<RegistrySchema, FetchError> {
    let failed =
        |error: &SRCError| FetchError(format!("cannot fetch schema {id}: {}", describe(error)));
    let registered = get_schema_by_id(id, settings)
        .await
        .map_err(|error| failed(&error))?;
    Ok(match registered.schema_type {
        SchemaType::Avro => {
            let schema = get_avro_schema(settings, registered)
                .await
                .map_err(|error| failed(&error))?;
            WriterSchema::new(schema.parsed.clone())
                .map(|writer| RegistrySchema::Avro(Box::new(writer)))
                .map_err(|error| {
                    FetchError(format!(
                        "schema {id} is not a usable Avro schema: {}",
                        one_line(&error)
                    ))
                })?
        }
        SchemaType::Json => RegistrySchema::Json,
        SchemaType::Protobuf => RegistrySchema::Protobuf,
        SchemaType::Other(other) => RegistrySchema::Other(other),
        unknown => RegistrySchema::Other(format!("{unknown:?}")),
    })
}

/// A registry client error in a few words: what failed, the registry's own error code and
/// message when it sent one, and the network cause otherwise.
fn describe(error: &SRCError) -> String {
    let source = std::error::Error::source(error);
    let detail = match source.and_then(|source| source.downcast_ref::<RawError>()) {
        Some(raw) if raw.error_code != 0 => format!(" (error {}: {})", raw.error_code, raw.message),
        Some(_) => String::new(),
        None => source.map_or_else(String::new, |source| format!(": {}", one_line(source))),
    };
    let text = one_line_text(&format!("{}{detail}", error.error));
    if text.contains("UnknownIssuer") {
        format!(
            "{text} (if the registry's certificate is signed by a CA of your own, set \
             schema.registry.ssl.truststore.location to its PEM file)"
        )
    } else {
        text
    }
}

fn one_line_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_ca_file_is_a_setup_error() {
        let settings = RegistrySettings {
            url: "https://registry.invalid".into(),
            basic_auth: None,
            ca_location: Some("/nonexistent/ca.pem".into()),
        };
        let error = Registry::new(&settings, Duration::from_secs(1)).unwrap_err();
        assert!(
            matches!(error, SetupError::ReadCa { .. }),
            "unexpected {error}"
        );
    }

    #[test]
    fn a_ca_file_without_certificates_is_a_setup_error() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate\n").unwrap();
        let settings = RegistrySettings {
            url: "https://registry.invalid".into(),
            basic_auth: None,
            ca_location: Some(file.path().to_owned()),
        };
        let error = Registry::new(&settings, Duration::from_secs(1)).unwrap_err();
        assert!(
            matches!(error, SetupError::BadCa { .. }),
            "unexpected {error}"
        );
    }

    /// An HTTPS server on the loopback with the test certificate (`tests/fixtures/tls`) that
    /// answers the first `connections` connections with `body`; returns its port.
    fn https_registry(body: &'static str, connections: usize) -> u16 {
        use std::io::{Read as _, Write as _};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
        let identity = native_tls::Identity::from_pkcs8(
            &std::fs::read(dir.join("server.pem")).unwrap(),
            &std::fs::read(dir.join("server.key.pem")).unwrap(),
        )
        .unwrap();
        let acceptor = native_tls::TlsAcceptor::new(identity).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(connections) {
                // A client that does not trust the certificate ends the handshake.
                let Ok(mut tls) = stream
                    .map_err(drop)
                    .and_then(|s| acceptor.accept(s).map_err(drop))
                else {
                    continue;
                };
                let mut head = Vec::new();
                let mut buffer = [0; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.schemaregistry.v1+json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes());
                let _ = tls.shutdown();
            }
        });
        port
    }

    #[test]
    fn https_with_a_ca_of_our_own() {
        let port = https_registry(r#"{"schema":"\"string\""}"#, 2);
        let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/ca.pem");
        let trusting = RegistrySettings {
            url: format!("https://127.0.0.1:{port}"),
            basic_auth: None,
            ca_location: Some(ca),
        };
        let mut registry = Registry::new(&trusting, Duration::from_secs(10)).unwrap();
        match registry.schema(3).as_deref() {
            Ok(RegistrySchema::Avro(schema)) => assert_eq!(schema.name(), "string"),
            other => panic!("unexpected {other:?}"),
        }

        let untrusting = RegistrySettings {
            ca_location: None,
            ..trusting
        };
        let mut registry = Registry::new(&untrusting, Duration::from_secs(10)).unwrap();
        let error = registry.schema(3).unwrap_err().to_string();
        assert!(error.starts_with("cannot fetch schema 3: "), "{error}");
        assert!(error.contains("UnknownIssuer"), "{error}");
        assert!(
            error.contains("set schema.registry.ssl.truststore.location"),
            "{error}"
        );
    }

    #[test]
    fn an_unreachable_registry_is_asked_once_per_id() {
        // Port 9 on the loopback: nothing listens there, the connection is refused at once.
        let settings = RegistrySettings {
            url: "http://127.0.0.1:9/".into(),
            basic_auth: None,
            ca_location: None,
        };
        let mut registry = Registry::new(&settings, Duration::from_secs(5)).unwrap();
        let first = registry.schema(7).unwrap_err();
        assert!(
            first.to_string().starts_with("cannot fetch schema 7: "),
            "{first}"
        );
        assert!(!first.to_string().contains('\n'));
        assert_eq!(registry.schema(7).unwrap_err(), first);
        assert_eq!(registry.fetches(), 1);
    }
}
