-- Single sign-on with OpenID Connect. A sign-in that was started and not yet finished: the
-- state (hashed) names it, and it is used once. Kept in the database so that any process of
-- the instance can finish what another began.
CREATE TABLE sso_sign_ins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Which person an identity at the organisation's provider is: the provider's issuer and its
-- subject (never the e-mail address or user name, which can change or be reused).
CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_sign_in_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_person ON sso_identities (person_id);
