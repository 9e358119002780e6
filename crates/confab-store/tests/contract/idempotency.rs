//! Idempotency keys: `claim_idempotency_key` (new, in flight, reused, answered, written,
//! taken over after its lease), the mark a request's write leaves in its own transaction,
//! `answer_idempotency_key`, `release_idempotency_key` and `prune_idempotency_keys`.

use confab_store::idempotency::within;
use confab_store::{IdempotencyClaim, KeyClaim, NewIdempotencyKey, StoreError, StoredAnswer};

use crate::backend::Backend;
use crate::fixtures::{T0, inbound, messages_of, outbound, outgoing, tenant};

contract!(
    a_key_is_claimed_once_then_replayed_or_refused,
    a_write_marks_its_key_in_its_own_transaction,
    a_claim_taken_over_after_its_lease_writes_nothing,
    keys_of_different_users_are_independent,
    concurrent_claims_of_one_key_give_it_to_one,
    pruning_deletes_keys_older_than_the_cutoff,
);

fn claim(user_id: i64, key: &str, holder: &str) -> IdempotencyClaim {
    IdempotencyClaim {
        user_id,
        key: key.to_owned(),
        holder: holder.to_owned(),
    }
}

fn new_key(claim: &IdempotencyClaim, fingerprint: &str, lease_until: i64) -> NewIdempotencyKey {
    NewIdempotencyKey {
        claim: claim.clone(),
        fingerprint: fingerprint.to_owned(),
        lease_until,
    }
}

fn created() -> StoredAnswer {
    StoredAnswer {
        status: 201,
        content_type: Some("application/json".to_owned()),
        body: br#"{"status":"ok"}"#.to_vec(),
    }
}

async fn a_key_is_claimed_once_then_replayed_or_refused(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let first = claim(t.user.id, "k-1", "holder-a");
    let second = claim(t.user.id, "k-1", "holder-b");
    let claimed = s.claim_idempotency_key(new_key(&first, "fp", T0 + 60_000), T0);
    assert_eq!(claimed.await.expect("claim"), KeyClaim::Claimed);
    // While the first runs, the same request waits and another request is refused.
    let again = s.claim_idempotency_key(new_key(&second, "fp", T0 + 61_000), T0 + 1);
    assert_eq!(
        again.await.expect("claim"),
        KeyClaim::InFlight {
            lease_until: T0 + 60_000
        }
    );
    let other = s.claim_idempotency_key(new_key(&second, "other", T0 + 61_000), T0 + 1);
    assert_eq!(other.await.expect("claim"), KeyClaim::Reused);
    // Only the holder stores the answer, once.
    assert!(
        !s.answer_idempotency_key(second.clone(), created())
            .await
            .expect("answer")
    );
    assert!(
        s.answer_idempotency_key(first.clone(), created())
            .await
            .expect("answer")
    );
    assert!(
        !s.answer_idempotency_key(first.clone(), created())
            .await
            .expect("answer")
    );
    let replay = s.claim_idempotency_key(new_key(&second, "fp", T0 + 62_000), T0 + 2);
    assert_eq!(replay.await.expect("claim"), KeyClaim::Answered(created()));
    let reused = s.claim_idempotency_key(new_key(&second, "other", T0 + 62_000), T0 + 2);
    assert_eq!(reused.await.expect("claim"), KeyClaim::Reused);
    // An answered key is not released.
    assert!(!s.release_idempotency_key(first).await.expect("release"));
}

async fn a_write_marks_its_key_in_its_own_transaction(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let conversation = inbound(s, &t, "100", "hello", T0).await.conversation;
    let holder = claim(t.user.id, "send-1", "holder-a");
    let claimed = s.claim_idempotency_key(new_key(&holder, "fp", T0 + 1_000), T0);
    assert_eq!(claimed.await.expect("claim"), KeyClaim::Claimed);
    // A write that fails rolls its mark back with it: the claim is still unwritten.
    let failed = within(
        holder.clone(),
        s.send_message(
            t.company.id,
            outgoing(conversation.id + 1000, "x", vec![]),
            T0 + 5,
        ),
    )
    .await;
    assert!(matches!(failed, Err(StoreError::NotFound(_))), "{failed:?}");
    let found = s.claim_idempotency_key(
        new_key(&claim(t.user.id, "send-1", "b"), "fp", T0 + 2_000),
        T0 + 10,
    );
    assert!(matches!(
        found.await.expect("claim"),
        KeyClaim::InFlight { .. }
    ));
    within(
        holder.clone(),
        outbound(s, &t, conversation.id, "once", T0 + 20),
    )
    .await;
    // Once its lease is over, a written key is not taken over: the write happened.
    let later = claim(t.user.id, "send-1", "holder-b");
    let found = s.claim_idempotency_key(new_key(&later, "fp", T0 + 9_000), T0 + 5_000);
    assert_eq!(
        found.await.expect("claim"),
        KeyClaim::Written {
            holder: "holder-a".to_owned(),
            lease_until: T0 + 1_000
        }
    );
    assert!(
        !s.release_idempotency_key(holder.clone())
            .await
            .expect("release")
    );
    assert!(
        s.answer_idempotency_key(holder, created())
            .await
            .expect("answer")
    );
    let replay = s.claim_idempotency_key(new_key(&later, "fp", T0 + 9_000), T0 + 5_000);
    assert_eq!(replay.await.expect("claim"), KeyClaim::Answered(created()));
}

