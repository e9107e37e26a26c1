-- The grant register: municipalities, organisations, schemes, rounds, applications,
-- statistics and the audit log. Money is whole øre (INTEGER = 64 bit in SQLite).

CREATE TABLE municipalities (
    division_year INTEGER NOT NULL,
    number        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    PRIMARY KEY (division_year, number)
);

CREATE TABLE municipality_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    old_number  TEXT NOT NULL,
    old_name    TEXT NOT NULL,
    new_number  TEXT NOT NULL,
    new_name    TEXT NOT NULL,
    effective   TEXT NOT NULL
);
CREATE INDEX municipality_changes_old ON municipality_changes (old_number);
CREATE INDEX municipality_changes_new ON municipality_changes (new_number);

CREATE TABLE organisations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('kommune', 'iks', 'annen')),
    kommunenummer TEXT,
    org_number    TEXT,
    created_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX organisations_kommune ON organisations (kommunenummer) WHERE kind = 'kommune';

CREATE TABLE organisation_members (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    kommunenummer   TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    division_year   INTEGER NOT NULL,
    PRIMARY KEY (organisation_id, kommunenummer)
);

CREATE TABLE schemes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE rounds (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    scheme_id          INTEGER NOT NULL REFERENCES schemes (id),
    name               TEXT    NOT NULL,
    year               INTEGER NOT NULL,
    region             TEXT,
    description        TEXT,
    pool_ore           INTEGER NOT NULL CHECK (pool_ore > 0),
    deadline           TEXT,
    rounding_unit_ore  INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    historical         BOOLEAN NOT NULL DEFAULT 0,
    demo               BOOLEAN NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL DEFAULT 1,
    allocation_writes  INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);

CREATE TABLE applications (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id           INTEGER NOT NULL REFERENCES rounds (id),
    organisation_id    INTEGER NOT NULL REFERENCES organisations (id),
    applicant_name     TEXT    NOT NULL,
    kommunenummer      TEXT,
    project_title      TEXT,
    description        TEXT,
    contact_person     TEXT,
    email              TEXT,
    requested_ore      INTEGER CHECK (requested_ore IS NULL OR requested_ore >= 0),
    allocated_ore      INTEGER CHECK (allocated_ore IS NULL OR allocated_ore >= 0),
    allocation_reason  TEXT,
    status             TEXT    NOT NULL,
    demo               BOOLEAN NOT NULL DEFAULT 0,
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);
CREATE INDEX applications_round ON applications (round_id);

CREATE TABLE budget_lines (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id         INTEGER NOT NULL REFERENCES applications (id),
    position               INTEGER NOT NULL,
    category               TEXT    NOT NULL,
    description            TEXT    NOT NULL,
    applied_ore            INTEGER NOT NULL CHECK (applied_ore >= 0),
    own_contribution_ore   INTEGER NOT NULL CHECK (own_contribution_ore >= 0)
);
CREATE INDEX budget_lines_application ON budget_lines (application_id);

CREATE TABLE indicators (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    unit    TEXT NOT NULL CHECK (unit IN ('antall', 'prosent')),
    source  TEXT NOT NULL
);

-- Values are exact decimals kept as text ("12.6"); `symbol` keeps SSB's
-- '..' (missing), '.' (not applicable), ':' (confidential), '-' (zero) when there is no value.
CREATE TABLE observations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator_code  TEXT    NOT NULL REFERENCES indicators (code),
    region          TEXT    NOT NULL,
    year            INTEGER NOT NULL,
    need_level      TEXT,
    age_group       TEXT,
    value           TEXT,
    symbol          TEXT,
    synthetic       BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX observations_lookup ON observations (indicator_code, region, year);

CREATE TABLE audit_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at     TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    round_id        INTEGER,
    application_id  INTEGER,
    field           TEXT,
    old_value       TEXT,
    new_value       TEXT,
    summary         TEXT    NOT NULL
);
CREATE INDEX audit_events_round ON audit_events (round_id, id);
CREATE INDEX audit_events_application ON audit_events (application_id, id);
