//! Failures of authentication and TLS that librdkafka keeps retrying but that never go away by
//! themselves (a wrong password, an untrusted certificate): recognized in what librdkafka
//! reports, so the tool stops at once with the broker's reason instead of timing out with
//! "broker transport failure".

use std::collections::BTreeMap;
use std::fmt;

/// What kind of security failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// SASL: the broker refused the credentials or the mechanism.
    Authentication,
    /// TLS: the handshake failed (certificate not trusted, client certificate refused, ...).
    Tls,
}

/// A security failure as librdkafka reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityFailure {
    pub kind: FailureKind,
    /// The broker address, e.g. `127.0.0.1:9093`.
    pub broker: String,
    /// The reason, without librdkafka's timing suffix.
    pub reason: String,
}

impl SecurityFailure {
    /// Recognizes a security failure in a librdkafka error or log message, e.g.
    /// `sasl_ssl://host:9093/bootstrap: SASL authentication error: Authentication failed:
    /// Invalid username or password (after 302ms in state AUTH_REQ)`.
    #[must_use]
    pub fn parse(message: &str) -> Option<Self> {
        let (broker, text) = split_broker(message);
        let text = strip_timing(text);
        let (kind, reason) = if let Some(reason) = after(text, "SASL authentication error: ") {
            (FailureKind::Authentication, reason)
        } else if text.starts_with("SASL ") && text.contains(" handshake failed: ") {
            (FailureKind::Authentication, text)
        } else if let Some(reason) = after(text, "SSL handshake failed: ") {
            (FailureKind::Tls, reason)
        } else if text.contains("SSL alert number") || text.contains("SSL routines::") {
            (FailureKind::Tls, text)
        } else {
            return None;
        };
        Some(Self {
            kind,
            broker: broker.to_owned(),
            reason: strip_openssl_code(reason).to_owned(),
        })
    }

    /// The whole message, with `security` (see [`describe_security`]) and advice.
    #[must_use]
    pub fn message(&self, security: &str) -> String {
        let security = if security.is_empty() {
            String::new()
        } else {
            format!(" ({security})")
        };
        match self.kind {
            FailureKind::Authentication => format!(
                "authentication failed at {}{security}: the broker said: {}; check the user name, \
                 the password and the mechanism (sasl.jaas.config, or sasl.username, \
                 sasl.password and sasl.mechanism)",
                self.broker, self.reason
            ),
            FailureKind::Tls if self.reason.contains("alert") => format!(
                "TLS handshake with {}{security} failed: the broker refused the connection: {}; \
                 it may want a client certificate (ssl.keystore.location, or \
                 ssl.certificate.location and ssl.key.location)",
                self.broker, self.reason
            ),
            FailureKind::Tls => format!(
                "TLS handshake with {}{security} failed: {}; the CA certificates to trust are \
                 given as a PEM file with ssl.truststore.location or ssl.ca.location",
                self.broker, self.reason
            ),
        }
    }
}

impl fmt::Display for SecurityFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(""))
    }
}

/// How a client connects, for error messages: `SASL_SSL, SCRAM-SHA-512, user bob`. Empty for
/// plaintext.
#[must_use]
pub fn describe_security(properties: &BTreeMap<String, String>) -> String {
    let get = |key: &str| {
        properties
            .get(key)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    };
    let protocol = get("security.protocol").unwrap_or("PLAINTEXT");
    if protocol.eq_ignore_ascii_case("PLAINTEXT") {
        return String::new();
    }
    let mut parts = vec![protocol.to_ascii_uppercase()];
    if protocol.to_ascii_uppercase().starts_with("SASL") {
        parts.push(get("sasl.mechanism").unwrap_or("GSSAPI").to_owned());
        if let Some(user) = get("sasl.username") {
            parts.push(format!("user {user}"));
        }
    }
    parts.join(", ")
}

/// `sasl_ssl://host:9093/bootstrap: rest` → (`host:9093`, `rest`); no broker prefix → ("", all).
fn split_broker(message: &str) -> (&str, &str) {
    let Some((prefix, rest)) = message.split_once(": ") else {
        return ("", message);
    };
    if prefix.contains(' ') || !prefix.contains(':') {
        return ("", message);
    }
    let address = prefix
        .split_once("://")
        .map_or(prefix, |(_, address)| address);
    let address = address.split_once('/').map_or(address, |(host, _)| host);
    (address, rest)
}

