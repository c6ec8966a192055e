-- The plan's targets (issue 5): training courses and sessions, attendance
-- with credited hours, certificates, targets as data and their history.

-- A user may be a member of staff: their own training record (D6 "own").
ALTER TABLE users ADD COLUMN staff_id BIGINT REFERENCES staff (id);

CREATE TABLE courses (
	id          {{ID}},
	title       TEXT NOT NULL,
	level       TEXT NOT NULL,  -- A | B | C | principal | general
	topic       TEXT NOT NULL DEFAULT '',
	hours       REAL NOT NULL,
	mode        TEXT NOT NULL,  -- online | offline | mixed
	assessment  TEXT NOT NULL DEFAULT '',
	created_by  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL,
	UNIQUE (title, level)
);

CREATE TABLE training_sessions (
	id          {{ID}},
	course_id   BIGINT NOT NULL REFERENCES courses (id),
	-- The organising node: both NULL = the city.
	district_id BIGINT REFERENCES districts (id),
	school_id   BIGINT REFERENCES schools (id),
	starts_on   TEXT NOT NULL,
	ends_on     TEXT NOT NULL,
	place       TEXT NOT NULL DEFAULT '',
	provider    TEXT NOT NULL DEFAULT '',
	trainer     TEXT NOT NULL DEFAULT '',
	created_by  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX training_sessions_course ON training_sessions (course_id);

-- One row per person per session: pass or fail and the hours credited to
-- the school year the session ended in.
CREATE TABLE attendance (
	id          {{ID}},
	session_id  BIGINT NOT NULL REFERENCES training_sessions (id),
	staff_id    BIGINT NOT NULL REFERENCES staff (id),
	school_id   BIGINT NOT NULL,
	district_id BIGINT NOT NULL,
	school_year INTEGER NOT NULL,
	passed      INTEGER NOT NULL,
	hours       REAL NOT NULL,
	recorded_by BIGINT NOT NULL,
	recorded_at BIGINT NOT NULL,
	UNIQUE (session_id, staff_id)
);
CREATE INDEX attendance_staff ON attendance (staff_id, school_year);
CREATE INDEX attendance_school ON attendance (school_id, school_year);

-- Passed hours per person and school year, kept in the same transaction
-- as every attendance write, so judging the targets reads one row per
-- person and year instead of summing every attendance.
CREATE TABLE staff_hours (
	staff_id    BIGINT NOT NULL REFERENCES staff (id),
	school_year INTEGER NOT NULL,
	hours       REAL NOT NULL,
	PRIMARY KEY (staff_id, school_year)
);

-- A/B/C school psychological counsellor certificates and the principals'
-- mental-health training: submitted by the teacher or the school, confirmed
-- by the school. The evidence file is sealed.
CREATE TABLE certificates (
	id            {{ID}},
	staff_id      BIGINT NOT NULL REFERENCES staff (id),
	school_id     BIGINT NOT NULL,
	district_id   BIGINT NOT NULL,
	kind          TEXT NOT NULL, -- A | B | C | principal_training
	number        TEXT NOT NULL,
	issuer        TEXT NOT NULL,
	issued_on     TEXT NOT NULL,
	evidence      {{BLOB}},
	evidence_name TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL, -- submitted | confirmed | rejected
	submitted_by  BIGINT NOT NULL,
	submitted_at  BIGINT NOT NULL,
	confirmed_by  BIGINT NOT NULL DEFAULT 0,
	confirmed_at  BIGINT NOT NULL DEFAULT 0,
	UNIQUE (kind, number)
);
CREATE INDEX certificates_staff ON certificates (staff_id);
CREATE INDEX certificates_school ON certificates (school_id, status);

-- Targets as data (programme.Target as JSON); the 2021–2025 plan ships as
-- seed rows, a bureau adds the next plan's without code.
CREATE TABLE targets (
	code       TEXT PRIMARY KEY,
	plan       TEXT NOT NULL,
	body       TEXT NOT NULL,
	active     INTEGER NOT NULL DEFAULT 1,
	created_by BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);

-- Periodic snapshots of every target at every node, for trends and the
-- on-track forecast. node_id 0 with kind 'city' is the city.
CREATE TABLE target_snapshots (
	target_code TEXT NOT NULL,
	node_kind   TEXT NOT NULL,
	node_id     BIGINT NOT NULL,
	taken_on    TEXT NOT NULL,
	population  INTEGER NOT NULL,
	met         INTEGER NOT NULL,
	actual      REAL NOT NULL,
	PRIMARY KEY (target_code, node_kind, node_id, taken_on)
);
CREATE INDEX target_snapshots_day ON target_snapshots (taken_on);

-- A generation number bumped with every change to training, certificates,
-- targets or staff posts, so evaluated progress can be cached.
CREATE TABLE training_version (
	id  INTEGER PRIMARY KEY,
	gen BIGINT NOT NULL
);
INSERT INTO training_version (id, gen) VALUES (1, 0);
