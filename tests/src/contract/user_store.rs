//! The contract of [`UserStore`] and [`RefreshTokenStore`].

use hexaspin_core::Timestamp;
use hexaspin_core::audit::{AuditAction, NewAuditEntry};
use hexaspin_core::pagination::UserCursor;
use hexaspin_core::ports::{AuditLog, RefreshTokenStore, RefreshUse, StoreError, UserFilter, UserStore};
use hexaspin_core::user::{
    DisplayName, Email, Password, PasswordHasher, PasswordParams, RefreshFamily, RefreshFamilyId,
    RefreshToken, StoredRefreshToken, User, UserId, UserState,
};

const T0: i64 = 1_795_000_000_000;

fn user(n: u8, email: &str) -> User {
    let hasher = PasswordHasher::new(PasswordParams::FOR_TESTS).expect("test params");
    let password = Password::presented("a password for the test").expect("password");
    User {
        id: UserId::from_random([n; 8]),
        email: Email::parse(email).expect("email"),
        display_name: n
            .is_multiple_of(2)
            .then(|| DisplayName::parse("Zoë \"quoted\" O'Brien").expect("name")),
        password_hash: hasher.hash(&password, [n; 16]).expect("hash"),
        state: UserState::Active,
        created_at: Timestamp::from_millis(T0 + i64::from(n)),
        updated_at: Timestamp::from_millis(T0 + i64::from(n)),
        version: 1,
        session_epoch: i64::from(n % 3),
    }
}

/// A family of `user` opened at `T0`, at the user's epoch, ending `ends_in_ms` later.
fn family(n: u8, user: &User, ends_in_ms: i64) -> RefreshFamily {
    RefreshFamily {
        id: RefreshFamilyId::from_random([n; 8]),
        user_id: user.id.clone(),
        session_epoch: user.session_epoch,
        created_at: Timestamp::from_millis(T0),
        ends_at: Timestamp::from_millis(T0 + ends_in_ms),
    }
}

/// Opens `family` and stores a token in it expiring `expires_in_ms` after `T0`.
async fn session<S: RefreshTokenStore>(
    store: &S,
    n: u8,
    family: &RefreshFamily,
    expires_in_ms: i64,
) -> (RefreshToken, StoredRefreshToken) {
    store.open_family(family).await.expect("open family");
    let (token, stored) = token(n, &family.id, &family.user_id, expires_in_ms);
    assert!(
        store.insert_refresh(&stored).await.expect("insert token"),
        "the family is open"
    );
    (token, stored)
}

fn admin_entry(action: AuditAction, user: &User) -> NewAuditEntry {
    NewAuditEntry {
        at: Timestamp::from_millis(T0),
        actor: "contract-test".to_owned(),
        action,
        key_id: None,
        detail: serde_json::json!({ "user_id": user.id.as_str() }),
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
    changed.session_epoch = ada.session_epoch + 1;
    assert!(store.update_user(&changed, 1, None).await.expect("update"));
    assert!(
        !store.update_user(&changed, 1, None).await.expect("stale"),
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
        store.update_user(&stolen, 2, None).await,
        Err(StoreError::Conflict(_))
    ));
}

/// An admin's change is stored with its audit entry; a change that finds a newer version stores
/// neither.
pub async fn an_audited_change_stores_its_entry_and_a_stale_one_stores_neither<S: UserStore + AuditLog>(
    store: &S,
) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("insert");
    let mut disabled = ada.clone();
    disabled.state = UserState::Disabled;
    disabled.version = 2;
    let entry = admin_entry(AuditAction::UserDisabled, &ada);
    assert!(
        store
            .update_user(&disabled, 1, Some(&entry))
            .await
            .expect("update")
    );
    assert!(
        !store
            .update_user(&disabled, 1, Some(&entry))
            .await
            .expect("stale")
    );
    let log = store.list_audit(None, None, 10).await.expect("audit");
    assert_eq!(log.len(), 1, "one entry for one change");
    assert_eq!(log[0].entry, entry);
    let gone = user(9, "nobody@example.com");
    let deleted = admin_entry(AuditAction::UserDeleted, &gone);
    assert!(
        !store
            .delete_user(&gone.id, &deleted)
            .await
            .expect("delete nobody")
    );
    assert_eq!(store.list_audit(None, None, 10).await.expect("audit").len(), 1);
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

