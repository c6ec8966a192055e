package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
)

// Screening campaigns, participants, consent, one-time codes and drafts.
// Submissions go through the group-commit writer in ingest.go; alerts are
// in alerts.go; the dashboards' aggregates in screening_report.go.

// Consent statuses of a participant's guardian.
const (
	ConsentPending = "pending"
	ConsentGiven   = "given"
	ConsentRefused = "refused"
)

// Consent methods.
var ConsentMethods = []string{"paper", "online"}

// Participant states.
const (
	PartOpen      = "open"
	PartStarted   = "started"
	PartSubmitted = "submitted"
)

// Campaign is a screening campaign.
type Campaign struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	DistrictID  int64     `json:"district_id,omitempty"`
	SchoolID    int64     `json:"school_id,omitempty"`
	SchoolYear  int       `json:"school_year"`
	Semester    int       `json:"semester"`
	Instruments []string  `json:"instruments"`
	OpensAt     time.Time `json:"opens_at"`
	ClosesAt    time.Time `json:"closes_at"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

// OpenAt reports whether pupils may answer at t.
func (c Campaign) OpenAt(t time.Time) bool {
	return c.Status == "open" && !t.Before(c.OpensAt) && t.Before(c.ClosesAt)
}

// CampaignInput creates a campaign: which classes (every class of the
// listed schools in the listed grades, plus the listed classes), which
// instruments in which order, and the window.
type CampaignInput struct {
	Name        string    `json:"name"`
	Instruments []string  `json:"instruments"`
	OpensAt     time.Time `json:"opens_at"`
	ClosesAt    time.Time `json:"closes_at"`
	SchoolIDs   []int64   `json:"school_ids,omitempty"`
	Grades      []int     `json:"grades,omitempty"`
	ClassIDs    []int64   `json:"class_ids,omitempty"`
	// DistrictID or SchoolID name the owning node; neither: the city.
	DistrictID int64 `json:"district_id,omitempty"`
	SchoolID   int64 `json:"school_id,omitempty"`
}

// Validate checks the fields that need no database.
func (in *CampaignInput) Validate(known func(code string) bool) error {
	var v ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		v.Add("name", "error.campaign_name")
	}
	if len(in.Instruments) == 0 || len(in.Instruments) > 6 {
		v.Add("instruments", "error.campaign_instruments")
	}
	seen := map[string]bool{}
	for _, c := range in.Instruments {
		if !known(c) || seen[c] {
			v.Add("instruments", "error.campaign_instruments")
			break
		}
		seen[c] = true
	}
	if in.OpensAt.IsZero() || in.ClosesAt.IsZero() || !in.ClosesAt.After(in.OpensAt) ||
		in.ClosesAt.Sub(in.OpensAt) > 120*24*time.Hour {
		v.Add("closes_at", "error.campaign_window")
	}
	if len(in.SchoolIDs) == 0 && len(in.ClassIDs) == 0 {
		v.Add("school_ids", "error.campaign_target")
	}
	if len(in.SchoolIDs)+len(in.ClassIDs) > 5000 {
		v.Add("school_ids", "error.campaign_target")
	}
	for _, g := range in.Grades {
		if g < -3 || g > 12 {
			v.Add("grades", "err.grade_for_school")
			break
		}
	}
	return v.Err()
}

// partState is a participant's state: 'submitted' comes from the
// submission itself (the screening-day commit writes no participant row,
// which keeps it to sequential pages), 'open'/'started' from the row.
func partState(alias string) string {
	return "CASE WHEN EXISTS (SELECT 1 FROM screening_submissions x WHERE x.participant_id = " + alias + ".id) THEN 'submitted' ELSE " + alias + ".state END"
}

const campaignCols = `c.id, c.name, COALESCE(c.district_id, 0), COALESCE(c.school_id, 0), c.school_year, c.semester,
	c.instruments, c.opens_at, c.closes_at, c.status, c.created_at`

func scanCampaign(r interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var ins string
	var opens, closes, created int64
	err := r.Scan(&c.ID, &c.Name, &c.DistrictID, &c.SchoolID, &c.SchoolYear, &c.Semester, &ins, &opens, &closes, &c.Status, &created)
	c.Instruments = strings.Split(ins, ",")
	c.OpensAt, c.ClosesAt, c.CreatedAt = fromMS(opens), fromMS(closes), fromMS(created)
	return c, err
}

// campaignInScope is the predicate of campaigns with any class in scope.
func campaignInScope(sc authz.Scope) string {
	return "EXISTS (SELECT 1 FROM screening_counts k WHERE k.campaign_id = c.id AND " +
		scopePred(sc, "k.district_id", "k.school_id", "k.class_id") + ")"
}

// CreateCampaign creates a campaign and its participants: every enrolled
// pupil of the chosen classes of the current school year, each with a
// one-time code and consent pending. Schools and classes must be in sc.
func (s *Store) CreateCampaign(ctx context.Context, a Actor, sc authz.Scope, in CampaignInput, known func(string) bool) (int64, error) {
	if err := in.Validate(known); err != nil {
		return 0, err
	}
	now := s.now()
	year := model.SchoolYearOf(in.OpensAt.In(time.UTC))
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The classes: each requested school and class must be in scope.
		var conds []string
		var args []any
		if len(in.SchoolIDs) > 0 {
			cond := "c.school_id IN (" + int64List(in.SchoolIDs) + ")"
			if len(in.Grades) > 0 {
				cond += " AND c.grade IN (" + intList(in.Grades) + ")"
			}
			conds = append(conds, "("+cond+")")
		}
		if len(in.ClassIDs) > 0 {
			conds = append(conds, "c.id IN ("+int64List(in.ClassIDs)+")")
		}
		args = append(args, year)
		rows, err := tx.QueryContext(ctx, s.q(`SELECT c.id, c.school_id, c.district_id, c.grade FROM classes c
			JOIN school_years y ON y.id = c.school_year_id
			WHERE y.start_year = ? AND (`+strings.Join(conds, " OR ")+`) AND `+scopePred(sc, "c.district_id", "c.school_id", "c.id")), args...)
		if err != nil {
			return fmt.Errorf("store: campaign classes: %w", err)
		}
		type cls struct {
			id, school, district int64
			grade                int
		}
		var classes []cls
		schools := map[int64]bool{}
		for rows.Next() {
			var c cls
			if err := rows.Scan(&c.id, &c.school, &c.district, &c.grade); err != nil {
				rows.Close()
				return err
			}
			classes = append(classes, c)
			schools[c.school] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, sid := range in.SchoolIDs {
			if !sc.Covers(0, sid, 0) && !schoolInDistricts(ctx, tx, s, sid, sc) {
				return ErrNotFound
			}
		}
		for _, cid := range in.ClassIDs {
			if !slices.ContainsFunc(classes, func(c cls) bool { return c.id == cid }) {
				return ErrNotFound
			}
		}
		if len(classes) == 0 {
			return &ValidationError{Fields: []FieldError{{"school_ids", "error.campaign_no_classes"}}}
		}
		var owner [2]any
		if in.DistrictID != 0 {
			owner[0] = in.DistrictID
		}
		if in.SchoolID != 0 {
			owner[1] = in.SchoolID
		}
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO screening_campaigns (name, district_id, school_id, school_year, semester,
			instruments, opens_at, closes_at, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id`),
			in.Name, owner[0], owner[1], year, model.SemesterOf(in.OpensAt), strings.Join(in.Instruments, ","),
			ms(in.OpensAt), ms(in.ClosesAt), a.UserID, ms(now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("store: create campaign: %w", mapErr(err))
		}
		// Participants, class by class, through statements prepared once.
		pupilsOf, err := tx.PrepareContext(ctx, s.q(`SELECT id, birth_date FROM students WHERE class_id = ? AND status = 'enrolled' ORDER BY id`))
		if err != nil {
			return err
		}
		defer pupilsOf.Close()
		counter, err := tx.PrepareContext(ctx, s.q(`INSERT INTO screening_counts (campaign_id, class_id, school_id, district_id, grade, participants)
			VALUES (?, ?, ?, ?, ?, ?)`))
		if err != nil {
			return err
		}
		defer counter.Close()
		type prow struct {
			student int64
			age     int
		}
		for _, c := range classes {
			rows, err := pupilsOf.QueryContext(ctx, c.id)
			if err != nil {
				return fmt.Errorf("store: campaign pupils: %w", err)
			}
			var ps []prow
			for rows.Next() {
				var p prow
				var birth string
				if err := rows.Scan(&p.student, &birth); err != nil {
					rows.Close()
					return err
				}
				p.age = ageAt(birth, in.OpensAt)
				ps = append(ps, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(ps) > 0 {
				const cols = 9
				vals := make([]any, 0, len(ps)*cols)
				for _, p := range ps {
					vals = append(vals, id, p.student, c.district, c.school, c.id, c.grade, p.age, 0, s.codeHash(s.ParticipantCode(id, p.student, 0)))
				}
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO screening_participants (campaign_id, student_id, district_id, school_id,
					class_id, grade, age, code_gen, code_hash) VALUES `+placeholders(len(ps), cols)), vals...); err != nil {
					return fmt.Errorf("store: campaign participants: %w", mapErr(err))
				}
			}
			if _, err := counter.ExecContext(ctx, id, c.id, c.school, c.district, c.grade, len(ps)); err != nil {
				return fmt.Errorf("store: campaign counters: %w", err)
			}
		}
		defer s.screenCache.drop()
		e := a.entry(audit.ActCampaignCreate, "campaign", id, in.SchoolID, in.DistrictID)
		e.Detail = fmt.Sprintf("classes=%d schools=%d instruments=%s", len(classes), len(schools), strings.Join(in.Instruments, ","))
		return s.appendAudit(ctx, tx, e)
	})
	return id, err
}

// schoolInDistricts reports whether school sid lies in one of sc's districts.
func schoolInDistricts(ctx context.Context, tx *sql.Tx, s *Store, sid int64, sc authz.Scope) bool {
	if len(sc.Districts) == 0 {
		return false
	}
	var d int64
	if err := tx.QueryRowContext(ctx, s.q("SELECT district_id FROM schools WHERE id = ?"), sid).Scan(&d); err != nil {
		return false
	}
	return slices.Contains(sc.Districts, d)
}

// ageAt is a pupil's age in whole years at t (0 when the date is unknown).
func ageAt(birth string, t time.Time) int {
	b, err := time.Parse(dateLayout, birth)
	if err != nil {
		return 0
	}
	age := t.Year() - b.Year()
	if t.YearDay() < b.YearDay() {
		age--
	}
	return max(age, 0)
}

func int64List(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func intList(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// ListCampaigns returns the campaigns with any class in scope, newest first.
func (s *Store) ListCampaigns(ctx context.Context, sc authz.Scope) ([]Campaign, error) {
	rows, err := s.readRows(ctx, `SELECT `+campaignCols+` FROM screening_campaigns c WHERE `+campaignInScope(sc)+` ORDER BY c.opens_at DESC, c.id DESC LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("store: list campaigns: %w", err)
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetCampaign returns one campaign with a class in scope, or ErrNotFound.
func (s *Store) GetCampaign(ctx context.Context, sc authz.Scope, id int64) (Campaign, error) {
	c, err := scanCampaign(s.readRow(ctx, s.q(`SELECT `+campaignCols+` FROM screening_campaigns c WHERE c.id = ? AND `+campaignInScope(sc)), id))
	if err != nil {
		return Campaign{}, mapErr(err)
	}
	return c, nil
}

// CloseCampaign ends a campaign's window early; unanswered codes stop working.
func (s *Store) CloseCampaign(ctx context.Context, a Actor, sc authz.Scope, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.execOne(ctx, tx, s.q(`UPDATE screening_campaigns SET status = 'closed' WHERE id = ? AND status = 'open' AND `+
			strings.ReplaceAll(campaignInScope(sc), "c.id", "screening_campaigns.id")), id); err != nil {
			return err
		}
		defer s.screenCache.drop()
		defer s.parts.forgetAll()
		return s.appendAudit(ctx, tx, a.entry(audit.ActCampaignClose, "campaign", id, 0, 0))
	})
}

// codeAlphabet has no 0/O, 1/I/L: codes are typed by children from paper.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLen is the length of a one-time code (31^10 ≈ 8·10^14 codes).
const CodeLen = 10

// ParticipantCode derives a pupil's one-time code for a campaign from the
// keyring, so only its hash is stored and the class sheet can be printed
// again; gen changes when a code is reissued.
func (s *Store) ParticipantCode(campaignID, studentID int64, gen int) string {
	mac := s.keys.BlindIndex("screening-code", fmt.Sprintf("%d:%d:%d", campaignID, studentID, gen))
	b := make([]byte, CodeLen)
	for i := range b {
		b[i] = codeAlphabet[int(mac[i])%len(codeAlphabet)]
	}
	return string(b)
}

// NormalizeCode uppercases a typed code and drops spaces and dashes; it
// returns "" when what is left cannot be a code.
func NormalizeCode(code string) string {
	var b strings.Builder
	for _, r := range code {
		switch {
		case r == ' ' || r == '-' || r == '\u3000':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= 'ａ' && r <= 'ｚ':
			r = r - 'ａ' + 'A'
		case r >= 'Ａ' && r <= 'Ｚ':
			r = r - 'Ａ' + 'A'
		case r >= '０' && r <= '９':
			r = r - '０' + '0'
		}
		if r > 127 || !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
		if b.Len() > CodeLen {
			return ""
		}
	}
	if b.Len() != CodeLen {
		return ""
	}
	return b.String()
}

func (s *Store) codeHash(code string) []byte { return s.keys.BlindIndex("screening-code-hash", code) }

// Participant is one pupil's place in a campaign, as the answering page
// and the submission path need it. It carries no name.
type Participant struct {
	ID          int64
	Campaign    Campaign
	StudentID   int64
	DistrictID  int64
	SchoolID    int64
	ClassID     int64
	Grade       int
	Age         int
	Consent     string
	State       string
	Draft       map[string][]int
	StartedAt   time.Time
	SubmittedAt time.Time
	// codeHash is the hash of the code it was found by: the writer checks
	// it is still the participant's (a reissued code stops at once).
	codeHash []byte
}

// ParticipantByCode finds the participant a one-time code belongs to, or
// ErrNotFound. The code is compared through its keyed hash only.
func (s *Store) ParticipantByCode(ctx context.Context, code string) (Participant, error) {
	code = NormalizeCode(code)
	if code == "" {
		return Participant{}, ErrNotFound
	}
	var p Participant
	var draft []byte
	var started, submitted int64
	row := s.readRow(ctx, s.q(`SELECT p.id, p.student_id, p.district_id, p.school_id, p.class_id, p.grade, p.age, p.consent,
		`+partState("p")+`, p.draft, p.started_at, COALESCE((SELECT x.submitted_at FROM screening_submissions x WHERE x.participant_id = p.id), 0), `+campaignCols+`
		FROM screening_participants p JOIN screening_campaigns c ON c.id = p.campaign_id WHERE p.code_hash = ?`), s.codeHash(code))
	dest := []any{&p.ID, &p.StudentID, &p.DistrictID, &p.SchoolID, &p.ClassID, &p.Grade, &p.Age, &p.Consent, &p.State, &draft, &started, &submitted}
	var c Campaign
	var ins string
	var opens, closes, created int64
	dest = append(dest, &c.ID, &c.Name, &c.DistrictID, &c.SchoolID, &c.SchoolYear, &c.Semester, &ins, &opens, &closes, &c.Status, &created)
	if err := row.Scan(dest...); err != nil {
		return Participant{}, mapErr(err)
	}
	c.Instruments = strings.Split(ins, ",")
	c.OpensAt, c.ClosesAt, c.CreatedAt = fromMS(opens), fromMS(closes), fromMS(created)
	p.Campaign = c
	p.StartedAt, p.SubmittedAt = fromMS(started), fromMS(submitted)
	p.codeHash = s.codeHash(code)
	if len(draft) > 0 {
		plain, err := s.keys.Open(draft, draftAAD(p.ID))
		if err != nil {
			return Participant{}, fmt.Errorf("store: open draft of participant %d: %w", p.ID, err)
		}
		if err := json.Unmarshal(plain, &p.Draft); err != nil {
			return Participant{}, fmt.Errorf("store: draft of participant %d: %w", p.ID, err)
		}
	}
	return p, nil
}

func draftAAD(id int64) string  { return "screening_participants.draft:" + strconv.FormatInt(id, 10) }
func detailAAD(id int64) string { return "screening_submissions.detail:" + strconv.FormatInt(id, 10) }

// SaveDraft stores the answers given so far (sealed), so a pupil whose
// tablet dies can go on with the same code. ErrConflict once submitted.
func (s *Store) SaveDraft(ctx context.Context, a Actor, p Participant, answers map[string][]int) error {
	plain, err := json.Marshal(answers)
	if err != nil {
		return err
	}
	sealed, err := s.keys.Seal(plain, draftAAD(p.ID))
	if err != nil {
		return err
	}
	now := ms(s.now())
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE screening_participants SET draft = ?, state = 'started',
			started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END
			WHERE id = ? AND consent = 'given' AND NOT EXISTS (SELECT 1 FROM screening_submissions x WHERE x.participant_id = screening_participants.id)`), sealed, now, p.ID)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.appendAudit(ctx, tx, a.entry(audit.ActDraftSaved, "participant", p.ID, p.SchoolID, p.DistrictID))
	})
}

// ConsentInput records one guardian's answer.
type ConsentInput struct {
	ParticipantID int64  `json:"participant_id"`
	Status        string `json:"status"`
	Method        string `json:"method"`
}

// SetConsent records guardians' consent for participants of a campaign in
// scope, and keeps the counters. A pupil who has submitted keeps their
// consent (withdrawal after answering is a case for the psychology
// teacher, not a silent change of counts).
func (s *Store) SetConsent(ctx context.Context, a Actor, sc authz.Scope, campaignID int64, in []ConsentInput) (int, error) {
	var v ValidationError
	for i, c := range in {
		if c.Status != ConsentGiven && c.Status != ConsentRefused && c.Status != ConsentPending {
			v.Add(fmt.Sprintf("items[%d].status", i), "error.consent_status")
		}
		if c.Status != ConsentPending && !slices.Contains(ConsentMethods, c.Method) {
			v.Add(fmt.Sprintf("items[%d].method", i), "error.consent_method")
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	changed := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		type delta struct{ given, refused int }
		deltas := map[int64]*delta{}
		var entries []audit.Entry
		now := ms(s.now())
		for _, c := range in {
			var old, state string
			var classID, schoolID, districtID int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT consent, `+partState("screening_participants")+`, class_id, school_id, district_id FROM screening_participants
				WHERE id = ? AND campaign_id = ? AND `+scopePred(sc, "district_id", "school_id", "class_id")), c.ParticipantID, campaignID).
				Scan(&old, &state, &classID, &schoolID, &districtID)
			if err != nil {
				return mapErr(err)
			}
			if old == c.Status || state == PartSubmitted {
				continue
			}
			method := c.Method
			if c.Status == ConsentPending {
				method = ""
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE screening_participants SET consent = ?, consent_method = ?, consent_by = ?, consent_at = ? WHERE id = ?`),
				c.Status, method, a.UserID, now, c.ParticipantID); err != nil {
				return mapErr(err)
			}
			d := deltas[classID]
			if d == nil {
				d = &delta{}
				deltas[classID] = d
			}
			d.given += b2i(c.Status == ConsentGiven) - b2i(old == ConsentGiven)
			d.refused += b2i(c.Status == ConsentRefused) - b2i(old == ConsentRefused)
			s.parts.forget(c.ParticipantID)
			e := a.entry(audit.ActConsent, "participant", c.ParticipantID, schoolID, districtID)
			e.Detail = "status=" + c.Status + " method=" + method
			entries = append(entries, e)
			changed++
		}
		defer s.screenCache.drop()
		for classID, d := range deltas {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE screening_counts SET consent_given = consent_given + ?, consent_refused = consent_refused + ?
				WHERE campaign_id = ? AND class_id = ?`), d.given, d.refused, campaignID, classID); err != nil {
				return fmt.Errorf("store: consent counters: %w", err)
			}
		}
		return s.appendAuditMany(ctx, tx, entries)
	})
	return changed, err
}

