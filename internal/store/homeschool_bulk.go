package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"huhang/internal/programme"
)

// A generated home–school history (the demo city): class teams, parent-school
// activities with their evidence, home visits with their visitors and the
// concerns passed on, key-pupil marks and assistance lists. It is written
// straight into the tables in multi-row INSERTs; everyday records go through
// the validated, audited methods.
//
// Sealed columns are sealed here exactly as the everyday writes seal them
// (visitNoteAAD, concernMessageAAD, evidenceAAD: the column and the row's
// id as additional data).

// HistoryTeamPost puts a member of staff on a class's team as one of its
// subject teachers (a staff_posts row with post subject_teacher and the
// class).
type HistoryTeamPost struct {
	StaffID, SchoolID, DistrictID, ClassID int64
}

// HistoryActivity is one parent-school activity of a generated history.
type HistoryActivity struct {
	SchoolID, DistrictID int64
	Kind                 string // programme.Act*
	HeldOn               string // yyyy-mm-dd
	TermYear, TermSem    int
	Topic, Speaker       string
	Grades               string // comma-separated grade levels; "" = the whole school
	Parents              int
	CreatedBy            int64 // a user id; 0 for the system
	CreatedAt            time.Time
	Evidence             []HistoryEvidence
}

// HistoryEvidence is a file of an activity; Body is sealed on the way in.
type HistoryEvidence struct {
	Kind, Name, MIME string // kind: photo | file | signin
	Body             []byte
	Faces            bool
}

// HistoryVisit is one home visit of a generated history. Note, when set,
// is sealed; Concern, when set, is passed to the school's psychology
// teacher with the visit.
type HistoryVisit struct {
	StudentID, SchoolID, DistrictID, ClassID int64
	VisitedOn                                string // yyyy-mm-dd
	TermYear, TermSem                        int
	Mode, Family, Living, SinceLast          string
	Concerns, Help                           string // comma-separated codes
	Note                                     string
	Visitors                                 []int64 // staff ids
	RecordedBy                               int64   // a user id; 0 for the system
	RecordedAt                               time.Time
	Concern                                  *HistoryConcern
}

// HistoryConcern is a concern raised from a visit; Message is sealed.
type HistoryConcern struct {
	Kinds, Message, State, Outcome string
	RaisedBy, HandledBy            int64
	RaisedAt, HandledAt            time.Time
}

// HistoryMark records when and from where a pupil's key-pupil category was
// noted.
type HistoryMark struct {
	StudentID, SchoolID, DistrictID int64
	Category, Since, Source         string
	NotedBy                         int64
	NotedAt                         time.Time
}

// HistoryAssistList is an assistance list with its pupils.
type HistoryAssistList struct {
	DistrictID, SchoolID, AgencyID int64 // SchoolID 0: a district's list
	Title, State, Channel          string
	CreatedBy, SentBy              int64
	CreatedAt, SentAt              time.Time
	Items                          []HistoryAssistItem
}

// HistoryAssistItem is one pupil of an assistance list and the agency's
// answer.
type HistoryAssistItem struct {
	StudentID, SchoolID, DistrictID int64
	Category, Help, Detail          string
	Answer, AnswerNote              string
	AnsweredBy                      int64
	AnsweredAt                      time.Time
}

// HomeSchoolHistory is a generated home–school history. The small parts are
// slices; the visits, hundreds of thousands in a city, are streamed: Visits
// is ranged over once and its visits are written as they come, a batch at a
// time.
type HomeSchoolHistory struct {
	TeamPosts   []HistoryTeamPost
	Activities  []HistoryActivity
	Marks       []HistoryMark
	AssistLists []HistoryAssistList
	Visits      iter.Seq[HistoryVisit]
}

// HomeSchoolLoad counts what LoadHomeSchoolHistory wrote.
type HomeSchoolLoad struct {
	TeamPosts, Activities, Evidence, Visits, Visitors, Concerns, Coverage, Marks, AssistLists, AssistItems int
}

// homeSchoolBatch is how many visits one transaction holds before it ends
// at the next change of school. Measured on a half-size demo city (two
// runs each, a busy two-core machine): 10,000 took about a fifth longer
// than 40,000, and 160,000 was no faster while it held four times the WAL.
const homeSchoolBatch = 40000