/// Deleting an account removes it, its sessions and tokens, with its audit entry; deleting again
/// finds nothing and writes nothing.
pub async fn deleting_an_account_removes_it_and_its_sessions<S: UserStore + RefreshTokenStore + AuditLog>(
    store: &S,
) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("insert");
    let (live, _) = session(store, 1, &family(1, &ada, 600_000), 60_000).await;
    let entry = admin_entry(AuditAction::UserDeleted, &ada);
    assert!(store.delete_user(&ada.id, &entry).await.expect("delete"));
    assert!(!store.delete_user(&ada.id, &entry).await.expect("again"));
    assert_eq!(store.find_user(&ada.id).await.expect("read"), None);
    assert_eq!(store.list_audit(None, None, 10).await.expect("audit").len(), 1);
    let now = Timestamp::from_millis(T0 + 1);
    assert_eq!(
        store.use_refresh(&live.hash(), now).await.expect("use"),
        RefreshUse::Unknown
    );
    // Same id and address again: none of the old sessions comes back with it.
    store.insert_user(&ada).await.expect("insert again");
    assert_eq!(
        store.use_refresh(&live.hash(), now).await.expect("use"),
        RefreshUse::Unknown
    );
}

/// A live token is used once and names its family's end and epoch; using it again is a replay
/// naming its family; unknown and expired tokens are unknown.
pub async fn a_refresh_token_works_once_and_a_replay_names_its_family<S: UserStore + RefreshTokenStore>(
    store: &S,
) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("insert");
    let opened = family(7, &ada, 600_000);
    let (live, stored) = session(store, 1, &opened, 60_000).await;
    let (short, short_stored) = token(2, &opened.id, &ada.id, 10);
    assert!(store.insert_refresh(&short_stored).await.expect("short"));
    let now = Timestamp::from_millis(T0 + 100);

    assert_eq!(
        store.use_refresh(&live.hash(), now).await.expect("use"),
        RefreshUse::Used {
            token: stored,
            family_ends_at: opened.ends_at,
            family_epoch: ada.session_epoch,
        }
    );
    assert_eq!(
        store.use_refresh(&live.hash(), now).await.expect("replay"),
        RefreshUse::Reused {
            family: opened.id.clone(),
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

/// A family opens only for an active account still at the epoch the caller read.
pub async fn a_family_opens_only_at_the_accounts_current_epoch_while_active<
    S: UserStore + RefreshTokenStore,
>(
    store: &S,
) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("insert");
    let mut stale = family(1, &ada, 600_000);
    stale.session_epoch = ada.session_epoch + 1;
    assert!(!store.open_family(&stale).await.expect("wrong epoch"));
    assert!(
        store
            .open_family(&family(2, &ada, 600_000))
            .await
            .expect("current epoch")
    );
    let mut disabled = ada.clone();
    disabled.state = UserState::Disabled;
    disabled.version = 2;
    assert!(store.update_user(&disabled, 1, None).await.expect("disable"));
    assert!(
        !store
            .open_family(&family(3, &ada, 600_000))
            .await
            .expect("disabled")
    );
    let nobody = user(4, "nobody@example.com");
    assert!(
        !store
            .open_family(&family(4, &nobody, 600_000))
            .await
            .expect("no account")
    );
}

/// Ending an account's sessions (its epoch moves on, as a password change does) ends every family
/// at once: no token of theirs is used or stored any more, and the account's new sessions work.
pub async fn moving_the_session_epoch_ends_every_family_of_the_account<S: UserStore + RefreshTokenStore>(
    store: &S,
) {
    let ada = user(1, "ada@example.com");
    let bob = user(3, "bob@example.com");
    store.insert_user(&ada).await.expect("ada");
    store.insert_user(&bob).await.expect("bob");
    let phone = family(1, &ada, 600_000);
    let laptop = family(2, &ada, 600_000);
    let (phone_token, _) = session(store, 1, &phone, 60_000).await;
    let (laptop_token, _) = session(store, 2, &laptop, 60_000).await;
    let (bob_token, _) = session(store, 3, &family(3, &bob, 600_000), 60_000).await;

    let mut changed = ada.clone();
    changed.session_epoch = ada.session_epoch + 1;
    changed.version = 2;
    assert!(store.update_user(&changed, 1, None).await.expect("end sessions"));
    let now = Timestamp::from_millis(T0 + 1);
    for ended in [&phone_token, &laptop_token] {
        assert_eq!(
            store.use_refresh(&ended.hash(), now).await.expect("use"),
            RefreshUse::Unknown
        );
    }
    let (_, successor) = token(4, &phone.id, &ada.id, 60_000);
    assert!(
        !store.insert_refresh(&successor).await.expect("insert"),
        "no successor joins an ended family"
    );
    assert!(matches!(
        store.use_refresh(&bob_token.hash(), now).await.expect("bob's"),
        RefreshUse::Used { .. }
    ));
    let (fresh, _) = session(store, 5, &family(5, &changed, 600_000), 60_000).await;
    assert!(matches!(
        store.use_refresh(&fresh.hash(), now).await.expect("new session"),
        RefreshUse::Used { .. }
    ));
}

/// Revoking a family ends its tokens only; a revoked token that was never used is unknown, not a
/// replay; revoking again reports nothing.
pub async fn revoking_a_family_ends_its_tokens_only<S: UserStore + RefreshTokenStore>(store: &S) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("ada");
    let phone = family(1, &ada, 600_000);
    let laptop = family(2, &ada, 600_000);
    let (phone_token, _) = session(store, 1, &phone, 60_000).await;
    let (laptop_token, _) = session(store, 2, &laptop, 60_000).await;
    let now = Timestamp::from_millis(T0 + 1);
    assert!(store.revoke_family(&phone.id, now).await.expect("family"));
    assert!(!store.revoke_family(&phone.id, now).await.expect("again"));
    assert_eq!(
        store
            .use_refresh(&phone_token.hash(), now)
            .await
            .expect("revoked"),
        RefreshUse::Unknown
    );
    let (_, successor) = token(3, &phone.id, &ada.id, 60_000);
    assert!(!store.insert_refresh(&successor).await.expect("insert"));
    assert!(matches!(
        store
            .use_refresh(&laptop_token.hash(), now)
            .await
            .expect("laptop"),
        RefreshUse::Used { .. }
    ));
}

