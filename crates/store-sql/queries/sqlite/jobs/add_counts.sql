-- ?1 a JSON array of [field, amount] pairs (field "<counter>|<label value>|…"); one statement for
-- them all, so a request's counts take the write lock once, for one statement. A field named twice
-- is added twice (SQLite applies the upsert row by row).
INSERT INTO metric_counters (field, value)
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1) WHERE true
ON CONFLICT (field) DO UPDATE SET value = value + excluded.value
