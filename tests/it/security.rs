//! Secured clusters, against a real Apache Kafka broker with SASL and TLS listeners
//! (`KAFKA_SECURITY=1 scripts/local-kafka.sh start`, started by `common::secured`), connected to with Java client `.properties` files as users of the original tool
//! have them. Setup and checks go through the broker's PLAINTEXT listener with the Java
//! checker, never through the tool.
//!
//! Certificates: the script's openssl makes the CA, the broker's and a client certificate;
//! the tests make the rest themselves (another CA nobody trusts, PKCS#12 and JKS stores with
//! openssl and keytool).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::*;

/// Long enough for a slow machine; a security failure must end a run far sooner.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);
/// The `--timeout` given to runs that must fail: they must end within it.
const FAILING_TIMEOUT_SECS: u64 = 20;
const STORE_PASSWORD: &str = "changeit";

/// The secured broker (see `common::broker`): listeners, users and certificate files.
struct SecureBroker {
    /// Its PLAINTEXT listener, for setup and checks.
    kafka: &'static Broker,
    sasl_plaintext: String,
    ssl: String,
    sasl_ssl: String,
    plain: (String, String),
    scram: (String, String),
    ca: PathBuf,
    client_certificate: PathBuf,
    client_key: PathBuf,
}

fn broker() -> &'static SecureBroker {
    static BROKER: OnceLock<SecureBroker> = OnceLock::new();
    BROKER.get_or_init(|| {
        let secured = secured();
        let get = |key: &str| secured.get(key);
        SecureBroker {
            kafka: &secured.kafka,
            sasl_plaintext: get("bootstrap.SASL_PLAINTEXT"),
            ssl: get("bootstrap.SSL"),
            sasl_ssl: get("bootstrap.SASL_SSL"),
            plain: (get("plain.username"), get("plain.password")),
            scram: (get("scram-sha-512.username"), get("scram-sha-512.password")),
            ca: PathBuf::from(get("ssl.ca.pem")),
            client_certificate: PathBuf::from(get("ssl.client.certificate")),
            client_key: PathBuf::from(get("ssl.client.key")),
        }
    })
}

/// A SASL mechanism with the broker's user for it.
#[derive(Debug, Clone, Copy)]
enum Mechanism {
    Plain,
    Scram,
}

impl Mechanism {
    fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Scram => "SCRAM-SHA-512",
        }
    }

    /// `sasl.mechanism` and `sasl.jaas.config` lines as Java clients have them.
    fn java_lines(self, password: Option<&str>) -> String {
        let broker = broker();
        let ((user, right), module) = match self {
            Mechanism::Plain => (
                &broker.plain,
                "org.apache.kafka.common.security.plain.PlainLoginModule",
            ),
            Mechanism::Scram => (
                &broker.scram,
                "org.apache.kafka.common.security.scram.ScramLoginModule",
            ),
        };
        format!(
            "sasl.mechanism={}\n\
             sasl.jaas.config={module} required username=\"{user}\" password=\"{}\";\n",
            self.name(),
            password.unwrap_or(right)
        )
    }

    /// What the broker says about a wrong password.
    fn refusal(self) -> &'static str {
        match self {
            Mechanism::Plain => "Invalid username or password",
            Mechanism::Scram => "invalid credentials with SASL mechanism SCRAM-SHA-512",
        }
    }
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

fn text(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", path.display()))
}

/// Runs `program args...` (openssl, keytool), failing the test unless it exits 0.
fn checked(program: &str, args: &[&str]) -> RunOutput {
    let output = run(Command::new(program).args(args), b"", RUN_TIMEOUT);
    assert!(
        output.status.success(),
        "{program} {args:?}: {}\n{}",
        output.status,
        output.stderr_text()
    );
    output
}

