//! The configuration layer end to end: precedence, group, commit, transactions, checks.
//!
//! They check properties with librdkafka's own check: only with the `librdkafka-check` feature
//! (on whenever the tool is built too, as in `cargo test --workspace`).
#![cfg(feature = "librdkafka-check")]

use super::*;
use crate::testing::{assert_mentions, properties_file};

fn ok(argv: &[&str]) -> Settings {
    resolve_argv(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
}

fn get<'a>(map: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    map.get(key).map(String::as_str)
}

#[test]
fn minimal_run_has_defaults_everywhere() {
    let settings = ok(&["-b", "h:9092", "-g", "grp", "ask", "dlq", "retry"]);
    assert_eq!(settings.bootstrap_servers, "h:9092");
    assert_eq!(settings.group.as_deref(), Some("grp"));
    assert_eq!(
        settings.consumer,
        BTreeMap::from(
            [
                ("bootstrap.servers", "h:9092"),
                ("isolation.level", "read_committed"),
                ("auto.offset.reset", "earliest"),
                ("enable.auto.commit", "false"),
                ("queued.max.messages.kbytes", "16384"),
                ("queued.min.messages", "20000"),
                ("fetch.queue.backoff.ms", "10"),
                ("reconnect.backoff.ms", "20"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        )
    );
    assert_eq!(
        settings.producer,
        BTreeMap::from(
            [
                ("bootstrap.servers", "h:9092"),
                ("enable.idempotence", "true"),
                ("acks", "all"),
                ("queue.buffering.max.kbytes", "32768"),
                ("delivery.report.only.error", "true"),
                ("partitioner", "murmur2_random"),
                ("reconnect.backoff.ms", "20"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        )
    );
    assert!(settings.commit);
    assert_eq!(settings.transactional_id, None);
    assert_eq!(settings.registry, None);
    assert_eq!(settings.key_decoder, DecoderHint::Auto);
    assert_eq!(settings.value_decoder, DecoderHint::Auto);
    assert_eq!(settings.timeout, Duration::from_secs(30));
}

#[test]
fn timeout_comes_from_the_option() {
    let settings = ok(&["-b", "h:1", "--timeout", "5", "print", "t"]);
    assert_eq!(settings.timeout, Duration::from_secs(5));
}

/// Each source beats the one below it, through the whole pipeline.
#[test]
fn precedence_of_every_layer() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared.properties");
    let consumer = dir.path().join("consumer.properties");
    let producer = dir.path().join("producer.properties");
    std::fs::write(
        &shared,
        "bootstrap.servers=shared-file:1\nacks=1\nclient.id=shared-file\n\
         fetch.min.bytes=10\nlinger.ms=10\nsession.timeout.ms=10000\n",
    )
    .unwrap();
    std::fs::write(
        &consumer,
        "bootstrap.servers=role-file:1\nfetch.min.bytes=20\nsession.timeout.ms=20000\n",
    )
    .unwrap();
    std::fs::write(&producer, "bootstrap.servers=role-file:1\nlinger.ms=20\n").unwrap();
    let base = [
        "-O",
        shared.to_str().unwrap(),
        "-o",
        "client.id=shared-option",
        "-o",
        "fetch.min.bytes=15",
        "-C",
        consumer.to_str().unwrap(),
        "-P",
        producer.to_str().unwrap(),
        "-c",
        "session.timeout.ms=30000",
        "-g",
        "g",
    ];
    let mut argv = base.to_vec();
    argv.extend_from_slice(&["ask", "s", "d"]);
    let settings = ok(&argv);
    // -O beats the built-in default.
    assert_eq!(get(&settings.producer, "acks"), Some("1"));
    // -o beats -O, for both roles.
    assert_eq!(get(&settings.consumer, "client.id"), Some("shared-option"));
    assert_eq!(get(&settings.producer, "client.id"), Some("shared-option"));
    // -C beats -o; -P beats -O.
    assert_eq!(get(&settings.consumer, "fetch.min.bytes"), Some("20"));
    assert_eq!(get(&settings.producer, "linger.ms"), Some("20"));
    // -c beats -C.
    assert_eq!(get(&settings.consumer, "session.timeout.ms"), Some("30000"));
    // Role files beat the shared file for bootstrap.servers.
    assert_eq!(settings.bootstrap_servers, "role-file:1");

    // -b beats everything.
    let mut argv = base.to_vec();
    argv.extend_from_slice(&[
        "-c",
        "bootstrap.servers=role-option:1",
        "-p",
        "bootstrap.servers=role-option:1",
        "-b",
        "flag:1",
        "ask",
        "s",
        "d",
    ]);
    let settings = ok(&argv);
    assert_eq!(settings.bootstrap_servers, "flag:1");
    assert_eq!(get(&settings.consumer, "bootstrap.servers"), Some("flag:1"));
    assert_eq!(get(&settings.producer, "bootstrap.servers"), Some("flag:1"));
}

#[test]
fn bootstrap_is_required_and_shared_by_both_clients() {
    assert!(matches!(
        resolve_argv(&["-g", "g", "ask", "s", "d"]),
        Err(ConfigError::MissingBootstrap)
    ));
    assert!(matches!(
        resolve_argv(&["-o", "bootstrap.servers=", "print", "t"]),
        Err(ConfigError::MissingBootstrap)
    ));
    let settings = ok(&["-c", "bootstrap.servers=c:1", "print", "t"]);
    assert_eq!(settings.bootstrap_servers, "c:1");
    assert_eq!(get(&settings.producer, "bootstrap.servers"), Some("c:1"));
    let error = resolve_argv(&[
        "-c",
        "bootstrap.servers=c:1",
        "-p",
        "bootstrap.servers=p:1",
        "print",
        "t",
    ])
    .unwrap_err();
    assert!(matches!(error, ConfigError::Conflict { .. }), "{error:?}");
    assert!(error.to_string().contains("-c") && error.to_string().contains("-p"));
}

#[test]
fn group_flag_beats_group_property() {
    let settings = ok(&[
        "-b",
        "h:1",
        "-o",
        "group.id=prop",
        "-g",
        "flag",
        "ask",
        "s",
        "d",
    ]);
    assert_eq!(settings.group.as_deref(), Some("flag"));
    // One source of truth: the Kafka layer gives `Settings::group` to the consumer.
    assert_eq!(get(&settings.consumer, "group.id"), None);
    assert_eq!(get(&settings.producer, "group.id"), None);
}

#[test]
fn group_property_is_enough() {
    for source in ["-o", "-c"] {
        let settings = ok(&["-b", "h:1", source, "group.id=prop", "merge-all", "s", "d"]);
        assert_eq!(settings.group.as_deref(), Some("prop"), "{source}");
        assert_eq!(get(&settings.consumer, "group.id"), None);
        assert_eq!(get(&settings.producer, "group.id"), None);
    }
}

#[test]
fn blank_group_flag_does_not_hide_the_property() {
    let settings = ok(&["-b", "h:1", "-g", " ", "-c", "group.id=g", "ask", "s", "d"]);
    assert_eq!(settings.group.as_deref(), Some("g"));
}

#[test]
fn group_in_producer_properties_is_not_a_group() {
    let error = resolve_argv(&["-b", "h:1", "-p", "group.id=prop", "ask", "s", "d"]).unwrap_err();
    assert!(matches!(
        error,
        ConfigError::MissingGroup { command: "ask" }
    ));
}

#[test]
fn group_is_required_except_for_print() {
    for (argv, command) in [
        (&["ask", "s", "d"][..], "ask"),
        (&["merge-all", "s", "d"][..], "merge-all"),
        (&["purge-all", "t"][..], "purge-all"),
        (&["-g", "", "purge-all", "t"][..], "purge-all"),
        (&["-n=false", "print", "t"][..], "print --no-commit=false"),
    ] {
        let mut full = vec!["-b", "h:1"];
        full.extend_from_slice(argv);
        match resolve_argv(&full) {
            Err(ConfigError::MissingGroup { command: got }) => assert_eq!(got, command),
            other => panic!("{argv:?}: {other:?}"),
        }
    }
    let settings = ok(&["-b", "h:1", "print", "t"]);
    assert_eq!(settings.group, None);
    assert_eq!(get(&settings.consumer, "group.id"), None);
}

#[test]
fn commit_rules() {
    for (no_commit, command, expected) in [
        (None, "print", false),
        (Some("-n"), "print", false),
        (Some("-n=true"), "print", false),
        (Some("--no-commit=true"), "print", false),
        (Some("-n=false"), "print", true),
        (Some("--no-commit=false"), "print", true),
        (None, "ask", true),
        (Some("-n"), "ask", false),
        (Some("-n=true"), "ask", false),
        (Some("-n=false"), "ask", true),
        (None, "merge-all", true),
        (Some("-n"), "merge-all", false),
        (None, "purge-all", true),
        (Some("--no-commit"), "purge-all", false),
    ] {
        let mut argv = vec!["-b", "h:1", "-g", "g"];
        argv.extend(no_commit);
        argv.push(command);
        argv.extend_from_slice(if command == "print" || command == "purge-all" {
            &["t"][..]
        } else {
            &["s", "d"][..]
        });
        assert_eq!(ok(&argv).commit, expected, "{argv:?}");
    }
}

#[test]
fn user_auto_commit_is_overridden() {
    let settings = ok(&["-b", "h:1", "-c", "enable.auto.commit=true", "print", "t"]);
    assert_eq!(get(&settings.consumer, "enable.auto.commit"), Some("false"));
}

fn transactional_id(argv: &[&str]) -> Option<String> {
    let mut full = vec!["-b", "h:1", "-g", "grp"];
    full.extend_from_slice(argv);
    let settings = ok(&full);
    assert_eq!(
        get(&settings.producer, "transactional.id"),
        None,
        "{argv:?}"
    );
    assert_eq!(
        get(&settings.consumer, "transactional.id"),
        None,
        "{argv:?}"
    );
    settings.transactional_id
}

#[test]
fn derived_ids_of_different_groups_and_topics_differ() {
    use crate::config::derived_transactional_id as id;
    assert_ne!(id("a-b", "c"), id("a", "b-c"));
    assert_eq!(id("a-b", "c"), "kafka-merge-purge-a-b/c");
}

#[test]
fn transactions_are_off_by_default() {
    assert_eq!(transactional_id(&["merge-all", "dlq", "retry"]), None);
}

#[test]
fn plain_t_derives_a_stable_id_from_group_and_source_topic() {
    let derived = Some(format!("{TRANSACTIONAL_ID_PREFIX}-grp/dlq"));
    assert_eq!(
        transactional_id(&["-t", "merge-all", "dlq", "retry"]),
        derived
    );
    assert_eq!(transactional_id(&["ask", "dlq", "retry", "-t"]), derived);
    assert_eq!(transactional_id(&["-t", "purge-all", "dlq"]), derived);
}

#[test]
fn t_with_id_beats_the_property() {
    assert_eq!(
        transactional_id(&["-t=mine", "merge-all", "dlq", "retry"]).as_deref(),
        Some("mine")
    );
    assert_eq!(
        transactional_id(&[
            "-p",
            "transactional.id=prop",
            "--transaction=mine",
            "merge-all",
            "dlq",
            "retry"
        ])
        .as_deref(),
        Some("mine")
    );
}

#[test]
fn transactional_id_property_enables_transactions_and_beats_derivation() {
    for argv in [
        &["-p", "transactional.id=prop", "merge-all", "dlq", "retry"][..],
        &["-o", "transactional.id=prop", "merge-all", "dlq", "retry"][..],
        &[
            "-t",
            "-p",
            "transactional.id=prop",
            "merge-all",
            "dlq",
            "retry",
        ][..],
    ] {
        assert_eq!(transactional_id(argv).as_deref(), Some("prop"), "{argv:?}");
    }
    assert_eq!(
        transactional_id(&["-p", "transactional.id=", "merge-all", "dlq", "retry"]),
        None
    );
    // A transactional.id meant for a consumer does not turn transactions on.
    assert_eq!(
        transactional_id(&["-c", "transactional.id=c", "merge-all", "dlq", "retry"]),
        None
    );
}

#[test]
fn print_ignores_transactions() {
    assert_eq!(transactional_id(&["-t", "print", "dlq"]), None);
    assert_eq!(transactional_id(&["-t=x", "print", "dlq"]), None);
    assert_eq!(
        transactional_id(&["-p", "transactional.id=p", "print", "dlq"]),
        None
    );
}

#[test]
fn empty_t_id_is_an_error() {
    let error = resolve_argv(&["-b", "h:1", "-g", "g", "-t=", "merge-all", "s", "d"]).unwrap_err();
    assert!(error.to_string().contains("-t"), "{error}");
}

/// librdkafka's own check: an unknown name and a refused value, each named with the option
/// or the file line it came from.
#[test]
fn unknown_and_invalid_properties_name_key_and_origin() {
    for (option, property, unknown) in [
        ("-o", "bogus.name=1", true),
        ("-p", "acks=sometimes", false),
        ("-c", "isolation.level=dirty", false),
    ] {
        let error = resolve_argv(&["-b", "h:1", option, property, "print", "t"]).unwrap_err();
        let kind = if unknown {
            matches!(error, ConfigError::UnknownProperty { .. })
        } else {
            matches!(error, ConfigError::InvalidValue { .. })
        };
        assert!(kind, "{property}: {error:?}");
        let key = property.split('=').next().unwrap_or_default();
        assert_mentions(&error, &[key, option]);
    }

    let (_dir, path) = properties_file(
        "consumer.properties",
        "# comment\nmax.poll.interval.ms=300000\nno.such.thing=x\n",
    );
    let error =
        resolve_argv(&["-b", "h:1", "-C", path.to_str().unwrap(), "print", "t"]).unwrap_err();
    assert_mentions(&error, &["no.such.thing", "consumer.properties, line 3"]);
}

#[test]
fn malformed_option_is_an_error() {
    let error = resolve_argv(&["-b", "h:1", "-o", "acks", "print", "t"]).unwrap_err();
    assert!(matches!(
        error,
        ConfigError::MalformedOption { option: "-o", .. }
    ));
}

#[test]
fn unreadable_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.properties");
    let error =
        resolve_argv(&["-b", "h:1", "-O", path.to_str().unwrap(), "print", "t"]).unwrap_err();
    assert!(matches!(error, ConfigError::ReadFile { .. }));
    assert!(error.to_string().contains("absent.properties"), "{error}");
}

#[test]
fn forced_avro_needs_a_registry() {
    for (flag, what) in [("-a", "-a/--avro"), ("-A", "-A/--avro-key")] {
        match resolve_argv(&["-b", "h:1", flag, "print", "t"]) {
            Err(ConfigError::MissingRegistry { what: got }) => assert_eq!(got, what),
            other => panic!("{flag}: {other:?}"),
        }
    }
    let settings = ok(&[
        "-b",
        "h:1",
        "-a",
        "-o",
        "schema.registry.url=http://registry:8081",
        "print",
        "t",
    ]);
    assert_eq!(settings.value_decoder, DecoderHint::Avro);
    assert_eq!(settings.key_decoder, DecoderHint::Auto);
    assert_eq!(
        settings.registry.map(|registry| registry.url).as_deref(),
        Some("http://registry:8081")
    );
    assert_eq!(get(&settings.consumer, "schema.registry.url"), None);
}

#[test]
fn debug_output_hides_secrets() {
    let settings = ok(&[
        "-b",
        "h:1",
        "-o",
        "sasl.password=hunter2",
        "-o",
        "ssl.key.password=swordfish",
        "-o",
        "schema.registry.url=http://r",
        "-o",
        "basic.auth.user.info=user:opensesame",
        "print",
        "t",
    ]);
    let debug = format!("{settings:?}");
    for secret in ["hunter2", "swordfish", "opensesame"] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.contains("sasl.password"), "{debug}");
}
