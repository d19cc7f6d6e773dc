DROP INDEX shared_vault_members_by_user;
DROP INDEX audit_events_by_time;
DROP INDEX admin_sessions_by_admin;
DROP TABLE admin_sessions;
ALTER TABLE admins DROP COLUMN totp_last_step;
ALTER TABLE admins DROP COLUMN locked_until;
ALTER TABLE admins DROP COLUMN failed_sign_ins;
