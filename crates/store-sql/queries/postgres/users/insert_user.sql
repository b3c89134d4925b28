-- $1 id, $2 email, $3 display_name, $4 password_hash, $5 state, $6 created_at_ms, $7 updated_at_ms,
-- $8 version, $9 session_epoch
INSERT INTO users (id, email, display_name, password_hash, state, created_at_ms, updated_at_ms, version,
                   session_epoch)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::bigint, $7::bigint, $8::bigint, $9::bigint)
RETURNING id
