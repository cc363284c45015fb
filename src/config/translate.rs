//! Translation of Java client configuration into what we use: librdkafka properties, schema
//! registry settings and display decoders, so existing Java `.properties` files work as they are.
//!
//! Single names are translated by the [`RULES`] table (rename, value spelling, harmless Java-only
//! names dropped with a debug message). Names that only mean something together are read by
//! dedicated translators: `sasl.jaas.config`, the Java truststore and keystore, the schema
//! registry client and the deserializers. Everything else passes through unchanged for librdkafka
//! to judge.
//!
//! A translated property keeps the origin (and so the precedence) of the Java property it came
//! from: a librdkafka name given in a higher-ranked source wins over the translation, one given
//! in a lower-ranked source loses, and the two given with the same precedence and different
//! values are a [`ConfigError::Conflict`]. A Java setting we cannot translate is not an error
//! when a higher-ranked source sets its librdkafka replacement.
//!
//! Schema registry names never reach librdkafka. Of those, `schema.registry.url`, the
//! `USER_INFO` basic authentication and a PEM truststore are understood; a few serializer-only
//! names are dropped as harmless; every other `schema.registry.*`, `basic.auth.*` and
//! `bearer.auth.*` name is an error, because ignoring it could mean talking to the registry
//! without the credentials or TLS settings the user asked for.

use std::path::{Path, PathBuf};

use super::ConfigError;
use super::layers::{Origin, Properties, Property, Role};
use super::settings::{DecoderHint, RegistrySettings};

/// What one client's properties become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Translated {
    /// librdkafka names only (librdkafka has not checked them yet).
    pub properties: Properties,
    /// `key.deserializer` as given (consumer only), for [`decoder`].
    pub key_deserializer: Option<Property>,
    /// `value.deserializer` as given (consumer only), for [`decoder`].
    pub value_deserializer: Option<Property>,
    /// Present when `schema.registry.url` is set.
    pub registry: Option<RegistrySettings>,
}

