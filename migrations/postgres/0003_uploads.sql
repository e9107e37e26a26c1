-- Uploaded spreadsheets (kept, also when rejected) and application versions.

CREATE TABLE uploads (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id          BIGINT NOT NULL REFERENCES rounds (id),
    organisation_id   BIGINT REFERENCES organisations (id),
    application_id    BIGINT REFERENCES applications (id),
    kind              TEXT    NOT NULL CHECK (kind IN ('application', 'allocations')),
    filename          TEXT    NOT NULL,
    format            TEXT,
    size_bytes        BIGINT NOT NULL,
    sha256            TEXT    NOT NULL,
    content           BYTEA    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('preview', 'rejected', 'confirmed')),
    result            TEXT    NOT NULL,
    uploaded_by       BIGINT REFERENCES users (id),
    uploaded_by_name  TEXT    NOT NULL,
    created_at        TIMESTAMPTZ    NOT NULL,
    confirmed_at      TIMESTAMPTZ
);
CREATE INDEX uploads_round ON uploads (round_id, id);
CREATE INDEX uploads_application ON uploads (application_id, id);

CREATE TABLE application_versions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    version_no      BIGINT NOT NULL,
    upload_id       BIGINT REFERENCES uploads (id),
    snapshot        TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      TIMESTAMPTZ    NOT NULL,
    UNIQUE (application_id, version_no)
);
