//! The sandbox and channel state: `set_contact_reachable` (per channel and contact, shown
//! to the delivery worker as `Claimed::contact_unreachable`) and `set_channel_state`
//! (stored on live channels only; its system event is checked in `webhooks`).

use confab_store::{Channel, Outcome};

use crate::backend::Backend;
use crate::fixtures::{
    ChannelState, T0, everything, inbound, new_channel, outbound, state_enabled,
    state_phone_offline, state_unavailable, telegram, tenant, whatsapp,
};

contract!(
    unreachable_contacts_are_flagged_in_claims,
    channel_state_is_stored_on_live_channels,
);

async fn unreachable_contacts_are_flagged_in_claims(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let tg = s
        .create_channel(t.company.id, new_channel(telegram()), T0)
        .await
        .expect("create");
    let c500 = inbound(s, &t, "500", "hi", T0).await.conversation.id;
    let c501 = inbound(s, &t, "501", "hi", T0).await.conversation.id;
    s.set_contact_reachable(t.channel.id, "500".to_owned(), false)
        .await
        .expect("unreachable");
    // The same contact id on another channel is another contact.
    s.set_contact_reachable(tg.id, "501".to_owned(), false)
        .await
        .expect("unreachable");
    // A channel that does not exist: accepted, and affects nobody.
    s.set_contact_reachable(999, "500".to_owned(), true)
        .await
        .expect("unknown channel");
    let j500 = outbound(s, &t, c500, "to 500", T0 + 1).await.id;
    let j501 = outbound(s, &t, c501, "to 501", T0 + 1).await.id;

    let flags = |now, lease| async move {
        let mut claimed = s.claim_jobs(now, lease, 10).await.expect("claim");
        claimed.sort_by_key(|c| c.job.id);
        claimed
            .iter()
            .map(|c| (c.job.id, c.contact_unreachable))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        flags(T0 + 2, T0 + 1000).await,
        [(j500, true), (j501, false)]
    );

    // Reachable again (and set twice: the second setting replaces the first).
    for job in [j500, j501] {
        s.finish_job(
            job,
            T0 + 1000,
            Outcome::Retry {
                reason: "unreachable".to_owned(),
                at_ms: T0 + 10,
            },
            T0 + 3,
        )
        .await
        .expect("retry")
        .expect("the lease is held");
    }
    s.set_contact_reachable(t.channel.id, "500".to_owned(), false)
        .await
        .expect("unreachable again");
    s.set_contact_reachable(t.channel.id, "500".to_owned(), true)
        .await
        .expect("reachable");
    assert_eq!(
        flags(T0 + 10, T0 + 2000).await,
        [(j500, false), (j501, false)]
    );
}

async fn channel_state_is_stored_on_live_channels(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    assert_eq!(a.channel.state, state_enabled());
    let set = |company_id, channel_id, state: fn() -> ChannelState| async move {
        s.set_channel_state(
            company_id,
            channel_id,
            "phone_offline".to_owned(),
            state(),
            T0 + 5,
        )
        .await
        .expect("set state")
    };
    assert!(set(a.company.id, a.channel.id, state_phone_offline).await);
    let offline = Channel {
        state: state_phone_offline(),
        ..a.channel.clone()
    };
    assert_eq!(
        s.get_channel(a.company.id, a.channel.id)
            .await
            .expect("get"),
        Some(offline.clone())
    );
    assert_eq!(
        s.channel_by_provider(a.company.id, whatsapp())
            .await
            .expect("by provider"),
        Some(offline.clone())
    );
    assert_eq!(
        s.list_channels(a.company.id, everything())
            .await
            .expect("list"),
        vec![offline.clone()]
    );
    // The worker sees it in the claim.
    let c = inbound(s, &a, "100", "hi", T0).await.conversation.id;
    let job = outbound(s, &a, c, "hello", T0 + 6).await;
    let claimed = s.claim_jobs(T0 + 7, T0 + 1000, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].channel, (offline.clone(), false));

    // Setting the same state again is still a success.
    assert!(set(a.company.id, a.channel.id, state_phone_offline).await);
    assert!(set(a.company.id, a.channel.id, state_enabled).await);
    assert_eq!(
        s.get_channel(a.company.id, a.channel.id)
            .await
            .expect("get")
            .map(|ch| ch.state),
        Some(state_enabled())
    );
    // No such channel; another company's channel (untouched).
    assert!(!set(a.company.id, 999, state_unavailable).await);
    assert!(!set(a.company.id, b.channel.id, state_unavailable).await);
    assert_eq!(
        s.get_channel(b.company.id, b.channel.id)
            .await
            .expect("get"),
        Some(b.channel.clone())
    );
    // A deleted channel keeps the state it had.
    assert!(
        s.delete_channel(a.company.id, a.channel.id, T0 + 8)
            .await
            .expect("delete")
    );
    assert!(!set(a.company.id, a.channel.id, state_unavailable).await);
    s.finish_job(
        job.id,
        T0 + 1000,
        Outcome::Retry {
            reason: "offline".to_owned(),
            at_ms: T0 + 9,
        },
        T0 + 8,
    )
    .await
    .expect("retry")
    .expect("the lease is held");
    let claimed = s.claim_jobs(T0 + 9, T0 + 2000, 10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].channel,
        (
            Channel {
                state: state_enabled(),
                ..a.channel.clone()
            },
            true
        )
    );
}