// LoadHomeSchoolHistory writes a generated history into empty home–school
// tables: the class-team posts, activities, marks and lists in one
// transaction, then the visits in transactions of about homeSchoolBatch
// visits, each keeping visit_coverage (one row per pupil and term, merged
// as RecordVisit merges it) and homeschool_version in step with the visits
// it adds; a failure leaves the batches before it in place, as BulkLoader
// does. A last transaction appends one audit entry for the load.
// ErrConflict when activities or visits are already there. It is for the
// demo city.
func (s *Store) LoadHomeSchoolHistory(ctx context.Context, h HomeSchoolHistory) (HomeSchoolLoad, error) {
	var n HomeSchoolLoad
	var next struct{ activity, evidence, visit, concern, list int64 }
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var c int
		if err := tx.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM hs_activities) + (SELECT COUNT(*) FROM home_visits)").Scan(&c); err != nil {
			return fmt.Errorf("store: home-school history: %w", err)
		}
		if c > 0 {
			return fmt.Errorf("%w: home-school history already loaded", ErrConflict)
		}
		for _, x := range []struct {
			table string
			to    *int64
		}{{"hs_activities", &next.activity}, {"hs_evidence", &next.evidence}, {"home_visits", &next.visit},
			{"visit_concerns", &next.concern}, {"assist_lists", &next.list}} {
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM "+x.table).Scan(x.to); err != nil {
				return fmt.Errorf("store: home-school history: %w", err)
			}
		}
		w := &hsWriter{s: s, ctx: ctx, tx: tx}
		for _, p := range h.TeamPosts {
			if err := w.add(hsPosts, p.StaffID, p.SchoolID, p.DistrictID, "subject_teacher", p.ClassID); err != nil {
				return err
			}
		}
		for _, a := range h.Activities {
			id := next.activity
			next.activity++
			if err := w.add(hsActivities, id, a.SchoolID, a.DistrictID, a.Kind, a.HeldOn, a.TermYear, a.TermSem, a.Topic, a.Speaker,
				a.Grades, a.Parents, a.CreatedBy, msOr0(a.CreatedAt)); err != nil {
				return err
			}
			for _, e := range a.Evidence {
				eid := next.evidence
				next.evidence++
				body, err := s.keys.Seal(e.Body, evidenceAAD(eid))
				if err != nil {
					return fmt.Errorf("store: seal evidence: %w", err)
				}
				if err := w.add(hsEvidence, eid, id, a.SchoolID, a.DistrictID, e.Kind, e.Name, e.MIME, len(e.Body), body, b2i(e.Faces),
					a.CreatedBy, msOr0(a.CreatedAt)); err != nil {
					return err
				}
				n.Evidence++
			}
		}
		for _, m := range h.Marks {
			if err := w.add(hsMarks, m.StudentID, m.Category, m.SchoolID, m.DistrictID, m.Since, m.Source, m.NotedBy, msOr0(m.NotedAt)); err != nil {
				return err
			}
		}
		for _, l := range h.AssistLists {
			id := next.list
			next.list++
			channel := l.Channel
			if channel == "" {
				channel = "system"
			}
			if err := w.add(hsLists, id, l.DistrictID, nullID(l.SchoolID), l.AgencyID, l.Title, l.State, channel, l.CreatedBy, msOr0(l.CreatedAt),
				l.SentBy, msOr0(l.SentAt)); err != nil {
				return err
			}
			for _, it := range l.Items {
				if err := w.add(hsItems, id, it.StudentID, it.SchoolID, it.DistrictID, it.Category, it.Help, it.Detail, it.Answer, it.AnswerNote,
					it.AnsweredBy, msOr0(it.AnsweredAt)); err != nil {
					return err
				}
				n.AssistItems++
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		n.TeamPosts, n.Activities, n.Marks, n.AssistLists = len(h.TeamPosts), len(h.Activities), len(h.Marks), len(h.AssistLists)
		return s.bumpHomeSchool(ctx, tx)
	})
	if err != nil {
		return n, err
	}

	// The visits, a batch per transaction.
	if h.Visits != nil {
		var w *hsWriter
		var tx *sql.Tx
		cov := map[hsCovKey]*hsCov{}
		batch, school := 0, int64(-1)
		end := func() error {
			c, err := s.coverVisits(w, cov)
			if err != nil {
				return err
			}
			n.Coverage += c
			clear(cov)
			if err := s.bumpHomeSchool(ctx, tx); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("store: home-school history: commit visits: %w", mapErr(err))
			}
			tx = nil
			return nil
		}
		defer func() {
			if tx != nil {
				tx.Rollback()
			}
		}()
		for v := range h.Visits {
			if tx != nil && batch >= homeSchoolBatch && v.SchoolID != school {
				if err := end(); err != nil {
					return n, err
				}
			}
			if tx == nil {
				if tx, err = s.write.BeginTx(ctx, nil); err != nil {
					return n, fmt.Errorf("store: home-school history: %w", mapErr(err))
				}
				w = &hsWriter{s: s, ctx: ctx, tx: tx}
				batch = 0
			}
			bit := slices.Index(VisitModes, v.Mode)
			if bit < 0 {
				return n, fmt.Errorf("%w: visit mode %q", ErrInvalid, v.Mode)
			}
			school = v.SchoolID
			id := next.visit
			next.visit++
			batch++
			var note any
			if v.Note != "" {
				if note, err = s.keys.Seal([]byte(v.Note), visitNoteAAD(id)); err != nil {
					return n, fmt.Errorf("store: seal visit note: %w", err)
				}
			}
			if err := w.add(hsVisits, id, v.StudentID, v.SchoolID, v.DistrictID, nullID(v.ClassID), v.VisitedOn, v.TermYear, v.TermSem,
				v.Mode, v.Family, v.Living, v.SinceLast, v.Concerns, v.Help, note, v.RecordedBy, msOr0(v.RecordedAt)); err != nil {
				return n, err
			}
			n.Visits++
			k := hsCovKey{v.TermYear, v.TermSem, v.StudentID}
			if c := cov[k]; c == nil {
				cov[k] = &hsCov{school: v.SchoolID, district: v.DistrictID, visits: 1, modes: 1 << bit, first: v.VisitedOn, last: v.VisitedOn}
			} else {
				c.visits++
				c.modes |= 1 << bit
				c.first, c.last = min(c.first, v.VisitedOn), max(c.last, v.VisitedOn)
				if v.VisitedOn >= c.last {
					c.school, c.district = v.SchoolID, v.DistrictID
				}
			}
			for _, staff := range v.Visitors {
				if err := w.add(hsVisitors, id, staff); err != nil {
					return n, err
				}
				n.Visitors++
			}
			if c := v.Concern; c != nil {
				cid := next.concern
				next.concern++
				var msg any
				if c.Message != "" {
					if msg, err = s.keys.Seal([]byte(c.Message), concernMessageAAD(cid)); err != nil {
						return n, fmt.Errorf("store: seal concern: %w", err)
					}
				}
				if err := w.add(hsConcerns, cid, id, v.StudentID, v.SchoolID, v.DistrictID, nullID(v.ClassID), c.Kinds, msg, c.State,
					c.RaisedBy, msOr0(c.RaisedAt), c.HandledBy, msOr0(c.HandledAt), c.Outcome); err != nil {
					return n, err
				}
				n.Concerns++
			}
		}
		if tx != nil {
			if err := end(); err != nil {
				return n, err
			}
		}
	}

	err = s.tx(ctx, func(tx *sql.Tx) error {
		if s.dialect.name() == "postgres" {
			for _, t := range []string{"hs_activities", "hs_evidence", "home_visits", "visit_concerns", "assist_lists"} {
				q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)", t, t)
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("store: reset sequence of %s: %w", t, err)
				}
			}
		}
		// The sent lists' packets, sealed as SendAssistList seals them.
		lists, err := tx.QueryContext(ctx, `SELECT id FROM assist_lists WHERE state IN ('sent', 'closed')`)
		if err != nil {
			return fmt.Errorf("store: sent lists: %w", err)
		}
		var sent []int64
		for lists.Next() {
			var id int64
			if err := lists.Scan(&id); err != nil {
				lists.Close()
				return err
			}
			sent = append(sent, id)
		}
		lists.Close()
		for _, id := range sent {
			if err := s.sealPackets(ctx, tx, id); err != nil {
				return err
			}
		}
		e := SystemActor.entry("homeschool.history_loaded", "database", 0, 0, 0)
		e.Detail = fmt.Sprintf("team_posts=%d activities=%d evidence=%d visits=%d visitors=%d concerns=%d coverage=%d marks=%d assist_lists=%d assist_items=%d",
			n.TeamPosts, n.Activities, n.Evidence, n.Visits, n.Visitors, n.Concerns, n.Coverage, n.Marks, n.AssistLists, n.AssistItems)
		return s.appendAudit(ctx, tx, e)
	})
	if err != nil {
		return n, err
	}
	// Fresh statistics for the planner: the tables went from empty to
	// hundreds of thousands of rows. SQLite samples (a full ANALYZE of
	// these tables took a tenth of the load), then goes back to full
	// analyses.
	if s.dialect.name() == "sqlite" {
		if _, err := s.write.ExecContext(ctx, "PRAGMA analysis_limit = 1000"); err != nil {
			return n, err
		}
		defer s.write.ExecContext(ctx, "PRAGMA analysis_limit = 0")
	}
	for _, t := range []string{"hs_activities", "home_visits", "home_visit_visitors", "visit_coverage", "visit_concerns", "key_pupil_marks", "assist_items", "staff_posts"} {
		if _, err := s.write.ExecContext(ctx, "ANALYZE "+t); err != nil {
			return n, fmt.Errorf("store: analyze %s: %w", t, err)
		}
	}
	return n, nil
}

