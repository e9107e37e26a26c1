-- Statistics uploads: kind 'statistics', which belongs to no round.
--
-- SQLite cannot drop NOT NULL or change a CHECK in place, so the table is rebuilt. The
-- migration runs in a transaction, where foreign_keys cannot be switched off; with the
-- checks deferred, dropping the old table counts the application_versions rows that
-- lose their parent, and inserting the same ids into the new table counts them back,
-- so the commit sees no violation. The new table keeps the name `uploads`, so the
-- references from application_versions stay as they are.
PRAGMA defer_foreign_keys = ON;

CREATE TEMPORARY TABLE uploads_copy AS SELECT * FROM uploads;
DROP TABLE uploads;

CREATE TABLE uploads (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id          INTEGER REFERENCES rounds (id),
    organisation_id   INTEGER REFERENCES organisations (id),
    application_id    INTEGER REFERENCES applications (id),
    kind              TEXT    NOT NULL CHECK (kind IN ('application', 'allocations', 'statistics')),
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
    confirmed_at      TEXT,
    CHECK (kind = 'statistics' OR round_id IS NOT NULL)
);

INSERT INTO uploads (id, round_id, organisation_id, application_id, kind, filename, format, size_bytes,
                     sha256, content, status, result, uploaded_by, uploaded_by_name, created_at, confirmed_at)
SELECT id, round_id, organisation_id, application_id, kind, filename, format, size_bytes,
       sha256, content, status, result, uploaded_by, uploaded_by_name, created_at, confirmed_at
FROM uploads_copy;
DROP TABLE uploads_copy;

CREATE INDEX uploads_round ON uploads (round_id, id);
CREATE INDEX uploads_application ON uploads (application_id, id);
