//! The schema registry client: schemas fetched by id (`GET /schemas/ids/{id}?deleted=true`) or
//! by GUID (`GET /schemas/guids/{guid}`, Confluent's header form), and the schemas they
//! reference by subject and version (`GET /subjects/{subject}/versions/{version}`, recursively),
//! through `schema_registry_converter`'s async client, run on a small current-thread tokio
//! runtime of our own so the rest of the program stays synchronous (its blocking client must
//! not run inside a runtime, and we never are in one).
//!
//! The registry's answer says what the schema is (`schemaType`: `AVRO` when absent, `PROTOBUF`,
//! `JSON`), and the schema is compiled for that: Avro with its referenced named types, Protobuf
//! with its imports from the references ([`super::protobuf`]), JSON Schema read for its name
//! (its references are not fetched: showing a JSON payload needs none of them).
//!
//! Each schema and each referenced subject version is fetched once per run, and failures are
//! remembered like successes: a registry that is down costs one timeout per schema, not one per
//! record.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use schema_registry_converter::async_impl::schema_registry::{
    SrSettings, get_referenced_schema, get_schema_by_guid, get_schema_by_id,
    get_schema_by_subject_and_version,
};
use schema_registry_converter::error::SRCError;
use schema_registry_converter::schema_registry_common::{
    RawError, RegisteredReference, RegisteredSchema, SchemaType,
};

use crate::config::RegistrySettings;

use super::avro::{WriterSchema, one_line};
use super::protobuf::{Imports, ProtoSchema};
use super::registry_tls;
pub use super::setup_error::SetupError;

/// How a payload names its schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SchemaRef {
    /// A registry id: Confluent's 4 bytes, Apicurio's 8.
    Id(u64),
    /// A schema GUID (Confluent's header form), in its hyphenated lower-case form.
    Guid(uuid::Uuid),
}

impl fmt::Display for SchemaRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Id(id) => write!(f, "{id}"),
            Self::Guid(guid) => write!(f, "{guid}"),
        }
    }
}

/// What the registry holds for a schema.
#[derive(Debug)]
pub enum RegistrySchema {
    Avro(Box<WriterSchema>),
    /// A JSON Schema: the payload is JSON text; `name` is the schema's `title`, else its `$id`.
    Json {
        name: Option<Arc<str>>,
        /// The schema's text, compiled into a validator the first time a repair needs it.
        text: String,
        validator: std::sync::OnceLock<Result<jsonschema::Validator, String>>,
    },
    /// A Protobuf schema: the payload is a message-index array and a Protobuf message.
    Protobuf(Box<ProtoSchema>),
    /// A schema type this tool does not know.
    Other(String),
}

/// Why a schema could not be had, on one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(String);

/// The deepest chain of references followed (a schema referencing one referencing ...).
const MAX_REFERENCE_DEPTH: usize = 32;

type Cached<T> = Result<Arc<T>, FetchError>;