/// Drops librdkafka's ` (after 302ms in state AUTH_REQ, 1 identical error(s) suppressed)`.
fn strip_timing(text: &str) -> &str {
    match text.rfind(" (after ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    }
}

/// Drops OpenSSL's `error:0A000086:SSL routines::` in front of its reason.
fn strip_openssl_code(text: &str) -> &str {
    match text.find("error:") {
        Some(at) => text[at..]
            .find("::")
            .map_or(text, |end| &text[at + end + 2..]),
        None => text,
    }
}

fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|at| &text[at + marker.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages librdkafka 2.12 gave against Apache Kafka 4.1 and 4.4 (scripts/local-kafka.sh with
    /// `KAFKA_SECURITY=1`).
    #[test]
    fn recognizes_what_librdkafka_reports() {
        for (message, kind, broker, reason) in [
            (
                "sasl_plaintext://127.0.0.1:29094/bootstrap: SASL authentication error: \
                 Authentication failed: Invalid username or password (after 302ms in state \
                 AUTH_REQ, 1 identical error(s) suppressed)",
                FailureKind::Authentication,
                "127.0.0.1:29094",
                "Authentication failed: Invalid username or password",
            ),
            (
                "sasl_plaintext://127.0.0.1:29094/bootstrap: SASL authentication error: \
                 Authentication failed during authentication due to invalid credentials with \
                 SASL mechanism SCRAM-SHA-512 (after 321ms in state AUTH_REQ)",
                FailureKind::Authentication,
                "127.0.0.1:29094",
                "Authentication failed during authentication due to invalid credentials with \
                 SASL mechanism SCRAM-SHA-512",
            ),
            (
                "sasl_plaintext://127.0.0.1:29094/bootstrap: SASL SCRAM-SHA-256 mechanism \
                 handshake failed: Broker: Unsupported SASL mechanism: broker's supported \
                 mechanisms: PLAIN,SCRAM-SHA-512 (after 301ms in state AUTH_HANDSHAKE)",
                FailureKind::Authentication,
                "127.0.0.1:29094",
                "SASL SCRAM-SHA-256 mechanism handshake failed: Broker: Unsupported SASL \
                 mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-512",
            ),
            (
                "sasl_ssl://127.0.0.1:29096/bootstrap: SSL handshake failed: \
                 error:0A000086:SSL routines::certificate verify failed: broker certificate \
                 could not be verified, verify that ssl.ca.location is correctly configured or \
                 root CA certificates are installed (install ca-certificates package) (after \
                 6ms in state SSL_HANDSHAKE)",
                FailureKind::Tls,
                "127.0.0.1:29096",
                "certificate verify failed: broker certificate could not be verified, verify \
                 that ssl.ca.location is correctly configured or root CA certificates are \
                 installed (install ca-certificates package)",
            ),
            (
                "ssl://127.0.0.1:29095/1: Receive failed: error:0A000412:SSL routines::sslv3 \
                 alert bad certificate: SSL alert number 42 (after 1ms in state \
                 APIVERSION_QUERY)",
                FailureKind::Tls,
                "127.0.0.1:29095",
                "sslv3 alert bad certificate: SSL alert number 42",
            ),
            (
                "sasl_ssl://127.0.0.1:29096/bootstrap: error:0A000086:SSL routines::certificate \
                 verify failed (after 5ms in state SSL_HANDSHAKE)",
                FailureKind::Tls,
                "127.0.0.1:29096",
                "certificate verify failed",
            ),
        ] {
            let failure = SecurityFailure::parse(message).unwrap_or_else(|| panic!("{message}"));
            assert_eq!(failure.kind, kind, "{message}");
            assert_eq!(failure.broker, broker, "{message}");
            assert_eq!(failure.reason, reason, "{message}");
        }
    }

    #[test]
    fn other_failures_are_not_security_failures() {
        for message in [
            "127.0.0.1:29096/bootstrap: Disconnected: connection closed by peer: receive 0 \
             after POLLIN (after 5ms in state APIVERSION_QUERY)",
            "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused \
             (after 0ms in state CONNECT)",
            "1/1 brokers are down",
        ] {
            assert_eq!(SecurityFailure::parse(message), None, "{message}");
        }
    }

    #[test]
    fn message_says_what_failed_and_what_to_check() {
        let failure = SecurityFailure::parse(
            "sasl_ssl://h:9093/bootstrap: SASL authentication error: Authentication failed: \
             Invalid username or password (after 1ms in state AUTH_REQ)",
        )
        .unwrap();
        assert_eq!(
            failure.message("SASL_SSL, PLAIN, user alice"),
            "authentication failed at h:9093 (SASL_SSL, PLAIN, user alice): the broker said: \
             Authentication failed: Invalid username or password; check the user name, the \
             password and the mechanism (sasl.jaas.config, or sasl.username, sasl.password and \
             sasl.mechanism)"
        );
    }

    #[test]
    fn security_description() {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(describe_security(&map(&[])), "");
        assert_eq!(
            describe_security(&map(&[("security.protocol", "ssl")])),
            "SSL"
        );
        assert_eq!(
            describe_security(&map(&[
                ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "bob"),
                ("sasl.password", "secret"),
            ])),
            "SASL_SSL, SCRAM-SHA-512, user bob"
        );
    }
}
