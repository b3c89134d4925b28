-- ?1 field ("<counter>|<label value>|…"), ?2 amount
INSERT INTO metric_counters (field, value) VALUES (?1, ?2)
ON CONFLICT (field) DO UPDATE SET value = value + excluded.value
RETURNING value