/// A family ends at its absolute end: its tokens stop working then, and no successor is stored.
pub async fn a_family_ends_at_its_absolute_end<S: UserStore + RefreshTokenStore>(store: &S) {
    let ada = user(1, "ada@example.com");
    store.insert_user(&ada).await.expect("ada");
    let short = family(1, &ada, 1_000);
    let (live, _) = session(store, 1, &short, 60_000).await;
    let after = Timestamp::from_millis(T0 + 1_000);
    assert_eq!(
        store.use_refresh(&live.hash(), after).await.expect("use"),
        RefreshUse::Unknown
    );
    let (_, late) = token(2, &short.id, &ada.id, 60_000);
    let late = StoredRefreshToken {
        issued_at: after,
        ..late
    };
    assert!(!store.insert_refresh(&late).await.expect("insert"));
}

/// Purging removes only the user's expired tokens, used or not, and families past their end;
/// live ones keep working.
pub async fn purging_removes_only_a_users_expired_tokens_and_ended_families<
    S: UserStore + RefreshTokenStore,
>(
    store: &S,
) {
    let ada = user(1, "ada@example.com");
    let bob = user(3, "bob@example.com");
    store.insert_user(&ada).await.expect("ada");
    store.insert_user(&bob).await.expect("bob");
    let open = family(1, &ada, 600_000);
    let (spent, _) = session(store, 1, &open, 10).await;
    let (_, old) = token(2, &open.id, &ada.id, 20);
    assert!(store.insert_refresh(&old).await.expect("old"));
    let (live, live_stored) = token(3, &open.id, &ada.id, 60_000);
    assert!(store.insert_refresh(&live_stored).await.expect("live"));
    let ended = family(2, &ada, 50);
    let (in_ended, _) = session(store, 4, &ended, 50).await;
    let (bobs, _) = session(store, 5, &family(3, &bob, 10), 10).await;
    let early = Timestamp::from_millis(T0 + 5);
    assert!(matches!(
        store.use_refresh(&spent.hash(), early).await.expect("use"),
        RefreshUse::Used { .. }
    ));
    let later = Timestamp::from_millis(T0 + 100);
    store.purge_expired_refresh(&ada.id, later).await.expect("purge");
    store
        .purge_expired_refresh(&ada.id, later)
        .await
        .expect("purging again is harmless");
    assert_eq!(
        store.use_refresh(&spent.hash(), later).await.expect("purged"),
        RefreshUse::Unknown,
        "a purged spent token is no longer recognised as a replay"
    );
    assert_eq!(
        store.use_refresh(&in_ended.hash(), later).await.expect("ended"),
        RefreshUse::Unknown
    );
    assert!(matches!(
        store.use_refresh(&live.hash(), later).await.expect("live"),
        RefreshUse::Used { .. }
    ));
    // Bob's are not Ada's to purge: his token is merely expired, so still unknown, and his
    // family is still there to end.
    assert_eq!(
        store.use_refresh(&bobs.hash(), later).await.expect("bob's"),
        RefreshUse::Unknown
    );
    assert!(
        store
            .revoke_family(&RefreshFamilyId::from_random([3; 8]), later)
            .await
            .expect("bob's family")
    );
}