// hsCovKey and hsCov are a pupil's coverage in a term, summed over the
// visits of one batch.
type hsCovKey struct {
	year, sem int
	student   int64
}

type hsCov struct {
	school, district int64
	visits, modes    int
	first, last      string
}

// coverVisits merges a batch's coverage into visit_coverage, as RecordVisit
// does visit by visit: visits add up, modes join, the first and last days
// widen, and the pupil counts at the school of their latest visit. It
// returns how many pupil-terms it wrote.
func (s *Store) coverVisits(w *hsWriter, cov map[hsCovKey]*hsCov) (int, error) {
	keys := make([]hsCovKey, 0, len(cov))
	for k := range cov {
		keys = append(keys, k)
	}
	// In key order, so the rows reach the primary key's B-tree in order.
	slices.SortFunc(keys, func(a, b hsCovKey) int {
		return cmp.Or(cmp.Compare(a.year, b.year), cmp.Compare(a.sem, b.sem), cmp.Compare(a.student, b.student))
	})
	for _, k := range keys {
		c := cov[k]
		if err := w.add(hsCoverage, k.year, k.sem, k.student, c.school, c.district, c.visits, c.modes, c.first, c.last); err != nil {
			return 0, err
		}
	}
	return len(keys), w.flush()
}

func msOr0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// hsTable is one table the history writes, with its columns.
type hsTable struct {
	name   string
	cols   []string
	suffix string // after the VALUES
}

