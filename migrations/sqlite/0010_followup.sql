-- After the decision: letters, acceptance, payments, final reports, repayment, and the
-- e-mail outbox. Amounts are whole øre; every row names who did it and when.

-- The round's rules for the follow-up, and its letter texts (NULL: the default text).
CREATE TABLE followup_terms (
    round_id               INTEGER PRIMARY KEY REFERENCES rounds (id),
    acceptance_deadline    TEXT,
    report_deadline        TEXT,
    payment_plan           TEXT    NOT NULL CHECK (payment_plan IN ('on_acceptance', 'half_and_half', 'on_request')),
    auditor_threshold_ore  INTEGER NOT NULL CHECK (auditor_threshold_ore >= 0),
    repayment_days         INTEGER NOT NULL CHECK (repayment_days BETWEEN 1 AND 365),
    appeal_allowed         BOOLEAN NOT NULL,
    purpose                TEXT,
    conditions             TEXT,
    grant_template         TEXT,
    rejection_template     TEXT,
    updated_at             TEXT    NOT NULL
);

-- One letter per application: a note for this recipient while it is a draft, then the
-- whole letter as issued (JSON), which nothing changes afterwards.
CREATE TABLE letters (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id),
    round_id        INTEGER NOT NULL REFERENCES rounds (id),
    note            TEXT,
    kind            TEXT CHECK (kind IS NULL OR kind IN ('grant', 'rejection')),
    content         TEXT,
    issued_at       TEXT,
    issued_by       TEXT,
    sent_at         TEXT,
    sent_to         TEXT,
    CHECK ((content IS NULL) = (issued_at IS NULL))
);
CREATE INDEX letters_round ON letters (round_id);

-- The recipient's answer; one per application, never changed.
CREATE TABLE acceptances (
    application_id       INTEGER PRIMARY KEY REFERENCES applications (id),
    accepted             BOOLEAN NOT NULL,
    comment              TEXT,
    answered_by          TEXT    NOT NULL,
    answered_by_user_id  INTEGER REFERENCES users (id),
    answered_at          TEXT    NOT NULL
);

-- Files the recipient attaches (project accounts, the report workbook), kept as sent.
CREATE TABLE followup_documents (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id       INTEGER NOT NULL REFERENCES applications (id),
    kind                 TEXT    NOT NULL CHECK (kind IN ('accounts', 'report')),
    filename             TEXT    NOT NULL,
    content_type         TEXT    NOT NULL,
    size_bytes           INTEGER NOT NULL,
    sha256               TEXT    NOT NULL,
    content              BLOB    NOT NULL,
    uploaded_by          TEXT    NOT NULL,
    uploaded_by_user_id  INTEGER REFERENCES users (id),
    created_at           TEXT    NOT NULL
);
CREATE INDEX followup_documents_application ON followup_documents (application_id, id);

CREATE TABLE payment_requests (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id        INTEGER NOT NULL REFERENCES applications (id),
    is_final              BOOLEAN NOT NULL,
    amount_ore            INTEGER NOT NULL CHECK (amount_ore > 0),
    note                  TEXT,
    document_id           INTEGER REFERENCES followup_documents (id),
    status                TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by          TEXT    NOT NULL,
    requested_by_user_id  INTEGER REFERENCES users (id),
    requested_at          TEXT    NOT NULL,
    decided_by            TEXT,
    decided_by_user_id    INTEGER REFERENCES users (id),
    decided_at            TEXT,
    decision_comment      TEXT
);
CREATE INDEX payment_requests_application ON payment_requests (application_id, id);

CREATE TABLE payments (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id       INTEGER NOT NULL REFERENCES applications (id),
    paid_on              TEXT    NOT NULL,
    amount_ore           INTEGER NOT NULL CHECK (amount_ore > 0),
    reference            TEXT    NOT NULL,
    payment_request_id   INTEGER REFERENCES payment_requests (id),
    recorded_by          TEXT    NOT NULL,
    recorded_by_user_id  INTEGER REFERENCES users (id),
    recorded_at          TEXT    NOT NULL
);
CREATE INDEX payments_application ON payments (application_id, id);

-- Every version of the final report; the newest is the one that counts.
CREATE TABLE final_reports (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id        INTEGER NOT NULL REFERENCES applications (id),
    spent_ore             INTEGER NOT NULL CHECK (spent_ore >= 0),
    lines                 TEXT    NOT NULL,
    narrative             TEXT    NOT NULL,
    auditor_confirmed     BOOLEAN NOT NULL,
    document_id           INTEGER REFERENCES followup_documents (id),
    status                TEXT    NOT NULL CHECK (status IN ('submitted', 'returned', 'approved')),
    submitted_by          TEXT    NOT NULL,
    submitted_by_user_id  INTEGER REFERENCES users (id),
    submitted_at          TEXT    NOT NULL,
    reviewed_by           TEXT,
    reviewed_by_user_id   INTEGER REFERENCES users (id),
    reviewed_at           TEXT,
    review_comment        TEXT
);
CREATE INDEX final_reports_application ON final_reports (application_id, id);

CREATE TABLE repayment_claims (
    application_id  INTEGER PRIMARY KEY REFERENCES applications (id),
    amount_ore      INTEGER NOT NULL CHECK (amount_ore > 0),
    due_on          TEXT    NOT NULL,
    claimed_by      TEXT    NOT NULL,
    claimed_at      TEXT    NOT NULL
);

CREATE TABLE repayments (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id       INTEGER NOT NULL REFERENCES applications (id),
    paid_on              TEXT    NOT NULL,
    amount_ore           INTEGER NOT NULL CHECK (amount_ore > 0),
    reference            TEXT    NOT NULL,
    recorded_by          TEXT    NOT NULL,
    recorded_by_user_id  INTEGER REFERENCES users (id),
    recorded_at          TEXT    NOT NULL
);
CREATE INDEX repayments_application ON repayments (application_id, id);

-- E-mail written in the same transaction as the event that causes it, sent afterwards
-- by a worker. `dedupe_key` keeps a message that must go once (a reminder) from being
-- queued twice; `claimed_until` keeps two instances from sending the same one at once.
CREATE TABLE outbox (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at             TEXT    NOT NULL,
    kind                   TEXT    NOT NULL,
    round_id               INTEGER REFERENCES rounds (id),
    application_id         INTEGER REFERENCES applications (id),
    recipient              TEXT    NOT NULL,
    subject                TEXT    NOT NULL,
    body                   TEXT    NOT NULL,
    letter_application_id  INTEGER REFERENCES letters (application_id),
    dedupe_key             TEXT    UNIQUE,
    status                 TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'recorded')),
    attempts               INTEGER NOT NULL DEFAULT 0,
    next_attempt_at        TEXT    NOT NULL,
    claimed_until          TEXT,
    last_error             TEXT,
    sent_at                TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_round ON outbox (round_id, id);
