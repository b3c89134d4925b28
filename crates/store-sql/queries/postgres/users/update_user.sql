-- Optimistic locking: only the version that was read ($8) is replaced.
UPDATE users SET
    email = $2::text, display_name = $3::text, password_hash = $4::text, state = $5::text,
    updated_at_ms = $6::bigint, version = $7::bigint
WHERE id = $1::text AND version = $8::bigint
RETURNING id
