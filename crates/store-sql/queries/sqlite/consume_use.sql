-- ?1 id, ?2 start of today (ms), ?3 start of this month (ms), ?4 now (ms).
-- Refills first when the key's refill period began after its last refill, then takes one use.
UPDATE api_keys SET
    remaining = CASE
        WHEN refill_amount IS NOT NULL AND (last_refill_at_ms IS NULL OR last_refill_at_ms <
             CASE refill_interval WHEN 'daily' THEN ?2 ELSE ?3 END)
        THEN refill_amount - 1 ELSE remaining - 1 END,
    last_refill_at_ms = CASE
        WHEN refill_amount IS NOT NULL AND (last_refill_at_ms IS NULL OR last_refill_at_ms <
             CASE refill_interval WHEN 'daily' THEN ?2 ELSE ?3 END)
        THEN ?4 ELSE last_refill_at_ms END
WHERE id = ?1 AND remaining IS NOT NULL AND (
    remaining > 0
    OR (refill_amount IS NOT NULL AND (last_refill_at_ms IS NULL OR last_refill_at_ms <
        CASE refill_interval WHEN 'daily' THEN ?2 ELSE ?3 END)))
RETURNING remaining
