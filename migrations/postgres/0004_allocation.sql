-- Allocation: statistics snapshots, scenarios, assessment, impartiality and decisions.

-- A named, frozen copy of observations that formulas and reports refer to.
CREATE TABLE statistics_snapshots (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    description  TEXT,
    created_by   TEXT    NOT NULL,
    created_at   TIMESTAMPTZ   NOT NULL
);

CREATE TABLE snapshot_observations (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    snapshot_id     BIGINT    NOT NULL REFERENCES statistics_snapshots (id),
    indicator_code  TEXT    NOT NULL,
    region          TEXT    NOT NULL,
    year            BIGINT    NOT NULL,
    need_level      TEXT,
    age_group       TEXT,
    value           TEXT,
    symbol          TEXT,
    synthetic       BOOLEAN NOT NULL
);
CREATE INDEX snapshot_observations_lookup ON snapshot_observations (snapshot_id, indicator_code, region, year);

-- A way of sharing the pool, computed and stored with its inputs (fordelingsalternativ).
CREATE TABLE scenarios (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id           BIGINT    NOT NULL REFERENCES rounds (id),
    name               TEXT    NOT NULL,
    method             TEXT    NOT NULL,
    parameters         TEXT    NOT NULL,
    rounding_unit_ore  BIGINT    NOT NULL,
    snapshot_id        BIGINT    REFERENCES statistics_snapshots (id),
    indicator_year     BIGINT,
    inputs             TEXT    NOT NULL,
    result             TEXT    NOT NULL,
    allocated_ore      BIGINT    NOT NULL,
    unplaced_ore       BIGINT    NOT NULL,
    created_by         TEXT    NOT NULL,
    created_at         TIMESTAMPTZ   NOT NULL,
    computed_at        TIMESTAMPTZ   NOT NULL,
    version            BIGINT    NOT NULL DEFAULT 1,
    UNIQUE (round_id, name)
);

CREATE TABLE assessment_criteria (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id  BIGINT    NOT NULL REFERENCES rounds (id),
    name      TEXT    NOT NULL,
    weight    TEXT    NOT NULL,
    position  BIGINT    NOT NULL,
    UNIQUE (round_id, name)
);

CREATE TABLE assessment_scores (
    application_id  BIGINT    NOT NULL REFERENCES applications (id),
    criterion_id    BIGINT    NOT NULL REFERENCES assessment_criteria (id),
    score           TEXT    NOT NULL,
    comment         TEXT,
    assessed_by     TEXT    NOT NULL,
    assessed_at     TIMESTAMPTZ   NOT NULL,
    PRIMARY KEY (application_id, criterion_id)
);

-- The officer's recommendation for one application.
CREATE TABLE assessments (
    application_id   BIGINT    PRIMARY KEY REFERENCES applications (id),
    recommended_ore  BIGINT    CHECK (recommended_ore IS NULL OR recommended_ore >= 0),
    comment          TEXT,
    assessed_by      TEXT    NOT NULL,
    assessed_at      TIMESTAMPTZ   NOT NULL
);

-- Habilitetserklæring: one per officer and application.
CREATE TABLE impartiality_declarations (
    application_id  BIGINT    NOT NULL REFERENCES applications (id),
    user_id         BIGINT    NOT NULL REFERENCES users (id),
    user_name       TEXT    NOT NULL,
    conflict        BOOLEAN NOT NULL,
    reason          TEXT,
    declared_at     TIMESTAMPTZ   NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

-- Vedtak: a scenario proposed by one officer and approved by another, then frozen.
CREATE TABLE decisions (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id             BIGINT    NOT NULL REFERENCES rounds (id),
    scenario_id          BIGINT    NOT NULL REFERENCES scenarios (id),
    amends_decision_id   BIGINT    REFERENCES decisions (id),
    reason               TEXT,
    status               TEXT    NOT NULL CHECK (status IN ('proposed', 'returned', 'approved', 'superseded')),
    proposed_by_user_id  BIGINT    NOT NULL REFERENCES users (id),
    proposed_by          TEXT    NOT NULL,
    proposed_at          TIMESTAMPTZ   NOT NULL,
    reviewed_by_user_id  BIGINT    REFERENCES users (id),
    reviewed_by          TEXT,
    reviewed_at          TIMESTAMPTZ,
    review_comment       TEXT,
    frozen               TEXT    NOT NULL
);
CREATE INDEX decisions_round ON decisions (round_id, id);
