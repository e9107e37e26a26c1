-- Statistics uploads: kind 'statistics', which belongs to no round.
ALTER TABLE uploads ALTER COLUMN round_id DROP NOT NULL;
-- The inline CHECK of 0003 got PostgreSQL's default name.
ALTER TABLE uploads DROP CONSTRAINT uploads_kind_check;
ALTER TABLE uploads ADD CONSTRAINT uploads_kind_check
    CHECK (kind IN ('application', 'allocations', 'statistics'));
ALTER TABLE uploads ADD CONSTRAINT uploads_round_unless_statistics
    CHECK (kind = 'statistics' OR round_id IS NOT NULL);
