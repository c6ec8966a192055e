-- Alerts and their history are never deleted; an alert is closed with an
-- outcome instead. Event rows are append-only.
CREATE FUNCTION alerts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'alerts and their history are never deleted';
END;
$$;
CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
	FOR EACH ROW EXECUTE FUNCTION alerts_keep();
CREATE TRIGGER alerts_no_truncate BEFORE TRUNCATE ON alerts
	FOR EACH STATEMENT EXECUTE FUNCTION alerts_keep();
CREATE TRIGGER alert_events_no_change BEFORE UPDATE OR DELETE ON alert_events
	FOR EACH ROW EXECUTE FUNCTION alerts_keep();
CREATE TRIGGER alert_events_no_truncate BEFORE TRUNCATE ON alert_events
	FOR EACH STATEMENT EXECUTE FUNCTION alerts_keep();