/// A compacted DLQ and a retry topic with `count` records in the DLQ, written by the Java
/// producer on the PLAINTEXT listener.
fn topics(prefix: &str, count: usize) -> (String, String, Vec<TestRecord>) {
    let plaintext = &broker().kafka;
    let dlq = unique(&format!("{prefix}-dlq"));
    let retry = unique(&format!("{prefix}-retry"));
    plaintext.create_topic_with(&dlq, 1, &[("cleanup.policy", "compact")]);
    plaintext.create_topic_with(&retry, 1, &[]);
    let records: Vec<TestRecord> = (0..count)
        .map(|i| {
            TestRecord::new(
                0,
                Some(format!("order-{i}").as_bytes()),
                Some(format!("{{\"id\":{i},\"state\":\"CANCELED\"}}").as_bytes()),
            )
            .header(
                "kafka_dlt-exception-fqcn",
                Some(b"java.lang.IllegalStateException"),
            )
        })
        .collect();
    plaintext.produce_foreign(&dlq, &records, None);
    (dlq, retry, records)
}

fn assert_success(output: &RunOutput, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {}\n--- stdout:\n{}\n--- stderr:\n{}",
        output.status,
        output.stdout_text(),
        output.stderr_text()
    );
}

/// Every record was merged whole into `retry`, tombstoned in `dlq`, and the group committed
/// the offset after the last one: checked with the Java client on the PLAINTEXT listener, committed reads only.
fn assert_merged(dlq: &str, retry: &str, group: &str, records: &[TestRecord]) {
    let plaintext = &broker().kafka;
    let merged = plaintext.read_all(retry, Isolation::ReadCommitted);
    let written: Vec<_> = merged
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), r.headers.clone()))
        .collect();
    let expected: Vec<_> = records
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), as_merged(&r.headers)))
        .collect();
    assert_eq!(written, expected, "records merged into {retry}");
    let tombstones = tombstoned_keys(plaintext, dlq);
    let keys: Vec<_> = records.iter().map(|r| r.key.clone()).collect();
    assert_eq!(tombstones, keys, "tombstones in {dlq}");
    // The last record decided + 1: the tombstones written after it are not read again.
    let end = i64::try_from(records.len()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        plaintext.group_offsets(group, dlq),
        BTreeMap::from([(0, end)]),
        "group {group} on {dlq}"
    );
}

/// Nothing happened to `dlq`: no tombstones, and no offsets for `group`.
fn assert_untouched(dlq: &str, group: Option<&str>, records: &[TestRecord]) {
    let plaintext = &broker().kafka;
    let source = plaintext.read_all(dlq, Isolation::ReadUncommitted);
    assert_eq!(source.len(), records.len(), "{dlq}: {source:?}");
    assert!(
        source.iter().all(|r| r.value.is_some()),
        "{dlq}: {source:?}"
    );
    if let Some(group) = group {
        assert_eq!(plaintext.group_offsets(group, dlq), BTreeMap::new());
    }
}

/// Runs a command that must fail within `--timeout` with exit status 1; returns its stderr.
#[expect(
    clippy::print_stderr,
    reason = "how long it took is shown with --nocapture"
)]
fn run_failing(args: &[&str]) -> String {
    let timeout = FAILING_TIMEOUT_SECS.to_string();
    let mut full = vec!["--timeout", &timeout];
    full.extend_from_slice(args);
    let started = Instant::now();
    let output = Kmp::bare().args(&full).timeout(RUN_TIMEOUT).run();
    let took = started.elapsed();
    let stderr = output.stderr_text();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(
        took < Duration::from_secs(FAILING_TIMEOUT_SECS),
        "{args:?} took {took:?}, more than --timeout {FAILING_TIMEOUT_SECS}: {stderr}"
    );
    eprintln!("{args:?} failed after {took:?}");
    stderr
}

/// The keys of the tombstones in `dlq`, in partition and offset order, read through the
/// PLAINTEXT listener.
fn tombstoned_keys(kafka: &Broker, dlq: &str) -> Vec<Option<Vec<u8>>> {
    kafka
        .read_all(dlq, Isolation::ReadCommitted)
        .into_iter()
        .filter(|r| r.value.is_none())
        .map(|r| r.key)
        .collect()
}

