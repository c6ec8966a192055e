-- The city's tree, its people, accounts and the audit log.
-- {{ID}} and {{BLOB}} are replaced per dialect; everything else is portable SQL.
-- Every table holding a child's data carries school_id and district_id so a
-- distributed PostgreSQL engine can shard on them.

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE districts (
	id   {{ID}},
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	kind TEXT NOT NULL
);

CREATE TABLE schools (
	id          {{ID}},
	district_id BIGINT NOT NULL REFERENCES districts (id),
	code        TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	type        TEXT NOT NULL,
	address     TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL
);
CREATE INDEX schools_district ON schools (district_id, type);

CREATE TABLE school_years (
	id         {{ID}},
	start_year INTEGER NOT NULL UNIQUE,
	s1_start   TEXT NOT NULL,
	s1_end     TEXT NOT NULL,
	s2_start   TEXT NOT NULL,
	s2_end     TEXT NOT NULL
);

CREATE TABLE classes (
	id             {{ID}},
	school_id      BIGINT NOT NULL REFERENCES schools (id),
	district_id    BIGINT NOT NULL REFERENCES districts (id),
	school_year_id BIGINT NOT NULL REFERENCES school_years (id),
	grade          INTEGER NOT NULL,
	number         INTEGER NOT NULL,
	name           TEXT NOT NULL,
	UNIQUE (school_id, school_year_id, grade, number)
);
CREATE INDEX classes_district ON classes (district_id);

CREATE TABLE agencies (
	id   {{ID}},
	kind TEXT NOT NULL,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE staff (
	id          {{ID}},
	school_id   BIGINT NOT NULL REFERENCES schools (id),
	district_id BIGINT NOT NULL REFERENCES districts (id),
	name        TEXT NOT NULL,
	gender      TEXT NOT NULL,
	phone       TEXT NOT NULL DEFAULT '',
	active      INTEGER NOT NULL DEFAULT 1,
	created_at  BIGINT NOT NULL
);
CREATE INDEX staff_school ON staff (school_id);
CREATE INDEX staff_district ON staff (district_id);

CREATE TABLE staff_posts (
	id          {{ID}},
	staff_id    BIGINT NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
	school_id   BIGINT NOT NULL REFERENCES schools (id),
	district_id BIGINT NOT NULL REFERENCES districts (id),
	post        TEXT NOT NULL,
	class_id    BIGINT REFERENCES classes (id)
);
CREATE INDEX staff_posts_staff ON staff_posts (staff_id);
CREATE INDEX staff_posts_class ON staff_posts (class_id);

CREATE TABLE students (
	id             {{ID}},
	school_id      BIGINT NOT NULL REFERENCES schools (id),
	district_id    BIGINT NOT NULL REFERENCES districts (id),
	class_id       BIGINT REFERENCES classes (id),
	-- student_no is the display form: a G number (G + resident ID number)
	-- shows only the ID's last four characters; the full number is the
	-- sealed ID number. student_no_bidx, a keyed hash of the full number,
	-- keeps numbers unique and serves exact lookups.
	student_no      TEXT NOT NULL,
	student_no_bidx {{BLOB}} NOT NULL UNIQUE,
	name           TEXT NOT NULL,
	gender         TEXT NOT NULL,
	birth_date     TEXT NOT NULL,
	status         TEXT NOT NULL,
	-- The resident ID number, sealed with the field key (AAD: table, column
	-- and the student-number index, so a ciphertext copied to another row
	-- does not open); looked up through the keyed blind index only.
	id_number      {{BLOB}},
	id_number_bidx {{BLOB}} UNIQUE,
	categories     INTEGER NOT NULL DEFAULT 0,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);
CREATE INDEX students_class ON students (class_id, status);
CREATE INDEX students_school ON students (school_id, status, class_id);
CREATE INDEX students_district ON students (district_id, status, school_id);

CREATE TABLE guardians (
	id          {{ID}},
	student_id  BIGINT NOT NULL REFERENCES students (id) ON DELETE CASCADE,
	school_id   BIGINT NOT NULL REFERENCES schools (id),
	district_id BIGINT NOT NULL REFERENCES districts (id),
	name        TEXT NOT NULL,
	relation    TEXT NOT NULL,
	phone       TEXT NOT NULL
);
CREATE INDEX guardians_student ON guardians (student_id);

CREATE TABLE users (
	id             {{ID}},
	username       TEXT NOT NULL UNIQUE,
	display_name   TEXT NOT NULL,
	password_hash  TEXT NOT NULL,
	-- '' = not chosen: the browser's preference applies.
	locale         TEXT NOT NULL DEFAULT '',
	disabled       INTEGER NOT NULL DEFAULT 0,
	totp_secret    {{BLOB}},
	totp_enabled   INTEGER NOT NULL DEFAULT 0,
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	recovery_codes TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL,
	last_login_at  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE assignments (
	id          {{ID}},
	user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role        TEXT NOT NULL,
	district_id BIGINT REFERENCES districts (id),
	school_id   BIGINT REFERENCES schools (id),
	class_id    BIGINT REFERENCES classes (id),
	agency_id   BIGINT REFERENCES agencies (id)
);
CREATE INDEX assignments_user ON assignments (user_id);

CREATE TABLE sessions (
	token_hash   {{BLOB}} PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	mfa_done     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
	id           {{ID}},
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	token_hash   {{BLOB}} NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL DEFAULT 0,
	revoked      INTEGER NOT NULL DEFAULT 0
);

-- The audit log: append-only, hash-chained. hash = H(prev_hash || canonical
-- entry). audit_head holds the last seq and hash; updating it in every
-- appending transaction serialises the chain on both engines.
CREATE TABLE audit_log (
	seq         BIGINT PRIMARY KEY,
	at          BIGINT NOT NULL,
	actor_id    BIGINT NOT NULL,
	actor_role  TEXT NOT NULL,
	ip          TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   BIGINT NOT NULL,
	school_id   BIGINT NOT NULL,
	district_id BIGINT NOT NULL,
	outcome     TEXT NOT NULL,
	detail      TEXT NOT NULL,
	prev_hash   {{BLOB}} NOT NULL,
	hash        {{BLOB}} NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);

CREATE TABLE audit_head (
	id        INTEGER PRIMARY KEY,
	seq       BIGINT NOT NULL,
	hash      {{BLOB}} NOT NULL,
	algorithm TEXT NOT NULL
);
