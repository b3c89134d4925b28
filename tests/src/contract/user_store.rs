//! The contract of [`UserStore`] and [`RefreshTokenStore`].

use hexaspin_core::Timestamp;
use hexaspin_core::pagination::UserCursor;
use hexaspin_core::ports::{RefreshTokenStore, RefreshUse, StoreError, UserFilter, UserStore};
use hexaspin_core::user::{
    DisplayName, Email, Password, PasswordHasher, PasswordParams, RefreshFamilyId, RefreshToken,
    StoredRefreshToken, User, UserId, UserState,
};

const T0: i64 = 1_795_000_000_000;

fn user(n: u8, email: &str) -> User {
    let hasher = PasswordHasher::new(PasswordParams::FOR_TESTS).expect("test params");
    let password = Password::presented("a password for the test").expect("password");
    User {
        id: UserId::from_random([n; 8]),
        email: Email::parse(email).expect("email"),
        display_name: (n % 2 == 0).then(|| DisplayName::parse("Zoë \"quoted\" O'Brien").expect("name")),
        password_hash: hasher.hash(&password, [n; 16]).expect("hash"),
        state: UserState::Active,
        created_at: Timestamp::from_millis(T0 + i64::from(n)),
        updated_at: Timestamp::from_millis(T0 + i64::from(n)),
        version: 1,
    }
}

fn token(
    n: u8,
    family: &RefreshFamilyId,
    user: &UserId,
    expires_in_ms: i64,
) -> (RefreshToken, StoredRefreshToken) {
    let token = RefreshToken::from_random([n; 32]);
    let stored = StoredRefreshToken {
        hash: token.hash(),
        family: family.clone(),
        user_id: user.clone(),
        issued_at: Timestamp::from_millis(T0),
        expires_at: Timestamp::from_millis(T0 + expires_in_ms),
    };
    (token, stored)
}

fn filter(limit: u32) -> UserFilter {
    UserFilter {
        email_contains: None,
        state: None,
        after: None,
        limit,
    }
}

/// An account reads back identically by id and by email, with or without a display name.
pub async fn an_account_reads_back_by_id_and_by_email<S: UserStore>(store: &S) {
    for (n, email) in [(2, "even@example.com"), (3, "odd@example.com")] {
        let written = user(n, email);
        store.insert_user(&written).await.expect("insert");
        assert_eq!(
            store.find_user(&written.id).await.expect("by id"),
            Some(written.clone())
        );
        assert_eq!(
            store.find_user_by_email(&written.email).await.expect("by email"),
            Some(written)
        );
    }
    let unknown = Email::parse("nobody@example.com").expect("email");
    assert_eq!(store.find_user_by_email(&unknown).await.expect("unknown"), None);
    assert_eq!(
        store
            .find_user(&UserId::from_random([9; 8]))
            .await
            .expect("unknown"),
        None
    );
}

/// A second account with a taken email, or a taken id, is a conflict.
pub async fn a_taken_email_or_id_is_a_conflict<S: UserStore>(store: &S) {
    store
        .insert_user(&user(1, "ada@example.com"))
        .await
        .expect("first");
    let same_email = user(2, "ada@example.com");
    assert!(matches!(
        store.insert_user(&same_email).await,
        Err(StoreError::Conflict(_))
    ));
    let same_id = user(1, "other@example.com");
    assert!(matches!(
        store.insert_user(&same_id).await,
        Err(StoreError::Conflict(_))
    ));
}

/// Updates replace only the version that was read; moving to a taken email is a conflict.
pub async fn an_update_replaces_only_the_version_that_was_read<S: UserStore>(store: &S) {
    let ada = user(1, "ada@example.com");
    let bob = user(3, "bob@example.com");
    store.insert_user(&ada).await.expect("ada");
    store.insert_user(&bob).await.expect("bob");
    let mut changed = ada.clone();
    changed.state = UserState::Disabled;
    changed.display_name = None;
    changed.version = 2;
    assert!(store.update_user(&changed, 1).await.expect("update"));
    assert!(
        !store.update_user(&changed, 1).await.expect("stale"),
        "version 1 is gone"
    );
    assert_eq!(
        store.find_user(&ada.id).await.expect("read"),
        Some(changed.clone())
    );
    let mut stolen = changed.clone();
    stolen.email = bob.email.clone();
    stolen.version = 3;
    assert!(matches!(
        store.update_user(&stolen, 2).await,
        Err(StoreError::Conflict(_))
    ));
}

