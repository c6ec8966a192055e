-- Home–school cooperation (issue 6): parent-school activities with their
-- evidence, home visits with their visitors and findings, the per-term
-- coverage they keep, concerns passed to the psychology teacher, the
-- key-pupil register's dates and sources with the follow-up cadence, and
-- assistance lists sent to partner agencies with the agencies' answers.

-- A parent-school activity (家长学校活动). term_year/term_sem is the term
-- its date falls in, so quotas count one index range.
CREATE TABLE hs_activities (
	id          {{ID}},
	school_id   BIGINT NOT NULL REFERENCES schools (id),
	district_id BIGINT NOT NULL REFERENCES districts (id),
	kind        TEXT NOT NULL,   -- programme.Act*: guidance | practice | parent_child | mh_parent_meeting | open_day | expert_lecture | womens_federation
	held_on     TEXT NOT NULL,   -- yyyy-mm-dd
	term_year   INTEGER NOT NULL,
	term_sem    INTEGER NOT NULL,
	topic       TEXT NOT NULL,
	speaker     TEXT NOT NULL DEFAULT '',
	grades      TEXT NOT NULL DEFAULT '', -- comma-separated grade levels; '' = the whole school
	parents     INTEGER NOT NULL DEFAULT 0,
	created_by  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL,
	-- The same activity entered twice is refused.
	UNIQUE (school_id, kind, held_on, topic)
);
CREATE INDEX hs_activities_term ON hs_activities (term_year, term_sem, school_id, kind);

