DELETE FROM refresh_families WHERE user_id = ?1 RETURNING family_id
