//! Translation of realistic Java client files, through the whole configuration layer.
//!
//! They check properties with librdkafka's own check: only with the `librdkafka-check` feature
//! (on whenever the tool is built too, as in `cargo test --workspace`).
#![cfg(feature = "librdkafka-check")]

use crate::testing::{assert_mentions, properties_file};
use std::path::PathBuf;

use super::rules::DESERIALIZERS;
use crate::config::Settings;
use crate::config::settings::resolve_argv;
use crate::config::{ConfigError, DecoderHint, RegistrySettings};

/// Resolves `-O <file with text> <extra…> ask dlq retry`.
fn resolve_file(text: &str, extra: &[&str]) -> Result<Settings, ConfigError> {
    let (_dir, path) = properties_file("client.properties", text);
    let mut argv = vec!["-O", path.to_str().unwrap(), "-g", "grp"];
    argv.extend_from_slice(extra);
    argv.extend_from_slice(&["ask", "dlq", "retry"]);
    resolve_argv(&argv)
}

/// The value of `key` for the consumer and for the producer.
fn both<'a>(settings: &'a Settings, key: &str) -> [Option<&'a str>; 2] {
    [get(&settings.consumer, key), get(&settings.producer, key)]
}

fn get<'a>(map: &'a std::collections::BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    map.get(key).map(String::as_str)
}

const CONFLUENT_CLOUD: &str = r"# Required connection configs for Kafka producer, consumer, and admin
bootstrap.servers=pkc-4nym6.us-east-1.aws.confluent.cloud:9092
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
username='ABCDEFGH12345678' password='s3cr3t+/Key==';

# Required for correctness in Apache Kafka clients prior to 2.6
client.dns.lookup=use_all_dns_ips

# Best practice for higher availability in Apache Kafka clients prior to 3.0
session.timeout.ms=45000

# Best practice for Kafka producer to prevent data loss
acks=all

# Required connection configs for Confluent Cloud Schema Registry
schema.registry.url=https://psrc-lo3do.us-east-2.aws.confluent.cloud
basic.auth.credentials.source=USER_INFO
basic.auth.user.info=SRKEY1234:SRSECRET/abc+def
";

const SCRAM: &str = r#"bootstrap.servers=b-1.msk.example.com:9096,b-2.msk.example.com:9096
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required password="p\\"w;d" \
  username="alice"
ssl.truststore.location=/etc/kafka/secrets/ca.crt
"#;

const PEM_STORES: &str = "security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.location=/etc/ssl/kafka/ca-bundle
ssl.truststore.password=unused
ssl.keystore.type=PEM
ssl.keystore.location=/etc/ssl/kafka/client.pem
ssl.key.password=keypass
ssl.endpoint.identification.algorithm=
bootstrap.servers=kafka.internal:9093
";

const AVRO: &str = "bootstrap.servers=localhost:9092
key.deserializer=org.apache.kafka.common.serialization.StringDeserializer
value.deserializer=io.confluent.kafka.serializers.KafkaAvroDeserializer
key.serializer=org.apache.kafka.common.serialization.StringSerializer
value.serializer=io.confluent.kafka.serializers.KafkaAvroSerializer
schema.registry.url=https://registry.example.com:8081
basic.auth.credentials.source=USER_INFO
basic.auth.user.info=sr-user:sr:pass
schema.registry.ssl.truststore.location=/etc/ssl/registry-ca.pem
specific.avro.reader=true
auto.register.schemas=false
max.poll.records=500
";

