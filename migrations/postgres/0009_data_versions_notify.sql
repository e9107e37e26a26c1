-- Announce every change of a data version, so instances that listen (src/store/follow.rs)
-- know the counters without reading them per request. The payload names the schema, as
-- installations may share a database in schemas of their own; NOTIFY is delivered when
-- the transaction commits, in commit order.
CREATE FUNCTION announce_data_version() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('tilskudd_data_versions', TG_TABLE_SCHEMA || ' ' || NEW.name || ' ' || NEW.version);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER data_versions_announce AFTER UPDATE ON data_versions
    FOR EACH ROW WHEN (NEW.version IS DISTINCT FROM OLD.version)
    EXECUTE FUNCTION announce_data_version();
