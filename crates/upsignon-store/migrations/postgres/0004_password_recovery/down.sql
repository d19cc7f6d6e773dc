DROP INDEX password_resets_by_device;
DROP TABLE password_resets;
DROP TABLE password_backups;