/// Accounts list newest first, filter by email fragment and state, and page by cursor.
pub async fn accounts_list_newest_first_filter_and_page<S: UserStore>(store: &S) {
    for n in 1..=5 {
        let mut account = user(
            n,
            &format!("user{n}@{}.example.com", if n % 2 == 0 { "even" } else { "odd" }),
        );
        if n == 5 {
            account.state = UserState::Disabled;
        }
        store.insert_user(&account).await.expect("insert");
    }
    let all = store.list_users(&filter(10)).await.expect("all");
    let order: Vec<_> = all.iter().map(|u| u.id.clone()).collect();
    let expected: Vec<_> = (1..=5).rev().map(|n| UserId::from_random([n; 8])).collect();
    assert_eq!(order, expected);

    let first = store.list_users(&filter(2)).await.expect("first page");
    let last = first.last().expect("a page");
    let after = UserCursor {
        created_at: last.created_at,
        id: last.id.clone(),
    };
    let rest = store
        .list_users(&UserFilter {
            after: Some(after),
            ..filter(10)
        })
        .await
        .expect("rest");
    assert_eq!(first.len() + rest.len(), 5);
    assert_eq!(
        rest.first().map(|u| u.id.clone()),
        Some(UserId::from_random([3; 8]))
    );

    let even = UserFilter {
        email_contains: Some("@even.".into()),
        ..filter(10)
    };
    assert_eq!(store.list_users(&even).await.expect("even").len(), 2);
    let disabled = UserFilter {
        state: Some(UserState::Disabled),
        ..filter(10)
    };
    let found = store.list_users(&disabled).await.expect("disabled");
    assert_eq!(
        found.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        vec![UserId::from_random([5; 8])]
    );
    // `%` and `_` are text, not patterns.
    let pattern = UserFilter {
        email_contains: Some("%".into()),
        ..filter(10)
    };
    assert!(store.list_users(&pattern).await.expect("pattern").is_empty());
}

/// Deleting an account removes it and its refresh tokens; deleting again finds nothing.
pub async fn deleting_an_account_removes_it_and_its_tokens<S: UserStore + RefreshTokenStore>(store: &S) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("insert");
    let family = RefreshFamilyId::from_random([1; 8]);
    let (live, stored) = token(1, &family, &ada.id, 60_000);
    store.insert_refresh(&stored).await.expect("token");
    assert!(store.delete_user(&ada.id).await.expect("delete"));
    assert!(!store.delete_user(&ada.id).await.expect("again"));
    assert_eq!(store.find_user(&ada.id).await.expect("read"), None);
    let now = Timestamp::from_millis(T0 + 1);
    assert_eq!(
        store.use_refresh(&live.hash(), now).await.expect("use"),
        RefreshUse::Unknown
    );
}

/// A live token is used once; using it again is a replay naming its family; unknown and expired
/// tokens are unknown.
pub async fn a_refresh_token_works_once_and_a_replay_names_its_family<S: UserStore + RefreshTokenStore>(
    store: &S,
) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("insert");
    let family = RefreshFamilyId::from_random([7; 8]);
    let (live, stored) = token(1, &family, &ada.id, 60_000);
    let (short, short_stored) = token(2, &family, &ada.id, 10);
    store.insert_refresh(&stored).await.expect("live");
    store.insert_refresh(&short_stored).await.expect("short");
    let now = Timestamp::from_millis(T0 + 100);

    assert_eq!(
        store.use_refresh(&live.hash(), now).await.expect("use"),
        RefreshUse::Used(stored)
    );
    assert_eq!(
        store.use_refresh(&live.hash(), now).await.expect("replay"),
        RefreshUse::Reused {
            family: family.clone(),
            user_id: ada.id.clone(),
        }
    );
    assert_eq!(
        store.use_refresh(&short.hash(), now).await.expect("expired"),
        RefreshUse::Unknown
    );
    let never = RefreshToken::from_random([3; 32]);
    assert_eq!(
        store.use_refresh(&never.hash(), now).await.expect("unknown"),
        RefreshUse::Unknown
    );
}

