//! Who else uses a consumer group: each instance says what it is in its consumer's
//! `client.id` (a [`MemberTag`]), which the group's description shows to every other member
//! with the member's host. From that come the two-operator refusals (`ask` wants a group to
//! itself); [`Presence`] is how `ask`, which reads
//! through assigned partitions, still shows up in its group.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::config::Settings;

use super::client::{Context, MetadataError, consumer_config, fetch_metadata};

/// What marks our members' client ids.
const MARK: &str = "kafka-merge-purge:";

/// How an instance uses its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `ask`: a person decides record after record; the group is this instance's alone.
    Ask,
    /// `merge-all` or `purge-all`: shares the partitions with the group's other bulk members.
    Bulk,
    /// `merge-all` or `purge-all` that reads every partition itself (`--limit`, `--dedupe`,
    /// `--from-beginning` or `--partition`), so it too wants the group to itself.
    Alone,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ask => "ask",
            Self::Bulk => "bulk",
            Self::Alone => "alone",
        }
    }
}

/// What one instance says of itself in the group's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberTag {
    pub role: Role,
    /// When the instance started, in milliseconds since the epoch.
    pub started_ms: i64,
    /// Random, per instance.
    pub instance: String,
    /// A fingerprint of an explicitly given transactional id (never the id itself).
    pub txn: Option<String>,
}

impl MemberTag {
    /// A new instance's tag.
    #[must_use]
    pub fn new(role: Role, txn: Option<&str>) -> Self {
        Self {
            role,
            started_ms: chrono::Utc::now().timestamp_millis(),
            instance: short_id(),
            txn: txn.map(fingerprint),
        }
    }

    /// The client id of the member: `base` with the tag appended.
    #[must_use]
    pub fn client_id(&self, base: Option<&str>) -> String {
        let tag = format!(
            "{MARK}{}:{}:{}:{}",
            self.role.as_str(),
            self.started_ms,
            self.instance,
            self.txn.as_deref().unwrap_or("-")
        );
        match base {
            Some(base) if !base.is_empty() => format!("{base} {tag}"),
            _ => tag,
        }
    }

    /// The tag in a member's client id, if it is one of ours.
    #[must_use]
    pub fn parse(client_id: &str) -> Option<Self> {
        let (_, tag) = client_id.rsplit_once(MARK)?;
        let mut parts = tag.split(':');
        let role = match parts.next()? {
            "ask" => Role::Ask,
            "bulk" => Role::Bulk,
            "alone" => Role::Alone,
            _ => return None,
        };
        let started_ms = parts.next()?.parse().ok()?;
        let instance = parts.next()?.to_owned();
        let txn = match parts.next()? {
            "-" => None,
            fingerprint => Some(fingerprint.to_owned()),
        };
        Some(Self {
            role,
            started_ms,
            instance,
            txn,
        })
    }

    /// Whether `self` started before `other` (ties broken by the instance id).
    fn before(&self, other: &Self) -> bool {
        (self.started_ms, &self.instance) < (other.started_ms, &other.instance)
    }
}

fn short_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// A short, stable fingerprint of a transactional id.
fn fingerprint(id: &str) -> String {
    // FNV-1a: stable across processes and builds, unlike the std hasher's seed.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// A member of the group, as its description shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub client_id: String,
    pub host: String,
    pub tag: Option<MemberTag>,
}

impl Member {
    fn describe(&self) -> String {
        let host = self.host.trim_start_matches('/');
        match &self.tag {
            Some(tag) => {
                let started = chrono::DateTime::from_timestamp_millis(tag.started_ms).map_or_else(
                    || tag.started_ms.to_string(),
                    |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                );
                let what = match tag.role {
                    Role::Ask => "kafka-merge-purge ask",
                    Role::Bulk => "kafka-merge-purge merge-all/purge-all",
                    Role::Alone => {
                        "kafka-merge-purge merge-all/purge-all reading every partition itself"
                    }
                };
                format!("{what} on host {host}, joined at {started}")
            }
            None => format!(
                "a consumer that is not kafka-merge-purge (client id {:?}) on host {host}",
                self.client_id
            ),
        }
    }
}

