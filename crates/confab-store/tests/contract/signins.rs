//! Channel sign-ins: `signin` (the default for a channel that never started one),
//! `save_signin` (replaces it, optionally setting the channel's state silently),
//! `count_signin_attempt` (atomic, only while a sign-in is under way) and
//! `complete_signin` (ends it keeping the password, enables the channel and announces
//! `authorized` in one transaction). Each is scoped to the company's live channels.

use confab_store::{ChannelState, Event, EventQuery, SignIn, SignInStep};

use crate::backend::Backend;
use crate::fixtures::{T0, state_enabled, tenant};

contract!(
    a_channel_without_a_signin_has_the_default,
    a_saved_signin_reads_back_and_sets_the_state_silently,
    attempts_count_atomically_while_a_signin_is_under_way,
    completing_enables_the_channel_and_announces_authorized,
    signins_are_scoped_to_the_companys_live_channels,
);

fn awaiting_code() -> SignIn {
    SignIn {
        step: SignInStep::Code,
        code: Some("sealed-code".to_owned()),
        code_expires_at_ms: Some(T0 + 300_000),
        attempts: 0,
        password: Some("sealed-password".to_owned()),
    }
}

async fn events(s: &Backend, company_id: i64) -> Vec<Event> {
    let _ = s.sequence_events().await.expect("sequence");
    let q = EventQuery {
        after: Some(0),
        limit: 100,
        ..EventQuery::default()
    };
    s.read_events(company_id, q)
        .await
        .expect("read events")
        .events
        .into_iter()
        .map(|e| e.event)
        .collect()
}

async fn a_channel_without_a_signin_has_the_default(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let got = s.signin(t.company.id, t.channel.id).await.expect("signin");
    assert_eq!(got, Some(SignIn::default()));
}

async fn a_saved_signin_reads_back_and_sets_the_state_silently(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let pending = ChannelState::PendingAuthorization;
    assert!(
        s.save_signin(
            t.company.id,
            t.channel.id,
            awaiting_code(),
            Some(pending),
            T0
        )
        .await
        .expect("save")
    );
    let got = s.signin(t.company.id, t.channel.id).await.expect("signin");
    assert_eq!(got, Some(awaiting_code()));
    let channel = s
        .get_channel(t.company.id, t.channel.id)
        .await
        .expect("get")
        .expect("live");
    assert_eq!(channel.state, pending);
    assert!(
        events(s, t.company.id).await.is_empty(),
        "a sign-in beginning is silent"
    );

    // Saving again replaces it; without a state the channel's stays.
    let mut next = awaiting_code();
    next.step = SignInStep::Password;
    next.code = None;
    next.code_expires_at_ms = None;
    assert!(
        s.save_signin(t.company.id, t.channel.id, next.clone(), None, T0 + 1)
            .await
            .expect("save")
    );
    assert_eq!(
        s.signin(t.company.id, t.channel.id).await.expect("signin"),
        Some(next)
    );
    let channel = s
        .get_channel(t.company.id, t.channel.id)
        .await
        .expect("get")
        .expect("live");
    assert_eq!(channel.state, pending);
}

async fn attempts_count_atomically_while_a_signin_is_under_way(s: &Backend) {
    let t = tenant(s, 1, false).await;
    // Nothing under way: nothing to count.
    assert_eq!(
        s.count_signin_attempt(t.company.id, t.channel.id, T0)
            .await
            .expect("count"),
        None
    );
    s.save_signin(t.company.id, t.channel.id, awaiting_code(), None, T0)
        .await
        .expect("save");
    let guesses = (0..6).map(|i| s.count_signin_attempt(t.company.id, t.channel.id, T0 + i));
    let mut counts: Vec<u32> = futures_util::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.expect("count").expect("under way"))
        .collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        [1, 2, 3, 4, 5, 6],
        "every concurrent guess counts once"
    );
    let got = s
        .signin(t.company.id, t.channel.id)
        .await
        .expect("signin")
        .expect("channel");
    assert_eq!(got.attempts, 6);
}

async fn completing_enables_the_channel_and_announces_authorized(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let mut under_way = awaiting_code();
    under_way.attempts = 3;
    s.save_signin(
        t.company.id,
        t.channel.id,
        under_way,
        Some(ChannelState::PendingAuthorization),
        T0,
    )
    .await
    .expect("save");
    assert!(
        s.complete_signin(t.company.id, t.channel.id, T0 + 5)
            .await
            .expect("complete")
    );
    let got = s
        .signin(t.company.id, t.channel.id)
        .await
        .expect("signin")
        .expect("channel");
    assert_eq!(
        got,
        SignIn {
            step: SignInStep::Idle,
            code: None,
            code_expires_at_ms: None,
            attempts: 0,
            password: Some("sealed-password".to_owned()),
        },
        "the code goes, the account's password stays"
    );
    let channel = s
        .get_channel(t.company.id, t.channel.id)
        .await
        .expect("get")
        .expect("live");
    assert_eq!(channel.state, state_enabled());
    let announced = events(s, t.company.id).await;
    assert_eq!(
        announced,
        [Event::System {
            channel_id: t.channel.id,
            event: "authorized".to_owned(),
            at_ms: T0 + 5,
        }]
    );
}

async fn signins_are_scoped_to_the_companys_live_channels(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    // Another company's channel is no channel.
    assert_eq!(
        s.signin(b.company.id, a.channel.id).await.expect("signin"),
        None
    );
    assert!(
        !s.save_signin(b.company.id, a.channel.id, awaiting_code(), None, T0)
            .await
            .expect("save")
    );
    assert!(
        !s.complete_signin(b.company.id, a.channel.id, T0)
            .await
            .expect("complete")
    );
    assert_eq!(
        s.signin(a.company.id, a.channel.id).await.expect("signin"),
        Some(SignIn::default()),
        "nothing of a's changed"
    );
    // A deleted channel is no channel either.
    s.save_signin(a.company.id, a.channel.id, awaiting_code(), None, T0)
        .await
        .expect("save");
    assert!(
        s.delete_channel(a.company.id, a.channel.id, T0 + 1)
            .await
            .expect("delete")
    );
    assert_eq!(
        s.signin(a.company.id, a.channel.id).await.expect("signin"),
        None
    );
    assert_eq!(
        s.count_signin_attempt(a.company.id, a.channel.id, T0 + 2)
            .await
            .expect("count"),
        None
    );
    assert!(
        !s.complete_signin(a.company.id, a.channel.id, T0 + 2)
            .await
            .expect("complete")
    );
    assert!(events(s, a.company.id).await.is_empty());
}
