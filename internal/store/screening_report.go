package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/report"
)

// Screening aggregates, read from the counters the writes maintain, and
// the named result lists of a school (psychology teacher, principal).

// ScreeningCounts are a node's screening figures. Tier, critical and
// flagged cells are health data: callers get them protected (small counts
// hidden as report.Hidden, with complementary cells).
type ScreeningCounts struct {
	Participants   int `json:"participants"`
	ConsentGiven   int `json:"consent_given"`
	ConsentRefused int `json:"consent_refused"`
	ConsentPending int `json:"consent_pending"`
	Submitted      int `json:"submitted"`
	Flagged        int `json:"flagged"`
	Green          int `json:"green"`
	Yellow         int `json:"yellow"`
	Orange         int `json:"orange"`
	Red            int `json:"red"`
	Critical       int `json:"critical"`
}

// CompletionPct is submitted / consent given, in percent (0 when none).
func (c ScreeningCounts) CompletionPct() int {
	if c.ConsentGiven <= 0 || c.Submitted < 0 {
		return 0
	}
	return c.Submitted * 100 / c.ConsentGiven
}

// ConsentPct is consent given / participants, in percent.
func (c ScreeningCounts) ConsentPct() int {
	if c.Participants <= 0 {
		return 0
	}
	return c.ConsentGiven * 100 / c.Participants
}

func (c *ScreeningCounts) add(o ScreeningCounts) {
	c.Participants += o.Participants
	c.ConsentGiven += o.ConsentGiven
	c.ConsentRefused += o.ConsentRefused
	c.Submitted += o.Submitted
	c.Flagged += o.Flagged
	c.Green += o.Green
	c.Yellow += o.Yellow
	c.Orange += o.Orange
	c.Red += o.Red
	c.Critical += o.Critical
}

func (c *ScreeningCounts) healthCells() []*int {
	return []*int{&c.Green, &c.Yellow, &c.Orange, &c.Red}
}

// ScreeningRow is one node (district, school, class or grade) of a breakdown.
type ScreeningRow struct {
	ID     int64           `json:"id"`
	Name   string          `json:"name"`
	Counts ScreeningCounts `json:"counts"`
}

// Breakdown levels.
const (
	ByDistrict = "district"
	BySchool   = "school"
	ByClass    = "class"
	ByGrade    = "grade"
)

// ScreeningBreakdown sums a campaign's counters in scope by district,
// school, class or grade, optionally within one district or school, and
// protects the health cells. The total is of the same rows.
func (s *Store) ScreeningBreakdown(ctx context.Context, sc authz.Scope, campaignID int64, by string, districtID, schoolID int64) (ScreeningCounts, []ScreeningRow, error) {
	ck := fmt.Sprintf("%d|%s|%d|%d|%s", campaignID, by, districtID, schoolID, scopePred(sc, "d", "s", "c"))
	if total, rows, ok := s.screenCache.get(ck); ok {
		return total, rows, nil
	}
	total, rows, err := s.screeningBreakdown(ctx, sc, campaignID, by, districtID, schoolID)
	if err == nil {
		s.screenCache.put(ck, total, rows)
	}
	return total, rows, err
}

// screeningCache keeps protected breakdowns for a moment: on a screening
// day a dashboard is opened by many officials at once while the counters
// move every few milliseconds. An entry lives ScreeningCacheTTL, and any
// write of this process (a batch of submissions, consent, a campaign)
// drops them all; another server's writes show within the TTL.
type screeningCache struct {
	mu      sync.Mutex
	entries map[string]screenEntry
}

type screenEntry struct {
	at    time.Time
	total ScreeningCounts
	rows  []ScreeningRow
}

// ScreeningCacheTTL is how long a dashboard's figures may lag the counters.
const ScreeningCacheTTL = 2 * time.Second

func (c *screeningCache) get(key string) (ScreeningCounts, []ScreeningRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Since(e.at) > ScreeningCacheTTL {
		return ScreeningCounts{}, nil, false
	}
	return e.total, slices.Clone(e.rows), true
}