/// The tool with `-O` naming `client.properties`, written into `dir` with `contents`.
fn with_client_file(dir: &Path, contents: &str) -> Kmp {
    let file = write_file(dir, "client.properties", contents);
    Kmp::bare().args(["-O", text(&file)]).timeout(RUN_TIMEOUT)
}

/// Writes the broker's client certificate and key as a PKCS#12 store (password
/// [`STORE_PASSWORD`], alias `client`) to `p12`.
fn client_pkcs12(p12: &Path) {
    let broker = broker();
    checked(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            text(&broker.client_certificate),
            "-inkey",
            text(&broker.client_key),
            "-name",
            "client",
            "-passout",
            &format!("pass:{STORE_PASSWORD}"),
            "-out",
            text(p12),
        ],
    );
}

#[test]
fn sasl_plain_over_sasl_plaintext_with_a_java_properties_file() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let (dlq, retry, records) = topics("sec-plain", 3);
    let group = unique("sec-plain");
    let output = with_client_file(
        dir.path(),
        &format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_PLAINTEXT\n{}",
            broker.sasl_plaintext,
            Mechanism::Plain.java_lines(None)
        ),
    )
    .args(["-g", &group, "merge-all", &dlq, &retry])
    .run();
    assert_success(&output, "merge-all over SASL_PLAINTEXT with PLAIN");
    output.assert_said("3 merged");
    assert_merged(&dlq, &retry, &group, &records);
}

/// SCRAM, with the JAAS line continued over several lines with backslashes, as people
/// write it.
#[test]
fn sasl_scram_sha_512_over_sasl_plaintext_with_a_continued_jaas_line() {
    let broker = broker();
    let (user, password) = &broker.scram;
    let dir = tempfile::tempdir().unwrap();
    let (dlq, _retry, records) = topics("sec-scram", 2);
    let group = unique("sec-scram");
    let output = with_client_file(
        dir.path(),
        &format!(
            "# SCRAM client\n\
             bootstrap.servers = {}\n\
             security.protocol = SASL_PLAINTEXT\n\
             sasl.mechanism = SCRAM-SHA-512\n\
             sasl.jaas.config = org.apache.kafka.common.security.scram.ScramLoginModule required \\\n    \
             username=\"{user}\" \\\n    \
             password=\"{password}\";\n",
            broker.sasl_plaintext
        ),
    )
    .args(["-g", &group, "purge-all", &dlq])
        .run();
    assert_success(&output, "purge-all over SASL_PLAINTEXT with SCRAM-SHA-512");
    let tombstones = tombstoned_keys(broker.kafka, &dlq);
    let keys: Vec<_> = records.iter().map(|r| r.key.clone()).collect();
    assert_eq!(tombstones, keys);
    assert_eq!(
        broker.kafka.group_offsets(&group, &dlq),
        BTreeMap::from([(0, 2)])
    );
}

/// The SSL listener wants a client certificate: a PEM keystore with an encrypted key (the way
/// Java's PEM keystore needs it) and a PKCS#12 keystore made with openssl both work.
#[test]
fn ssl_with_a_client_certificate_in_a_pem_or_pkcs12_keystore() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let (dlq, _retry, records) = topics("sec-ssl", 2);
    let key_password = "key-secret";

    let encrypted_key = dir.path().join("client-encrypted.key");
    checked(
        "openssl",
        &[
            "pkcs8",
            "-topk8",
            "-v1",
            "PBE-SHA1-3DES",
            "-in",
            text(&broker.client_key),
            "-passout",
            &format!("pass:{key_password}"),
            "-out",
            text(&encrypted_key),
        ],
    );
    let pem_keystore = format!(
        "{}{}",
        std::fs::read_to_string(&encrypted_key).unwrap(),
        std::fs::read_to_string(&broker.client_certificate).unwrap()
    );
    let pem_keystore = write_file(dir.path(), "client-keystore.pem", &pem_keystore);
    let p12 = dir.path().join("client.p12");
    client_pkcs12(&p12);

    let common = format!(
        "bootstrap.servers={}\nsecurity.protocol=SSL\n\
         ssl.truststore.location={}\nssl.truststore.type=PEM\n",
        broker.ssl,
        text(&broker.ca)
    );
    for (name, keystore) in [
        (
            "pem",
            format!(
                "ssl.keystore.type=PEM\nssl.keystore.location={}\nssl.key.password={key_password}\n",
                text(&pem_keystore)
            ),
        ),
        (
            "pkcs12",
            format!(
                "ssl.keystore.type=PKCS12\nssl.keystore.location={}\n\
                 ssl.keystore.password={STORE_PASSWORD}\nssl.key.password={STORE_PASSWORD}\n",
                text(&p12)
            ),
        ),
    ] {
        let file = write_file(
            dir.path(),
            &format!("{name}.properties"),
            &format!("{common}{keystore}"),
        );
        let output = Kmp::bare()
            .args(["-O", text(&file), "print", &dlq, "--output", "json"])
            .timeout(RUN_TIMEOUT)
            .run();
        assert_success(&output, &format!("print over SSL with a {name} keystore"));
        assert_eq!(
            output.stdout_text().lines().count(),
            records.len(),
            "{name}: {}",
            output.stdout_text()
        );
    }
}

