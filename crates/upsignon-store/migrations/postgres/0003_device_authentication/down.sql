DROP TABLE vault_password_checks;
DROP INDEX device_sessions_by_device;
DROP TABLE device_sessions;
DROP INDEX device_challenges_by_device;
DROP TABLE device_challenges;
DROP TABLE device_codes;