func (c *screeningCache) put(key string, total ScreeningCounts, rows []ScreeningRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 5000 {
		c.entries = map[string]screenEntry{}
	}
	c.entries[key] = screenEntry{at: time.Now(), total: total, rows: slices.Clone(rows)}
}

func (c *screeningCache) drop() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}

func (s *Store) screeningBreakdown(ctx context.Context, sc authz.Scope, campaignID int64, by string, districtID, schoolID int64) (ScreeningCounts, []ScreeningRow, error) {
	var key, name, join string
	switch by {
	case ByDistrict:
		key, name, join = "k.district_id", "d.name", " JOIN districts d ON d.id = k.district_id"
	case BySchool:
		key, name, join = "k.school_id", "sc.name", " JOIN schools sc ON sc.id = k.school_id"
	case ByClass:
		key, name, join = "k.class_id", "cl.name", " JOIN classes cl ON cl.id = k.class_id"
	case ByGrade:
		key, name, join = "k.grade", "''", ""
	default:
		return ScreeningCounts{}, nil, fmt.Errorf("%w: breakdown by %q", ErrInvalid, by)
	}
	where := []string{"k.campaign_id = ?", scopePred(sc, "k.district_id", "k.school_id", "k.class_id")}
	args := []any{campaignID}
	if districtID != 0 {
		where, args = append(where, "k.district_id = ?"), append(args, districtID)
	}
	if schoolID != 0 {
		where, args = append(where, "k.school_id = ?"), append(args, schoolID)
	}
	rows, err := s.readRows(ctx, s.q(`SELECT `+key+`, MIN(`+name+`), SUM(k.participants), SUM(k.consent_given), SUM(k.consent_refused),
		SUM(k.submitted), SUM(k.flagged), SUM(k.green), SUM(k.yellow), SUM(k.orange), SUM(k.red), SUM(k.critical)
		FROM screening_counts k`+join+` WHERE `+strings.Join(where, " AND ")+` GROUP BY `+key+` ORDER BY `+key), args...)
	if err != nil {
		return ScreeningCounts{}, nil, fmt.Errorf("store: screening breakdown: %w", err)
	}
	defer rows.Close()
	var out []ScreeningRow
	var total ScreeningCounts
	for rows.Next() {
		var r ScreeningRow
		c := &r.Counts
		if err := rows.Scan(&r.ID, &r.Name, &c.Participants, &c.ConsentGiven, &c.ConsentRefused, &c.Submitted, &c.Flagged,
			&c.Green, &c.Yellow, &c.Orange, &c.Red, &c.Critical); err != nil {
			return ScreeningCounts{}, nil, fmt.Errorf("store: screening breakdown: %w", err)
		}
		c.ConsentPending = c.Participants - c.ConsentGiven - c.ConsentRefused
		total.add(*c)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return ScreeningCounts{}, nil, err
	}
	total.ConsentPending = total.Participants - total.ConsentGiven - total.ConsentRefused
	group := make([]*ScreeningCounts, len(out))
	for i := range out {
		group[i] = &out[i].Counts
	}
	protectScreening(group)
	protectScreening([]*ScreeningCounts{&total})
	return total, out, nil
}

// protectScreening hides small health cells in a group of sibling rows:
// within each row (the tiers add up to the submissions, so a lone hidden
// tier would be recoverable) and down each column, until stable.
func protectScreening(group []*ScreeningCounts) {
	cells := make([]*int, len(group))
	for range 8 {
		changed := false
		for _, c := range group {
			changed = report.Column(c.healthCells()) || changed
		}
		for col := range 4 {
			for i, c := range group {
				cells[i] = c.healthCells()[col]
			}
			changed = report.Column(cells) || changed
		}
		for i, c := range group {
			cells[i] = &c.Critical
		}
		changed = report.Column(cells) || changed
		for i, c := range group {
			cells[i] = &c.Flagged
		}
		changed = report.Column(cells) || changed
		if !changed {
			break
		}
	}
	// Every withheld cell leaves the store as report.Hidden, so no page,
	// export or JSON answer can print the small number by mistake.
	for _, c := range group {
		for _, p := range append(c.healthCells(), &c.Critical, &c.Flagged) {
			if report.Suppressed(*p) {
				*p = report.Hidden
			}
		}
	}
}