async fn a_claim_taken_over_after_its_lease_writes_nothing(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let conversation = inbound(s, &t, "100", "hello", T0).await.conversation;
    let slow = claim(t.user.id, "k", "slow");
    let retry = claim(t.user.id, "k", "retry");
    let claimed = s.claim_idempotency_key(new_key(&slow, "fp", T0 + 1_000), T0);
    assert_eq!(claimed.await.expect("claim"), KeyClaim::Claimed);
    let taken = s.claim_idempotency_key(new_key(&retry, "fp", T0 + 5_000), T0 + 2_000);
    assert_eq!(taken.await.expect("claim"), KeyClaim::Claimed);
    let refused = within(
        slow.clone(),
        s.send_message(
            t.company.id,
            outgoing(conversation.id, "late", vec![]),
            T0 + 2_001,
        ),
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Refused {
                what: "Idempotency-Key",
                ..
            })
        ),
        "{refused:?}"
    );
    assert!(!s.release_idempotency_key(slow).await.expect("release"));
    let bodies: Vec<String> = messages_of(s, t.company.id, conversation.id)
        .await
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["hello"], "the refused write left nothing");
    within(
        retry.clone(),
        outbound(s, &t, conversation.id, "once", T0 + 2_002),
    )
    .await;
    assert_eq!(messages_of(s, t.company.id, conversation.id).await.len(), 2);
    // A claim that wrote nothing can be released, and the key is free again.
    let spare = claim(t.user.id, "spare", "h");
    s.claim_idempotency_key(new_key(&spare, "fp", T0 + 5_000), T0)
        .await
        .expect("claim");
    assert!(
        s.release_idempotency_key(spare.clone())
            .await
            .expect("release")
    );
    let again = s.claim_idempotency_key(new_key(&spare, "other", T0 + 5_000), T0);
    assert_eq!(again.await.expect("claim"), KeyClaim::Claimed);
}

async fn keys_of_different_users_are_independent(s: &Backend) {
    let a = tenant(s, 1, false).await;
    let b = tenant(s, 2, false).await;
    let of_a = claim(a.user.id, "shared", "a");
    let of_b = claim(b.user.id, "shared", "b");
    let first = s.claim_idempotency_key(new_key(&of_a, "fp-a", T0 + 1_000), T0);
    assert_eq!(first.await.expect("claim"), KeyClaim::Claimed);
    let second = s.claim_idempotency_key(new_key(&of_b, "fp-b", T0 + 1_000), T0);
    assert_eq!(second.await.expect("claim"), KeyClaim::Claimed);
    assert!(
        s.answer_idempotency_key(of_a, created())
            .await
            .expect("answer")
    );
    assert!(s.release_idempotency_key(of_b).await.expect("release"));
}

async fn concurrent_claims_of_one_key_give_it_to_one(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let claims = (0..8).map(|n| {
        let c = claim(t.user.id, "race", &format!("holder-{n}"));
        async move {
            s.claim_idempotency_key(new_key(&c, "fp", T0 + 60_000), T0)
                .await
        }
    });
    let outcomes = futures_util::future::join_all(claims).await;
    let won = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(KeyClaim::Claimed)))
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(KeyClaim::Claimed | KeyClaim::InFlight { .. }))),
        "{outcomes:?}"
    );
}

async fn pruning_deletes_keys_older_than_the_cutoff(s: &Backend) {
    let t = tenant(s, 1, false).await;
    for n in 0..5 {
        let c = claim(t.user.id, &format!("old-{n}"), "h");
        s.claim_idempotency_key(new_key(&c, "fp", T0 + 10), T0 + n)
            .await
            .expect("claim");
        s.answer_idempotency_key(c, created())
            .await
            .expect("answer");
    }
    let recent = claim(t.user.id, "recent", "h");
    s.claim_idempotency_key(new_key(&recent, "fp", T0 + 100_000), T0 + 50_000)
        .await
        .expect("claim");
    s.answer_idempotency_key(recent.clone(), created())
        .await
        .expect("answer");
    assert_eq!(
        s.prune_idempotency_keys(T0 + 1_000, 3)
            .await
            .expect("prune"),
        3
    );
    assert_eq!(
        s.prune_idempotency_keys(T0 + 1_000, 3)
            .await
            .expect("prune"),
        2
    );
    assert_eq!(
        s.prune_idempotency_keys(T0 + 1_000, 3)
            .await
            .expect("prune"),
        0
    );
    // A pruned key is new again; the recent one still replays.
    let pruned = claim(t.user.id, "old-0", "h2");
    let claimed = s.claim_idempotency_key(new_key(&pruned, "another", T0 + 200_000), T0 + 100_000);
    assert_eq!(claimed.await.expect("claim"), KeyClaim::Claimed);
    let kept = s.claim_idempotency_key(new_key(&recent, "fp", T0 + 200_000), T0 + 100_000);
    assert_eq!(kept.await.expect("claim"), KeyClaim::Answered(created()));
}