/// `(name, file, extra arguments, expected in both maps, absent from both maps)`.
type Case = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[test]
fn realistic_java_files_translate() {
    let cases: &[Case] = &[
        (
            "confluent cloud",
            CONFLUENT_CLOUD,
            &[],
            &[
                (
                    "bootstrap.servers",
                    "pkc-4nym6.us-east-1.aws.confluent.cloud:9092",
                ),
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "PLAIN"),
                ("sasl.username", "ABCDEFGH12345678"),
                ("sasl.password", "s3cr3t+/Key=="),
                ("client.dns.lookup", "use_all_dns_ips"),
                ("session.timeout.ms", "45000"),
                ("acks", "all"),
            ],
            &[
                "sasl.jaas.config",
                "schema.registry.url",
                "basic.auth.credentials.source",
                "basic.auth.user.info",
            ],
        ),
        (
            "scram",
            SCRAM,
            &[],
            &[
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "alice"),
                ("sasl.password", "p\"w;d"),
                ("ssl.ca.location", "/etc/kafka/secrets/ca.crt"),
            ],
            &["sasl.jaas.config", "ssl.truststore.location"],
        ),
        (
            "pem stores",
            PEM_STORES,
            &[],
            &[
                ("ssl.ca.location", "/etc/ssl/kafka/ca-bundle"),
                ("ssl.certificate.location", "/etc/ssl/kafka/client.pem"),
                ("ssl.key.location", "/etc/ssl/kafka/client.pem"),
                ("ssl.key.password", "keypass"),
                ("ssl.endpoint.identification.algorithm", "none"),
            ],
            &[
                "ssl.truststore.type",
                "ssl.truststore.location",
                "ssl.truststore.password",
                "ssl.keystore.type",
                "ssl.keystore.location",
                "ssl.keystore.password",
            ],
        ),
        (
            "pkcs12 keystore",
            "bootstrap.servers=h:9093\nssl.keystore.location=/s/client.keystore.p12\n\
             ssl.keystore.password=ks\nssl.truststore.location=/s/ca.pem\n",
            &[],
            &[
                ("ssl.keystore.location", "/s/client.keystore.p12"),
                ("ssl.keystore.password", "ks"),
                ("ssl.ca.location", "/s/ca.pem"),
            ],
            &[],
        ),
        (
            "avro",
            AVRO,
            &[],
            &[("bootstrap.servers", "localhost:9092")],
            &[
                "key.deserializer",
                "value.deserializer",
                "key.serializer",
                "value.serializer",
                "schema.registry.url",
                "schema.registry.ssl.truststore.location",
                "basic.auth.user.info",
                "specific.avro.reader",
                "auto.register.schemas",
                "max.poll.records",
            ],
        ),
        (
            "java value spellings",
            "bootstrap.servers=h:1\nauto.offset.reset=none\nclient.dns.lookup=default\n\
             partition.assignment.strategy=org.apache.kafka.clients.consumer.RangeAssignor,\
             org.apache.kafka.clients.consumer.CooperativeStickyAssignor\n\
             receive.buffer.bytes=65536\nbuffer.memory=33554432\n",
            &[],
            &[
                ("auto.offset.reset", "error"),
                ("partition.assignment.strategy", "range,cooperative-sticky"),
                ("socket.receive.buffer.bytes", "65536"),
            ],
            &["client.dns.lookup", "receive.buffer.bytes", "buffer.memory"],
        ),
    ];
    for (name, text, extra, present, absent) in cases {
        let settings = resolve_file(text, extra).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (map, role) in [
            (&settings.consumer, "consumer"),
            (&settings.producer, "producer"),
        ] {
            for (key, value) in *present {
                assert_eq!(get(map, key), Some(*value), "{name}: {role} {key}");
            }
            for key in *absent {
                assert_eq!(get(map, key), None, "{name}: {role} {key}");
            }
        }
    }
}

#[test]
fn confluent_cloud_registry() {
    let settings = resolve_file(CONFLUENT_CLOUD, &[]).unwrap();
    assert_eq!(
        settings.registry,
        Some(RegistrySettings {
            url: "https://psrc-lo3do.us-east-2.aws.confluent.cloud".into(),
            basic_auth: Some(("SRKEY1234".into(), "SRSECRET/abc+def".into())),
            ca_location: None,
            id_width: crate::config::IdWidth::Four,
        })
    );
    assert_eq!(settings.value_decoder, DecoderHint::Auto);
    let debug = format!("{settings:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");
    assert!(!debug.contains("SRSECRET"), "{debug}");
}

#[test]
fn avro_deserializers_and_registry() {
    let settings = resolve_file(AVRO, &[]).unwrap();
    assert_eq!(settings.key_decoder, DecoderHint::Text);
    assert_eq!(settings.value_decoder, DecoderHint::Avro);
    assert_eq!(
        settings.registry,
        Some(RegistrySettings {
            url: "https://registry.example.com:8081".into(),
            basic_auth: Some(("sr-user".into(), "sr:pass".into())),
            ca_location: Some(PathBuf::from("/etc/ssl/registry-ca.pem")),
            id_width: crate::config::IdWidth::Four,
        })
    );
}

#[test]
fn apicurio_id_handlers() {
    let with = |extra: &str| {
        resolve_file(
            &format!(
                "bootstrap.servers=h:1\nschema.registry.url=http://r/apis/ccompat/v7\n{extra}"
            ),
            &[],
        )
    };
    let width = |extra: &str| with(extra).unwrap().registry.unwrap().id_width;
    assert_eq!(width(""), crate::config::IdWidth::Four);
    assert_eq!(
        width("apicurio.registry.id-handler=io.apicurio.registry.serde.Legacy8ByteIdHandler\n"),
        crate::config::IdWidth::Eight
    );
    assert_eq!(
        width(
            "apicurio.registry.id-handler=io.apicurio.registry.serde.Default4ByteIdHandler\n\
             apicurio.registry.use-id=globalId\n"
        ),
        crate::config::IdWidth::Four
    );
    let error = with("apicurio.registry.id-handler=com.acme.MyIdHandler\n").unwrap_err();
    assert_mentions(
        &error,
        &[
            "apicurio.registry.id-handler",
            "com.acme.MyIdHandler",
            "Legacy8ByteIdHandler",
        ],
    );
    let error = with("apicurio.registry.use-id=artifactId\n").unwrap_err();
    assert_mentions(&error, &["apicurio.registry.use-id", "artifactId"]);
}

