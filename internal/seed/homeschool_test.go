package seed

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/demo"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// hsEnv is a store loaded with a small demo city and a plain connection to
// the same database, for checks the store has no method for.
type hsEnv struct {
	engine string
	st     *store.Store
	db     *sql.DB
}

// openHSEnv opens a store on a fresh database: a new SQLite file, or a new
// schema on the PostgreSQL server HUHANG_TEST_DATABASE_URL names (skipped
// when it is not set), dropped when the test ends.
func openHSEnv(t *testing.T, engine string) hsEnv {
	t.Helper()
	ctx := context.Background()
	keys, err := privacy.NewKeyring(make([]byte, privacy.MasterKeySize), privacy.AES256GCM)
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.Config{Keyring: keys, AuditAlgorithm: audit.SHA256}
	var driver, dsn string
	switch engine {
	case "sqlite":
		cfg.SQLitePath = filepath.Join(t.TempDir(), "seed.db")
		driver, dsn = "sqlite", "file:"+cfg.SQLitePath+"?_pragma=busy_timeout(10000)"
	case "postgres":
		base := os.Getenv("HUHANG_TEST_DATABASE_URL")
		if base == "" {
			t.Skip("set HUHANG_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run on PostgreSQL")
		}
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		var b [8]byte
		rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			defer admin.Close()
			if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
		})
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		cfg.DatabaseURL = u.String()
		driver, dsn = "pgx", cfg.DatabaseURL
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return hsEnv{engine: engine, st: st, db: db}
}

