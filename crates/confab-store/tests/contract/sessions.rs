//! Passwords and browser sessions: `set_password`, `login_user`, `create_session`,
//! `session`, `delete_session`, `revoke_sessions`, `prune_sessions`, and the sessions a
//! new password or a rotated token ends.

use confab_store::{NewSession, StoreError, TokenHash, User};

use crate::backend::Backend;
use crate::fixtures::{T0, token};

contract!(
    a_password_makes_a_user_able_to_log_in,
    login_names_are_unique_among_users_with_passwords,
    sessions_are_found_by_their_hash_until_they_expire,
    logout_deletes_one_session,
    a_new_password_or_token_ends_the_users_sessions,
    expired_sessions_are_pruned_in_batches
);

/// A session's id hash: distinct from the token fixtures' hashes by its first byte.
fn sid(n: u8) -> TokenHash {
    let mut hash = [n; 32];
    hash[0] = 0xee;
    hash
}

fn session(n: u8, user_id: i64, expires_at: i64) -> NewSession {
    NewSession {
        id_hash: sid(n),
        user_id,
        created_at: T0,
        expires_at,
    }
}

async fn user(s: &Backend, n: u8, name: &str) -> User {
    s.create_user(name.to_owned(), token(n), T0)
        .await
        .expect("create user")
}

async fn a_password_makes_a_user_able_to_log_in(s: &Backend) {
    let alice = user(s, 1, "alice").await;
    assert_eq!(s.login_user("alice".to_owned()).await.expect("find"), None);
    let set = s
        .set_password(alice.id, "$argon2id$v=19$hash-1".to_owned())
        .await
        .expect("set");
    assert_eq!(set, Some(alice.clone()));
    let found = s
        .login_user("alice".to_owned())
        .await
        .expect("find")
        .expect("alice can log in");
    assert_eq!(found.user, alice);
    assert_eq!(found.password_hash, "$argon2id$v=19$hash-1");
    // A new password replaces the old.
    s.set_password(alice.id, "$argon2id$v=19$hash-2".to_owned())
        .await
        .expect("set again");
    let found = s.login_user("alice".to_owned()).await.expect("find");
    assert_eq!(
        found.map(|f| f.password_hash).as_deref(),
        Some("$argon2id$v=19$hash-2")
    );
    // Names match exactly; an unknown user has no password to set.
    assert_eq!(s.login_user("Alice".to_owned()).await.expect("find"), None);
    assert_eq!(
        s.set_password(99, "x".to_owned()).await.expect("no user"),
        None
    );
    // The API token is untouched.
    assert_eq!(
        s.user_by_token_hash(token(1)).await.expect("lookup"),
        Some(alice)
    );
}

async fn login_names_are_unique_among_users_with_passwords(s: &Backend) {
    let first = user(s, 1, "ops").await;
    let second = user(s, 2, "ops").await;
    s.set_password(first.id, "h1".to_owned())
        .await
        .expect("first");
    let refused = s.set_password(second.id, "h2".to_owned()).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict { what: "name" })),
        "{refused:?}"
    );
    let found = s
        .login_user("ops".to_owned())
        .await
        .expect("find")
        .expect("one");
    assert_eq!((found.user, found.password_hash.as_str()), (first, "h1"));
}

async fn sessions_are_found_by_their_hash_until_they_expire(s: &Backend) {
    let alice = user(s, 1, "alice").await;
    s.create_session(session(1, alice.id, T0 + 1000))
        .await
        .expect("create");
    let found = s
        .session(sid(1), T0 + 999)
        .await
        .expect("find")
        .expect("live");
    assert_eq!(found.user, alice);
    assert_eq!((found.created_at, found.expires_at), (T0, T0 + 1000));
    // Expired at its expiry time; unknown hashes find nothing.
    assert_eq!(s.session(sid(1), T0 + 1000).await.expect("find"), None);
    assert_eq!(s.session(sid(2), T0).await.expect("find"), None);
    // The API token's hash is not a session id.
    assert_eq!(s.session(token(1), T0).await.expect("find"), None);
    // An id hash is one session's.
    assert!(
        s.create_session(session(1, alice.id, T0 + 5000))
            .await
            .is_err()
    );
}

async fn logout_deletes_one_session(s: &Backend) {
    let alice = user(s, 1, "alice").await;
    s.create_session(session(1, alice.id, T0 + 1000))
        .await
        .expect("create");
    s.create_session(session(2, alice.id, T0 + 1000))
        .await
        .expect("create");
    assert!(s.delete_session(sid(1)).await.expect("delete"));
    assert!(!s.delete_session(sid(1)).await.expect("delete again"));
    assert_eq!(s.session(sid(1), T0).await.expect("find"), None);
    assert!(s.session(sid(2), T0).await.expect("find").is_some());
}

async fn a_new_password_or_token_ends_the_users_sessions(s: &Backend) {
    let alice = user(s, 1, "alice").await;
    let bob = user(s, 2, "bob").await;
    let live = |n| async move { s.session(sid(n), T0).await.expect("find").is_some() };
    for (n, u) in [(1, &alice), (2, &alice), (3, &bob)] {
        s.create_session(session(n, u.id, T0 + 1000))
            .await
            .expect("create");
    }
    s.set_password(alice.id, "h".to_owned()).await.expect("set");
    assert!(!live(1).await && !live(2).await);
    assert!(live(3).await, "another user's session survives");

    s.create_session(session(4, alice.id, T0 + 1000))
        .await
        .expect("create");
    s.replace_token(alice.id, token(9)).await.expect("rotate");
    assert!(!live(4).await);
    assert!(live(3).await);

    s.create_session(session(5, bob.id, T0 + 1000))
        .await
        .expect("create");
    assert_eq!(s.revoke_sessions(bob.id).await.expect("revoke"), 2);
    assert!(!live(3).await && !live(5).await);
    assert_eq!(s.revoke_sessions(bob.id).await.expect("revoke"), 0);
}

async fn expired_sessions_are_pruned_in_batches(s: &Backend) {
    let alice = user(s, 1, "alice").await;
    for n in 1..=5 {
        s.create_session(session(n, alice.id, T0 + i64::from(n) * 10))
            .await
            .expect("create");
    }
    // Expired at T0 + 40: sessions 1 to 4; two a batch.
    assert_eq!(s.prune_sessions(T0 + 40, 2).await.expect("prune"), 2);
    assert_eq!(s.prune_sessions(T0 + 40, 2).await.expect("prune"), 2);
    assert_eq!(s.prune_sessions(T0 + 40, 2).await.expect("prune"), 0);
    // The live one is left, and is still found (the prune is not what refuses expiry).
    assert!(s.session(sid(5), T0 + 40).await.expect("find").is_some());
    assert!(!s.delete_session(sid(4)).await.expect("gone"));
}