// ReissueCode gives a participant a new code (a lost or seen sheet); the
// old one stops working at once.
func (s *Store) ReissueCode(ctx context.Context, a Actor, sc authz.Scope, participantID int64) (string, error) {
	var code string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var campaignID, studentID, schoolID, districtID int64
		var gen int
		var state string
		err := tx.QueryRowContext(ctx, s.q(`SELECT campaign_id, student_id, school_id, district_id, code_gen, `+partState("screening_participants")+` FROM screening_participants
			WHERE id = ? AND `+scopePred(sc, "district_id", "school_id", "class_id")), participantID).
			Scan(&campaignID, &studentID, &schoolID, &districtID, &gen, &state)
		if err != nil {
			return mapErr(err)
		}
		if state == PartSubmitted {
			return ErrConflict
		}
		code = s.ParticipantCode(campaignID, studentID, gen+1)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE screening_participants SET code_gen = ?, code_hash = ? WHERE id = ?`),
			gen+1, s.codeHash(code), participantID); err != nil {
			return mapErr(err)
		}
		s.parts.forget(participantID)
		return s.appendAudit(ctx, tx, a.entry(audit.ActCodeReissue, "participant", participantID, schoolID, districtID))
	})
	return code, err
}

// RosterEntry is one pupil of a class in a campaign, for the consent page
// and the code sheet (names are the roster's; the page masks as the role
// requires).
type RosterEntry struct {
	ParticipantID int64  `json:"participant_id"`
	StudentID     int64  `json:"student_id"`
	Name          string `json:"name"`
	StudentNo     string `json:"student_no"`
	Consent       string `json:"consent"`
	ConsentMethod string `json:"consent_method,omitempty"`
	State         string `json:"state"`
	Code          string `json:"-"`
}

// CampaignClassRoster lists a class's participants in a campaign; with
// codes set it also derives each one-time code (for the printable sheet,
// an audited action).
func (s *Store) CampaignClassRoster(ctx context.Context, a Actor, sc authz.Scope, campaignID, classID int64, codes bool) ([]RosterEntry, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT p.id, p.student_id, st.name, st.student_no, p.consent, p.consent_method, `+partState("p")+`, p.code_gen
		FROM screening_participants p JOIN students st ON st.id = p.student_id
		WHERE p.campaign_id = ? AND p.class_id = ? AND `+scopePred(sc, "p.district_id", "p.school_id", "p.class_id")+` ORDER BY st.student_no, p.id`),
		campaignID, classID)
	if err != nil {
		return nil, fmt.Errorf("store: campaign roster: %w", err)
	}
	defer rows.Close()
	var out []RosterEntry
	for rows.Next() {
		var e RosterEntry
		var gen int
		if err := rows.Scan(&e.ParticipantID, &e.StudentID, &e.Name, &e.StudentNo, &e.Consent, &e.ConsentMethod, &e.State, &gen); err != nil {
			return nil, fmt.Errorf("store: campaign roster: %w", err)
		}
		if codes {
			e.Code = s.ParticipantCode(campaignID, e.StudentID, gen)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		// An unknown class, one outside scope, or one not in the campaign.
		return nil, ErrNotFound
	}
	if codes {
		e := a.entry(audit.ActCodesPrinted, "class", classID, 0, 0)
		e.Detail = fmt.Sprintf("campaign=%d codes=%d", campaignID, len(out))
		if err := s.tx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, e) }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveInstrument stores a licensed instrument's JSON (already validated by