-- Photos, files and sign-in sheets of an activity, sealed. faces = 1 when
-- the file may show children's faces: it never leaves the school.
CREATE TABLE hs_evidence (
	id          {{ID}},
	activity_id BIGINT NOT NULL REFERENCES hs_activities (id) ON DELETE CASCADE,
	school_id   BIGINT NOT NULL,
	district_id BIGINT NOT NULL,
	kind        TEXT NOT NULL,   -- photo | file | signin
	name        TEXT NOT NULL,
	mime        TEXT NOT NULL,
	size        BIGINT NOT NULL,
	body        {{BLOB}} NOT NULL,
	faces       INTEGER NOT NULL DEFAULT 0,
	created_by  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX hs_evidence_activity ON hs_evidence (activity_id);

-- A home visit (家访) of one pupil's family. class_id is the class at the
-- time of the visit; coverage counts the pupil at their current class.
-- Findings are codes; the free-text note is sealed.
CREATE TABLE home_visits (
	id          {{ID}},
	student_id  BIGINT NOT NULL REFERENCES students (id),
	school_id   BIGINT NOT NULL REFERENCES schools (id),
	district_id BIGINT NOT NULL REFERENCES districts (id),
	class_id    BIGINT REFERENCES classes (id),
	visited_on  TEXT NOT NULL,
	term_year   INTEGER NOT NULL,
	term_sem    INTEGER NOT NULL,
	mode        TEXT NOT NULL,   -- in_person | phone | wechat
	family      TEXT NOT NULL,   -- stable | strained | difficult
	living      TEXT NOT NULL,   -- both_parents | one_parent | grandparents | relatives | other
	since_last  TEXT NOT NULL,   -- none | improved | worsened | major_event | first
	concerns    TEXT NOT NULL DEFAULT '', -- comma-separated: mood | safety | behaviour | health
	help        TEXT NOT NULL DEFAULT '', -- comma-separated: financial | study | psychological | parenting | health
	note        {{BLOB}},
	recorded_by BIGINT NOT NULL,
	recorded_at BIGINT NOT NULL
);
CREATE INDEX home_visits_student ON home_visits (student_id, visited_on);
CREATE INDEX home_visits_term ON home_visits (term_year, term_sem, school_id, mode);
CREATE INDEX home_visits_class ON home_visits (class_id, term_year, term_sem);

-- The members of the class team who made the visit.
CREATE TABLE home_visit_visitors (
	visit_id BIGINT NOT NULL REFERENCES home_visits (id) ON DELETE CASCADE,
	staff_id BIGINT NOT NULL REFERENCES staff (id),
	PRIMARY KEY (visit_id, staff_id)
);
CREATE INDEX home_visit_visitors_staff ON home_visit_visitors (staff_id);

-- One row per pupil and term with at least one visit, kept in the same
-- transaction as every visit: coverage reads one row per visited pupil
-- instead of every visit. modes is a bit set (1 in person, 2 phone,
-- 4 WeChat).
CREATE TABLE visit_coverage (
	term_year   INTEGER NOT NULL,
	term_sem    INTEGER NOT NULL,
	student_id  BIGINT NOT NULL REFERENCES students (id),
	school_id   BIGINT NOT NULL,
	district_id BIGINT NOT NULL,
	visits      INTEGER NOT NULL,
	modes       INTEGER NOT NULL,
	first_on    TEXT NOT NULL,
	last_on     TEXT NOT NULL,
	PRIMARY KEY (term_year, term_sem, student_id)
);

-- A concern noted during a visit and passed to the school's psychology
-- teacher: it waits in their inbox until they take it up and close it.
CREATE TABLE visit_concerns (
	id          {{ID}},
	visit_id    BIGINT NOT NULL REFERENCES home_visits (id) UNIQUE,
	student_id  BIGINT NOT NULL REFERENCES students (id),
	school_id   BIGINT NOT NULL,
	district_id BIGINT NOT NULL,
	class_id    BIGINT,
	kinds       TEXT NOT NULL,
	message     {{BLOB}},
	state       TEXT NOT NULL,   -- open | taken | closed
	raised_by   BIGINT NOT NULL,
	raised_at   BIGINT NOT NULL,
	handled_by  BIGINT NOT NULL DEFAULT 0,
	handled_at  BIGINT NOT NULL DEFAULT 0,
	outcome     TEXT NOT NULL DEFAULT '' -- talked | counselling | referred | no_action
);
CREATE INDEX visit_concerns_school ON visit_concerns (school_id, state);

-- When and from where each key-pupil category of a pupil was noted. The
-- pupil's categories themselves stay in students.categories (the roster);
-- a category without a row here came with the roster.
CREATE TABLE key_pupil_marks (
	student_id  BIGINT NOT NULL REFERENCES students (id) ON DELETE CASCADE,
	category    TEXT NOT NULL,
	school_id   BIGINT NOT NULL,
	district_id BIGINT NOT NULL,
	since       TEXT NOT NULL,   -- yyyy-mm-dd
	source      TEXT NOT NULL,   -- roster | class_teacher | school | civil_affairs | youth_league | womens_federation | guardian
	noted_by    BIGINT NOT NULL,
	noted_at    BIGINT NOT NULL,
	PRIMARY KEY (student_id, category)
);
CREATE INDEX key_pupil_marks_school ON key_pupil_marks (school_id);

-- The follow-up cadence per key-pupil category: at most this many days
-- between two follow-ups (visits of any mode). The digest asks for
-- irregular follow-ups (不定期随访) without a number; these defaults are
-- ours and a city official changes them.
CREATE TABLE key_cadence (
	category   TEXT PRIMARY KEY,
	days       INTEGER NOT NULL,
	updated_by BIGINT NOT NULL DEFAULT 0,
	updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO key_cadence (category, days) VALUES ('left_behind', 30), ('orphan', 30), ('poor', 60), ('single_parent', 60),
	('disabled', 60), ('migrant', 90);

-- An assistance list (帮扶名单) of pupils from families in difficulty, built
-- by a school (school_id set) or a district (school_id NULL) and sent to a
-- partner agency, which answers each pupil. channel 'excel' marks a list
-- exported for an agency without accounts, its answers re-imported.
CREATE TABLE assist_lists (
	id          {{ID}},
	district_id BIGINT NOT NULL REFERENCES districts (id),
	school_id   BIGINT REFERENCES schools (id),
	agency_id   BIGINT NOT NULL REFERENCES agencies (id),
	title       TEXT NOT NULL,
	state       TEXT NOT NULL,   -- draft | sent | closed
	channel     TEXT NOT NULL DEFAULT 'system',
	created_by  BIGINT NOT NULL,
	created_at  BIGINT NOT NULL,
	sent_by     BIGINT NOT NULL DEFAULT 0,
	sent_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX assist_lists_agency ON assist_lists (agency_id, state);
CREATE INDEX assist_lists_node ON assist_lists (district_id, school_id);

CREATE TABLE assist_items (
	id          {{ID}},
	list_id     BIGINT NOT NULL REFERENCES assist_lists (id) ON DELETE CASCADE,
	student_id  BIGINT NOT NULL REFERENCES students (id),
	school_id   BIGINT NOT NULL,
	district_id BIGINT NOT NULL,
	category    TEXT NOT NULL,
	help        TEXT NOT NULL,   -- financial | study | psychological | parenting | health | other
	detail      TEXT NOT NULL DEFAULT '',
	answer      TEXT NOT NULL DEFAULT '', -- '' | received | assisted | declined
	answer_note TEXT NOT NULL DEFAULT '',
	answered_by BIGINT NOT NULL DEFAULT 0,
	answered_at BIGINT NOT NULL DEFAULT 0,
	UNIQUE (list_id, student_id)
);
CREATE INDEX assist_items_student ON assist_items (student_id);

-- A generation number bumped with every activity or visit write, so the
-- evaluated home–school progress can be cached between writes.
CREATE TABLE homeschool_version (
	id  INTEGER PRIMARY KEY,
	gen BIGINT NOT NULL
);
INSERT INTO homeschool_version (id, gen) VALUES (1, 0);