/// A Java client file as it is, with Java-only settings in it, used unchanged through
/// `KAFKA_MERGE_PURGE_PROPERTIES` for a transactional merge over `SASL_SSL`, with each
/// mechanism.
#[test]
fn sasl_ssl_with_an_unchanged_java_properties_file_end_to_end() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    for mechanism in [Mechanism::Scram, Mechanism::Plain] {
        let (dlq, retry, records) = topics("sec-sasl-ssl", 4);
        let group = unique("sec-sasl-ssl");
        let file = write_file(
            dir.path(),
            &format!("{}.properties", mechanism.name()),
            &format!(
                "# Orders cluster, as the Java services use it\n\
                 bootstrap.servers={}\n\
                 security.protocol=SASL_SSL\n\
                 {}\
                 ssl.truststore.location={}\n\
                 ssl.truststore.type=PEM\n\
                 ssl.endpoint.identification.algorithm=https\n\
                 client.dns.lookup=use_all_dns_ips\n\
                 session.timeout.ms=45000\n\
                 request.timeout.ms=30000\n\
                 key.deserializer=org.apache.kafka.common.serialization.StringDeserializer\n\
                 value.deserializer=org.apache.kafka.common.serialization.StringDeserializer\n\
                 key.serializer=org.apache.kafka.common.serialization.StringSerializer\n\
                 value.serializer=org.apache.kafka.common.serialization.StringSerializer\n",
                broker.sasl_ssl,
                mechanism.java_lines(None),
                text(&broker.ca)
            ),
        );
        let output = run(
            kmp()
                .args(["-g", &group, "-t", "merge-all", &dlq, &retry])
                .env("KAFKA_MERGE_PURGE_PROPERTIES", &file),
            b"",
            RUN_TIMEOUT,
        );
        assert_success(
            &output,
            &format!("merge-all -t over SASL_SSL with {mechanism:?}"),
        );
        assert_merged(&dlq, &retry, &group, &records);
    }
}

/// A wrong password is "authentication failed" with the broker's reason, exit 1, well within
/// `--timeout`, for either mechanism, over either listener, with and without transactions
/// (which create the producer first); nothing is written or committed.
#[test]
fn wrong_password_is_an_authentication_error_within_the_timeout() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let (dlq, retry, records) = topics("sec-wrong-password", 1);
    let group = unique("sec-wrong-password");
    for (protocol, address, mechanism, transactions) in [
        (
            "SASL_PLAINTEXT",
            &broker.sasl_plaintext,
            Mechanism::Plain,
            false,
        ),
        (
            "SASL_PLAINTEXT",
            &broker.sasl_plaintext,
            Mechanism::Scram,
            true,
        ),
        ("SASL_SSL", &broker.sasl_ssl, Mechanism::Plain, true),
        ("SASL_SSL", &broker.sasl_ssl, Mechanism::Scram, false),
    ] {
        let file = write_file(
            dir.path(),
            &format!("{protocol}-{}.properties", mechanism.name()),
            &format!(
                "bootstrap.servers={address}\nsecurity.protocol={protocol}\n{}{}",
                mechanism.java_lines(Some("not-the-password")),
                if protocol == "SASL_SSL" {
                    format!("ssl.truststore.location={}\n", text(&broker.ca))
                } else {
                    String::new()
                }
            ),
        );
        let mut args = vec!["-O", text(&file), "-g", &group];
        if transactions {
            args.push("-t");
        }
        args.extend(["merge-all", &dlq, &retry]);
        let stderr = run_failing(&args);
        let case = format!("{protocol} {mechanism:?} -t={transactions}");
        assert!(
            stderr.contains(&format!("authentication failed at {address}")),
            "{case}: {stderr}"
        );
        assert!(stderr.contains(mechanism.refusal()), "{case}: {stderr}");
        assert!(
            !stderr.contains("not-the-password"),
            "{case}: the password is shown: {stderr}"
        );
    }
    assert_untouched(&dlq, Some(&group), &records);
}