/// Why `me` must not use `group`, given its other members; `None` when it may. Only
/// members that joined before `me` count (a later one refuses itself), except members that
/// are not ours, which always do.
#[must_use]
pub fn refusal(group: &str, me: &MemberTag, members: &[Member]) -> Option<String> {
    for member in members {
        let Some(tag) = &member.tag else {
            return Some(format!(
                "group {group} is in use by {}: kafka-merge-purge shares a group only with its own instances; use another group (-g)",
                member.describe()
            ));
        };
        if tag.instance == me.instance || !tag.before(me) {
            continue;
        }
        let refused = match (me.role, tag.role) {
            (Role::Ask, _) => Some(
                "ask keeps a group to itself, so that one person decides its records in order; wait until it ends, or use another group (-g)",
            ),
            (Role::Alone, _) => Some(
                "with --limit, --dedupe, --from-beginning or --partition a run reads every partition itself and shares its group with nobody; wait until the group's members end, or use another group (-g)",
            ),
            (Role::Bulk, Role::Ask) => Some(
                "a person is deciding its records with ask; wait until that ends, or use another group (-g)",
            ),
            (Role::Bulk, Role::Alone) => Some(
                "that run reads every partition itself; wait until it ends, or use another group (-g)",
            ),
            (Role::Bulk, Role::Bulk) if me.txn.is_some() && tag.txn == me.txn => Some(
                "that instance uses the same transactional id (-t=ID): each instance needs its own, or give -t alone to have one made per instance",
            ),
            (Role::Bulk, Role::Bulk) => None,
        };
        if let Some(advice) = refused {
            return Some(format!(
                "group {group} is in use by {}: {advice}",
                member.describe()
            ));
        }
    }
    None
}

/// The instances of `me`'s job among `members`: the other bulk members, by instance id.
#[must_use]
pub fn job_instances(me: &MemberTag, members: &[Member]) -> BTreeSet<String> {
    members
        .iter()
        .filter_map(|member| member.tag.as_ref())
        .filter(|tag| tag.role == Role::Bulk && tag.instance != me.instance)
        .map(|tag| tag.instance.clone())
        .collect()
}

/// The members of `group`, from its description, through `consumer`.
///
/// # Errors
/// When the group cannot be described within `timeout`.
pub(super) fn members(
    consumer: &BaseConsumer<Context>,
    group: &str,
    timeout: Duration,
) -> anyhow::Result<Vec<Member>> {
    let list = consumer
        .fetch_group_list(Some(group), timeout)
        .with_context(|| format!("cannot describe consumer group {group}"))?;
    Ok(list
        .groups()
        .iter()
        .filter(|info| info.name() == group)
        .flat_map(rdkafka::groups::GroupInfo::members)
        .map(|member| Member {
            client_id: member.client_id().to_owned(),
            host: member.client_host().to_owned(),
            tag: MemberTag::parse(member.client_id()),
        })
        .collect())
}

/// Describes the group of `settings` before this instance joins it: refuses when `me` may
/// not use it; else says whether bulk instances are at work in it already (a job to join).
///
/// # Errors
/// The refusal, or the group cannot be described.
pub fn before_joining(settings: &Settings, me: &MemberTag) -> anyhow::Result<bool> {
    let Some(group) = settings.group.as_deref() else {
        return Ok(false);
    };
    let consumer: BaseConsumer<Context> = consumer_config(settings)
        .create_with_context(Context::for_client(&settings.consumer))
        .context("cannot create the Kafka consumer")?;
    // The cluster answers first (an authentication or TLS failure ends this at once, as it
    // does for the source).
    let serve = || {
        if let Some(Err(error)) = consumer.poll(Duration::ZERO) {
            tracing::debug!(%error, "while waiting for metadata");
        }
    };
    fetch_metadata(
        consumer.client(),
        consumer.context(),
        None,
        settings.timeout,
        &serve,
    )
    .map_err(|error| match error {
        MetadataError::Security(message) => anyhow::anyhow!(message),
        MetadataError::Kafka(error) => anyhow::anyhow!(
            "cannot reach the Kafka cluster at {} within {} s: {error}{}",
            settings.bootstrap_servers,
            settings.timeout.as_secs(),
            consumer.context().reason()
        ),
    })?;
    let members = members(&consumer, group, settings.timeout)?;
    match refusal(group, me, &members) {
        Some(refusal) => anyhow::bail!(refusal),
        None => Ok(members.iter().any(|member| {
            member
                .tag
                .as_ref()
                .is_some_and(|tag| tag.role == Role::Bulk)
        })),
    }
}