/// What to do with a single Java name.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// The same setting under another librdkafka name.
    Rename(&'static str),
    /// The same librdkafka name, but some Java values are spelled differently; `None` drops the
    /// property (the Java value means librdkafka's default). Matched case-insensitively.
    Values(&'static [(&'static str, Option<&'static str>)]),
    /// A comma-separated list whose Java elements are spelled differently.
    ListValues(&'static [(&'static str, &'static str)]),
    /// Java-only and harmless for us; the reason goes to the debug log.
    Drop(&'static str),
}

/// Single-name translations. Names read together (`sasl.jaas.config`, `ssl.truststore.*`,
/// `ssl.keystore.location`/`type`/`password`, deserializers, registry names) are not here.
const RULES: &[(&str, Rule)] = &[
    // Same setting, other name.
    (
        "receive.buffer.bytes",
        Rule::Rename("socket.receive.buffer.bytes"),
    ),
    (
        "send.buffer.bytes",
        Rule::Rename("socket.send.buffer.bytes"),
    ),
    ("ssl.truststore.certificates", Rule::Rename("ssl.ca.pem")),
    (
        "ssl.keystore.certificate.chain",
        Rule::Rename("ssl.certificate.pem"),
    ),
    ("ssl.keystore.key", Rule::Rename("ssl.key.pem")),
    // Same name, Java spelling of some values.
    (
        "ssl.endpoint.identification.algorithm",
        Rule::Values(&[("", Some("none"))]),
    ),
    (
        "auto.offset.reset",
        Rule::Values(&[("none", Some("error"))]),
    ),
    ("client.dns.lookup", Rule::Values(&[("default", None)])),
    (
        "partition.assignment.strategy",
        Rule::ListValues(&[
            ("org.apache.kafka.clients.consumer.RangeAssignor", "range"),
            (
                "org.apache.kafka.clients.consumer.RoundRobinAssignor",
                "roundrobin",
            ),
            (
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                "cooperative-sticky",
            ),
        ]),
    ),
    // Java-only, harmless for us.
    (
        "key.serializer",
        Rule::Drop("records are always written as raw bytes"),
    ),
    (
        "value.serializer",
        Rule::Drop("records are always written as raw bytes"),
    ),
    ("buffer.memory", Rule::Drop("Java producer memory pool")),
    ("max.block.ms", Rule::Drop("Java producer blocking bound")),
    ("max.poll.records", Rule::Drop("Java consumer batch size")),
    (
        "default.api.timeout.ms",
        Rule::Drop("Java client API timeout; see --timeout"),
    ),
    ("ssl.keymanager.algorithm", Rule::Drop("Java key manager")),
    (
        "ssl.trustmanager.algorithm",
        Rule::Drop("Java trust manager"),
    ),
    (
        "ssl.truststore.type",
        Rule::Drop("no ssl.truststore.location to go with it"),
    ),
    (
        "ssl.truststore.password",
        Rule::Drop("no ssl.truststore.location to go with it"),
    ),
    (
        "ssl.keystore.type",
        Rule::Drop("no ssl.keystore.location to go with it"),
    ),
    ("specific.avro.reader", Rule::Drop("Avro serializer option")),
    (
        "auto.register.schemas",
        Rule::Drop("Avro serializer option"),
    ),
    ("use.latest.version", Rule::Drop("Avro serializer option")),
    (
        "latest.compatibility.strict",
        Rule::Drop("Avro serializer option"),
    ),
    ("normalize.schemas", Rule::Drop("Avro serializer option")),
    (
        "key.subject.name.strategy",
        Rule::Drop("Avro serializer option"),
    ),
    (
        "value.subject.name.strategy",
        Rule::Drop("Avro serializer option"),
    ),
    (
        "max.schemas.per.subject",
        Rule::Drop("registry client cache size"),
    ),
];

/// Java deserializer classes and the display decoder that matches them.
const DESERIALIZERS: &[(&str, DecoderHint)] = &[
    (
        "org.apache.kafka.common.serialization.StringDeserializer",
        DecoderHint::Text,
    ),
    (
        "org.apache.kafka.common.serialization.ByteArrayDeserializer",
        DecoderHint::Hex,
    ),
    (
        "org.apache.kafka.common.serialization.BytesDeserializer",
        DecoderHint::Hex,
    ),
    (
        "org.apache.kafka.common.serialization.ByteBufferDeserializer",
        DecoderHint::Hex,
    ),
    (
        "io.confluent.kafka.serializers.KafkaAvroDeserializer",
        DecoderHint::Avro,
    ),
];

/// JAAS login modules: `None` means username and password are translated, `Some` is the advice
/// given instead.
const LOGIN_MODULES: &[(&str, Option<&str>)] = &[
    (
        "org.apache.kafka.common.security.plain.PlainLoginModule",
        None,
    ),
    (
        "org.apache.kafka.common.security.scram.ScramLoginModule",
        None,
    ),
    (
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule",
        Some(
            "OAUTHBEARER login is not translated: use librdkafka's properties instead \
             (sasl.mechanism=OAUTHBEARER, sasl.oauthbearer.method=oidc, \
             sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret, \
             sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.scope)",
        ),
    ),
    (
        "com.sun.security.auth.module.Krb5LoginModule",
        Some(
            "Kerberos login is not translated: use librdkafka's properties instead \
             (sasl.mechanism=GSSAPI, sasl.kerberos.service.name, sasl.kerberos.principal, \
             sasl.kerberos.keytab)",
        ),
    ),
];

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

/// Translates one client's properties (precedence already applied by [`super::layers`]).
///
/// # Errors
/// Java settings that cannot be translated (unsupported login module, JKS stores, unsupported
/// registry settings), malformed values, and same-precedence conflicts between a Java name and
/// its librdkafka counterpart.
pub(super) fn translate(mut input: Properties, role: Role) -> Result<Translated, ConfigError> {
    let mut out = Properties::new();
    jaas(&mut input, &mut out)?;
    truststore(&mut input, &mut out)?;
    keystore(&mut input, &mut out)?;
    let registry = registry(&mut input, role)?;
    let mut key_deserializer = input.remove("key.deserializer");
    let mut value_deserializer = input.remove("value.deserializer");
    if role == Role::Producer {
        for (key, property) in [
            ("key.deserializer", key_deserializer.take()),
            ("value.deserializer", value_deserializer.take()),
        ] {
            if let Some(property) = property {
                tracing::debug!(key, origin = %property.origin, "ignored for the producer");
            }
        }
    }

    for (key, property) in input {
        match rule(&key) {
            Some(Rule::Rename(to)) => put(&mut out, to, property)?,
            Some(Rule::Values(table)) => {
                let found = table
                    .iter()
                    .find(|(from, _)| from.eq_ignore_ascii_case(property.value.trim()));
                match found {
                    Some((_, Some(to))) => put(&mut out, &key, with_value(property, to))?,
                    Some((_, None)) => {
                        tracing::debug!(
                            key,
                            origin = %property.origin,
                            "dropped: the Java value means librdkafka's default"
                        );
                    }
                    None => put(&mut out, &key, property)?,
                }
            }
            Some(Rule::ListValues(table)) => {
                let value = property
                    .value
                    .split(',')
                    .map(|element| {
                        let element = element.trim();
                        table
                            .iter()
                            .find(|(from, _)| *from == element)
                            .map_or(element, |(_, to)| to)
                    })
                    .collect::<Vec<_>>()
                    .join(",");
                put(&mut out, &key, with_value(property, &value))?;
            }
            Some(Rule::Drop(why)) => {
                tracing::debug!(key, origin = %property.origin, "dropped Java-only property: {why}");
            }
            None if is_registry_name(&key) => {
                return Err(ConfigError::UnknownProperty {
                    reason: "not supported by kafka-merge-purge's schema registry client \
                             (supported: schema.registry.url, basic.auth.user.info with \
                             basic.auth.credentials.source=USER_INFO, \
                             schema.registry.ssl.truststore.location in PEM form)"
                        .to_owned(),
                    key,
                    origin: property.origin.to_string(),
                });
            }
            None => put(&mut out, &key, property)?,
        }
    }
    Ok(Translated {
        properties: out,
        key_deserializer,
        value_deserializer,
        registry,
    })
}

/// The display decoder for the key or the value (`part`: `"key"` or `"value"`): forced Avro
/// wins, then the Java deserializer, else [`DecoderHint::Auto`].
///
/// # Errors
/// [`ConfigError::InvalidValue`] for a deserializer class without a matching decoder (unless
/// Avro is forced, which makes the deserializer irrelevant).
pub(super) fn decoder(
    part: &str,
    deserializer: Option<&Property>,
    force_avro: bool,
) -> Result<DecoderHint, ConfigError> {
    if force_avro {
        return Ok(DecoderHint::Avro);
    }
    let Some(property) = deserializer else {
        return Ok(DecoderHint::Auto);
    };
    let class = property.value.trim();
    DESERIALIZERS
        .iter()
        .find(|(name, _)| *name == class)
        .map(|(_, hint)| *hint)
        .ok_or_else(|| ConfigError::InvalidValue {
            key: format!("{part}.deserializer"),
            origin: property.origin.to_string(),
            reason: format!(
                "no display decoder matches the Java class {class:?}; supported: {} \
                 (or force Avro with {})",
                DESERIALIZERS
                    .iter()
                    .map(|(name, _)| short_class(name))
                    .collect::<Vec<_>>()
                    .join(", "),
                if part == "key" { "-A" } else { "-a" },
            ),
        })
}

fn rule(key: &str) -> Option<Rule> {
    RULES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, rule)| *rule)
}

fn is_registry_name(key: &str) -> bool {
    ["schema.registry.", "basic.auth.", "bearer.auth."]
        .iter()
        .any(|prefix| key.starts_with(prefix))
}

fn short_class(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn with_value(property: Property, value: &str) -> Property {
    Property {
        value: value.to_owned(),
        origin: property.origin,
    }
}

fn invalid(key: &str, origin: &Origin, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        origin: origin.to_string(),
        reason: reason.into(),
    }
}

/// Inserts a librdkafka property, the higher-ranked source winning; equal ranks must agree.
fn put(out: &mut Properties, key: &str, property: Property) -> Result<(), ConfigError> {
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
fn superseded(input: &Properties, origin: &Origin, targets: &[&str]) -> bool {
    targets.iter().all(|target| {
        input
            .get(*target)
            .is_some_and(|property| property.origin.rank > origin.rank)
    })
}

/// The one of several alias names with the highest precedence, all of them removed.
fn take_alias(input: &mut Properties, names: &[&str]) -> Option<Property> {
    names
        .iter()
        .filter_map(|name| input.remove(*name))
        .max_by_key(|property| property.origin.rank)
}

// --- sasl.jaas.config -----------------------------------------------------------------------

fn jaas(input: &mut Properties, out: &mut Properties) -> Result<(), ConfigError> {
    const KEY: &str = "sasl.jaas.config";
    let Some(property) = input.remove(KEY) else {
        return Ok(());
    };
    if superseded(input, &property.origin, &["sasl.username", "sasl.password"]) {
        tracing::debug!(origin = %property.origin, "{KEY} overridden by sasl.username and sasl.password");
        return Ok(());
    }
    let entry =
        parse_jaas(&property.value).map_err(|reason| invalid(KEY, &property.origin, reason))?;
    match LOGIN_MODULES.iter().find(|(name, _)| *name == entry.module) {
        Some((_, None)) => {}
        Some((_, Some(advice))) => return Err(invalid(KEY, &property.origin, *advice)),
        None => {
            return Err(invalid(
                KEY,
                &property.origin,
                format!(
                    "login module {} is not translated (only PlainLoginModule and \
                     ScramLoginModule are): configure librdkafka's sasl.* properties instead \
                     (sasl.mechanism, sasl.username, sasl.password, sasl.oauthbearer.*, \
                     sasl.kerberos.*)",
                    entry.module
                ),
            ));
        }
    }
    let mut username = None;
    let mut password = None;
    for (name, value) in entry.options {
        match name.as_str() {
            "username" => username = Some(value),
            "password" => password = Some(value),
            other => {
                return Err(invalid(
                    KEY,
                    &property.origin,
                    format!(
                        "login module option {other:?} is not supported (only username and \
                         password are translated)"
                    ),
                ));
            }
        }
    }
    let (Some(username), Some(password)) = (username, password) else {
        return Err(invalid(
            KEY,
            &property.origin,
            format!(
                "{} needs both username and password",
                short_class(&entry.module)
            ),
        ));
    };
    put(
        out,
        "sasl.username",
        Property {
            value: username,
            origin: property.origin.clone(),
        },
    )?;
    put(
        out,
        "sasl.password",
        Property {
            value: password,
            origin: property.origin,
        },
    )
}

/// One JAAS login module entry: `Module flag name="value" ...;`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JaasEntry {
    module: String,
    options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
}

/// Splits a JAAS entry into words, quoted strings (single or double quotes, backslash escapes),
/// `=` and `;`. Errors never repeat the text (it holds a password).
fn jaas_tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' => {
                chars.next();
                tokens.push(Token::Equals);
            }
            ';' => {
                chars.next();
                tokens.push(Token::Semicolon);
            }
            '"' | '\'' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated quoted value".to_owned()),
                        Some(q) if q == c => break,
                        Some('\\') => match chars.next() {
                            None => return Err("unterminated quoted value".to_owned()),
                            Some('n') => value.push('\n'),
                            Some('t') => value.push('\t'),
                            Some('r') => value.push('\r'),
                            Some(other) => value.push(other),
                        },
                        Some(other) => value.push(other),
                    }
                }
                tokens.push(Token::Quoted(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '=' | ';' | '"' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

fn parse_jaas(text: &str) -> Result<JaasEntry, String> {
    const SHAPE: &str = "expected `LoginModule required username=\"...\" password=\"...\";`";
    let tokens = jaas_tokens(text)?;
    let mut tokens = tokens.into_iter();
    let Some(Token::Word(module)) = tokens.next() else {
        return Err(format!("no login module; {SHAPE}"));
    };
    match tokens.next() {
        Some(Token::Word(flag))
            if ["required", "requisite", "sufficient", "optional"]
                .iter()
                .any(|known| known.eq_ignore_ascii_case(&flag)) => {}
        _ => {
            return Err(format!(
                "no control flag (required, requisite, sufficient or optional) after the \
                 login module; {SHAPE}"
            ));
        }
    }
    let mut options = Vec::new();
    loop {
        match tokens.next() {
            None => break,
            Some(Token::Semicolon) => {
                if tokens.next().is_some() {
                    return Err("only one login module entry is supported".to_owned());
                }
                break;
            }
            Some(Token::Word(name)) => {
                let (Some(Token::Equals), Some(Token::Quoted(value) | Token::Word(value))) =
                    (tokens.next(), tokens.next())
                else {
                    return Err(format!("option {name:?} has no value; {SHAPE}"));
                };
                options.push((name, value));
            }
            Some(_) => return Err(format!("unexpected text; {SHAPE}")),
        }
    }
    Ok(JaasEntry { module, options })
}

// --- truststores and keystores --------------------------------------------------------------

/// Format of a Java key or trust store.
#[derive(Debug, Clone, PartialEq, Eq)]
enum StoreFormat {
    Pem,
    Pkcs12,
    Jks,
    Other(String),
}

/// The store format from its `*.type` property, else from the file name (`.pem`/`.crt` → PEM,
/// `.p12`/`.pfx` → PKCS#12), else JKS, Java's default.
fn store_format(location: &str, kind: Option<&Property>) -> StoreFormat {
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
fn truststore_advice(format: &StoreFormat, location: &str, target: &str) -> String {
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

fn truststore(input: &mut Properties, out: &mut Properties) -> Result<(), ConfigError> {
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

fn keystore(input: &mut Properties, out: &mut Properties) -> Result<(), ConfigError> {
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

// --- schema registry ------------------------------------------------------------------------

fn registry(input: &mut Properties, role: Role) -> Result<Option<RegistrySettings>, ConfigError> {
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::Settings;
    use crate::config::layers::parse_cli;

    /// Resolves `-O <file with text> <extra…> ask dlq retry`.
    fn resolve_file(text: &str, extra: &[&str]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.properties");
        std::fs::write(&path, text).unwrap();
        let mut argv = vec!["-O", path.to_str().unwrap(), "-g", "grp"];
        argv.extend_from_slice(extra);
        argv.extend_from_slice(&["ask", "dlq", "retry"]);
        let cli = parse_cli(&argv);
        crate::config::resolve(&cli.global, cli.kafka_command().unwrap())
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
            })
        );
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
        let cli = parse_cli(&[
            "-b",
            "h:1",
            "-g",
            "g",
            "-p",
            "value.deserializer=org.apache.kafka.common.serialization.LongDeserializer",
            "ask",
            "s",
            "d",
        ]);
        let settings = crate::config::resolve(&cli.global, cli.kafka_command().unwrap()).unwrap();
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
        let message = error.to_string();
        assert!(message.contains("KafkaAvroDeserializer"), "{message}");
        assert!(message.contains("schema.registry.url"), "{message}");
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
        assert_eq!(
            get(&settings.consumer, "ssl.ca.location"),
            Some("/s/ca.pem")
        );
        assert_eq!(
            get(&settings.producer, "ssl.ca.location"),
            Some("/s/ca.pem")
        );
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
        let message = error.to_string();
        assert!(message.contains("sasl.username"), "{message}");
        assert!(
            message.contains("line 2") && message.contains("line 3"),
            "{message}"
        );
        assert!(
            !message.contains("alice") && !message.contains("bob"),
            "{message}"
        );
    }

    #[test]
    fn jaas_parsing() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "M required username=\"u\" password=\"p\";",
                &[("username", "u"), ("password", "p")],
            ),
            (
                "M required password='p' username='u'",
                &[("password", "p"), ("username", "u")],
            ),
            (
                "M REQUIRED username=u password=p ;  ",
                &[("username", "u"), ("password", "p")],
            ),
            (
                "M required username=\"a\\\"b\" password='c\\\\d;e'",
                &[("username", "a\"b"), ("password", "c\\d;e")],
            ),
            ("M optional username = \"x y\"", &[("username", "x y")]),
        ];
        for (text, options) in cases {
            let entry = parse_jaas(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(entry.module, "M");
            let expected: Vec<_> = options
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            assert_eq!(entry.options, expected, "{text}");
        }
        for bad in [
            "",
            "M",
            "M mandatory username=\"u\"",
            "M required username",
            "M required username=",
            "M required = \"u\"",
            "M required username=\"u\"; N required password=\"p\";",
        ] {
            assert!(parse_jaas(bad).is_err(), "{bad:?}");
        }
    }

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
