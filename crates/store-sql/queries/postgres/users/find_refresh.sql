-- Why use_refresh found nothing: was the token used before (a replay)? $1 token_hash.
SELECT family_id, user_id, used_at_ms IS NOT NULL AS was_used
FROM refresh_tokens
WHERE token_hash = $1::text
