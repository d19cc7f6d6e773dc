-- Test-only: a newer release adds a column and fills it from existing rows.
ALTER TABLE devices ADD COLUMN label TEXT NOT NULL DEFAULT '';
UPDATE devices SET label = name || ' (' || os_family || ')';
