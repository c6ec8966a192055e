-- Enrolment counters per class (class_key 0 = pupils waiting for a class),
-- maintained in the same transaction as every change to students, so the
-- drill-down pages read a few thousand counter rows instead of scanning
-- every pupil. c0..c5 follow model.Categories' order.
CREATE TABLE enrolment_counts (
	school_id   BIGINT NOT NULL REFERENCES schools (id),
	district_id BIGINT NOT NULL REFERENCES districts (id),
	class_key   BIGINT NOT NULL,
	students    INTEGER NOT NULL,
	female      INTEGER NOT NULL,
	c0          INTEGER NOT NULL,
	c1          INTEGER NOT NULL,
	c2          INTEGER NOT NULL,
	c3          INTEGER NOT NULL,
	c4          INTEGER NOT NULL,
	c5          INTEGER NOT NULL,
	PRIMARY KEY (school_id, class_key)
);
CREATE INDEX enrolment_counts_district ON enrolment_counts (district_id, school_id);

INSERT INTO enrolment_counts (school_id, district_id, class_key, students, female, c0, c1, c2, c3, c4, c5)
SELECT school_id, MIN(district_id), COALESCE(class_id, 0), COUNT(*),
	SUM(CASE WHEN gender = 'F' THEN 1 ELSE 0 END),
	SUM(CASE WHEN (categories & 1) <> 0 THEN 1 ELSE 0 END),
	SUM(CASE WHEN (categories & 2) <> 0 THEN 1 ELSE 0 END),
	SUM(CASE WHEN (categories & 4) <> 0 THEN 1 ELSE 0 END),
	SUM(CASE WHEN (categories & 8) <> 0 THEN 1 ELSE 0 END),
	SUM(CASE WHEN (categories & 16) <> 0 THEN 1 ELSE 0 END),
	SUM(CASE WHEN (categories & 32) <> 0 THEN 1 ELSE 0 END)
FROM students WHERE status = 'enrolled' GROUP BY school_id, COALESCE(class_id, 0);

-- A generation number bumped with every counter change, so servers can
-- cache published aggregates and know when they are stale.
CREATE TABLE counters_version (
	id  INTEGER PRIMARY KEY,
	gen BIGINT NOT NULL
);
INSERT INTO counters_version (id, gen) VALUES (1, 0);