/// TLS failures are named, within `--timeout`: a broker certificate from a CA the client does
/// not trust (the test makes that CA), and no client certificate where the broker wants one.
#[test]
fn untrusted_certificate_and_missing_client_certificate_are_tls_errors() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let (dlq, _retry, records) = topics("sec-untrusted", 1);
    let other_ca = dir.path().join("other-ca.pem");
    checked(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=a CA nobody trusts",
            "-keyout",
            text(&dir.path().join("other-ca.key")),
            "-out",
            text(&other_ca),
        ],
    );
    let untrusted = write_file(
        dir.path(),
        "untrusted.properties",
        &format!(
            "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\n{}\
             ssl.truststore.location={}\nssl.truststore.type=PEM\n",
            broker.sasl_ssl,
            Mechanism::Scram.java_lines(None),
            text(&other_ca)
        ),
    );
    let stderr = run_failing(&["-O", text(&untrusted), "print", &dlq]);
    assert!(
        stderr.contains(&format!("TLS handshake with {} ", broker.sasl_ssl)),
        "{stderr}"
    );
    assert_contains(&stderr, "certificate verify failed");
    assert_contains(&stderr, "ssl.truststore.location");

    let no_client_certificate = write_file(
        dir.path(),
        "no-keystore.properties",
        &format!(
            "bootstrap.servers={}\nsecurity.protocol=SSL\nssl.truststore.location={}\n\
             ssl.truststore.type=PEM\n",
            broker.ssl,
            text(&broker.ca)
        ),
    );
    let stderr = run_failing(&["-O", text(&no_client_certificate), "print", &dlq]);
    assert!(
        stderr.contains(&format!("TLS handshake with {} ", broker.ssl)),
        "{stderr}"
    );
    assert_contains(&stderr, "client certificate");
    assert_untouched(&dlq, None, &records);
}

