DROP INDEX admin_sign_in_codes_by_admin;
DROP TABLE admin_sign_in_codes;
