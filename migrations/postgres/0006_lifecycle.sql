-- One lifecycle: officers' amounts before a decision are proposals, one application per
-- applicant and round, conflicts of interest lifted by another officer, uploads tied to
-- the application version their preview was made from.

-- Amounts entered before a decision were proposals all along; only a decision grants.
ALTER TABLE applications ADD COLUMN proposed_ore BIGINT CHECK (proposed_ore IS NULL OR proposed_ore >= 0);
UPDATE applications SET proposed_ore = allocated_ore, allocated_ore = NULL
 WHERE round_id IN (SELECT id FROM rounds WHERE status <> 'decided');

-- Earlier versions let an applicant get a second application in a round. All but the
-- first are withdrawn, with an audit event saying why, so the rule can hold as a
-- constraint from now on.
INSERT INTO audit_events (occurred_at, actor, action, round_id, application_id, field, old_value, new_value, summary)
SELECT now(), 'system: migrering 0006', 'application.withdrawn', a.round_id, a.id,
       'status', a.status, 'withdrawn',
       'Trukket ved oppgradering: søkeren hadde flere søknader i runden; søknad ' ||
       (SELECT MIN(b.id) FROM applications b WHERE b.round_id = a.round_id AND b.organisation_id = a.organisation_id) ||
       ' gjelder.'
  FROM applications a
 WHERE a.id > (SELECT MIN(b.id) FROM applications b WHERE b.round_id = a.round_id AND b.organisation_id = a.organisation_id);
UPDATE applications SET status = 'withdrawn'
 WHERE id > (SELECT MIN(b.id) FROM applications b WHERE b.round_id = applications.round_id AND b.organisation_id = applications.organisation_id);
-- A withdrawn application does not stop the applicant from applying again.
CREATE UNIQUE INDEX applications_one_per_applicant ON applications (round_id, organisation_id) WHERE status <> 'withdrawn';

-- A decision made outside this tool and imported as published: where it was published.
ALTER TABLE rounds ADD COLUMN decision_source TEXT;

ALTER TABLE impartiality_declarations ADD COLUMN lifted_by_user_id BIGINT REFERENCES users (id);
ALTER TABLE impartiality_declarations ADD COLUMN lifted_by TEXT;
ALTER TABLE impartiality_declarations ADD COLUMN lifted_reason TEXT;
ALTER TABLE impartiality_declarations ADD COLUMN lifted_at TIMESTAMPTZ;

-- The application version a preview was made from (NULL: a new application).
ALTER TABLE uploads ADD COLUMN base_version BIGINT;
-- The organisation the uploader acted for (a kommune user's own), NULL for officers.
ALTER TABLE uploads ADD COLUMN uploader_organisation_id BIGINT REFERENCES organisations (id);
UPDATE uploads SET uploader_organisation_id = (
    SELECT u.organisation_id FROM users u WHERE u.id = uploads.uploaded_by
       AND NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id
                        AND r.role IN ('admin', 'saksbehandler', 'godkjenner', 'lesetilgang')));
