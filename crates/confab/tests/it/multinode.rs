//! Several `confab serve` processes on one PostgreSQL database and one blob bucket, as
//! behind a load balancer: ids, tokens and pagination work across nodes, and the shared
//! job queue and webhook outbox lose nothing and do nothing twice. Needs PostgreSQL, so it
//! is ignored by a plain `cargo test`; `scripts/test` runs it on its cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use confab_store::{JobState, PageRequest, Store};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::Value;

use crate::backend;
use crate::harness::process::{Serve, create_user, serve_with};
use crate::harness::{Receiver, SseStream, call};

const NODES: usize = 3;
const CONTACTS: usize = 6;
const SENDS: usize = 60;
const INBOUND: usize = 60;

/// The nodes of one deployment and the user's token.
struct Cluster {
    nodes: Vec<Serve>,
    token: String,
    http: reqwest::Client,
    store: std::sync::Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// `NODES` sandbox servers, each with a data dir of its own, all on the database and
    /// blob storage of the first.
    async fn start() -> Self {
        assert!(
            backend::postgres_admin_url().is_some(),
            "the multi-node test needs CONFAB_TEST_DATABASE_URL; run it with scripts/test"
        );
        let dir = tempfile::tempdir().expect("dir");
        let first = dir.path().join("node0");
        let shared = backend::env_for(&first).await;
        let token = create_user(&first, "alice").await;
        let mut nodes = Vec::new();
        for i in 0..NODES {
            let data = dir.path().join(format!("node{i}"));
            let flags = [
                "--sandbox",
                "--allow-private-urls",
                "--sandbox-latency",
                "5ms",
                "--delivery-concurrency",
                "4",
            ];
            nodes.push(serve_with(&data, shared.clone(), &flags).await);
        }
        let location = backend::location_for(&first).await;
        let store = confab_store::open(location.database_url.as_deref(), &first, 2)
            .await
            .expect("open the shared store");
        Self {
            nodes,
            token,
            http: reqwest::Client::new(),
            store,
            _dir: dir,
        }
    }

    /// A request to node `i` (round robin over the nodes).
    fn req(&self, i: usize, method: Method, path: &str) -> reqwest::RequestBuilder {
        let base = &self.nodes[i % NODES].base;
        self.http
            .request(method, format!("{base}{path}"))
            .header("X-Private-Api-Token", &self.token)
    }

    async fn form(&self, i: usize, method: Method, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = call(self.req(i, method, path).form(form)).await;
        assert_eq!(status, 200, "node {}: {path}: {body}", i % NODES);
        body
    }

