-- Alerts and their history are never deleted; an alert is closed with an
-- outcome instead. Event rows are append-only.
CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
BEGIN
	SELECT RAISE(ABORT, 'alerts are never deleted');
END;
CREATE TRIGGER alert_events_no_update BEFORE UPDATE ON alert_events
BEGIN
	SELECT RAISE(ABORT, 'alert history is append-only');
END;
CREATE TRIGGER alert_events_no_delete BEFORE DELETE ON alert_events
BEGIN
	SELECT RAISE(ABORT, 'alert history is append-only');
END;