#[test]
fn deserializer_table() {
    for (class, hint) in DESERIALIZERS {
        let text = format!(
            "bootstrap.servers=h:1\nschema.registry.url=http://r\nkey.deserializer={class}\n"
        );
        assert_eq!(
            resolve_file(&text, &[]).unwrap().key_decoder,
            *hint,
            "{class}"
        );
    }
}

#[test]
fn forced_avro_wins_over_deserializers() {
    let text = "bootstrap.servers=h:1\nschema.registry.url=http://r\n\
                key.deserializer=org.apache.kafka.common.serialization.LongDeserializer\n\
                value.deserializer=org.apache.kafka.common.serialization.StringDeserializer\n";
    let settings = resolve_file(text, &["-A", "-a"]).unwrap();
    assert_eq!(settings.key_decoder, DecoderHint::Avro);
    assert_eq!(settings.value_decoder, DecoderHint::Avro);
}

#[test]
fn deserializers_in_producer_properties_are_ignored() {
    let settings = resolve_argv(&[
        "-b",
        "h:1",
        "-g",
        "g",
        "-p",
        "value.deserializer=org.apache.kafka.common.serialization.LongDeserializer",
        "ask",
        "s",
        "d",
    ])
    .unwrap();
    assert_eq!(settings.value_decoder, DecoderHint::Auto);
    assert_eq!(get(&settings.producer, "value.deserializer"), None);
}

/// `(name, file, extra arguments, key the error names, fragments of the message)`.
type ErrorCase = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static [&'static str],
);

#[test]
fn untranslatable_java_settings_are_clear_errors() {
    let cases: &[ErrorCase] = &[
        (
            "jks truststore",
            "bootstrap.servers=h:1\nssl.truststore.location=/var/private/ssl/kafka.client.truststore.jks\n\
             ssl.truststore.password=changeit\n",
            &[],
            "ssl.truststore.location",
            &[
                "keytool -list -rfc -keystore /var/private/ssl/kafka.client.truststore.jks",
                "ssl.ca.location",
                "client.properties, line 2",
            ],
        ),
        (
            "pkcs12 truststore",
            "bootstrap.servers=h:1\nssl.truststore.type=PKCS12\nssl.truststore.location=/s/trust.p12\n",
            &[],
            "ssl.truststore.location",
            &["openssl pkcs12 -in /s/trust.p12 -nokeys", "line 3"],
        ),
        (
            "jks keystore",
            "bootstrap.servers=h:1\nssl.keystore.location=/s/client.keystore.jks\nssl.keystore.password=x\n",
            &[],
            "ssl.keystore.location",
            &[
                "keytool -importkeystore -srckeystore /s/client.keystore.jks",
                "PKCS12",
            ],
        ),
        (
            "kerberos",
            "bootstrap.servers=h:1\nsasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required \
             useKeyTab=true keyTab=\"/etc/k.keytab\" principal=\"me@EXAMPLE.COM\";\n",
            &[],
            "sasl.jaas.config",
            &["sasl.kerberos.keytab", "sasl.kerberos.principal"],
        ),
        (
            "oauth",
            "bootstrap.servers=h:1\nsasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
             clientId='id' clientSecret='s3cr3t-value';\n",
            &[],
            "sasl.jaas.config",
            &[
                "sasl.oauthbearer.client.id",
                "sasl.oauthbearer.token.endpoint.url",
            ],
        ),
        (
            "unknown login module",
            "bootstrap.servers=h:1\nsasl.jaas.config=com.example.MyLoginModule required a=b;\n",
            &[],
            "sasl.jaas.config",
            &["com.example.MyLoginModule", "sasl.username"],
        ),
        (
            "plain without password",
            "bootstrap.servers=h:1\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\";\n",
            &[],
            "sasl.jaas.config",
            &["username and password"],
        ),
        (
            "unterminated quote",
            "bootstrap.servers=h:1\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"oops;\n",
            &[],
            "sasl.jaas.config",
            &["unterminated"],
        ),
        (
            "unsupported deserializer",
            "bootstrap.servers=h:1\nvalue.deserializer=org.apache.kafka.common.serialization.LongDeserializer\n",
            &[],
            "value.deserializer",
            &[
                "org.apache.kafka.common.serialization.LongDeserializer",
                "-a",
            ],
        ),
        (
            "registry credentials from the url",
            "bootstrap.servers=h:1\nschema.registry.url=https://u:p@r\nbasic.auth.credentials.source=URL\n",
            &[],
            "basic.auth.credentials.source",
            &["\"URL\"", "USER_INFO"],
        ),
        (
            "registry user info without colon",
            "bootstrap.servers=h:1\nschema.registry.url=https://r\nbasic.auth.user.info=justakey\n",
            &[],
            "basic.auth.user.info",
            &["USER:PASSWORD"],
        ),
        (
            "registry bearer token",
            "bootstrap.servers=h:1\nschema.registry.url=https://r\nbearer.auth.token=abc\n",
            &[],
            "bearer.auth.token",
            &["schema registry client"],
        ),
        (
            "registry client certificate",
            "bootstrap.servers=h:1\nschema.registry.url=https://r\nschema.registry.ssl.keystore.location=/k.p12\n",
            &[],
            "schema.registry.ssl.keystore.location",
            &["schema registry client"],
        ),
        (
            "registry jks truststore",
            "bootstrap.servers=h:1\nschema.registry.url=https://r\nschema.registry.ssl.truststore.location=/t.jks\n",
            &[],
            "schema.registry.ssl.truststore.location",
            &[
                "keytool",
                "schema.registry.ssl.truststore.location=truststore.pem",
            ],
        ),
        (
            "registry without host name verification",
            "bootstrap.servers=h:1\nschema.registry.url=https://r\nschema.registry.ssl.endpoint.identification.algorithm=\n",
            &[],
            "schema.registry.ssl.endpoint.identification.algorithm",
            &["host name verification"],
        ),
    ];
    for (name, text, extra, key, fragments) in cases {
        let error = resolve_file(text, extra).expect_err(name);
        let message = error.to_string();
        assert!(
            matches!(&error,
                ConfigError::InvalidValue { key: k, .. } | ConfigError::UnknownProperty { key: k, .. }
                if k == key),
            "{name}: {error:?}"
        );
        for fragment in *fragments {
            assert!(
                message.contains(fragment),
                "{name}: {message:?} lacks {fragment:?}"
            );
        }
        for secret in ["changeit", "s3cr3t-value", "oops"] {
            assert!(
                !message.contains(secret),
                "{name}: {message:?} shows a secret"
            );
        }
    }
}

