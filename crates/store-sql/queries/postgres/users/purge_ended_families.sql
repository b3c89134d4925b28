-- $1 user_id, $2 now (ms): the user's families past their absolute end (their tokens expired
-- by then too).
DELETE FROM refresh_families WHERE user_id = $1::text AND ends_at_ms <= $2::bigint RETURNING family_id