// TrendPoint is one campaign's totals in a scope.
type TrendPoint struct {
	Campaign Campaign        `json:"campaign"`
	Counts   ScreeningCounts `json:"counts"`
}

// ScreeningTrend returns the totals of every campaign with classes in
// scope (optionally one district or school), oldest first.
func (s *Store) ScreeningTrend(ctx context.Context, sc authz.Scope, districtID, schoolID int64) ([]TrendPoint, error) {
	camps, err := s.ListCampaigns(ctx, sc)
	if err != nil {
		return nil, err
	}
	var out []TrendPoint
	for i := len(camps) - 1; i >= 0; i-- {
		total, _, err := s.ScreeningBreakdown(ctx, sc, camps[i].ID, ByDistrict, districtID, schoolID)
		if err != nil {
			return nil, err
		}
		if total.Participants == 0 {
			continue
		}
		out = append(out, TrendPoint{Campaign: camps[i], Counts: total})
	}
	return out, nil
}

// CohortPoint is one cohort (the school year its pupils started grade 1)
// in one campaign.
type CohortPoint struct {
	Cohort     int             `json:"cohort"`
	CampaignID int64           `json:"campaign_id"`
	Campaign   string          `json:"campaign"`
	Grade      int             `json:"grade"`
	Counts     ScreeningCounts `json:"counts"`
}

// ScreeningCohorts follows the same cohorts across campaigns: a grade-7
// class screened this year is the grade-6 class of last year's campaign.
func (s *Store) ScreeningCohorts(ctx context.Context, sc authz.Scope, districtID, schoolID int64) ([]CohortPoint, error) {
	camps, err := s.ListCampaigns(ctx, sc)
	if err != nil {
		return nil, err
	}
	var out []CohortPoint
	for i := len(camps) - 1; i >= 0; i-- {
		c := camps[i]
		_, rows, err := s.ScreeningBreakdown(ctx, sc, c.ID, ByGrade, districtID, schoolID)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.ID < 1 {
				continue
			}
			out = append(out, CohortPoint{Cohort: c.SchoolYear - int(r.ID) + 1, CampaignID: c.ID, Campaign: c.Name, Grade: int(r.ID), Counts: r.Counts})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Cohort > out[j].Cohort })
	return out, nil
}

// AlertAge buckets an active alert by how long it has been open.
var AlertAgeBuckets = []struct {
	Key string
	Max time.Duration
}{{"lt2h", 2 * time.Hour}, {"lt24h", 24 * time.Hour}, {"lt3d", 72 * time.Hour}, {"ge3d", 1 << 62}}

// AlertAges counts active alerts in scope by level and age bucket.
func (s *Store) AlertAges(ctx context.Context, as AlertScope, now time.Time) (map[int]map[string]int, error) {
	key := "ages|" + as.pred("a.")
	s.agesMu.Lock()
	if e, ok := s.ages[key]; ok && time.Since(e.at) < ScreeningCacheTTL {
		s.agesMu.Unlock()
		return e.ages, nil
	}
	s.agesMu.Unlock()
	out, err := s.alertAges(ctx, as, now)
	if err != nil {
		return nil, err
	}
	s.agesMu.Lock()
	if s.ages == nil || len(s.ages) > 5000 {
		s.ages = map[string]agesEntry{}
	}
	s.ages[key] = agesEntry{at: time.Now(), ages: out}
	s.agesMu.Unlock()
	return out, nil
}

type agesEntry struct {
	at   time.Time
	ages map[int]map[string]int
}

func (s *Store) alertAges(ctx context.Context, as AlertScope, now time.Time) (map[int]map[string]int, error) {
	rows, err := s.readRows(ctx, `SELECT a.level, a.raised_at FROM alerts a WHERE a.state <> 'closed' AND `+as.pred("a."))
	if err != nil {
		return nil, fmt.Errorf("store: alert ages: %w", err)
	}
	defer rows.Close()
	out := map[int]map[string]int{}
	for rows.Next() {
		var level int
		var raised int64
		if err := rows.Scan(&level, &raised); err != nil {
			return nil, err
		}
		age := now.Sub(fromMS(raised))
		for _, b := range AlertAgeBuckets {
			if age < b.Max {
				if out[level] == nil {
					out[level] = map[string]int{}
				}
				out[level][b.Key]++
				break
			}
		}
	}
	return out, rows.Err()
}