#[test]
fn avro_deserializer_without_registry_is_an_error() {
    let error = resolve_file(
        "bootstrap.servers=h:1\nvalue.deserializer=io.confluent.kafka.serializers.KafkaAvroDeserializer\n",
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(error, ConfigError::MissingRegistry { .. }),
        "{error:?}"
    );
    assert_mentions(&error, &["KafkaAvroDeserializer", "schema.registry.url"]);
}

#[test]
fn librdkafka_name_from_a_higher_source_beats_the_translation() {
    let text = "bootstrap.servers=h:1\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"file\" password=\"file\";\n\
                ssl.truststore.location=/s/kafka.client.truststore.jks\n";
    let settings = resolve_file(
        text,
        &[
            "-c",
            "sasl.username=cli",
            "-c",
            "sasl.password=cli",
            "-o",
            "ssl.ca.location=/s/ca.pem",
        ],
    )
    .unwrap();
    assert_eq!(get(&settings.consumer, "sasl.username"), Some("cli"));
    assert_eq!(get(&settings.producer, "sasl.username"), Some("file"));
    // The JKS truststore is no error: -o replaces it.
    assert_eq!(both(&settings, "ssl.ca.location"), [Some("/s/ca.pem"); 2]);
}

#[test]
fn translation_from_a_higher_source_beats_the_librdkafka_name() {
    let settings = resolve_file(
        "bootstrap.servers=h:1\nssl.ca.location=/file/ca.pem\n",
        &["-o", "ssl.truststore.location=/option/ca.pem"],
    )
    .unwrap();
    assert_eq!(
        get(&settings.consumer, "ssl.ca.location"),
        Some("/option/ca.pem")
    );
}

#[test]
fn java_and_librdkafka_names_disagreeing_at_one_precedence_conflict() {
    let error = resolve_file(
        "bootstrap.servers=h:1\nsasl.username=bob\n\
         sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"pw\";\n",
        &[],
    )
    .unwrap_err();
    assert!(matches!(error, ConfigError::Conflict { .. }), "{error:?}");
    assert_mentions(&error, &["sasl.username"]);
    let message = error.to_string();
    assert!(
        message.contains("line 2") && message.contains("line 3"),
        "{message}"
    );
    assert!(
        !message.contains("alice") && !message.contains("bob"),
        "{message}"
    );
}