// The tables in the order their rows must reach the database (parents
// before children).
var (
	hsPosts      = &hsTable{name: "staff_posts", cols: []string{"staff_id", "school_id", "district_id", "post", "class_id"}}
	hsActivities = &hsTable{name: "hs_activities", cols: []string{"id", "school_id", "district_id", "kind", "held_on", "term_year", "term_sem", "topic", "speaker",
		"grades", "parents", "created_by", "created_at"}}
	hsEvidence = &hsTable{name: "hs_evidence", cols: []string{"id", "activity_id", "school_id", "district_id", "kind", "name", "mime", "size", "body", "faces",
		"created_by", "created_at"}}
	hsMarks = &hsTable{name: "key_pupil_marks", cols: []string{"student_id", "category", "school_id", "district_id", "since", "source", "noted_by", "noted_at"}}
	hsLists = &hsTable{name: "assist_lists", cols: []string{"id", "district_id", "school_id", "agency_id", "title", "state", "channel", "created_by", "created_at",
		"sent_by", "sent_at"}}
	hsItems = &hsTable{name: "assist_items", cols: []string{"list_id", "student_id", "school_id", "district_id", "category", "help", "detail", "answer", "answer_note",
		"answered_by", "answered_at"}}
	hsVisits = &hsTable{name: "home_visits", cols: []string{"id", "student_id", "school_id", "district_id", "class_id", "visited_on", "term_year", "term_sem",
		"mode", "family", "living", "since_last", "concerns", "help", "note", "recorded_by", "recorded_at"}}
	hsVisitors = &hsTable{name: "home_visit_visitors", cols: []string{"visit_id", "staff_id"}}
	hsConcerns = &hsTable{name: "visit_concerns", cols: []string{"id", "visit_id", "student_id", "school_id", "district_id", "class_id", "kinds", "message",
		"state", "raised_by", "raised_at", "handled_by", "handled_at", "outcome"}}
	hsCoverage = &hsTable{name: "visit_coverage", cols: []string{"term_year", "term_sem", "student_id", "school_id", "district_id", "visits", "modes",
		"first_on", "last_on"}, suffix: ` ON CONFLICT (term_year, term_sem, student_id) DO UPDATE SET visits = visit_coverage.visits + excluded.visits,
			modes = visit_coverage.modes | excluded.modes,
			school_id = CASE WHEN excluded.last_on >= visit_coverage.last_on THEN excluded.school_id ELSE visit_coverage.school_id END,
			district_id = CASE WHEN excluded.last_on >= visit_coverage.last_on THEN excluded.district_id ELSE visit_coverage.district_id END,
			first_on = CASE WHEN excluded.first_on < visit_coverage.first_on THEN excluded.first_on ELSE visit_coverage.first_on END,
			last_on = CASE WHEN excluded.last_on > visit_coverage.last_on THEN excluded.last_on ELSE visit_coverage.last_on END`}
	hsOrder = []*hsTable{hsPosts, hsActivities, hsEvidence, hsMarks, hsLists, hsItems, hsVisits, hsVisitors, hsConcerns, hsCoverage}
)

