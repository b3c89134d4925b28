DELETE FROM jobs WHERE id = ?1 AND state <> 'running' RETURNING id