/// `ask`'s place in its group: a member subscribed to the source topic that never reads
/// (its partitions stay paused) but holds the group, so that others see it, and commits
/// `ask`'s offsets with its membership. Polled by a thread of its own until dropped.
pub struct Presence {
    consumer: Arc<BaseConsumer<Context>>,
    stop: Arc<AtomicBool>,
    poller: Option<JoinHandle<()>>,
}

impl Presence {
    /// Joins the group of `settings` on `topic` as `me`, waits until the group has taken it
    /// in, then checks nobody who came first was missed.
    ///
    /// # Errors
    /// Cannot join within the timeout, or the group is in use ([`refusal`]).
    pub fn join(settings: &Settings, topic: &str, me: &MemberTag) -> anyhow::Result<Self> {
        let group = settings.group.as_deref().unwrap_or_default();
        let consumer: BaseConsumer<Context> = member_config(settings, me)
            .create_with_context(Context::for_client(&settings.consumer))
            .context("cannot create the Kafka consumer")?;
        consumer
            .subscribe(&[topic])
            .with_context(|| format!("cannot join consumer group {group}"))?;
        let consumer = Arc::new(consumer);
        let started = Instant::now();
        while consumer.assignment().map_or(0, |list| list.count()) == 0 {
            if let Some(Err(error)) = consumer.poll(Duration::from_millis(100)) {
                tracing::debug!(%error, "while joining the group");
            }
            if started.elapsed() >= settings.timeout {
                anyhow::bail!(
                    "cannot join consumer group {group} within {} s{}",
                    settings.timeout.as_secs(),
                    consumer.context().reason()
                );
            }
        }
        let members = members(&consumer, group, settings.timeout)?;
        if let Some(refusal) = refusal(group, me, &members) {
            anyhow::bail!(refusal);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let consumer = Arc::clone(&consumer);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("group-presence".to_owned())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if let Some(Err(error)) = consumer.poll(Duration::from_millis(200)) {
                            tracing::debug!(%error, "group presence");
                        }
                    }
                })
                .context("cannot start the group presence thread")?
        };
        Ok(Self {
            consumer,
            stop,
            poller: Some(poller),
        })
    }

    /// The member's consumer, which commits with the member's id and generation.
    pub(super) fn consumer(&self) -> &Arc<BaseConsumer<Context>> {
        &self.consumer
    }
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(poller) = self.poller.take() {
            let _joined = poller.join();
        }
        // Leaves the group at once rather than after the session timeout.
        self.consumer.unsubscribe();
    }
}

/// The consumer configuration of a member: the reader's, with the tag in its client id,
/// cooperative assignment (a member joining or leaving moves only the partitions that must
/// move) and a session short enough that a killed instance's partitions move on within
/// seconds (unless the properties say otherwise).
pub(super) fn member_config(settings: &Settings, me: &MemberTag) -> rdkafka::ClientConfig {
    let mut config = consumer_config(settings);
    let base = settings.consumer.get("client.id").map(String::as_str);
    config.set("client.id", me.client_id(base));
    config.set("partition.assignment.strategy", "cooperative-sticky");
    for (key, value) in [
        ("session.timeout.ms", SESSION_TIMEOUT_MS),
        ("heartbeat.interval.ms", HEARTBEAT_INTERVAL_MS),
    ] {
        if !settings.consumer.contains_key(key) {
            config.set(key, value);
        }
    }
    config
}

