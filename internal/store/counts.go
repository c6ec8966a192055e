package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"huhang/internal/audit"
	"huhang/internal/model"
)

// The enrolment counters (table enrolment_counts) hold, per school and
// class, the enrolled pupils by gender and key-student category. Every
// method that changes students calls recount for the groups it touched,
// inside its transaction; recounting one class reads about fifty rows.

// catCols are the counter columns of model.Categories, in order.
var catCols = func() []string {
	out := make([]string, len(model.Categories))
	for i := range out {
		out[i] = fmt.Sprintf("c%d", i)
	}
	return out
}()

// scanAggregate is the SELECT list that aggregates students into counter
// columns (used by recount and by CheckCounts).
func scanAggregate() string {
	var b strings.Builder
	b.WriteString("COUNT(*), SUM(CASE WHEN gender = 'F' THEN 1 ELSE 0 END)")
	for i := range model.Categories {
		fmt.Fprintf(&b, ", SUM(CASE WHEN (categories & %d) <> 0 THEN 1 ELSE 0 END)", 1<<i)
	}
	return b.String()
}

// group is one counter row's key.
type group struct{ schoolID, classKey int64 }

// bumpCounters moves the counters' generation on, inside the changing
// transaction, so every server's cache of published aggregates sees it.
func (s *Store) bumpCounters(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, "UPDATE counters_version SET gen = gen + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("store: bump counters: %w", err)
	}
	return nil
}

// recount recomputes the counters of the given groups from the students
// table.
func (s *Store) recount(ctx context.Context, tx *sql.Tx, groups ...group) error {
	if err := s.bumpCounters(ctx, tx); err != nil {
		return err
	}
	seen := map[group]bool{}
	for _, g := range groups {
		if seen[g] {
			continue
		}
		seen[g] = true
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM enrolment_counts WHERE school_id = ? AND class_key = ?"), g.schoolID, g.classKey); err != nil {
			return fmt.Errorf("store: recount: %w", err)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO enrolment_counts (school_id, district_id, class_key, students, female, `+strings.Join(catCols, ", ")+`)
			SELECT school_id, MIN(district_id), COALESCE(class_id, 0), `+scanAggregate()+`
			FROM students WHERE status = 'enrolled' AND school_id = ? AND COALESCE(class_id, 0) = ?
			GROUP BY school_id, COALESCE(class_id, 0)`), g.schoolID, g.classKey)
		if err != nil {
			return fmt.Errorf("store: recount: %w", err)
		}
	}
	return nil
}

// recounter collects what a bulk change (an import) defers to its end: the
// counter groups it touched, recomputed once, and its audit entries,
// chained and inserted together.
type recounter struct {
	groups []group
	audit  []audit.Entry
	stmts  *txStmts
}

// audited appends e now, or collects it for the end of a bulk change.
func (s *Store) audited(ctx context.Context, tx *sql.Tx, rc *recounter, e audit.Entry) error {
	if rc != nil {
		rc.audit = append(rc.audit, e)
		return nil
	}
	return s.appendAudit(ctx, tx, e)
}

// touched recounts gs now, or later when a recounter collects them.
func (s *Store) touched(ctx context.Context, tx *sql.Tx, rc *recounter, gs ...group) error {
	if rc != nil {
		rc.groups = append(rc.groups, gs...)
		return nil
	}
	return s.recount(ctx, tx, gs...)
}

// recountAll rebuilds every counter (after a bulk load).
func (s *Store) recountAll(ctx context.Context, tx *sql.Tx) error {
	if err := s.bumpCounters(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM enrolment_counts"); err != nil {
		return fmt.Errorf("store: recount all: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO enrolment_counts (school_id, district_id, class_key, students, female, `+strings.Join(catCols, ", ")+`)
		SELECT school_id, MIN(district_id), COALESCE(class_id, 0), `+scanAggregate()+`
		FROM students WHERE status = 'enrolled' GROUP BY school_id, COALESCE(class_id, 0)`)
	if err != nil {
		return fmt.Errorf("store: recount all: %w", err)
	}
	return nil
}

// countsFromCounters is the SELECT list summing counter rows.
func countsFromCounters() string {
	var b strings.Builder
	b.WriteString("SUM(students), SUM(female)")
	for _, c := range catCols {
		b.WriteString(", SUM(" + c + ")")
	}
	return b.String()
}