    /// Waits (bounded) until no job is pending, every reply in `conversations` has its
    /// device receipt (a receipt comes after its job ends and announces an event of its
    /// own) and the outbox is drained, twice in a row a poll apart.
    async fn settle(&self, company: i64, conversations: &[i64]) {
        let mut settled_once = false;
        for _ in 0..1500 {
            if self.is_settled(company, conversations).await {
                if settled_once {
                    return;
                }
                settled_once = true;
            } else {
                settled_once = false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the nodes did not finish the queued work");
    }

    async fn is_settled(&self, company: i64, conversations: &[i64]) -> bool {
        let stats = self.store.queue_stats(0).await.expect("queue stats");
        if stats.jobs_pending != 0 || stats.webhook_events_pending != 0 {
            return false;
        }
        for conversation in conversations {
            let messages = crate::harness::store_messages(&*self.store, company, *conversation)
                .await
                .expect("messages");
            if !messages
                .iter()
                .all(|m| m.income || m.ack >= confab_store::Ack::Delivered)
            {
                return false;
            }
        }
        // The receipts' events may have been written after the stats were read.
        let stats = self.store.queue_stats(0).await.expect("queue stats");
        stats.jobs_pending == 0 && stats.webhook_events_pending == 0
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.child.start_kill().ok();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/test runs it on its cluster"]
async fn three_nodes_share_the_work_without_losing_or_repeating_any() {
    let cluster = Cluster::start().await;
    let rx = Receiver::start().await;
    let company = cluster
        .form(
            0,
            Method::POST,
            "/p1/companies",
            &[("name", "Acme"), ("webhook_url", &rx.url)],
        )
        .await["data"]["external_id"]
        .as_i64()
        .expect("company id");
    let channel = cluster
        .form(
            1,
            Method::POST,
            &format!("/p1/companies/{company}/channels"),
            &[("provider", "whatsapp")],
        )
        .await["data"]["external_id"]
        .as_i64()
        .expect("channel id");
    let inbound_path = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");

    // Every contact writes first to all nodes at once: each must end up with exactly one
    // conversation, whichever node created it.
    let senders: Vec<String> = (0..CONTACTS).map(|c| format!("7900000000{c}")).collect();
    let cluster = &cluster;
    let firsts = (0..CONTACTS * NODES).map(|i| {
        let sender = senders[i / NODES].clone();
        let path = inbound_path.clone();
        async move {
            cluster
                .form(
                    i,
                    Method::POST,
                    &path,
                    &[("sender_external_id", &sender), ("message", "hello")],
                )
                .await
        }
    });
    let mut conversation_of: BTreeMap<String, i64> = BTreeMap::new();
    for (i, body) in join_all(firsts).await.into_iter().enumerate() {
        let id = body["data"]["conversation_id"].as_i64().expect("id");
        let known = *conversation_of
            .entry(senders[i / NODES].clone())
            .or_insert(id);
        assert_eq!(known, id, "one contact, one conversation");
    }
    let conversations: Vec<i64> = conversation_of.values().copied().collect();
    assert_eq!(
        conversations.iter().collect::<BTreeSet<_>>().len(),
        CONTACTS
    );

    // A load of sends and inbound messages spread over the nodes, all at once.
    let sends = (0..SENDS).map(|i| {
        let conversation = conversations[i % CONTACTS];
        let path = format!("/p1/companies/{company}/conversations/{conversation}/messages");
        let text = format!("out {i}");
        async move {
            cluster
                .form(i, Method::POST, &path, &[("message", &text)])
                .await["data"]["id"]
                .as_i64()
                .expect("job id")
        }
    });
    let inbound = (0..INBOUND).map(|i| {
        let sender = senders[i % CONTACTS].clone();
        let text = format!("in {i}");
        let path = inbound_path.clone();
        async move {
            cluster
                .form(
                    i + 1,
                    Method::POST,
                    &path,
                    &[("sender_external_id", &sender), ("message", &text)],
                )
                .await["data"]["message_id"]
                .as_i64()
                .expect("message id")
        }
    });
    let (jobs, received) = tokio::join!(join_all(sends), join_all(inbound));
    assert_eq!(jobs.iter().collect::<BTreeSet<_>>().len(), SENDS, "job ids");
    assert_eq!(
        received.iter().collect::<BTreeSet<_>>().len(),
        INBOUND,
        "message ids"
    );
    cluster.settle(company, &conversations).await;

    // Every job ran, and was claimed by exactly one node exactly once.
    for (i, job) in jobs.iter().enumerate() {
        let conversation = conversations[i % CONTACTS];
        let stored = cluster
            .store
            .get_job(company, channel, *job)
            .await
            .expect("read job")
            .expect("job");
        assert_eq!(stored.conversation_id, conversation);
        assert_ne!(stored.state, JobState::TryingDeliver, "job {job} never ran");
        assert_eq!(stored.attempts, 1, "job {job} was claimed more than once");
    }
    // Every message is stored once, in the conversation it was sent to.
    let mut total = 0;
    for conversation in &conversations {
        let messages = crate::harness::store_messages(&*cluster.store, company, *conversation)
            .await
            .expect("messages");
        let ids: BTreeSet<i64> = messages.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), messages.len(), "a message id repeats");
        total += messages.len();
    }
    assert_eq!(total, CONTACTS * NODES + SENDS + INBOUND);

    // Every recorded event reached the receiver once per recorded attempt, in the order
    // the company's events happened.
    let mut events = Vec::new();
    let mut after = None;
    loop {
        let page = cluster
            .store
            .list_webhook_events(
                company,
                PageRequest {
                    after,
                    descending: false,
                    limit: 100,
                },
            )
            .await
            .expect("events");
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        events.extend(page);
    }
    assert!(
        events.len() > SENDS + INBOUND,
        "{} events recorded",
        events.len()
    );
    let arrivals: Vec<String> = rx
        .received()
        .iter()
        .filter(|r| r.json.get("source").is_none())
        .map(|r| {
            r.headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .expect("webhook-id")
                .to_owned()
        })
        .collect();
    let mut seen: BTreeMap<&str, i64> = BTreeMap::new();
    for id in &arrivals {
        *seen.entry(id).or_default() += 1;
    }
    for event in &events {
        assert_eq!(event.state, "delivered", "event {}", event.id);
        let id = format!("evt_{}", event.id);
        assert_eq!(
            seen.remove(id.as_str()).unwrap_or(0),
            event.attempts,
            "{id} ({}) arrived a different number of times than it was attempted",
            event.label
        );
    }
    assert!(seen.is_empty(), "deliveries of unrecorded events: {seen:?}");
    let order: Vec<i64> = arrivals
        .iter()
        .filter_map(|id| id.strip_prefix("evt_")?.parse().ok())
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "events arrived out of order: {order:?}"
    );

    // A page token from one node pages on the others.
    let list = format!("/p1/companies/{company}/conversations");
    let mut listed = Vec::new();
    let mut next: Option<String> = None;
    for i in 0.. {
        let mut form = vec![("per", "2".to_owned())];
        if let Some(token) = &next {
            form.push(("from", token.clone()));
        }
        let (status, body) = call(cluster.req(i, Method::GET, &list).query(&form)).await;
        assert_eq!(status, 200, "node {}: {body}", i % NODES);
        for c in body["data"]["conversations"].as_array().expect("list") {
            listed.push(c["external_id"].as_i64().expect("id"));
        }
        match body["data"]["next_page"].as_str() {
            Some(token) if !token.is_empty() => next = Some(token.to_owned()),
            _ => break,
        }
    }
    listed.sort_unstable();
    let mut want = conversations.clone();
    want.sort_unstable();
    assert_eq!(listed, want, "paging across nodes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/test runs it on its cluster"]
async fn a_stream_on_one_node_sees_writes_made_through_the_others() {
    let cluster = Cluster::start().await;
    // No webhook URL: the stream reads the log, which records events regardless.
    let company = cluster
        .form(0, Method::POST, "/p1/companies", &[("name", "Acme")])
        .await["data"]["external_id"]
        .as_i64()
        .expect("company id");
    let channel = cluster
        .form(
            1,
            Method::POST,
            &format!("/p1/companies/{company}/channels"),
            &[("provider", "whatsapp")],
        )
        .await["data"]["external_id"]
        .as_i64()
        .expect("channel id");
    let mut stream = SseStream::open(
        cluster
            .req(0, Method::GET, &format!("/p1/companies/{company}/events"))
            .header("Accept", "text/event-stream"),
    )
    .await
    .expect("the stream opens on node 0");
    let retry = stream
        .next_event(Duration::from_secs(5))
        .await
        .expect("retry");
    assert_eq!(retry.retry.as_deref(), Some("3000"), "{retry:?}");
    let ready = stream
        .next_event(Duration::from_secs(5))
        .await
        .expect("ready");
    assert_eq!(ready.event.as_deref(), Some("ready"), "{ready:?}");

    // Node 0 writes nothing: only the other nodes' notifications can wake its stream, and
    // nothing else would before the 15 s keep-alive.
    let inbound = format!("/p1/companies/{company}/channels/{channel}/sandbox/inbound");
    let mut last = ready.id_num();
    for n in 0..6 {
        let text = format!("through node {}: {n}", 1 + n % 2);
        cluster
            .form(
                1 + n % 2,
                Method::POST,
                &inbound,
                &[("sender_external_id", "79000000001"), ("message", &text)],
            )
            .await;
        let message = loop {
            let frame = stream
                .next_event(Duration::from_secs(5))
                .await
                .unwrap_or_else(|| panic!("node 0's stream did not see message {n}"));
            assert!(frame.id_num() > last, "ids only grow: {frame:?}");
            last = frame.id_num();
            if frame.event.as_deref() == Some("message.new") {
                break frame;
            }
            assert_eq!(
                frame.event.as_deref(),
                Some("conversation.new"),
                "{frame:?}"
            );
        };
        assert_eq!(message.json()["data"]["message"], text.as_str());
    }
}
