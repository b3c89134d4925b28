INSERT INTO audit_log (at_ms, actor, action, key_id, detail)
VALUES (?1, ?2, ?3, ?4, ?5)
RETURNING seq
