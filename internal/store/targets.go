package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/programme"
)

// The plan's targets: stored as data (programme.Target as JSON), judged
// over facts loaded in a few set-wide queries, cached per training
// generation and day, snapshotted for trends.

// EnsureTargets stores each of ts whose code is not stored yet (active or
// not): a new database gets the shipped targets, and an upgrade adds the
// targets shipped since, without reviving one a bureau switched off or
// overwriting one it changed. It returns how many it added.
func (s *Store) EnsureTargets(ctx context.Context, ts []programme.Target) (int, error) {
	added := 0
	for _, t := range ts {
		var n int
		if err := s.read.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM targets WHERE code = ?"), t.Code).Scan(&n); err != nil {
			return 0, fmt.Errorf("store: targets: %w", err)
		}
		if n > 0 {
			continue
		}
		if err := s.SaveTarget(ctx, SystemActor, t); err != nil {
			return 0, err
		}
		added++
	}
	return added, nil
}

// SaveTarget validates and stores a target (a new code, or a new version of
// an existing one).
func (s *Store) SaveTarget(ctx context.Context, a Actor, t programme.Target) error {
	if err := t.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO targets (code, plan, body, active, created_by, created_at) VALUES (?, ?, ?, 1, ?, ?)
			ON CONFLICT (code) DO UPDATE SET plan = excluded.plan, body = excluded.body, active = 1`), t.Code, t.Plan, string(body), a.UserID, msNow(s)); err != nil {
			return mapErr(err)
		}
		if err := s.bumpTraining(ctx, tx); err != nil {
			return err
		}
		e := a.entry("plan.target_saved", "target", 0, 0, 0)
		e.Detail = "code=" + t.Code
		return s.appendAudit(ctx, tx, e)
	})
}

// Targets returns the active targets, in code order.
func (s *Store) Targets(ctx context.Context) ([]programme.Target, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT body FROM targets WHERE active = 1 ORDER BY created_at, code")
	if err != nil {
		return nil, fmt.Errorf("store: targets: %w", err)
	}
	defer rows.Close()
	var out []programme.Target
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var t programme.Target
		if err := json.Unmarshal([]byte(body), &t); err != nil {
			return nil, fmt.Errorf("store: stored target does not load: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ProgrammeFacts loads what the staff targets are judged on: every active
// member of staff with their school's type, posts, confirmed certificates,
// principal training and passed hours per school year; and every school.
func (s *Store) ProgrammeFacts(ctx context.Context) (programme.Facts, error) {
	return s.programmeFacts(ctx, 0)
}

// programmeFacts loads the facts; hours only of school year `year` when it
// is not 0 (judging at one date needs that year's hours alone).
func (s *Store) programmeFacts(ctx context.Context, year int) (programme.Facts, error) {
	var f programme.Facts
	idx := map[int64]int{}
	rows, err := s.read.QueryContext(ctx, `SELECT st.id, st.school_id, st.district_id, sc.type FROM staff st JOIN schools sc ON sc.id = st.school_id
		WHERE st.active = 1 ORDER BY st.id`)
	if err != nil {
		return f, fmt.Errorf("store: facts: %w", err)
	}
	for rows.Next() {
		var p programme.Person
		var typ string
		if err := rows.Scan(&p.ID, &p.SchoolID, &p.DistrictID, &typ); err != nil {
			rows.Close()
			return f, err
		}
		p.SchoolType = model.SchoolType(typ)
		idx[p.ID] = len(f.Staff)
		f.Staff = append(f.Staff, p)
	}
	rows.Close()
	each := func(q string, fn func(*sql.Rows) error) error {
		rows, err := s.read.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store: facts: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	var scanID int64
	err = each(`SELECT staff_id, post FROM staff_posts`, func(r *sql.Rows) error {
		var post string
		if err := r.Scan(&scanID, &post); err != nil {
			return err
		}
		if i, ok := idx[scanID]; ok {
			f.Staff[i].Posts = append(f.Staff[i].Posts, model.Post(post))
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	err = each(`SELECT staff_id, kind, issued_on FROM certificates WHERE status = 'confirmed'`, func(r *sql.Rows) error {
		var kind, issued string
		if err := r.Scan(&scanID, &kind, &issued); err != nil {
			return err
		}
		i, ok := idx[scanID]
		if !ok {
			return nil
		}
		at, err := time.Parse(dateLayout, issued)
		if err != nil {
			return nil
		}
		if kind == "principal_training" {
			if f.Staff[i].PrincipalTrained.IsZero() || at.Before(f.Staff[i].PrincipalTrained) {
				f.Staff[i].PrincipalTrained = at
			}
			return nil
		}
		f.Staff[i].Certs = append(f.Staff[i].Certs, programme.Cert{Level: kind, Issued: at})
		return nil
	})
	if err != nil {
		return f, err
	}
	hoursQ := `SELECT staff_id, school_year, hours FROM staff_hours`
	if year != 0 {
		hoursQ += " WHERE school_year = " + strconv.Itoa(year)
	}
	err = each(hoursQ, func(r *sql.Rows) error {
		var year int
		var hours float64
		if err := r.Scan(&scanID, &year, &hours); err != nil {
			return err
		}
		if i, ok := idx[scanID]; ok {
			if f.Staff[i].Hours == nil {
				f.Staff[i].Hours = map[int]float64{}
			}
			f.Staff[i].Hours[year] = hours
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	err = each(`SELECT id, district_id, type FROM schools ORDER BY id`, func(r *sql.Rows) error {
		var sc programme.School
		var typ string
		if err := r.Scan(&sc.ID, &sc.DistrictID, &typ); err != nil {
			return err
		}
		sc.Type = model.SchoolType(typ)
		f.Schools = append(f.Schools, sc)
		return nil
	})
	if err != nil {
		return f, err
	}
	years, err := s.SchoolYears(ctx)
	if err != nil {
		return f, err
	}
	f.Calendar = programme.Calendar(years)
	return f, nil
}

// progressCache keeps the evaluated rollup for one training generation
// and day: a dashboard view reads it instead of loading 15,000 people.
type progressCache struct {
	mu      sync.Mutex
	gen     string // training, home-school and roster generations
	day     string
	targets []programme.Target
	rollup  programme.Rollup
	// loading serialises recomputation so a burst of views computes once.
	loading sync.Mutex
}

// Progress judges every active target for the city, each district and each
// school as of at (its day), with the trend of the stored snapshots.
func (s *Store) Progress(ctx context.Context, at time.Time) ([]programme.Target, programme.Rollup, error) {
	var tgen, hgen, cgen int64
	if err := s.readRow(ctx, `SELECT t.gen, h.gen, c.gen FROM training_version t, homeschool_version h, counters_version c
		WHERE t.id = 1 AND h.id = 1 AND c.id = 1`).Scan(&tgen, &hgen, &cgen); err != nil {
		return nil, programme.Rollup{}, fmt.Errorf("store: training generation: %w", err)
	}
	gen := fmt.Sprintf("%d/%d/%d", tgen, hgen, cgen)
	day := at.Format(dateLayout)
	c := &s.progress
	get := func() ([]programme.Target, programme.Rollup, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.targets, c.rollup, c.gen == gen && c.day == day && c.rollup.City != nil
	}
	if ts, r, ok := get(); ok {
		return ts, r, nil
	}
	c.loading.Lock()
	defer c.loading.Unlock()
	if ts, r, ok := get(); ok {
		return ts, r, nil
	}
	ts, err := s.Targets(ctx)
	if err != nil {
		return nil, programme.Rollup{}, err
	}
	// The visited pupils of the term (a join over every visited pupil) are
	// counted on a second read connection while the staff facts load.
	cal, err := s.calendar(ctx)
	if err != nil {
		return nil, programme.Rollup{}, err
	}
	type visitedCount struct {
		m   map[int64]Coverage
		err error
	}
	vc := make(chan visitedCount, 1)
	go func() {
		m, err := s.visitedBy(ctx, "school", authz.Scope{City: true}, cal.TermOf(at), at.Format(dateLayout))
		vc <- visitedCount{m, err}
	}()
	f, err := s.programmeFacts(ctx, model.SchoolYearOf(at))
	v := <-vc
	if err != nil {
		return nil, programme.Rollup{}, err
	}
	if v.err != nil {
		return nil, programme.Rollup{}, v.err
	}
	if err := s.homeSchoolFacts(ctx, &f, at, v.m); err != nil {
		return nil, programme.Rollup{}, err
	}
	r := programme.EvaluateAll(ts, f, at)
	if err := s.withHistory(ctx, &r, at); err != nil {
		return nil, programme.Rollup{}, err
	}
	c.mu.Lock()
	c.gen, c.day, c.targets, c.rollup = gen, day, ts, r
	c.mu.Unlock()
	return ts, r, nil
}

// withHistory refines the city's and districts' statuses with the trend of
// their snapshots (schools keep the linear-progress rule).
func (s *Store) withHistory(ctx context.Context, r *programme.Rollup, at time.Time) error {
	hist, err := s.snapshotsBefore(ctx, at)
	if err != nil {
		return err
	}
	for code, res := range r.City {
		if h := hist[snapKey{code, "city", 0}]; len(h) > 0 {
			r.City[code] = res.WithHistory(h)
		}
	}
	for id, m := range r.Districts {
		for code, res := range m {
			if h := hist[snapKey{code, "district", id}]; len(h) > 0 {
				m[code] = res.WithHistory(h)
			}
		}
	}
	return nil
}

type snapKey struct {
	code, kind string
	id         int64
}

func (s *Store) snapshotsBefore(ctx context.Context, at time.Time) (map[snapKey][]programme.Snapshot, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT target_code, node_kind, node_id, taken_on, actual FROM target_snapshots
		WHERE node_kind IN ('city', 'district') AND taken_on < ? ORDER BY taken_on`), at.Format(dateLayout))
	if err != nil {
		return nil, fmt.Errorf("store: snapshots: %w", err)
	}
	defer rows.Close()
	out := map[snapKey][]programme.Snapshot{}
	for rows.Next() {
		var k snapKey
		var day string
		var actual float64
		if err := rows.Scan(&k.code, &k.kind, &k.id, &day, &actual); err != nil {
			return nil, err
		}
		t, err := time.Parse(dateLayout, day)
		if err != nil {
			continue
		}
		out[k] = append(out[k], programme.Snapshot{At: t, Actual: actual})
	}
	return out, rows.Err()
}

