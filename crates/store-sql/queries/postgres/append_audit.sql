INSERT INTO audit_log (at_ms, actor, action, key_id, detail)
VALUES ($1::bigint, $2::text, $3::text, $4::text, $5::text::jsonb)
RETURNING seq