/// A schema registry client with a cache by schema id and GUID, and one of referenced subject
/// versions.
pub struct Registry {
    // Dropped before the runtime it ran on.
    settings: SrSettings,
    runtime: tokio::runtime::Runtime,
    /// `--repair-schema latest`: the latest id of each subject asked for.
    latest: HashMap<String, Result<u32, FetchError>>,
    cache: HashMap<SchemaRef, Cached<RegistrySchema>>,
    versions: HashMap<(String, u32), Cached<RegisteredSchema>>,
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
            versions: HashMap::new(),
            latest: HashMap::new(),
            fetches: 0,
        })
    }

    /// The schema `at` names, fetched on first use (with what it references) and remembered,
    /// failures too, for the run.
    ///
    /// # Errors
    /// [`FetchError`] saying why the registry did not give a usable schema: unreachable,
    /// an HTTP error status (404 for an unknown id, 401 for wrong credentials), a reference
    /// that cannot be had, or a schema that does not compile.
    pub fn schema(&mut self, at: &SchemaRef) -> Result<Arc<RegistrySchema>, FetchError> {
        if let Some(known) = self.cache.get(at) {
            return known.clone();
        }
        let fetched = self.fetch(at).map(Arc::new);
        if let Err(error) = &fetched {
            tracing::debug!("schema {at}: {error}");
        }
        self.cache.insert(at.clone(), fetched.clone());
        fetched
    }

    /// The id of the latest version of `subject`, asked once per run (a run repairs its
    /// records with one version).
    ///
    /// # Errors
    /// Why the registry did not say: unreachable, no such subject.
    pub fn latest_id(&mut self, subject: &str) -> Result<u32, FetchError> {
        if let Some(known) = self.latest.get(subject) {
            return known.clone();
        }
        self.fetches += 1;
        let fetched = self
            .runtime
            .block_on(get_schema_by_subject_and_version(
                &self.settings,
                subject,
                None,
            ))
            .map(|registered| registered.id)
            .map_err(|error| {
                FetchError(format!(
                    "cannot fetch the latest schema of subject {subject:?}: {}",
                    describe(&error)
                ))
            });
        self.latest.insert(subject.to_owned(), fetched.clone());
        fetched
    }

    /// How many requests for a schema went out (the cache answered the others).
    #[must_use]
    pub fn fetches(&self) -> usize {
        self.fetches
    }

    fn fetch(&mut self, at: &SchemaRef) -> Result<RegistrySchema, FetchError> {
        let failed =
            |error: &SRCError| FetchError(format!("cannot fetch schema {at}: {}", describe(error)));
        self.fetches += 1;
        let registered = match at {
            SchemaRef::Id(id) => {
                let id = u32::try_from(*id).map_err(|_| {
                    FetchError(format!(
                        "schema id {id} is beyond the registry API's 32-bit ids"
                    ))
                })?;
                self.runtime.block_on(get_schema_by_id(id, &self.settings))
            }
            SchemaRef::Guid(guid) => {
                let guid = guid.hyphenated().to_string();
                self.runtime
                    .block_on(get_schema_by_guid(&guid, &self.settings))
            }
        }
        .map_err(|error| failed(&error))?;
        let unusable = |kind: &str, error: String| {
            FetchError(format!(
                "schema {at} is not a usable {kind} schema: {error}"
            ))
        };
        Ok(match &registered.schema_type {
            SchemaType::Avro => {
                let references = self.references(at, &registered)?;
                let texts: Vec<&str> = references.iter().map(|(_, r)| r.schema.as_str()).collect();
                WriterSchema::parse_with_references(&registered.schema, &texts)
                    .map(|writer| RegistrySchema::Avro(Box::new(writer)))
                    .map_err(|error| unusable("Avro", one_line(&error)))?
            }
            SchemaType::Protobuf => {
                let imports: Imports = self
                    .references(at, &registered)?
                    .into_iter()
                    .map(|(name, schema)| (name, schema.schema.clone()))
                    .collect();
                ProtoSchema::compile(&registered.schema, &imports)
                    .map(|schema| RegistrySchema::Protobuf(Box::new(schema)))
                    .map_err(|error| unusable("Protobuf", error))?
            }
            SchemaType::Json => RegistrySchema::Json {
                name: json_schema_name(&registered.schema),
                text: registered.schema.clone(),
                validator: std::sync::OnceLock::new(),
            },
            SchemaType::Other(other) => RegistrySchema::Other(other.clone()),
            unknown => RegistrySchema::Other(format!("{unknown:?}")),
        })
    }

    /// Every schema `registered` references, directly or not, by the name it is referenced
    /// by, those referenced first (the order Avro's parser and an import resolver take them in).
    fn references(
        &mut self,
        at: &SchemaRef,
        registered: &RegisteredSchema,
    ) -> Result<Vec<(String, Arc<RegisteredSchema>)>, FetchError> {
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        self.collect(at, &registered.references, 0, &mut seen, &mut found)?;
        Ok(found)
    }

    fn collect(
        &mut self,
        at: &SchemaRef,
        references: &[RegisteredReference],
        depth: usize,
        seen: &mut HashSet<String>,
        found: &mut Vec<(String, Arc<RegisteredSchema>)>,
    ) -> Result<(), FetchError> {
        if depth >= MAX_REFERENCE_DEPTH && !references.is_empty() {
            return Err(FetchError(format!(
                "schema {at} has references more than {MAX_REFERENCE_DEPTH} deep"
            )));
        }
        for reference in references {
            if !seen.insert(reference.name.clone()) {
                continue;
            }
            let schema = self.version(at, reference)?;
            self.collect(at, &schema.references, depth + 1, seen, found)?;
            found.push((reference.name.clone(), schema));
        }
        Ok(())
    }

    /// One referenced subject version, fetched once per run.
    fn version(
        &mut self,
        at: &SchemaRef,
        reference: &RegisteredReference,
    ) -> Cached<RegisteredSchema> {
        let key = (reference.subject.clone(), reference.version);
        if let Some(known) = self.versions.get(&key) {
            return known.clone();
        }
        self.fetches += 1;
        let fetched = self
            .runtime
            .block_on(get_referenced_schema(&self.settings, reference))
            .map(Arc::new)
            .map_err(|error| {
                FetchError(format!(
                    "cannot fetch {:?}, referenced by schema {at} (subject {:?} version {}): {}",
                    reference.name,
                    reference.subject,
                    reference.version,
                    describe(&error)
                ))
            });
        self.versions.insert(key, fetched.clone());
        fetched
    }
}

/// The name a JSON Schema goes by: its `title`, else its `$id`.
fn json_schema_name(schema: &str) -> Option<Arc<str>> {
    let value: serde_json::Value = serde_json::from_str(schema).ok()?;
    ["title", "$id"]
        .iter()
        .find_map(|key| value.get(key).and_then(serde_json::Value::as_str))
        .map(Arc::from)
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
            id_width: crate::config::IdWidth::Four,
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
            id_width: crate::config::IdWidth::Four,
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
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tls");
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
        let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/tls/ca.pem");
        let trusting = RegistrySettings {
            url: format!("https://127.0.0.1:{port}"),
            basic_auth: None,
            ca_location: Some(ca),
            id_width: crate::config::IdWidth::Four,
        };
        let mut registry = Registry::new(&trusting, Duration::from_secs(10)).unwrap();
        match registry.schema(&SchemaRef::Id(3)).as_deref() {
            Ok(RegistrySchema::Avro(schema)) => assert_eq!(schema.name(), "string"),
            other => panic!("unexpected {other:?}"),
        }

        let untrusting = RegistrySettings {
            ca_location: None,
            id_width: crate::config::IdWidth::Four,
            ..trusting
        };
        let mut registry = Registry::new(&untrusting, Duration::from_secs(10)).unwrap();
        let error = registry.schema(&SchemaRef::Id(3)).unwrap_err().to_string();
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
            id_width: crate::config::IdWidth::Four,
        };
        let mut registry = Registry::new(&settings, Duration::from_secs(5)).unwrap();
        let first = registry.schema(&SchemaRef::Id(7)).unwrap_err();
        assert!(
            first.to_string().starts_with("cannot fetch schema 7: "),
            "{first}"
        );
        assert!(!first.to_string().contains('\n'));
        assert_eq!(registry.schema(&SchemaRef::Id(7)).unwrap_err(), first);
        assert_eq!(registry.fetches(), 1);
    }
}