// hsWriter buffers rows per table and writes them in multi-row INSERTs
// of up to maxParams parameters; a full buffer flushes every table, parents
// first, so no row waits for a parent still in a buffer.
type hsWriter struct {
	s    *Store
	ctx  context.Context
	tx   *sql.Tx
	bufs []hsBuf                // per table of hsOrder
	full map[*hsTable]*sql.Stmt // the full-size INSERT of each table, prepared once per transaction
}

type hsBuf struct {
	args []any
	rows int
}

func (w *hsWriter) buf(t *hsTable) *hsBuf {
	if w.bufs == nil {
		w.bufs = make([]hsBuf, len(hsOrder))
	}
	for i, o := range hsOrder {
		if o == t {
			return &w.bufs[i]
		}
	}
	panic("store: unknown home-school table " + t.name)
}

func (w *hsWriter) add(t *hsTable, vals ...any) error {
	b := w.buf(t)
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows >= maxParams/len(t.cols) {
		return w.flush()
	}
	return nil
}

func (w *hsWriter) flush() error {
	for i, t := range hsOrder {
		if w.bufs == nil {
			return nil
		}
		b := &w.bufs[i]
		if b.rows == 0 {
			continue
		}
		if err := w.insert(t, b); err != nil {
			return err
		}
		b.args, b.rows = b.args[:0], 0
	}
	return nil
}

func (w *hsWriter) insert(t *hsTable, b *hsBuf) error {
	head := "INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES "
	var err error
	if b.rows == maxParams/len(t.cols) {
		st := w.full[t]
		if st == nil {
			if st, err = w.tx.PrepareContext(w.ctx, w.s.q(head+placeholders(b.rows, len(t.cols))+t.suffix)); err != nil {
				return fmt.Errorf("store: home-school history: prepare %s: %w", t.name, err)
			}
			if w.full == nil {
				w.full = map[*hsTable]*sql.Stmt{}
			}
			w.full[t] = st
		}
		_, err = st.ExecContext(w.ctx, b.args...)
	} else {
		_, err = w.tx.ExecContext(w.ctx, w.s.q(head+placeholders(b.rows, len(t.cols))+t.suffix), b.args...)
	}
	if err != nil {
		return fmt.Errorf("store: home-school history: insert into %s: %w", t.name, mapErr(err))
	}
	return nil
}

// ReplaceSnapshots stores r's results as the snapshots of day, like
// SaveSnapshots, but replaces only those of the targets r judges: the
// home–school history re-judges its quotas on month ends whose snapshots
// the training history already took (without visits or activities then).
func (s *Store) ReplaceSnapshots(ctx context.Context, day time.Time, r programme.Rollup) error {
	d := day.Format(dateLayout)
	var codes []any
	seen := map[string]bool{}
	var args []any
	add := func(code, kind string, id int64, res programme.Result) {
		if !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
		args = append(args, code, kind, id, d, res.Population, res.Met, res.Actual)
	}
	for code, res := range r.City {
		add(code, "city", 0, res)
	}
	for id, m := range r.Districts {
		for code, res := range m {
			add(code, "district", id, res)
		}
	}
	for id, m := range r.Schools {
		for code, res := range m {
			add(code, "school", id, res)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	s.histMu.Lock()
	s.hist = nil
	s.histMu.Unlock()
	const cols = 7
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM target_snapshots WHERE taken_on = ? AND target_code IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(codes)), ", ")+`)`), append([]any{d}, codes...)...); err != nil {
			return fmt.Errorf("store: snapshots: %w", err)
		}
		per := 1000 * cols
		for start := 0; start < len(args); start += per {
			chunk := args[start:min(start+per, len(args))]
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO target_snapshots (target_code, node_kind, node_id, taken_on, population, met, actual)
				VALUES `+placeholders(len(chunk)/cols, cols)), chunk...); err != nil {
				return fmt.Errorf("store: snapshots: %w", err)
			}
		}
		return nil
	})
}
