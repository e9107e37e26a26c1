-- Allocation: statistics snapshots, scenarios, assessment, impartiality and decisions.

-- A named, frozen copy of observations that formulas and reports refer to.
CREATE TABLE statistics_snapshots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    description  TEXT,
    created_by   TEXT    NOT NULL,
    created_at   TEXT  NOT NULL
);

CREATE TABLE snapshot_observations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    snapshot_id     INTEGER   NOT NULL REFERENCES statistics_snapshots (id),
    indicator_code  TEXT    NOT NULL,
    region          TEXT    NOT NULL,
    year            INTEGER   NOT NULL,
    need_level      TEXT,
    age_group       TEXT,
    value           TEXT,
    symbol          TEXT,
    synthetic       BOOLEAN NOT NULL
);
CREATE INDEX snapshot_observations_lookup ON snapshot_observations (snapshot_id, indicator_code, region, year);

-- A way of sharing the pool, computed and stored with its inputs (fordelingsalternativ).
CREATE TABLE scenarios (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id           INTEGER   NOT NULL REFERENCES rounds (id),
    name               TEXT    NOT NULL,
    method             TEXT    NOT NULL,
    parameters         TEXT    NOT NULL,
    rounding_unit_ore  INTEGER   NOT NULL,
    snapshot_id        INTEGER   REFERENCES statistics_snapshots (id),
    indicator_year     INTEGER,
    inputs             TEXT    NOT NULL,
    result             TEXT    NOT NULL,
    allocated_ore      INTEGER   NOT NULL,
    unplaced_ore       INTEGER   NOT NULL,
    created_by         TEXT    NOT NULL,
    created_at         TEXT  NOT NULL,
    computed_at        TEXT  NOT NULL,
    version            INTEGER   NOT NULL DEFAULT 1,
    UNIQUE (round_id, name)
);

CREATE TABLE assessment_criteria (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id  INTEGER   NOT NULL REFERENCES rounds (id),
    name      TEXT    NOT NULL,
    weight    TEXT    NOT NULL,
    position  INTEGER   NOT NULL,
    UNIQUE (round_id, name)
);

CREATE TABLE assessment_scores (
    application_id  INTEGER   NOT NULL REFERENCES applications (id),
    criterion_id    INTEGER   NOT NULL REFERENCES assessment_criteria (id),
    score           TEXT    NOT NULL,
    comment         TEXT,
    assessed_by     TEXT    NOT NULL,
    assessed_at     TEXT  NOT NULL,
    PRIMARY KEY (application_id, criterion_id)
);

-- The officer's recommendation for one application.
CREATE TABLE assessments (
    application_id   INTEGER   PRIMARY KEY REFERENCES applications (id),
    recommended_ore  INTEGER   CHECK (recommended_ore IS NULL OR recommended_ore >= 0),
    comment          TEXT,
    assessed_by      TEXT    NOT NULL,
    assessed_at      TEXT  NOT NULL
);

-- Habilitetserklæring: one per officer and application.
CREATE TABLE impartiality_declarations (
    application_id  INTEGER   NOT NULL REFERENCES applications (id),
    user_id         INTEGER   NOT NULL REFERENCES users (id),
    user_name       TEXT    NOT NULL,
    conflict        BOOLEAN NOT NULL,
    reason          TEXT,
    declared_at     TEXT  NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

-- Vedtak: a scenario proposed by one officer and approved by another, then frozen.
CREATE TABLE decisions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id             INTEGER   NOT NULL REFERENCES rounds (id),
    scenario_id          INTEGER   NOT NULL REFERENCES scenarios (id),
    amends_decision_id   INTEGER   REFERENCES decisions (id),
    reason               TEXT,
    status               TEXT    NOT NULL CHECK (status IN ('proposed', 'returned', 'approved', 'superseded')),
    proposed_by_user_id  INTEGER   NOT NULL REFERENCES users (id),
    proposed_by          TEXT    NOT NULL,
    proposed_at          TEXT  NOT NULL,
    reviewed_by_user_id  INTEGER   REFERENCES users (id),
    reviewed_by          TEXT,
    reviewed_at          TEXT,
    review_comment       TEXT,
    frozen               TEXT    NOT NULL
);
CREATE INDEX decisions_round ON decisions (round_id, id);
