-- Optimistic locking: only the version that was read ($9) is replaced. $1 id, $2 email,
-- $3 display_name, $4 password_hash, $5 state, $6 updated_at_ms, $7 version, $8 session_epoch.
UPDATE users SET
    email = $2::text, display_name = $3::text, password_hash = $4::text, state = $5::text,
    updated_at_ms = $6::bigint, version = $7::bigint, session_epoch = $8::bigint
WHERE id = $1::text AND version = $9::bigint
RETURNING id