/// Revoking a family ends its live tokens only; revoking a user's tokens ends all of theirs; a
/// revoked token that was never used is unknown, not a replay.
pub async fn revoking_ends_live_tokens_by_family_or_user<S: UserStore + RefreshTokenStore>(store: &S) {
    let ada = user(1, "ada@example.com");
    let bob = user(3, "bob@example.com");
    store.insert_user(&ada).await.expect("ada");
    store.insert_user(&bob).await.expect("bob");
    let phone = RefreshFamilyId::from_random([1; 8]);
    let laptop = RefreshFamilyId::from_random([2; 8]);
    let (phone_token, phone_stored) = token(1, &phone, &ada.id, 60_000);
    let (laptop_token, laptop_stored) = token(2, &laptop, &ada.id, 60_000);
    let (bob_token, bob_stored) = token(3, &RefreshFamilyId::from_random([3; 8]), &bob.id, 60_000);
    for stored in [&phone_stored, &laptop_stored, &bob_stored] {
        store.insert_refresh(stored).await.expect("insert");
    }
    let now = Timestamp::from_millis(T0 + 1);

    assert_eq!(store.revoke_family(&phone, now).await.expect("family"), 1);
    assert_eq!(store.revoke_family(&phone, now).await.expect("again"), 0);
    assert_eq!(
        store
            .use_refresh(&phone_token.hash(), now)
            .await
            .expect("revoked"),
        RefreshUse::Unknown
    );
    assert_eq!(store.revoke_user_refresh(&ada.id, now).await.expect("user"), 1);
    assert_eq!(
        store
            .use_refresh(&laptop_token.hash(), now)
            .await
            .expect("revoked"),
        RefreshUse::Unknown
    );
    assert!(matches!(
        store.use_refresh(&bob_token.hash(), now).await.expect("bob's"),
        RefreshUse::Used(_)
    ));
}

/// Purging removes only the user's expired tokens, used or not; live ones keep working.
pub async fn purging_removes_only_a_users_expired_tokens<S: UserStore + RefreshTokenStore>(store: &S) {
    let ada = user(1, "ada@example.com");
    let bob = user(3, "bob@example.com");
    store.insert_user(&ada).await.expect("ada");
    store.insert_user(&bob).await.expect("bob");
    let family = RefreshFamilyId::from_random([1; 8]);
    let (spent, spent_stored) = token(1, &family, &ada.id, 10);
    let (_, old_stored) = token(2, &family, &ada.id, 20);
    let (live, live_stored) = token(3, &family, &ada.id, 60_000);
    let (bobs, bobs_stored) = token(4, &RefreshFamilyId::from_random([2; 8]), &bob.id, 10);
    for stored in [&spent_stored, &old_stored, &live_stored, &bobs_stored] {
        store.insert_refresh(stored).await.expect("insert");
    }
    let early = Timestamp::from_millis(T0 + 5);
    assert!(matches!(
        store.use_refresh(&spent.hash(), early).await.expect("use"),
        RefreshUse::Used(_)
    ));
    let later = Timestamp::from_millis(T0 + 100);
    assert_eq!(
        store.purge_expired_refresh(&ada.id, later).await.expect("purge"),
        2
    );
    assert_eq!(
        store.purge_expired_refresh(&ada.id, later).await.expect("again"),
        0
    );
    assert_eq!(
        store.use_refresh(&spent.hash(), later).await.expect("purged"),
        RefreshUse::Unknown
    );
    assert!(matches!(
        store.use_refresh(&live.hash(), later).await.expect("live"),
        RefreshUse::Used(_)
    ));
    // Bob's expired token is not Ada's to purge.
    assert_eq!(
        store.purge_expired_refresh(&bob.id, later).await.expect("bob's"),
        1
    );
    assert_eq!(
        store.use_refresh(&bobs.hash(), later).await.expect("gone"),
        RefreshUse::Unknown
    );
}