/// A member that stops heartbeating (killed, paused) is out of the group after this long, and
/// its partitions move to the others: the smallest a broker accepts by default
/// (`group.min.session.timeout.ms`).
pub const SESSION_TIMEOUT_MS: &str = "6000";
const HEARTBEAT_INTERVAL_MS: &str = "1500";

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(role: Role, started_ms: i64, instance: &str, txn: Option<&str>) -> MemberTag {
        MemberTag {
            role,
            started_ms,
            instance: instance.to_owned(),
            txn: txn.map(fingerprint),
        }
    }

    fn member(tag: &MemberTag) -> Member {
        Member {
            client_id: tag.client_id(Some("app")),
            host: "/10.0.0.7".to_owned(),
            tag: Some(tag.clone()),
        }
    }

    #[test]
    fn the_jobs_instances_are_the_other_bulk_members() {
        let me = tag(Role::Bulk, 10, "me", None);
        let members = [
            member(&me),
            member(&tag(Role::Bulk, 5, "b1", None)),
            member(&tag(Role::Bulk, 20, "b2", None)),
            member(&tag(Role::Ask, 1, "a1", None)),
            Member {
                client_id: "someone else".to_owned(),
                host: "/10.0.0.8".to_owned(),
                tag: None,
            },
        ];
        assert_eq!(
            job_instances(&me, &members),
            BTreeSet::from(["b1".to_owned(), "b2".to_owned()])
        );
    }

    #[test]
    fn a_tag_survives_its_client_id() {
        for tag in [
            tag(Role::Ask, 1_764_700_000_123, "a1", None),
            tag(Role::Bulk, 5, "b2", Some("my-id")),
        ] {
            assert_eq!(
                MemberTag::parse(&tag.client_id(Some("team client"))),
                Some(tag.clone())
            );
            assert_eq!(MemberTag::parse(&tag.client_id(None)), Some(tag));
        }
        assert_eq!(MemberTag::parse("rdkafka"), None);
        assert_eq!(MemberTag::parse("kafka-merge-purge:other:1:a:-"), None);
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert_eq!(fingerprint("same"), fingerprint("same"));
    }

    #[test]
    fn ask_keeps_a_group_to_itself() {
        let first_ask = tag(Role::Ask, 100, "a", None);
        let bulk = tag(Role::Bulk, 100, "b", None);
        let second_ask = tag(Role::Ask, 200, "c", None);
        let later_bulk = tag(Role::Bulk, 300, "d", None);
        let asking = [member(&first_ask)];
        let refused = refusal("g", &second_ask, &asking).unwrap();
        assert!(refused.contains("group g is in use by kafka-merge-purge ask on host 10.0.0.7, joined at 1970-01-01 00:00:00 UTC"), "{refused}");
        assert!(
            refusal("g", &later_bulk, &asking)
                .unwrap()
                .contains("a person is deciding")
        );
        // An ask that comes to a group of bulk members is refused; they are not.
        let bulk_running = [member(&bulk)];
        assert!(
            refusal("g", &second_ask, &bulk_running)
                .unwrap()
                .contains("merge-all/purge-all")
        );
        assert_eq!(refusal("g", &bulk, &[member(&second_ask)]), None);
        // Whoever came first stays: seen from the first ask, the later ones do not count.
        let both = [member(&first_ask), member(&second_ask), member(&later_bulk)];
        assert_eq!(refusal("g", &first_ask, &both), None);
        // Same start time: the instance id decides, the same way for both.
        assert!(refusal("g", &tag(Role::Ask, 100, "z", None), &[member(&first_ask)]).is_some());
        assert_eq!(
            refusal("g", &first_ask, &[member(&tag(Role::Ask, 100, "z", None))]),
            None
        );
    }

    #[test]
    fn bulk_members_share_a_group_unless_they_share_an_explicit_id() {
        let first = tag(Role::Bulk, 1, "a", None);
        let second = tag(Role::Bulk, 2, "b", None);
        assert_eq!(refusal("g", &second, &[member(&first)]), None);
        let named = tag(Role::Bulk, 1, "a", Some("id-1"));
        let same = tag(Role::Bulk, 2, "b", Some("id-1"));
        let other = tag(Role::Bulk, 2, "c", Some("id-2"));
        assert!(
            refusal("g", &same, &[member(&named)])
                .unwrap()
                .contains("same transactional id")
        );
        assert_eq!(refusal("g", &other, &[member(&named)]), None);
        let foreign = Member {
            client_id: "orders-service".to_owned(),
            host: "/10.1.1.1".to_owned(),
            tag: None,
        };
        assert!(
            refusal("g", &second, &[foreign])
                .unwrap()
                .contains("not kafka-merge-purge (client id \"orders-service\") on host 10.1.1.1")
        );
    }
}
