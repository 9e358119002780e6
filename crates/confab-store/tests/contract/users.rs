//! Users: `create_user`, `user_by_token_hash` and `replace_token` (the old token stops
//! working at once).

use confab_store::User;

use crate::backend::Backend;
use crate::fixtures::{T0, tenant, token};

contract!(
    users_are_found_by_their_token_hash,
    replacing_a_token_retires_the_old_one
);

async fn users_are_found_by_their_token_hash(s: &Backend) {
    let alice = s
        .create_user("alice".to_owned(), token(1), T0)
        .await
        .expect("create alice");
    // Ids start at 1 in a fresh database.
    assert_eq!(
        alice,
        User {
            id: 1,
            name: "alice".to_owned()
        }
    );
    let bob = s
        .create_user("bob".to_owned(), token(2), T0 + 1)
        .await
        .expect("create bob");
    assert_eq!(
        bob,
        User {
            id: 2,
            name: "bob".to_owned()
        }
    );
    let found = |n| async move { s.user_by_token_hash(token(n)).await.expect("lookup") };
    assert_eq!(found(1).await, Some(alice.clone()));
    assert_eq!(found(2).await, Some(bob.clone()));
    assert_eq!(found(9).await, None);

    // A token hash belongs to one user: a second user with it is refused, and the hash
    // still finds the first one.
    assert!(
        s.create_user("mallory".to_owned(), token(1), T0 + 2)
            .await
            .is_err(),
        "a second user with the same token hash was created"
    );
    assert_eq!(found(1).await, Some(alice));
    assert_eq!(found(2).await, Some(bob));
}

async fn replacing_a_token_retires_the_old_one(s: &Backend) {
    let t = tenant(s, 1, false).await;
    let bob = s
        .create_user("bob".to_owned(), token(2), T0)
        .await
        .expect("create bob");

    let replaced = s
        .replace_token(t.user.id, token(3))
        .await
        .expect("replace the token");
    assert_eq!(replaced, Some(t.user.clone()));
    assert_eq!(s.user_by_token_hash(token(1)).await.expect("old"), None);
    assert_eq!(
        s.user_by_token_hash(token(3)).await.expect("new"),
        Some(t.user.clone())
    );
    // The old token authorizes nothing any more; the new one everything the user had.
    assert_eq!(
        s.authorize(token(1), t.company.id)
            .await
            .expect("authorize"),
        None
    );
    assert_eq!(
        s.authorize(token(3), t.company.id)
            .await
            .expect("authorize"),
        Some((t.user.clone(), Some(t.company.clone())))
    );
    // Other users keep theirs.
    assert_eq!(
        s.user_by_token_hash(token(2)).await.expect("bob"),
        Some(bob)
    );

    // No such user: nothing to replace, and the token finds nobody.
    assert_eq!(s.replace_token(999, token(4)).await.expect("replace"), None);
    assert_eq!(s.user_by_token_hash(token(4)).await.expect("lookup"), None);
}
