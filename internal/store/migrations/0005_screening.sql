-- Screening and early warning (issue 4).
--
-- A campaign screens the pupils of chosen classes with chosen instruments
-- during a window. Each pupil in it is a participant with a one-time code
-- (only a keyed hash is stored; the printable sheet derives the code again
-- from the key), a guardian-consent status and, once answered, one
-- submission. A critical answer or a high tier raises an alert in the same
-- transaction as the submission.
CREATE TABLE screening_campaigns (
	id           {{ID}},
	name         TEXT NOT NULL,
	-- The node that owns the campaign: both NULL = the city.
	district_id  BIGINT REFERENCES districts (id),
	school_id    BIGINT REFERENCES schools (id),
	school_year  INTEGER NOT NULL,
	semester     INTEGER NOT NULL,
	instruments  TEXT NOT NULL, -- instrument codes in answering order, comma-separated
	opens_at     BIGINT NOT NULL,
	closes_at    BIGINT NOT NULL,
	status       TEXT NOT NULL, -- 'open' | 'closed'
	created_by   BIGINT NOT NULL,
	created_at   BIGINT NOT NULL
);

CREATE TABLE screening_participants (
	id             {{ID}},
	campaign_id    BIGINT NOT NULL REFERENCES screening_campaigns (id),
	student_id     BIGINT NOT NULL REFERENCES students (id),
	district_id    BIGINT NOT NULL REFERENCES districts (id),
	school_id      BIGINT NOT NULL REFERENCES schools (id),
	class_id       BIGINT NOT NULL REFERENCES classes (id),
	grade          INTEGER NOT NULL,
	age            INTEGER NOT NULL,
	code_gen       INTEGER NOT NULL DEFAULT 0,
	code_hash      {{BLOB}} NOT NULL UNIQUE,
	consent        TEXT NOT NULL DEFAULT 'pending', -- pending | given | refused
	consent_method TEXT NOT NULL DEFAULT '',        -- paper | online
	consent_by     BIGINT NOT NULL DEFAULT 0,
	consent_at     BIGINT NOT NULL DEFAULT 0,
	state          TEXT NOT NULL DEFAULT 'open',    -- open | started | submitted
	draft          {{BLOB}},                        -- sealed answers saved so far
	started_at     BIGINT NOT NULL DEFAULT 0,
	submitted_at   BIGINT NOT NULL DEFAULT 0,
	UNIQUE (campaign_id, student_id)
);
CREATE INDEX screening_participants_class ON screening_participants (campaign_id, class_id);
CREATE INDEX screening_participants_student ON screening_participants (student_id);

-- One submission per participant (the participant's id is its key). The
-- answers and scores are sealed (D4); tier, critical and flags are D3.
CREATE TABLE screening_submissions (
	participant_id {{KEYREF}} REFERENCES screening_participants (id),
	campaign_id    BIGINT NOT NULL REFERENCES screening_campaigns (id),
	student_id     BIGINT NOT NULL REFERENCES students (id),
	district_id    BIGINT NOT NULL,
	school_id      BIGINT NOT NULL,
	class_id       BIGINT NOT NULL,
	grade          INTEGER NOT NULL,
	detail         {{BLOB}} NOT NULL,
	tier           INTEGER NOT NULL,
	critical       INTEGER NOT NULL,
	flags          TEXT NOT NULL,
	reasons        TEXT NOT NULL,
	duration_ms    BIGINT NOT NULL,
	submitted_at   BIGINT NOT NULL
);
-- No index on student_id: a pupil's submissions are found through their
-- participants (indexed by student), and every index here is one more
-- random page written by each screening-day commit.

-- Counters per campaign and class, maintained in the same transaction as
-- every consent change and submission: dashboards read these, never scan.
CREATE TABLE screening_counts (
	campaign_id   BIGINT NOT NULL,
	class_id      BIGINT NOT NULL,
	school_id     BIGINT NOT NULL,
	district_id   BIGINT NOT NULL,
	grade         INTEGER NOT NULL,
	participants  INTEGER NOT NULL DEFAULT 0,
	consent_given INTEGER NOT NULL DEFAULT 0,
	consent_refused INTEGER NOT NULL DEFAULT 0,
	submitted     INTEGER NOT NULL DEFAULT 0,
	flagged       INTEGER NOT NULL DEFAULT 0,
	green         INTEGER NOT NULL DEFAULT 0,
	yellow        INTEGER NOT NULL DEFAULT 0,
	orange        INTEGER NOT NULL DEFAULT 0,
	red           INTEGER NOT NULL DEFAULT 0,
	critical      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, class_id)
);
CREATE INDEX screening_counts_school ON screening_counts (campaign_id, school_id);
CREATE INDEX screening_counts_district ON screening_counts (campaign_id, district_id);

-- Alerts: never deleted, only closed with an outcome (guarded by triggers).
CREATE TABLE alerts (
	id              {{ID}},
	submission_id   BIGINT UNIQUE REFERENCES screening_submissions (participant_id),
	campaign_id     BIGINT NOT NULL,
	student_id      BIGINT NOT NULL REFERENCES students (id),
	district_id     BIGINT NOT NULL,
	school_id       BIGINT NOT NULL,
	class_id        BIGINT NOT NULL,
	severity        TEXT NOT NULL,
	reason          TEXT NOT NULL,
	level           INTEGER NOT NULL,
	state           TEXT NOT NULL,
	raised_at       BIGINT NOT NULL,
	due_at          BIGINT NOT NULL,
	seen_at         BIGINT NOT NULL DEFAULT 0,
	acknowledged_at BIGINT NOT NULL DEFAULT 0,
	closed_at       BIGINT NOT NULL DEFAULT 0,
	outcome         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_due ON alerts (state, due_at);
CREATE INDEX alerts_school ON alerts (school_id, state);
CREATE INDEX alerts_district ON alerts (district_id, level, state);
CREATE INDEX alerts_student ON alerts (student_id);

-- Every step of an alert with who and when. note is sealed (it may name
-- what was done for the child).
CREATE TABLE alert_events (
	id       {{ID}},
	alert_id BIGINT NOT NULL REFERENCES alerts (id),
	at       BIGINT NOT NULL,
	actor_id BIGINT NOT NULL,
	action   TEXT NOT NULL,
	level    INTEGER NOT NULL,
	note     {{BLOB}}
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);

-- The outbox of notifications: the in-app inbox (one row per addressed
-- user) and the pluggable channels (webhook, SMS), sent by a worker.
CREATE TABLE notifications (
	id         {{ID}},
	alert_id   BIGINT NOT NULL REFERENCES alerts (id),
	channel    TEXT NOT NULL,
	user_id    BIGINT NOT NULL,
	level      INTEGER NOT NULL,
	status     TEXT NOT NULL, -- pending | sent | failed | read
	attempts   INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	sent_at    BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notifications_pending ON notifications (status, channel, id);
CREATE INDEX notifications_user ON notifications (user_id, channel, status);
CREATE INDEX notifications_alert ON notifications (alert_id);

-- Instruments a bureau loaded under its own licence (the free ones ship
-- inside the binary). body is the instrument's JSON, validated on load.
CREATE TABLE instruments (
	code       TEXT PRIMARY KEY,
	body       TEXT NOT NULL,
	added_by   BIGINT NOT NULL,
	added_at   BIGINT NOT NULL
);
