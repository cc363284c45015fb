//! `sasl.jaas.config`: the PLAIN and SCRAM login modules become `sasl.username` and
//! `sasl.password`; other modules are refused with the librdkafka properties to use instead.

use crate::config::ConfigError;
use crate::config::layers::{Properties, Property};

use super::merge::{invalid, put, short_class, superseded};

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

pub(super) fn jaas(input: &mut Properties, out: &mut Properties) -> Result<(), ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