/// JKS and PKCS#12 truststores and a JKS keystore cannot be read by librdkafka: each is a
/// usage error (exit 2) whose advice, followed to the letter (plus the store password), gives
/// a file the tool connects with.
#[test]
fn java_stores_get_a_conversion_command_that_works() {
    let broker = broker();
    let dir = tempfile::tempdir().unwrap();
    let (dlq, _retry, records) = topics("sec-stores", 1);
    let path = |name: &str| dir.path().join(name);
    let run_print = |file: &Path| {
        Kmp::bare()
            .args(["-O", text(file), "print", &dlq, "--output", "json"])
            .timeout(RUN_TIMEOUT)
            .run()
    };
    let expect_advice = |file: &Path, advice: &str| {
        let output = run_print(file);
        let stderr = output.stderr_text();
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(advice), "{advice:?} not in: {stderr}");
    };
    let expect_records = |file: &Path, what: &str| {
        let output = run_print(file);
        assert_success(&output, what);
        assert_eq!(
            output.stdout_text().lines().count(),
            records.len(),
            "{what}"
        );
    };

    // Truststores of both Java kinds, made with keytool from the broker's CA.
    let sasl = format!(
        "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\n{}",
        broker.sasl_ssl,
        Mechanism::Plain.java_lines(None)
    );
    for (kind, file_name) in [("JKS", "truststore.jks"), ("PKCS12", "truststore.p12")] {
        let store = path(file_name);
        checked(
            "keytool",
            &[
                "-importcert",
                "-noprompt",
                "-alias",
                "kafka-ca",
                "-file",
                text(&broker.ca),
                "-keystore",
                text(&store),
                "-storetype",
                kind,
                "-storepass",
                STORE_PASSWORD,
            ],
        );
        let java = write_file(
            dir.path(),
            &format!("{kind}-truststore.properties"),
            &format!(
                "{sasl}ssl.truststore.location={}\nssl.truststore.type={kind}\n\
                 ssl.truststore.password={STORE_PASSWORD}\n",
                text(&store)
            ),
        );
        let converted = path(&format!("{kind}-truststore.pem"));
        match kind {
            "JKS" => {
                expect_advice(
                    &java,
                    &format!(
                        "keytool -list -rfc -keystore {} -storepass <password> > truststore.pem",
                        text(&store)
                    ),
                );
                let listed = checked(
                    "keytool",
                    &[
                        "-list",
                        "-rfc",
                        "-keystore",
                        text(&store),
                        "-storepass",
                        STORE_PASSWORD,
                    ],
                );
                std::fs::write(&converted, &listed.stdout).unwrap();
            }
            _ => {
                expect_advice(
                    &java,
                    &format!(
                        "openssl pkcs12 -in {} -nokeys -out truststore.pem",
                        text(&store)
                    ),
                );
                checked(
                    "openssl",
                    &[
                        "pkcs12",
                        "-in",
                        text(&store),
                        "-nokeys",
                        "-out",
                        text(&converted),
                        "-passin",
                        &format!("pass:{STORE_PASSWORD}"),
                    ],
                );
            }
        }
        let fixed = write_file(
            dir.path(),
            &format!("{kind}-converted.properties"),
            &format!("{sasl}ssl.ca.location={}\n", text(&converted)),
        );
        expect_records(&fixed, &format!("the {kind} truststore converted to PEM"));
    }

    // A JKS keystore with the client certificate, for the SSL listener.
    let p12 = path("client.p12");
    client_pkcs12(&p12);
    let jks = path("keystore.jks");
    checked(
        "keytool",
        &[
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            text(&p12),
            "-srcstoretype",
            "PKCS12",
            "-srcstorepass",
            STORE_PASSWORD,
            "-destkeystore",
            text(&jks),
            "-deststoretype",
            "JKS",
            "-deststorepass",
            STORE_PASSWORD,
        ],
    );
    let ssl = format!(
        "bootstrap.servers={}\nsecurity.protocol=SSL\nssl.truststore.location={}\n\
         ssl.truststore.type=PEM\n",
        broker.ssl,
        text(&broker.ca)
    );
    let java = write_file(
        dir.path(),
        "jks-keystore.properties",
        &format!(
            "{ssl}ssl.keystore.location={}\nssl.keystore.password={STORE_PASSWORD}\n\
             ssl.key.password={STORE_PASSWORD}\n",
            text(&jks)
        ),
    );
    expect_advice(
        &java,
        &format!(
            "keytool -importkeystore -srckeystore {} -destkeystore keystore.p12 \
             -deststoretype PKCS12",
            text(&jks)
        ),
    );
    let converted = path("keystore.p12");
    checked(
        "keytool",
        &[
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            text(&jks),
            "-destkeystore",
            text(&converted),
            "-deststoretype",
            "PKCS12",
            "-srcstorepass",
            STORE_PASSWORD,
            "-deststorepass",
            STORE_PASSWORD,
        ],
    );
    let fixed = write_file(
        dir.path(),
        "jks-converted.properties",
        &format!(
            "{ssl}ssl.keystore.location={}\nssl.keystore.type=PKCS12\n\
             ssl.keystore.password={STORE_PASSWORD}\nssl.key.password={STORE_PASSWORD}\n",
            text(&converted)
        ),
    );
    expect_records(&fixed, "the JKS keystore converted to PKCS12");
}