// CheckCounts compares the counters with a full scan of the students and
// returns the groups that differ (empty when consistent). Tests and
// operators use it; pages never scan.
func (s *Store) CheckCounts(ctx context.Context) ([]string, error) {
	load := func(q string) (map[group]string, error) {
		rows, err := s.readRows(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[group]string{}
		for rows.Next() {
			var g group
			vals := make([]int64, 2+len(catCols))
			dest := []any{&g.schoolID, &g.classKey}
			for i := range vals {
				dest = append(dest, &vals[i])
			}
			if err := rows.Scan(dest...); err != nil {
				return nil, err
			}
			out[g] = fmt.Sprint(vals)
		}
		return out, rows.Err()
	}
	counters, err := load("SELECT school_id, class_key, students, female, " + strings.Join(catCols, ", ") + " FROM enrolment_counts")
	if err != nil {
		return nil, fmt.Errorf("store: check counts: %w", err)
	}
	scan, err := load("SELECT school_id, COALESCE(class_id, 0), " + scanAggregate() + " FROM students WHERE status = 'enrolled' GROUP BY school_id, COALESCE(class_id, 0)")
	if err != nil {
		return nil, fmt.Errorf("store: check counts: %w", err)
	}
	var diffs []string
	for g, v := range scan {
		if counters[g] != v {
			diffs = append(diffs, fmt.Sprintf("school %d class %d: counters %s, scan %s", g.schoolID, g.classKey, counters[g], v))
		}
	}
	for g, v := range counters {
		if _, ok := scan[g]; !ok {
			diffs = append(diffs, fmt.Sprintf("school %d class %d: counters %s, scan none", g.schoolID, g.classKey, v))
		}
	}
	return diffs, nil
}

// countCache keeps published (protected) sibling groups between requests.
// Entries are valid for one counters generation; the first read that sees a
// new generation drops them all. Keys are bounded by the tree's nodes.
type countCache struct {
	mu     sync.Mutex
	gen    int64
	groups map[string]map[int64]Counts
}

const countCacheMax = 10000

// cachedCounts returns the protected group for key, computing it with load
// when the cache holds no copy for the current generation. The maps it
// returns are shared: callers must not modify them.
func (s *Store) cachedCounts(ctx context.Context, key string, load func() (map[int64]Counts, error)) (map[int64]Counts, error) {
	var gen int64
	if err := s.readRow(ctx, "SELECT gen FROM counters_version WHERE id = 1").Scan(&gen); err != nil {
		return nil, fmt.Errorf("store: counters generation: %w", err)
	}
	c := &s.counts
	c.mu.Lock()
	if c.groups == nil || c.gen != gen || len(c.groups) > countCacheMax {
		c.gen, c.groups = gen, map[string]map[int64]Counts{}
	}
	if g, ok := c.groups[key]; ok {
		c.mu.Unlock()
		return g, nil
	}
	c.mu.Unlock()
	g, err := load()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.groups[key] = g
	}
	c.mu.Unlock()
	return g, nil
}

// districtGroup is the protected counts of every district of the city.
func (s *Store) districtGroup(ctx context.Context) (map[int64]Counts, error) {
	return s.cachedCounts(ctx, "city", func() (map[int64]Counts, error) {
		return s.countsBy(ctx, "(district_id * 0)", "district_id", "1=1")
	})
}

// schoolGroup is the protected counts of every school of a district.
func (s *Store) schoolGroup(ctx context.Context, districtID int64) (map[int64]Counts, error) {
	return s.cachedCounts(ctx, fmt.Sprintf("d%d", districtID), func() (map[int64]Counts, error) {
		return s.countsBy(ctx, "district_id", "school_id", "district_id = ?", districtID)
	})
}

// classGroup is the protected counts of every class of a school (class 0:
// pupils waiting for a class).
func (s *Store) classGroup(ctx context.Context, schoolID int64) (map[int64]Counts, error) {
	return s.cachedCounts(ctx, fmt.Sprintf("s%d", schoolID), func() (map[int64]Counts, error) {
		return s.countsBy(ctx, "school_id", "class_key", "school_id = ?", schoolID)
	})
}