// TargetHistory returns a node's snapshots of one target, oldest first.
// Snapshots change once a day: a dashboard's trends are kept for a few
// minutes (and dropped when this process saves snapshots).
func (s *Store) TargetHistory(ctx context.Context, code, kind string, id int64) ([]programme.Snapshot, error) {
	key := fmt.Sprintf("%s|%s|%d", code, kind, id)
	s.histMu.Lock()
	if e, ok := s.hist[key]; ok && time.Since(e.at) < 5*time.Minute {
		s.histMu.Unlock()
		return e.snaps, nil
	}
	s.histMu.Unlock()
	out, err := s.targetHistory(ctx, code, kind, id)
	if err != nil {
		return nil, err
	}
	s.histMu.Lock()
	if s.hist == nil || len(s.hist) > 20000 {
		s.hist = map[string]histEntry{}
	}
	s.hist[key] = histEntry{at: time.Now(), snaps: out}
	s.histMu.Unlock()
	return out, nil
}

type histEntry struct {
	at    time.Time
	snaps []programme.Snapshot
}

func (s *Store) targetHistory(ctx context.Context, code, kind string, id int64) ([]programme.Snapshot, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT taken_on, actual FROM target_snapshots WHERE target_code = ? AND node_kind = ? AND node_id = ?
		ORDER BY taken_on`), code, kind, id)
	if err != nil {
		return nil, fmt.Errorf("store: target history: %w", err)
	}
	defer rows.Close()
	var out []programme.Snapshot
	for rows.Next() {
		var day string
		var actual float64
		if err := rows.Scan(&day, &actual); err != nil {
			return nil, err
		}
		if t, err := time.Parse(dateLayout, day); err == nil {
			out = append(out, programme.Snapshot{At: t, Actual: actual})
		}
	}
	return out, rows.Err()
}

// SaveSnapshots records a rollup as the day's snapshot (replacing one
// taken earlier the same day).
func (s *Store) SaveSnapshots(ctx context.Context, day time.Time, r programme.Rollup) error {
	d := day.Format(dateLayout)
	type row struct {
		code, kind string
		id         int64
		res        programme.Result
	}
	var rows []row
	for code, res := range r.City {
		rows = append(rows, row{code, "city", 0, res})
	}
	for id, m := range r.Districts {
		for code, res := range m {
			rows = append(rows, row{code, "district", id, res})
		}
	}
	for id, m := range r.Schools {
		for code, res := range m {
			rows = append(rows, row{code, "school", id, res})
		}
	}
	s.histMu.Lock()
	s.hist = nil
	s.histMu.Unlock()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM target_snapshots WHERE taken_on = ?`), d); err != nil {
			return err
		}
		const cols = 7
		for start := 0; start < len(rows); start += 1000 {
			chunk := rows[start:min(start+1000, len(rows))]
			args := make([]any, 0, len(chunk)*cols)
			for _, x := range chunk {
				args = append(args, x.code, x.kind, x.id, d, x.res.Population, x.res.Met, x.res.Actual)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO target_snapshots (target_code, node_kind, node_id, taken_on, population, met, actual)
				VALUES `+placeholders(len(chunk), cols)), args...); err != nil {
				return fmt.Errorf("store: snapshots: %w", err)
			}
		}
		return nil
	})
}

// StaffRef names a member of staff for a gaps list (D6, school/district/city).
type StaffRef struct {
	ID         int64        `json:"id"`
	Name       string       `json:"name"`
	SchoolID   int64        `json:"school_id"`
	SchoolName string       `json:"school_name"`
	Posts      []model.Post `json:"posts"`
}

// StaffRefs names the given staff who are in sc, in the order given.
func (s *Store) StaffRefs(ctx context.Context, sc authz.Scope, ids []int64) ([]StaffRef, error) {
	out := make([]StaffRef, 0, len(ids))
	byID := map[int64]int{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		rows, err := s.read.QueryContext(ctx, `SELECT st.id, st.name, st.school_id, sc.name FROM staff st JOIN schools sc ON sc.id = st.school_id
			WHERE st.id IN (`+int64List(chunk)+`) AND `+scopePred(sc, "st.district_id", "st.school_id", ""))
		if err != nil {
			return nil, fmt.Errorf("store: staff refs: %w", err)
		}
		for rows.Next() {
			var r StaffRef
			if err := rows.Scan(&r.ID, &r.Name, &r.SchoolID, &r.SchoolName); err != nil {
				rows.Close()
				return nil, err
			}
			byID[r.ID] = len(out)
			out = append(out, r)
		}
		rows.Close()
		prow, err := s.read.QueryContext(ctx, `SELECT staff_id, post FROM staff_posts WHERE staff_id IN (`+int64List(chunk)+`) ORDER BY id`)
		if err != nil {
			return nil, err
		}
		for prow.Next() {
			var id int64
			var post string
			if err := prow.Scan(&id, &post); err != nil {
				prow.Close()
				return nil, err
			}
			if i, ok := byID[id]; ok {
				out[i].Posts = append(out[i].Posts, model.Post(post))
			}
		}
		prow.Close()
	}
	return out, nil
}

// LinkUserStaff records that a user is a member of staff (their own
// training record); 0 unlinks.
func (s *Store) LinkUserStaff(ctx context.Context, a Actor, userID, staffID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var v any
		if staffID != 0 {
			v = staffID
		}
		if err := s.execOne(ctx, tx, s.q(`UPDATE users SET staff_id = ? WHERE id = ?`), v, userID); err != nil {
			return err
		}
		e := a.entry(audit.ActUserUpdated, "user", userID, 0, 0)
		e.Detail = fmt.Sprintf("staff=%d", staffID)
		return s.appendAudit(ctx, tx, e)
	})
}

// StaffIDOf returns the staff record linked to a user (0: none).
func (s *Store) StaffIDOf(ctx context.Context, userID int64) (int64, error) {
	var id sql.NullInt64
	if err := s.readRow(ctx, s.q(`SELECT staff_id FROM users WHERE id = ?`), userID).Scan(&id); err != nil {
		return 0, mapErr(err)
	}
	return id.Int64, nil
}
