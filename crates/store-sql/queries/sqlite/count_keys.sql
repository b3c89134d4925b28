-- ?1 now (ms). Keys per state; the rules mirror ApiKey::state (revoked, disabled, expired, active).
SELECT CASE WHEN revoked_at_ms IS NOT NULL THEN 'revoked'
            WHEN enabled = 0 THEN 'disabled'
            WHEN expires_at_ms <= ?1 THEN 'expired'
            ELSE 'active' END AS state,
       COUNT(*)
FROM api_keys
GROUP BY state
