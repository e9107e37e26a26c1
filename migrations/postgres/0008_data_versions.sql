-- Counters that tell an instance whether what it keeps in memory is still current, from
-- one cheap read: 'register' counts changes to the municipality register (triggers, so
-- by whatever path), 'writes' counts the app's transactions that wrote anything (bumped
-- as each commits). Their sum changes whenever anything does.
CREATE TABLE data_versions (
    name TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO data_versions (name, version) VALUES ('register', 1), ('writes', 1);

CREATE FUNCTION bump_register_version() RETURNS trigger AS $$
BEGIN
    UPDATE data_versions SET version = version + 1 WHERE name = 'register';
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER municipalities_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON municipalities FOR EACH STATEMENT EXECUTE FUNCTION bump_register_version();
CREATE TRIGGER municipality_changes_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON municipality_changes FOR EACH STATEMENT EXECUTE FUNCTION bump_register_version();
