//! The real schema registry of the tests: Apicurio Registry (scripts/local-registry.sh),
//! started once per test process and spoken to through its Confluent-compatible API, the one
//! the tool uses. Schemas are registered over HTTP with curl, not with the tool's code.
//!
//! Where it comes from, first match wins:
//! - `REGISTRY_URL`: a running registry's Confluent-compatible base URL, used as it is;
//! - `KMP_TEST_REGISTRIES=FILE` (set by `scripts/test.sh`): a fresh one on the first free
//!   candidate port; its port is appended to FILE, and the script stops it;
//! - otherwise (plain `cargo test`): the first candidate port where one runs, or is free; it
//!   is left running.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};

use super::broker::{port_free, script};

const CANDIDATE_PORTS: [u16; 4] = [18081, 18181, 18281, 18381];

/// A registry, by its Confluent-compatible base URL.
#[derive(Debug)]
pub struct Registry {
    url: String,
}

/// The registry of the tests.
pub fn apicurio() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        if let Ok(url) = std::env::var("REGISTRY_URL")
            && !url.is_empty()
        {
            return Registry { url };
        }
        let fresh = std::env::var_os("KMP_TEST_REGISTRIES");
        for port in CANDIDATE_PORTS {
            let port = port.to_string();
            let running = registry_script("status", &port).status.success();
            if running && fresh.is_some() {
                continue;
            }
            // Its HTTP port and the next one (Quarkus's management interface) must be free.
            let number: u16 = port.parse().unwrap_or(0);
            let free = port_free(number) && port_free(number + 1);
            if !running && !free {
                continue;
            }
            if !running {
                let started = registry_script("start", &port);
                assert!(
                    started.status.success(),
                    "REGISTRY_PORT={port} scripts/local-registry.sh start failed:\n{}",
                    String::from_utf8_lossy(&started.stderr)
                );
                if let Some(file) = &fresh {
                    let mut file = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(file)
                        .unwrap_or_else(|e| panic!("KMP_TEST_REGISTRIES: {e}"));
                    writeln!(file, "{port}").unwrap_or_else(|e| panic!("KMP_TEST_REGISTRIES: {e}"));
                }
            }
            let url = registry_script("url", &port);
            return Registry {
                url: String::from_utf8_lossy(&url.stdout).trim().to_owned(),
            };
        }
        panic!("no free port for the test registry among {CANDIDATE_PORTS:?}; set REGISTRY_URL")
    })
}

fn registry_script(command: &str, port: &str) -> std::process::Output {
    Command::new(script("local-registry.sh"))
        .arg(command)
        .env("REGISTRY_PORT", port)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/local-registry.sh: {e}"))
}

/// A schema to register: its type (`AVRO`, `PROTOBUF`, `JSON`), text and references
/// (`(name, subject, version)`).
pub struct Schema<'a> {
    pub kind: &'a str,
    pub text: &'a str,
    pub references: &'a [(&'a str, &'a str, u32)],
}

impl<'a> Schema<'a> {
    /// An Avro schema without references.
    pub fn avro(text: &'a str) -> Self {
        Self::of("AVRO", text)
    }

    /// A Protobuf schema without references.
    pub fn protobuf(text: &'a str) -> Self {
        Self::of("PROTOBUF", text)
    }

    /// A JSON Schema without references.
    pub fn json(text: &'a str) -> Self {
        Self::of("JSON", text)
    }

    fn of(kind: &'a str, text: &'a str) -> Self {
        Self {
            kind,
            text,
            references: &[],
        }
    }

    /// The same schema, referencing `references` (`(name, subject, version)`).
    pub fn referencing(self, references: &'a [(&'a str, &'a str, u32)]) -> Self {
        Self { references, ..self }
    }
}

impl Registry {
    /// The URL to give the tool as `schema.registry.url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Registers `schema` under `subject` (Confluent's `POST /subjects/{subject}/versions`);
    /// the id the registry gave it.
    pub fn register(&self, subject: &str, schema: &Schema<'_>) -> u32 {
        let references: Vec<Value> = schema
            .references
            .iter()
            .map(|(name, subject, version)| {
                json!({"name": name, "subject": subject, "version": version})
            })
            .collect();
        let body = json!({
            "schemaType": schema.kind,
            "schema": schema.text,
            "references": references,
        });
        let answer = self.call(
            "POST",
            &format!("/subjects/{subject}/versions"),
            Some(&body),
        );
        let id = answer["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("registering {subject}: no id in {answer}"));
        u32::try_from(id).unwrap_or_else(|e| panic!("registering {subject}: id {id}: {e}"))
    }

    /// One request with curl; the answer's JSON (fails the test on an HTTP error).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let mut curl = Command::new("curl");
        curl.args(["-sS", "--max-time", "30", "-X", method])
            .args(["-H", "Content-Type: application/vnd.schemaregistry.v1+json"])
            .args(["-w", "\n%{http_code}"])
            .arg(format!("{}{path}", self.url));
        if let Some(body) = body {
            curl.args(["--data-binary", &body.to_string()]);
        }
        let output = curl
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or((&text, ""));
        assert!(
            output.status.success() && status.starts_with('2'),
            "{method} {path}: HTTP {status}: {body}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {body}"))
    }
}
