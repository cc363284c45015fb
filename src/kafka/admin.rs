//! Topic configuration look-ups (the cleanup policy, for the tombstone safety check).

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use futures::channel::oneshot;
use futures::future::{self, Either};
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;

use crate::config::Settings;

use super::client::client_config;

/// The `cleanup.policy` of a topic (`delete`, `compact` or `compact,delete`), asked for on a
/// thread of its own: the admin client takes a round trip to answer and about 100 ms to shut
/// down, which the run need not wait for. Dropping the look-up cancels a question still
/// unanswered (a run that fails early, say on a wrong password, must not wait for it to time
/// out) and waits for the thread.
pub struct PolicyLookup {
    answer: mpsc::Receiver<anyhow::Result<String>>,
    /// Dropped to cancel the question.
    cancel: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl PolicyLookup {
    /// Starts asking for the cleanup policy of `topic`.
    #[must_use]
    pub fn start(settings: &Settings, topic: &str) -> Self {
        let (sender, answer) = mpsc::channel();
        let (cancel, cancelled) = oneshot::channel::<()>();
        let config = client_config(&settings.consumer, &[]);
        let timeout = settings.timeout;
        let topic = topic.to_owned();
        let reply = sender.clone();
        let thread = std::thread::Builder::new()
            .name("cleanup-policy".into())
            .spawn(move || {
                match config.create::<AdminClient<DefaultClientContext>>() {
                    Ok(admin) => {
                        let question = Box::pin(describe(&admin, &topic, timeout));
                        // `Right`: cancelled, nobody waits for the answer any more.
                        if let Either::Left((answer, _)) =
                            futures::executor::block_on(future::select(question, cancelled))
                        {
                            let _ = reply.send(answer);
                        }
                        // The answer is out; the admin client shuts down after it.
                        drop(admin);
                    }
                    Err(error) => {
                        let _ = reply.send(Err(anyhow::Error::new(error)
                            .context("cannot create the Kafka admin client")));
                    }
                }
            });
        match thread {
            Ok(thread) => Self {
                answer,
                cancel: Some(cancel),
                thread: Some(thread),
            },
            Err(error) => {
                let _ = sender.send(Err(anyhow::anyhow!("cannot start the look-up: {error}")));
                Self {
                    answer,
                    cancel: None,
                    thread: None,
                }
            }
        }
    }

    /// The policy, once the cluster answered.
    ///
    /// # Errors
    /// When the cluster cannot be asked or refuses.
    pub fn wait(&self) -> anyhow::Result<String> {
        self.answer
            .recv()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the look-up ended without an answer")))
    }
}

impl Drop for PolicyLookup {
    fn drop(&mut self) {
        drop(self.cancel.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::debug!("the cleanup policy look-up panicked");
        }
    }
}

async fn describe(
    admin: &AdminClient<DefaultClientContext>,
    topic: &str,
    timeout: Duration,
) -> anyhow::Result<String> {
    let options = AdminOptions::new().request_timeout(Some(timeout));
    let results = admin
        .describe_configs([&ResourceSpecifier::Topic(topic)], &options)
        .await
        .with_context(|| format!("cannot describe topic {topic}"))?;
    let resource = results
        .into_iter()
        .next()
        .context("no answer for the topic configuration")?
        .map_err(|code| anyhow::anyhow!("cannot describe topic {topic}: {code}"))?;
    Ok(resource
        .get("cleanup.policy")
        .and_then(|entry| entry.value.clone())
        .unwrap_or_else(|| "delete".to_owned()))
}

/// Whether tombstones remove records under `policy`.
#[must_use]
pub fn compacts(policy: &str) -> bool {
    policy.split(',').any(|p| p.trim() == "compact")
}
