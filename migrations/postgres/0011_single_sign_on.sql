-- Single sign-on with OpenID Connect: who a provider's subject is, logins under way, and
-- which provider a session came through (for logging out there too).

-- A provider's subject, bound to an account at its first login. The provider is its
-- issuer URL. An account has at most one subject per provider.
CREATE TABLE sso_identities (
    issuer    TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    user_id   BIGINT NOT NULL REFERENCES users (id),
    bound_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, subject),
    UNIQUE (user_id, issuer)
);

-- A login sent to a provider and not yet back: only the hash of its state is kept, and
-- the row is taken (deleted) when the provider sends the user back, so a state works once.
CREATE TABLE sso_logins (
    state_hash     TEXT PRIMARY KEY,
    issuer         TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    next_path      TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

ALTER TABLE sessions ADD COLUMN sso_issuer TEXT;
ALTER TABLE sessions ADD COLUMN sso_id_token TEXT;

-- ID-porten identifies a person by the national identity number (the `pid` claim); only
-- its SHA-256 is kept, to match the claim against.
ALTER TABLE users ADD COLUMN national_id_hash TEXT;
CREATE UNIQUE INDEX users_national_id ON users (national_id_hash) WHERE national_id_hash IS NOT NULL;