// ResultRow is one pupil of a school's results list. Tier is -1 before a
// submission. Detail (answers and scores, D4) is set only when asked for.
type ResultRow struct {
	ParticipantID int64     `json:"participant_id"`
	StudentID     int64     `json:"student_id"`
	Name          string    `json:"-"`
	ClassID       int64     `json:"class_id"`
	SchoolID      int64     `json:"school_id"`
	DistrictID    int64     `json:"-"`
	ClassName     string    `json:"class_name"`
	Consent       string    `json:"consent"`
	State         string    `json:"state"`
	Tier          int       `json:"tier"`
	Critical      bool      `json:"critical"`
	Flags         []string  `json:"flags,omitempty"`
	Reasons       []string  `json:"reasons,omitempty"`
	SubmittedAt   time.Time `json:"submitted_at"`
	Detail        []byte    `json:"-"`
}

// ResultFilter narrows a results list.
type ResultFilter struct {
	SchoolID, ClassID int64
	MinTier           int // 0: everyone; 2: orange and red
	OnlySubmitted     bool
	WithDetail        bool // open the sealed answers and scores (D4)
	Limit             int
}

// ScreeningResults lists a campaign's pupils in scope with their tiers
// (and with WithDetail their sealed answers and scores). It is an audited
// read of named pupils' health data.
func (s *Store) ScreeningResults(ctx context.Context, a Actor, sc authz.Scope, campaignID int64, f ResultFilter) ([]ResultRow, error) {
	where := []string{"p.campaign_id = ?", scopePred(sc, "p.district_id", "p.school_id", "p.class_id")}
	args := []any{campaignID}
	if f.SchoolID != 0 {
		where, args = append(where, "p.school_id = ?"), append(args, f.SchoolID)
	}
	if f.ClassID != 0 {
		where, args = append(where, "p.class_id = ?"), append(args, f.ClassID)
	}
	if f.MinTier > 0 {
		where, args = append(where, "sub.tier >= ?"), append(args, f.MinTier)
	}
	if f.OnlySubmitted {
		where = append(where, "sub.participant_id IS NOT NULL")
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 5000
	}
	args = append(args, f.Limit)
	detail := "NULL"
	if f.WithDetail {
		detail = "sub.detail"
	}
	rows, err := s.readRows(ctx, s.q(`SELECT p.id, p.student_id, st.name, p.class_id, p.school_id, p.district_id, cl.name, p.consent, CASE WHEN sub.participant_id IS NULL THEN p.state ELSE 'submitted' END,
		COALESCE(sub.tier, -1), COALESCE(sub.critical, 0), COALESCE(sub.flags, ''), COALESCE(sub.reasons, ''), COALESCE(sub.submitted_at, 0), `+detail+`
		FROM screening_participants p JOIN students st ON st.id = p.student_id JOIN classes cl ON cl.id = p.class_id
		LEFT JOIN screening_submissions sub ON sub.participant_id = p.id
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY COALESCE(sub.critical, 0) DESC, COALESCE(sub.tier, -1) DESC, cl.grade, cl.number, st.student_no LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: screening results: %w", err)
	}
	defer rows.Close()
	var out []ResultRow

	for rows.Next() {
		var r ResultRow
		var crit int
		var flags, reasons string
		var at int64
		var sealed []byte
		if err := rows.Scan(&r.ParticipantID, &r.StudentID, &r.Name, &r.ClassID, &r.SchoolID, &r.DistrictID, &r.ClassName, &r.Consent, &r.State,
			&r.Tier, &crit, &flags, &reasons, &at, &sealed); err != nil {
			return nil, fmt.Errorf("store: screening results: %w", err)
		}
		r.Critical, r.SubmittedAt = crit == 1, fromMS(at)
		r.Flags, r.Reasons = splitNonEmpty(flags), splitNonEmpty(reasons)
		if len(sealed) > 0 {
			if r.Detail, err = s.keys.Open(sealed, detailAAD(r.ParticipantID)); err != nil {
				return nil, fmt.Errorf("store: open submission %d: %w", r.ParticipantID, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	e := a.entry(audit.ActResultsRead, "campaign", campaignID, f.SchoolID, 0)
	e.Detail = fmt.Sprintf("rows=%d class=%d detail=%v", len(out), f.ClassID, f.WithDetail)
	if err := s.tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, e) }); err != nil {
		return nil, err
	}
	return out, nil
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// SubmissionDetail opens one pupil's answers and scores (D4) in scope; an
// audited read.
func (s *Store) SubmissionDetail(ctx context.Context, a Actor, sc authz.Scope, participantID int64) (ResultRow, error) {
	var r ResultRow
	var crit int
	var flags, reasons string
	var at int64
	var sealed []byte
	err := s.readRow(ctx, s.q(`SELECT p.id, p.student_id, st.name, p.class_id, cl.name, p.consent, 'submitted', sub.tier, sub.critical,
		sub.flags, sub.reasons, sub.submitted_at, sub.detail, p.school_id, p.district_id
		FROM screening_participants p JOIN students st ON st.id = p.student_id JOIN classes cl ON cl.id = p.class_id
		JOIN screening_submissions sub ON sub.participant_id = p.id
		WHERE p.id = ? AND `+scopePred(sc, "p.district_id", "p.school_id", "p.class_id")), participantID).
		Scan(&r.ParticipantID, &r.StudentID, &r.Name, &r.ClassID, &r.ClassName, &r.Consent, &r.State, &r.Tier, &crit,
			&flags, &reasons, &at, &sealed, &r.SchoolID, &r.DistrictID)
	if err != nil {
		return ResultRow{}, mapErr(err)
	}
	r.Critical, r.SubmittedAt = crit == 1, fromMS(at)
	r.Flags, r.Reasons = splitNonEmpty(flags), splitNonEmpty(reasons)
	if r.Detail, err = s.keys.Open(sealed, detailAAD(r.ParticipantID)); err != nil {
		return ResultRow{}, fmt.Errorf("store: open submission %d: %w", r.ParticipantID, err)
	}
	e := a.entry(audit.ActAnswersRead, "participant", participantID, r.SchoolID, r.DistrictID)
	if err := s.tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, e) }); err != nil {
		return ResultRow{}, err
	}
	return r, nil
}

// StudentScreening is one campaign's outcome for a pupil (D3: tier, no
// answers).
type StudentScreening struct {
	CampaignID  int64     `json:"campaign_id"`
	Campaign    string    `json:"campaign"`
	Participant int64     `json:"participant_id"`
	Consent     string    `json:"consent"`
	State       string    `json:"state"`
	Tier        int       `json:"tier"`
	Critical    bool      `json:"critical"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// StudentScreenings lists a pupil's campaigns in scope, newest first.
func (s *Store) StudentScreenings(ctx context.Context, sc authz.Scope, studentID int64) ([]StudentScreening, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT c.id, c.name, p.id, p.consent, CASE WHEN sub.participant_id IS NULL THEN p.state ELSE 'submitted' END, COALESCE(sub.tier, -1), COALESCE(sub.critical, 0), COALESCE(sub.submitted_at, 0)
		FROM screening_participants p JOIN screening_campaigns c ON c.id = p.campaign_id
		LEFT JOIN screening_submissions sub ON sub.participant_id = p.id
		WHERE p.student_id = ? AND `+scopePred(sc, "p.district_id", "p.school_id", "p.class_id")+` ORDER BY c.opens_at DESC`), studentID)
	if err != nil {
		return nil, fmt.Errorf("store: student screenings: %w", err)
	}
	defer rows.Close()
	var out []StudentScreening
	for rows.Next() {
		var r StudentScreening
		var crit int
		var at int64
		if err := rows.Scan(&r.CampaignID, &r.Campaign, &r.Participant, &r.Consent, &r.State, &r.Tier, &crit, &at); err != nil {
			return nil, err
		}
		r.Critical, r.SubmittedAt = crit == 1, fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