// q rebinds ? placeholders for PostgreSQL.
func (e hsEnv) q(query string) string {
	if e.engine != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// each runs query and hands every row to scan.
func (e hsEnv) each(t *testing.T, query string, args []any, scan func(*sql.Rows) error) {
	t.Helper()
	rows, err := e.db.Query(e.q(query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (e hsEnv) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(e.q(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestHomeSchoolHistory loads a small city on each engine and checks the
// story the home–school pages tell, and that it hangs together.
func TestHomeSchoolHistory(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			e := openHSEnv(t, engine)
			ctx := context.Background()
			if _, err := Load(ctx, e.st, Options{Seed: 1, Scale: 0.05, PasswordParams: &cheapParams, SkipScreening: true}); err != nil {
				t.Fatal(err)
			}
			checkHomeSchool(t, e)
		})
	}
}

func checkHomeSchool(t *testing.T, e hsEnv) {
	ctx := context.Background()
	cal, err := e.st.Calendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	today := civilDay(time.Now())
	yesterday := today.AddDate(0, 0, -1).Format(time.DateOnly)
	cur := cal.TermOf(today.AddDate(0, 0, -1))
	if cal.Period(cur).Start.After(today.AddDate(0, 0, -1)) {
		cur = prevTerm(cur)
	}
	prev := prevTerm(cur)
	tg, err := FindTargets(ctx, e.st)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("visits and activities fall inside their term and never after yesterday", func(t *testing.T) {
		terms := map[programme.Term]bool{}
		check := func(what string, term programme.Term, first, last string) {
			p := cal.Period(term)
			if first < p.Start.Format(time.DateOnly) || last > p.End.Format(time.DateOnly) {
				t.Errorf("%s of term %v run %s…%s, outside %s…%s", what, term, first, last, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly))
			}
			if last > yesterday {
				t.Errorf("%s of term %v run to %s, after yesterday", what, term, last)
			}
		}
		e.each(t, "SELECT term_year, term_sem, MIN(visited_on), MAX(visited_on) FROM home_visits GROUP BY term_year, term_sem", nil, func(r *sql.Rows) error {
			var term programme.Term
			var first, last string
			err := r.Scan(&term.Year, &term.Semester, &first, &last)
			terms[term] = true
			check("visits", term, first, last)
			return err
		})
		if !terms[prev] || !terms[cur] || len(terms) != 2 {
			t.Errorf("visits in terms %v; want %v and %v", terms, prev, cur)
		}
		e.each(t, "SELECT term_year, term_sem, held_on FROM hs_activities", nil, func(r *sql.Rows) error {
			var term programme.Term
			var on string
			err := r.Scan(&term.Year, &term.Semester, &on)
			check("activity", term, on, on)
			if d, _ := time.Parse(time.DateOnly, on); d.Weekday() == time.Sunday {
				t.Errorf("activity on a Sunday, %s", on)
			}
			return err
		})
	})

	t.Run("coverage agrees with the visits", func(t *testing.T) {
		pupilTerms := e.count(t, "SELECT COUNT(*) FROM (SELECT DISTINCT term_year, term_sem, student_id FROM home_visits) x")
		if n := e.count(t, "SELECT COUNT(*) FROM visit_coverage"); n != pupilTerms || n == 0 {
			t.Errorf("%d coverage rows for %d visited pupil-terms", n, pupilTerms)
		}
		bad := e.count(t, `SELECT COUNT(*) FROM visit_coverage c JOIN students s ON s.id = c.student_id WHERE c.school_id <> s.school_id
			OR c.visits <> (SELECT COUNT(*) FROM home_visits v WHERE v.student_id = c.student_id AND v.term_year = c.term_year AND v.term_sem = c.term_sem)
			OR c.first_on <> (SELECT MIN(v.visited_on) FROM home_visits v WHERE v.student_id = c.student_id AND v.term_year = c.term_year AND v.term_sem = c.term_sem)
			OR c.last_on <> (SELECT MAX(v.visited_on) FROM home_visits v WHERE v.student_id = c.student_id AND v.term_year = c.term_year AND v.term_sem = c.term_sem)
			OR c.modes <> (SELECT MAX(CASE WHEN v.mode = 'in_person' THEN 1 ELSE 0 END) + MAX(CASE WHEN v.mode = 'phone' THEN 2 ELSE 0 END)
				+ MAX(CASE WHEN v.mode = 'wechat' THEN 4 ELSE 0 END)
				FROM home_visits v WHERE v.student_id = c.student_id AND v.term_year = c.term_year AND v.term_sem = c.term_sem)`)
		if bad != 0 {
			t.Errorf("%d coverage rows disagree with their visits", bad)
		}
		for _, term := range []programme.Term{prev, cur} {
			visits := e.count(t, "SELECT COUNT(*) FROM home_visits WHERE term_year = ? AND term_sem = ?", term.Year, term.Semester)
			if sum := e.count(t, "SELECT COALESCE(SUM(visits), 0) FROM visit_coverage WHERE term_year = ? AND term_sem = ?", term.Year, term.Semester); sum != visits {
				t.Errorf("term %v: coverage sums %d visits, home_visits holds %d", term, sum, visits)
			}
		}
	})

	t.Run("every visitor is on the pupil's class team", func(t *testing.T) {
		if n := e.count(t, `SELECT COUNT(*) FROM home_visit_visitors hv JOIN home_visits v ON v.id = hv.visit_id
			WHERE NOT EXISTS (SELECT 1 FROM staff_posts p WHERE p.staff_id = hv.staff_id AND p.class_id = v.class_id
				AND p.post IN ('class_teacher', 'subject_teacher'))`); n != 0 {
			t.Errorf("%d visitors not on the class team", n)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM home_visits v WHERE NOT EXISTS (SELECT 1 FROM home_visit_visitors hv WHERE hv.visit_id = v.id)"); n != 0 {
			t.Errorf("%d visits without a visitor", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM home_visits v JOIN students s ON s.id = v.student_id
			WHERE v.class_id <> s.class_id OR v.school_id <> s.school_id OR v.district_id <> s.district_id`); n != 0 {
			t.Errorf("%d visits filed under another class or school than the pupil's", n)
		}
	})

	t.Run("every class has two or three subject teachers of its own school", func(t *testing.T) {
		classes, small := 0, 0
		e.each(t, `SELECT c.id, COUNT(p.id) FROM classes c LEFT JOIN staff_posts p ON p.class_id = c.id AND p.post = 'subject_teacher'
			GROUP BY c.id`, nil, func(r *sql.Rows) error {
			var id int64
			var n int
			err := r.Scan(&id, &n)
			classes++
			if n < 2 {
				small++
			}
			if n > 3 {
				t.Errorf("class %d has %d subject teachers", id, n)
			}
			return err
		})
		if small*10 > classes {
			t.Errorf("%d of %d classes have fewer than two subject teachers", small, classes)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM staff_posts p JOIN classes c ON c.id = p.class_id JOIN staff st ON st.id = p.staff_id
			WHERE st.school_id <> c.school_id OR p.school_id <> c.school_id`); n != 0 {
			t.Errorf("%d posts on a class of another school", n)
		}
		if n := e.count(t, "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM staff_posts GROUP BY staff_id) x"); n > 10 {
			t.Errorf("a member of staff holds %d posts; the staff form allows 10", n)
		}
		u, err := e.st.UserByUsername(ctx, "teacher")
		if err != nil {
			t.Fatal(err)
		}
		staff, err := e.st.StaffIDOf(ctx, u.ID)
		if err != nil || staff == 0 {
			t.Fatalf("teacher account not linked: %v", err)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM staff_posts WHERE staff_id = ? AND class_id = ?", staff, tg.TeamClass); n == 0 {
			t.Error("the teacher account is not on its class's team")
		}
	})

	t.Run("most schools met last term's quotas, a few lag clearly this term", func(t *testing.T) {
		type school struct {
			district int64
			typ      model.SchoolType
			acts     [2]map[string]int
			pupils   int
			visited  int
		}
		schools := map[int64]*school{}
		e.each(t, "SELECT id, district_id, type FROM schools", nil, func(r *sql.Rows) error {
			s := &school{acts: [2]map[string]int{{}, {}}}
			var id int64
			err := r.Scan(&id, &s.district, &s.typ)
			schools[id] = s
			return err
		})
		e.each(t, "SELECT school_id, term_year, term_sem, kind, COUNT(*) FROM hs_activities GROUP BY school_id, term_year, term_sem, kind", nil,
			func(r *sql.Rows) error {
				var id int64
				var term programme.Term
				var kind string
				var n int
				err := r.Scan(&id, &term.Year, &term.Semester, &kind, &n)
				i := 0
				if term == cur {
					i = 1
				}
				schools[id].acts[i][kind] = n
				return err
			})
		e.each(t, "SELECT school_id, COUNT(*) FROM students WHERE status = 'enrolled' AND class_id IS NOT NULL GROUP BY school_id", nil,
			func(r *sql.Rows) error {
				var id int64
				var n int
				err := r.Scan(&id, &n)
				schools[id].pupils = n
				return err
			})
		e.each(t, "SELECT school_id, COUNT(*) FROM visit_coverage WHERE term_year = ? AND term_sem = ? GROUP BY school_id", []any{cur.Year, cur.Semester},
			func(r *sql.Rows) error {
				var id int64
				var n int
				err := r.Scan(&id, &n)
				schools[id].visited = n
				return err
			})
		met, lagging, lagInDemoDistrict := 0, 0, false
		for id, s := range schools {
			a := s.acts[0]
			var missed int
			if s.typ == model.Kindergarten {
				missed = b2n(a[programme.ActGuidance] < 1) + b2n(a[programme.ActParentChild] < 2)
			} else {
				missed = b2n(a[programme.ActGuidance] < 2) + b2n(a[programme.ActPractice]+a[programme.ActParentChild] < 1) +
					b2n(a[programme.ActMHMeeting] < 1)
			}
			if missed > 1 {
				t.Errorf("school %d missed %d quotas last term", id, missed)
			}
			if missed == 0 {
				met++
			}
			n := 0
			for _, k := range s.acts[1] {
				n += k
			}
			if n <= 1 && s.pupils > 0 && float64(s.visited) < 0.5*float64(s.pupils) {
				lagging++
				lagInDemoDistrict = lagInDemoDistrict || s.district == tg.District
				if id == tg.School {
					t.Error("the demo school lags")
				}
			}
		}
		if met*100 < len(schools)*70 {
			t.Errorf("%d of %d schools met every quota last term; want most", met, len(schools))
		}
		// This term's figures depend on how far it has run.
		progress := termProgress(cal, today)
		t.Logf("this term has run %.0f%% of its visiting window; %d of %d schools lag", 100*progress, lagging, len(schools))
		if progress >= 0.4 {
			if lagging == 0 || lagging*3 > len(schools) {
				t.Errorf("%d of %d schools lag this term; want a few", lagging, len(schools))
			}
			if !lagInDemoDistrict {
				t.Error("no school of the demo district lags this term")
			}
		}
		pupils := e.count(t, "SELECT COUNT(*) FROM students WHERE status = 'enrolled' AND class_id IS NOT NULL")
		visited := e.count(t, "SELECT COUNT(*) FROM visit_coverage WHERE term_year = ? AND term_sem = ?", cur.Year, cur.Semester)
		if share := float64(visited) / float64(pupils); progress >= 0.45 && progress <= 0.8 && (share < 0.55 || share > 0.85) {
			t.Errorf("%.0f%% of pupils visited this term; want about 70%%", 100*share)
		}
		schoolPupils := e.count(t, `SELECT COUNT(*) FROM students s JOIN schools sc ON sc.id = s.school_id
			WHERE s.status = 'enrolled' AND s.class_id IS NOT NULL AND sc.type <> 'kindergarten'`)
		schoolVisited := e.count(t, `SELECT COUNT(*) FROM visit_coverage c JOIN schools sc ON sc.id = c.school_id
			WHERE c.term_year = ? AND c.term_sem = ? AND sc.type <> 'kindergarten'`, prev.Year, prev.Semester)
		if share := float64(schoolVisited) / float64(schoolPupils); share < 0.88 {
			t.Errorf("%.0f%% of school pupils visited last term; want over 90%%", 100*share)
		}
		// The full city (≈181,000 pupils) needs 200,000 visits this term.
		if visits := e.count(t, "SELECT COUNT(*) FROM home_visits WHERE term_year = ? AND term_sem = ?", cur.Year, cur.Semester); progress >= 0.5 && visits*100 < pupils*112 {
			t.Errorf("%d visits this term for %d pupils; the full city would fall short of 200,000", visits, pupils)
		}
		modes := map[string]int{}
		e.each(t, "SELECT mode, COUNT(*) FROM home_visits GROUP BY mode", nil, func(r *sql.Rows) error {
			var m string
			var n int
			err := r.Scan(&m, &n)
			modes[m] = n
			return err
		})
		total := modes["in_person"] + modes["phone"] + modes["wechat"]
		for m, want := range map[string][2]float64{"in_person": {0.35, 0.55}, "phone": {0.25, 0.45}, "wechat": {0.1, 0.3}} {
			if share := float64(modes[m]) / float64(total); share < want[0] || share > want[1] {
				t.Errorf("%s visits %.0f%%, want %.0f–%.0f%%", m, 100*share, 100*want[0], 100*want[1])
			}
		}
	})

	t.Run("the demo accounts find work to do", func(t *testing.T) {
		if n := e.count(t, "SELECT COUNT(*) FROM visit_concerns WHERE school_id = ? AND state = 'open'", tg.School); n < 2 {
			t.Errorf("%d open concerns at the demo school; want 2 or more", n)
		}
		sheet, err := e.st.ClassVisits(ctx, store.SystemActor, cityAll, tg.Class, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if sheet.Unvisited < 3 || sheet.Coverage.Visited == 0 {
			t.Errorf("demo class: %d unvisited, %d visited; want 3 or more unvisited among visited ones", sheet.Unvisited, sheet.Coverage.Visited)
		}
		if n := overdueIn(t, e, tg.Class, today); n == 0 {
			t.Error("no key pupil of the demo class is overdue for a follow-up")
		}
		u, err := e.st.UserByUsername(ctx, "classteacher")
		if err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM home_visits WHERE class_id = ? AND recorded_by <> ?", tg.Class, u.ID); n != 0 {
			t.Errorf("%d visits of the demo class not recorded by its class teacher", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM assist_lists l WHERE l.agency_id = ? AND l.state = 'sent'
			AND NOT EXISTS (SELECT 1 FROM assist_items i WHERE i.list_id = l.id AND i.answer <> '')`, tg.Agency); n == 0 {
			t.Error("no list awaits the agency account's answers")
		}
		if n := e.count(t, "SELECT COUNT(*) FROM assist_lists l WHERE l.agency_id = ? AND EXISTS (SELECT 1 FROM assist_items i WHERE i.list_id = l.id AND i.answer <> '')",
			tg.Agency); n == 0 {
			t.Error("the agency account has answered no list")
		}
		if n := e.count(t, "SELECT COUNT(*) FROM assist_lists WHERE school_id = ? AND state = 'draft'", tg.School); n == 0 {
			t.Error("no draft list at the demo school")
		}
	})

	t.Run("assistance lists name only pupils of their own school", func(t *testing.T) {
		if n := e.count(t, `SELECT COUNT(*) FROM assist_items i JOIN assist_lists l ON l.id = i.list_id JOIN students s ON s.id = i.student_id
			WHERE l.school_id IS NULL OR s.school_id <> l.school_id OR i.school_id <> l.school_id OR i.district_id <> l.district_id`); n != 0 {
			t.Errorf("%d items name a pupil of another school", n)
		}
		mask := model.CategorySet(0).With(model.CatPoor).With(model.CatLeftBehind).With(model.CatOrphan)
		if n := e.count(t, "SELECT COUNT(*) FROM assist_items i JOIN students s ON s.id = i.student_id WHERE (s.categories & ?) = 0", int64(mask)); n != 0 {
			t.Errorf("%d items name a pupil who is neither poor, orphaned nor left behind", n)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM assist_lists l WHERE (SELECT COUNT(*) FROM assist_items i WHERE i.list_id = l.id) NOT BETWEEN 3 AND 15"); n != 0 {
			t.Errorf("%d lists with fewer than 3 or more than 15 pupils", n)
		}
	})

	t.Run("sealed notes, messages and evidence open with the store", func(t *testing.T) {
		var student, evidence int64
		if err := e.db.QueryRow("SELECT student_id FROM home_visits WHERE note IS NOT NULL ORDER BY id LIMIT 1").Scan(&student); err != nil {
			t.Fatal(err)
		}
		visits, err := e.st.StudentVisits(ctx, store.SystemActor, cityAll, student)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(visits, func(v store.Visit) bool { return v.Note != "" }) {
			t.Error("no visit note opened")
		}
		concerns, err := e.st.ListConcerns(ctx, store.SystemActor, cityAll, "all")
		if err != nil {
			t.Fatal(err)
		}
		if len(concerns) == 0 || slices.ContainsFunc(concerns, func(c store.Concern) bool { return c.Message == "" }) {
			t.Errorf("%d concerns, some without their message", len(concerns))
		}
		if err := e.db.QueryRow("SELECT id FROM hs_evidence WHERE kind = 'photo' ORDER BY id LIMIT 1").Scan(&evidence); err != nil {
			t.Fatal(err)
		}
		ref, body, err := e.st.ActivityEvidence(ctx, store.SystemActor, cityAll, evidence)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(body, []byte("\x89PNG")) || ref.Size != int64(len(body)) {
			t.Errorf("photo evidence opens as %d bytes (size %d), not a PNG", len(body), ref.Size)
		}
	})

	t.Run("month-end snapshots of the quotas count the history", func(t *testing.T) {
		h, err := e.st.TargetHistory(ctx, "hs-home-visits", "city", 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range h {
			if s.At.Before(cal.Period(prev).Start) || s.At.Month() == time.August { // August lies between terms
				continue
			}
			n++
			if s.Actual == 0 {
				t.Errorf("the snapshot of %s counts no visit", s.At.Format(time.DateOnly))
			}
		}
		if n == 0 && today.Sub(cal.Period(prev).Start) > 60*24*time.Hour {
			t.Error("no month-end snapshot of the visits target in the two terms")
		}
	})

	t.Run("a visit recorded after the load is stored and moves the class's coverage", func(t *testing.T) {
		before, err := e.st.ClassVisits(ctx, store.SystemActor, cityAll, tg.Class, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(before.Pupils, func(p store.VisitPupil) bool { return p.Visits == 0 })
		j := slices.IndexFunc(before.Team, func(m store.TeamMember) bool { return m.Post == "class_teacher" })
		if i < 0 || j < 0 {
			t.Fatalf("demo class: unvisited pupil %d, class teacher %d", i, j)
		}
		res, err := e.st.RecordVisit(ctx, store.SystemActor, cityAll, store.VisitInput{StudentID: before.Pupils[i].StudentID, VisitedOn: yesterday,
			Mode: "phone", Visitors: []int64{before.Team[j].StaffID}, Family: "stable", Living: "both_parents"})
		if err != nil {
			t.Fatal(err)
		}
		if max := e.count(t, "SELECT MAX(id) FROM home_visits"); res.ID != int64(max) {
			t.Errorf("the new visit got id %d; the loaded ones end at %d", res.ID, max)
		}
		after, err := e.st.ClassVisits(ctx, store.SystemActor, cityAll, tg.Class, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if after.Unvisited != before.Unvisited-1 {
			t.Errorf("unvisited %d → %d", before.Unvisited, after.Unvisited)
		}
	})

	t.Run("the load is audited once and moves the version on", func(t *testing.T) {
		if n := e.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'homeschool.history_loaded'"); n != 1 {
			t.Errorf("%d audit entries for the load", n)
		}
		if n := e.count(t, "SELECT gen FROM homeschool_version WHERE id = 1"); n < 2 {
			t.Errorf("homeschool_version.gen = %d", n)
		}
		if _, err := e.st.LoadHomeSchoolHistory(ctx, store.HomeSchoolHistory{}); err == nil {
			t.Error("a second load was not refused")
		}
	})
}

func b2n(b bool) int {
	if b {
		return 1
	}
	return 0
}

// overdueIn counts the key pupils of a class overdue for a follow-up on
// today: a category counts from its mark's date (or the day the pupil
// joined the roster) or the last visit, whichever is later, and is due its
// cadence's days after.
func overdueIn(t *testing.T, e hsEnv, classID int64, today time.Time) int {
	cadence := map[string]int{}
	e.each(t, "SELECT category, days FROM key_cadence", nil, func(r *sql.Rows) error {
		var c string
		var d int
		err := r.Scan(&c, &d)
		cadence[c] = d
		return err
	})
	type pupil struct {
		cats    model.CategorySet
		created time.Time
		last    string
		since   map[string]string
	}
	pupils := map[int64]*pupil{}
	e.each(t, `SELECT s.id, s.categories, s.created_at, COALESCE((SELECT MAX(v.visited_on) FROM home_visits v WHERE v.student_id = s.id), '')
		FROM students s WHERE s.class_id = ? AND s.categories <> 0`, []any{classID}, func(r *sql.Rows) error {
		p := &pupil{since: map[string]string{}}
		var id, cats, created int64
		err := r.Scan(&id, &cats, &created, &p.last)
		p.cats, p.created = model.CategorySet(cats), time.UnixMilli(created).UTC()
		pupils[id] = p
		return err
	})
	e.each(t, "SELECT m.student_id, m.category, m.since FROM key_pupil_marks m JOIN students s ON s.id = m.student_id WHERE s.class_id = ?",
		[]any{classID}, func(r *sql.Rows) error {
			var id int64
			var c, since string
			err := r.Scan(&id, &c, &since)
			if p := pupils[id]; p != nil {
				p.since[c] = since
			}
			return err
		})
	n := 0
	for _, p := range pupils {
		var due time.Time
		for _, c := range p.cats.List() {
			start := civilDay(p.created)
			if s, ok := p.since[string(c)]; ok {
				start, _ = time.Parse(time.DateOnly, s)
			}
			if l, err := time.Parse(time.DateOnly, p.last); err == nil && l.After(start) {
				start = l
			}
			if d := start.AddDate(0, 0, cadence[string(c)]); cadence[string(c)] > 0 && (due.IsZero() || d.Before(due)) {
				due = d
			}
		}
		if !due.IsZero() && today.After(due) {
			n++
		}
	}
	return n
}

// discardSink takes a generated city and stores nothing.
type discardSink struct{}

func (discardSink) Agency(model.Agency) error     { return nil }
func (discardSink) District(model.District) error { return nil }
func (discardSink) School(model.School) error     { return nil }
func (discardSink) Class(model.Class) error       { return nil }
func (discardSink) Staff(model.Staff) error       { return nil }
func (discardSink) Student(model.Student) error   { return nil }

// drawHistory generates a small city's history as of today, visits
// collected.
func drawHistory(t *testing.T, city *cityCapture, today time.Time) (store.HomeSchoolHistory, []store.HistoryVisit) {
	t.Helper()
	in := hsInput{seed: 3, today: today, city: city, cadence: defaultCadence,
		targets: Targets{District: 1, School: city.schools[0].id, Class: city.classes[0].id, TeamClass: city.classes[1].id, Agency: 1},
		users:   hsUsers{classTeacher: 8, psych: 7, schoolAdmin: 6, agency: 10}}
	h, _ := generateHomeSchool(in)
	var visits []store.HistoryVisit
	for v := range h.Visits {
		visits = append(visits, v)
	}
	h.Visits = nil
	return h, visits
}

// TestHomeSchoolDraw: the same input draws the same history, and whatever
// the day, visits and activities lie inside their terms and before today.
func TestHomeSchoolDraw(t *testing.T) {
	city := newCityCapture(discardSink{})
	if _, err := demo.Generate(demo.Config{Seed: 3, Scale: 0.02, StartYear: 2026}, city); err != nil {
		t.Fatal(err)
	}
	a, av := drawHistory(t, city, date(2026, time.November, 29))
	b, bv := drawHistory(t, city, date(2026, time.November, 29))
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(av, bv) {
		t.Fatal("two draws from the same seed differ")
	}
	for _, today := range []time.Time{date(2026, time.November, 29), date(2026, time.September, 10), date(2027, time.January, 31),
		date(2027, time.February, 3), date(2027, time.April, 20), date(2027, time.August, 15)} {
		t.Run(today.Format(time.DateOnly), func(t *testing.T) {
			h, visits := drawHistory(t, city, today)
			var cal programme.Calendar
			inTerm := func(what, on string, year, sem int) {
				d, err := time.Parse(time.DateOnly, on)
				if err != nil || !d.Before(today) {
					t.Fatalf("%s on %s, not before today", what, on)
				}
				term := programme.Term{Year: year, Semester: sem}
				p := cal.Period(term)
				if cal.TermOf(d) != term || d.Before(p.Start) || d.After(p.End) {
					t.Fatalf("%s on %s filed under term %v", what, on, term)
				}
			}
			for _, a := range h.Activities {
				inTerm("activity", a.HeldOn, a.TermYear, a.TermSem)
			}
			if len(visits) == 0 {
				t.Fatal("no visits")
			}
			first := map[int64]int{}
			for _, v := range visits {
				inTerm("visit", v.VisitedOn, v.TermYear, v.TermSem)
				if v.SinceLast == "first" {
					first[v.StudentID]++
				}
				if len(v.Visitors) == 0 || len(v.Visitors) > 2 {
					t.Fatalf("visit with %d visitors", len(v.Visitors))
				}
				if v.RecordedAt.After(today) {
					t.Fatalf("visit recorded at %v, after today", v.RecordedAt)
				}
			}
			seen := map[int64]bool{}
			for _, v := range visits {
				if !seen[v.StudentID] && v.SinceLast != "first" {
					t.Fatalf("pupil %d's first visit says %q", v.StudentID, v.SinceLast)
				}
				seen[v.StudentID] = true
			}
			for id, n := range first {
				if n != 1 {
					t.Fatalf("pupil %d has %d first visits", id, n)
				}
			}
		})
	}
}