// the caller); a code already taken is ErrConflict.
func (s *Store) SaveInstrument(ctx context.Context, a Actor, code string, body []byte) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO instruments (code, body, added_by, added_at) VALUES (?, ?, ?, ?)`),
			code, string(body), a.UserID, ms(s.now())); err != nil {
			return mapErr(err)
		}
		e := a.entry(audit.ActInstrumentAdded, "instrument", 0, 0, 0)
		e.Detail = "code=" + code
		return s.appendAudit(ctx, tx, e)
	})
}

// Instruments returns the bodies of the stored (licensed) instruments.
func (s *Store) Instruments(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT code, body FROM instruments ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("store: instruments: %w", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var code, body string
		if err := rows.Scan(&code, &body); err != nil {
			return nil, err
		}
		out[code] = []byte(body)
	}
	return out, rows.Err()
}

var errClosed = errors.New("store: closed")

// BulkConsent records consent for many participants of one campaign at
// once (the demo city's history): one statement per thousand pupils, the
// class counters recomputed from the rows, one audit entry per call.
func (s *Store) BulkConsent(ctx context.Context, a Actor, campaignID int64, status, method string, ids []int64) error {
	if status != ConsentGiven && status != ConsentRefused {
		return &FieldError{Field: "status", Key: "error.consent_status"}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		now := ms(s.now())
		for start := 0; start < len(ids); start += 1000 {
			chunk := ids[start:min(start+1000, len(ids))]
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE screening_participants SET consent = ?, consent_method = ?, consent_by = ?, consent_at = ?
				WHERE campaign_id = ? AND id IN (`+int64List(chunk)+`) AND NOT EXISTS (SELECT 1 FROM screening_submissions x WHERE x.participant_id = screening_participants.id)`), status, method, a.UserID, now, campaignID); err != nil {
				return fmt.Errorf("store: bulk consent: %w", err)
			}
		}
		// Recount the class counters in one pass over the campaign.
		rows, err := tx.QueryContext(ctx, s.q(`SELECT class_id, SUM(CASE WHEN consent = 'given' THEN 1 ELSE 0 END),
			SUM(CASE WHEN consent = 'refused' THEN 1 ELSE 0 END) FROM screening_participants WHERE campaign_id = ? GROUP BY class_id`), campaignID)
		if err != nil {
			return fmt.Errorf("store: bulk consent counters: %w", err)
		}
		type cnt struct{ class, given, refused int64 }
		var cs []cnt
		for rows.Next() {
			var c cnt
			if err := rows.Scan(&c.class, &c.given, &c.refused); err != nil {
				rows.Close()
				return err
			}
			cs = append(cs, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		up, err := tx.PrepareContext(ctx, s.q(`UPDATE screening_counts SET consent_given = ?, consent_refused = ? WHERE campaign_id = ? AND class_id = ?`))
		if err != nil {
			return err
		}
		defer up.Close()
		for _, c := range cs {
			if _, err := up.ExecContext(ctx, c.given, c.refused, campaignID, c.class); err != nil {
				return fmt.Errorf("store: bulk consent counters: %w", err)
			}
		}
		defer s.screenCache.drop()
		s.parts.forget(ids...)
		e := a.entry(audit.ActConsent, "campaign", campaignID, 0, 0)
		e.Detail = fmt.Sprintf("bulk status=%s pupils=%d", status, len(ids))
		return s.appendAudit(ctx, tx, e)
	})
}

// CampaignParticipants lists a campaign's participants (ids only, for the
// demo city's history and the tests).
func (s *Store) CampaignParticipants(ctx context.Context, campaignID int64) ([]Participant, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, student_id, district_id, school_id, class_id, grade, age, consent, `+partState("screening_participants")+`
		FROM screening_participants WHERE campaign_id = ? ORDER BY id`), campaignID)
	if err != nil {
		return nil, fmt.Errorf("store: participants: %w", err)
	}
	defer rows.Close()
	var out []Participant
	for rows.Next() {
		var p Participant
		if err := rows.Scan(&p.ID, &p.StudentID, &p.DistrictID, &p.SchoolID, &p.ClassID, &p.Grade, &p.Age, &p.Consent, &p.State); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
