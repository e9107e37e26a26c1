-- Counters that tell an instance whether what it keeps in memory is still current, from
-- one cheap read: 'register' counts changes to the municipality register (triggers, so
-- by whatever path), 'writes' counts the app's transactions that wrote anything (bumped
-- as each commits). Their sum changes whenever anything does.
CREATE TABLE data_versions (
    name TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO data_versions (name, version) VALUES ('register', 1), ('writes', 1);

CREATE TRIGGER municipalities_insert_version AFTER INSERT ON municipalities
BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'register'; END;
CREATE TRIGGER municipalities_update_version AFTER UPDATE ON municipalities
BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'register'; END;
CREATE TRIGGER municipalities_delete_version AFTER DELETE ON municipalities
BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'register'; END;
CREATE TRIGGER municipality_changes_insert_version AFTER INSERT ON municipality_changes
BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'register'; END;
CREATE TRIGGER municipality_changes_update_version AFTER UPDATE ON municipality_changes
BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'register'; END;
CREATE TRIGGER municipality_changes_delete_version AFTER DELETE ON municipality_changes
BEGIN UPDATE data_versions SET version = version + 1 WHERE name = 'register'; END;
