-- Uploaded spreadsheets (kept, also when rejected) and application versions.

CREATE TABLE uploads (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id          INTEGER NOT NULL REFERENCES rounds (id),
    organisation_id   INTEGER REFERENCES organisations (id),
    application_id    INTEGER REFERENCES applications (id),
    kind              TEXT    NOT NULL CHECK (kind IN ('application', 'allocations')),
    filename          TEXT    NOT NULL,
    format            TEXT,
    size_bytes        INTEGER NOT NULL,
    sha256            TEXT    NOT NULL,
    content           BLOB    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('preview', 'rejected', 'confirmed')),
    result            TEXT    NOT NULL,
    uploaded_by       INTEGER REFERENCES users (id),
    uploaded_by_name  TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    confirmed_at      TEXT
);
CREATE INDEX uploads_round ON uploads (round_id, id);
CREATE INDEX uploads_application ON uploads (application_id, id);

CREATE TABLE application_versions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  INTEGER NOT NULL REFERENCES applications (id),
    version_no      INTEGER NOT NULL,
    upload_id       INTEGER REFERENCES uploads (id),
    snapshot        TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    UNIQUE (application_id, version_no)
);
