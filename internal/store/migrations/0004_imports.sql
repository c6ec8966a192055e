-- Roster imports: one row per uploaded file. The file itself is kept
-- sealed (it holds names and ID numbers) only between preview and commit,
-- then dropped.
CREATE TABLE imports (
	id             {{ID}},
	kind           TEXT NOT NULL,
	school_id      BIGINT REFERENCES schools (id),
	district_id    BIGINT REFERENCES districts (id),
	user_id        BIGINT REFERENCES users (id), -- NULL: the command line
	file_name      TEXT NOT NULL,
	file_sha256    TEXT NOT NULL,
	file_sealed    {{BLOB}},
	status         TEXT NOT NULL,
	rows_total     INTEGER NOT NULL DEFAULT 0,
	rows_new       INTEGER NOT NULL DEFAULT 0,
	rows_updated   INTEGER NOT NULL DEFAULT 0,
	rows_unchanged INTEGER NOT NULL DEFAULT 0,
	rows_error     INTEGER NOT NULL DEFAULT 0,
	created_at     BIGINT NOT NULL,
	committed_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX imports_school ON imports (school_id, id);
CREATE INDEX imports_district ON imports (district_id, id);
