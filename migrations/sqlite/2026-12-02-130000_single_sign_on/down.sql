DROP TABLE sso_identities;
DROP TABLE sso_sign_ins;
