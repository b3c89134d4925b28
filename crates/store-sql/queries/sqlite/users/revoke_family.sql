-- ?1 family_id, ?2 now (ms): the family ends; none of its tokens works again.
UPDATE refresh_families SET revoked_at_ms = ?2
WHERE family_id = ?1 AND revoked_at_ms IS NULL
RETURNING family_id
