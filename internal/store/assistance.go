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

// Assistance lists (帮扶名单, issue 6 part 4). A school's data officer (D2
// write) lists pupils from families in difficulty, each with a category the
// pupil holds and the help requested, and sends the list to one partner
// agency; a sent list is not edited. The agency's users see only lists
// addressed to their agency, with only the fields an agency needs (AgencyItem),
// and answer each pupil; an agency without accounts gets the list as a
// workbook and the school imports its answers.
//
// Lists are built by schools only. ACCESS.md gives district officials D2
// "addressed" (lists addressed to them), not the roster's family data, so a
// district cannot pick named pupils; it sees its schools' lists as counts
// (AssistStats, D0 aggregates). assist_lists.school_id may be NULL in the
// schema for district lists; this code never makes one.

// Vocabularies of assistance lists.
var (
	// AssistHelpCodes are the kinds of help a school asks for.
	AssistHelpCodes = []string{"financial", "study", "psychological", "parenting", "health", "other"}
	// AssistAnswers are an agency's answers about one pupil.
	AssistAnswers = []string{"received", "assisted", "declined"}
	// AssistAgencyKinds are the agencies a list may be sent to.
	AssistAgencyKinds = []model.AgencyKind{model.AgencyCivil, model.Agency12355, model.AgencyWomen}
	// AssistSuggested are the categories whose pupils a new list suggests
	// (families in difficulty, as the digest names them, and orphans).
	AssistSuggested = []model.Category{model.CatPoor, model.CatLeftBehind, model.CatSingleParent, model.CatOrphan}
)

// Limits of assistance lists.
const (
	MaxAssistItems  = 500 // pupils on one list
	MaxAssistTitle  = 100
	MaxAssistDetail = 200
	MaxAssistNote   = 500
)

// Assistance list errors the web layer maps to their own messages.
var (
	ErrAssistSent   = fmt.Errorf("%w: assistance list already sent", ErrConflict)
	ErrAssistClosed = fmt.Errorf("%w: assistance list closed", ErrConflict)
	ErrAssistDraft  = fmt.Errorf("%w: assistance list not sent yet", ErrConflict)
)

// AssistList is a list with its figures (no pupil data).
type AssistList struct {
	ID         int64     `json:"id"`
	DistrictID int64     `json:"district_id"`
	SchoolID   int64     `json:"school_id"`
	SchoolName string    `json:"school_name"`
	AgencyID   int64     `json:"agency_id"`
	AgencyName string    `json:"agency_name"`
	AgencyKind string    `json:"agency_kind"`
	Title      string    `json:"title"`
	State      string    `json:"state"`   // draft | sent | closed
	Channel    string    `json:"channel"` // system | excel
	CreatedAt  time.Time `json:"created_at"`
	SentAt     time.Time `json:"sent_at"`
	Items      int       `json:"items"`
	Received   int       `json:"received"`
	Assisted   int       `json:"assisted"`
	Declined   int       `json:"declined"`
	Pending    int       `json:"pending"`
}

// AssistItem is one pupil of a list as the school sees it (D2).
type AssistItem struct {
	ID         int64     `json:"id"`
	StudentID  int64     `json:"student_id"`
	SchoolID   int64     `json:"school_id"`
	ClassID    int64     `json:"class_id"`
	Name       string    `json:"name"`
	ClassName  string    `json:"class_name"`
	Category   string    `json:"category"`
	Help       string    `json:"help"`
	Detail     string    `json:"detail"`
	Answer     string    `json:"answer"`
	AnswerNote string    `json:"answer_note"`
	AnsweredAt time.Time `json:"answered_at"`
}

// AgencyItem is one pupil of a list as it leaves the school: what an
// agency needs to help and nothing else — never the ID number, the student
// number, the class, screening data or the pupil's other categories.
type AgencyItem struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Gender        string    `json:"gender"`
	SchoolName    string    `json:"school_name"`
	Grade         string    `json:"grade"`
	Category      string    `json:"category"`
	Help          string    `json:"help"`
	Detail        string    `json:"detail"`
	GuardianName  string    `json:"guardian_name"`
	GuardianPhone string    `json:"guardian_phone"`
	Answer        string    `json:"answer"`
	AnswerNote    string    `json:"answer_note"`
	AnsweredAt    time.Time `json:"answered_at"`
}

// AssistListInput creates or changes a draft list.
type AssistListInput struct {
	SchoolID int64  `json:"school_id"`
	AgencyID int64  `json:"agency_id"`
	Title    string `json:"title"`
}

// AssistItemInput puts one pupil on a draft list.
type AssistItemInput struct {
	StudentID int64  `json:"student_id"`
	Category  string `json:"category"`
	Help      string `json:"help"`
	Detail    string `json:"detail"`
}

// AssistAnswerInput is an answer about one pupil of a sent list.
type AssistAnswerInput struct {
	ItemID int64  `json:"item_id"`
	Answer string `json:"answer"`
	Note   string `json:"note"`
}

// AssistStat counts the pupils of a school's lists sent in a period and
// the agencies' answers about them.
type AssistStat struct {
	Listed, Received, Assisted, Declined, Pending int
}

const assistListCols = `l.id, l.district_id, COALESCE(l.school_id, 0), COALESCE(s.name, ''), l.agency_id, a.name, a.kind, l.title, l.state,
	l.channel, l.created_at, l.sent_at, COUNT(i.id),
	COALESCE(SUM(CASE WHEN i.answer = 'received' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN i.answer = 'assisted' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN i.answer = 'declined' THEN 1 ELSE 0 END), 0),
	COALESCE(SUM(CASE WHEN i.id IS NOT NULL AND i.answer = '' THEN 1 ELSE 0 END), 0)`

const assistListFrom = ` FROM assist_lists l JOIN agencies a ON a.id = l.agency_id LEFT JOIN schools s ON s.id = l.school_id
	LEFT JOIN assist_items i ON i.list_id = l.id`

const assistListGroup = ` GROUP BY l.id, l.district_id, l.school_id, s.name, l.agency_id, a.name, a.kind, l.title, l.state, l.channel, l.created_at, l.sent_at`

// assistTextOK reports whether free text can be stored: no NUL (which
// PostgreSQL text refuses) and no other control character but tab and
// line breaks.
func assistTextOK(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}

func scanAssistList(r interface{ Scan(...any) error }) (AssistList, error) {
	var x AssistList
	var created, sent int64
	err := r.Scan(&x.ID, &x.DistrictID, &x.SchoolID, &x.SchoolName, &x.AgencyID, &x.AgencyName, &x.AgencyKind, &x.Title, &x.State,
		&x.Channel, &created, &sent, &x.Items, &x.Received, &x.Assisted, &x.Declined, &x.Pending)
	x.CreatedAt, x.SentAt = fromMS(created), fromMS(sent)
	return x, err
}

// assistIDList writes ids as a SQL list of integer literals (our own ids, as
// scopePred does); an empty list matches nothing.
func assistIDList(ids []int64) string {
	if len(ids) == 0 {
		return "(NULL)"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "(" + strings.Join(parts, ",") + ")"
}

func (s *Store) assistLists(ctx context.Context, q kpQuerier, where string, args ...any) ([]AssistList, error) {
	rows, err := q.QueryContext(ctx, s.q("SELECT "+assistListCols+assistListFrom+" WHERE "+where+assistListGroup+" ORDER BY l.id DESC LIMIT 500"), args...)
	if err != nil {
		return nil, fmt.Errorf("store: assistance lists: %w", err)
	}
	defer rows.Close()
	out := []AssistList{}
	for rows.Next() {
		x, err := scanAssistList(rows)
		if err != nil {
			return nil, fmt.Errorf("store: assistance lists: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ListAssistLists returns the lists of the schools in sc (the caller's
// school-level D2 read scope), one school's when schoolID is set, newest
// first, with their figures.
func (s *Store) ListAssistLists(ctx context.Context, sc authz.Scope, schoolID int64) ([]AssistList, error) {
	where := "l.school_id IS NOT NULL AND " + scopePred(sc, "l.district_id", "l.school_id", "")
	var args []any
	if schoolID != 0 {
		where, args = where+" AND l.school_id = ?", append(args, schoolID)
	}
	return s.assistLists(ctx, kpReadPool{s}, where, args...)
}

// assistListIn reads list id of a school in sc inside tx, its row locked
// (on PostgreSQL) so a list cannot be sent while pupils are added to it.
func (s *Store) assistListIn(ctx context.Context, tx *sql.Tx, sc authz.Scope, id int64) (AssistList, error) {
	var locked int64
	if err := tx.QueryRowContext(ctx, s.q("SELECT id FROM assist_lists WHERE id = ?"+s.dialect.lockForUpdate()), id).Scan(&locked); err != nil {
		return AssistList{}, mapErr(err)
	}
	ls, err := s.assistLists(ctx, tx, "l.id = ? AND l.school_id IS NOT NULL AND "+scopePred(sc, "l.district_id", "l.school_id", ""), id)
	if err != nil {
		return AssistList{}, err
	}
	if len(ls) == 0 {
		return AssistList{}, ErrNotFound
	}
	return ls[0], nil
}

// validate checks a list's title and agency (the agency inside tx).
func (s *Store) validateAssistList(ctx context.Context, tx *sql.Tx, in *AssistListInput) error {
	var v ValidationError
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > MaxAssistTitle {
		v.Add("title", "assist.err_title")
	} else if !assistTextOK(in.Title) {
		v.Add("title", "assist.err_text")
	}
	var kind string
	err := tx.QueryRowContext(ctx, s.q("SELECT kind FROM agencies WHERE id = ?"), in.AgencyID).Scan(&kind)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err != nil || !slices.Contains(AssistAgencyKinds, model.AgencyKind(kind)) {
		v.Add("agency_id", "assist.err_agency")
	}
	return v.Err()
}

// CreateAssistList starts a draft list of a school in sc (the caller's D2
// write scope) addressed to an agency of AssistAgencyKinds. A school out of
// scope is refused as the field school_id (err.out_of_scope).
func (s *Store) CreateAssistList(ctx context.Context, a Actor, sc authz.Scope, in AssistListInput) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var district int64
		err := tx.QueryRowContext(ctx, s.q("SELECT district_id FROM schools WHERE id = ? AND "+scopePred(sc, "district_id", "id", "")), in.SchoolID).Scan(&district)
		if errors.Is(err, sql.ErrNoRows) {
			return &FieldError{Field: "school_id", Key: "err.out_of_scope"}
		} else if err != nil {
			return err
		}
		if err := s.validateAssistList(ctx, tx, &in); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO assist_lists (district_id, school_id, agency_id, title, state, channel, created_by, created_at)
			VALUES (?, ?, ?, ?, 'draft', 'system', ?, ?) RETURNING id`), district, in.SchoolID, in.AgencyID, in.Title, a.UserID, msNow(s)).Scan(&id); err != nil {
			return mapErr(err)
		}
		e := a.entry("assist.list_created", "assist_list", id, in.SchoolID, district)
		e.Detail = "agency=" + strconv.FormatInt(in.AgencyID, 10)
		return s.appendAudit(ctx, tx, e)
	})
	return id, err
}

// UpdateAssistList changes a draft list's title and agency.
func (s *Store) UpdateAssistList(ctx context.Context, a Actor, sc authz.Scope, id int64, in AssistListInput) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.assistListIn(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if l.State != "draft" {
			return ErrAssistSent
		}
		if err := s.validateAssistList(ctx, tx, &in); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE assist_lists SET title = ?, agency_id = ? WHERE id = ?"), in.Title, in.AgencyID, id); err != nil {
			return mapErr(err)
		}
		e := a.entry("assist.list_updated", "assist_list", id, l.SchoolID, l.DistrictID)
		e.Detail = "agency=" + strconv.FormatInt(in.AgencyID, 10)
		return s.appendAudit(ctx, tx, e)
	})
}

// AddAssistItems puts pupils on a draft list, all or nothing. A list not
// in sc is not found before anything else is judged. Refused with the item
// named: a pupil who is not enrolled in the list's school (or not in sc:
// the same answer, so no other school's pupil is confirmed to exist), a
// category the pupil does not hold, an unknown help code, help "other"
// without a detail, a detail too long, a pupil twice or already listed,
// more than MaxAssistItems on the list.
func (s *Store) AddAssistItems(ctx context.Context, a Actor, sc authz.Scope, listID int64, in []AssistItemInput) (int, error) {
	if len(in) > MaxAssistItems {
		return 0, &FieldError{Field: "items", Key: "assist.err_too_many"}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.assistListIn(ctx, tx, sc, listID)
		if err != nil {
			return err
		}
		if l.State != "draft" {
			return ErrAssistSent
		}
		var v ValidationError
		if len(in) == 0 {
			v.Add("items", "assist.err_no_items")
		}
		seen := map[int64]bool{}
		for i := range in {
			x := &in[i]
			f := "items[" + strconv.Itoa(i) + "]"
			x.Detail = strings.TrimSpace(x.Detail)
			if _, ok := model.ParseCategory(x.Category); !ok {
				v.Add(f+".category", "assist.err_category")
			}
			if !slices.Contains(AssistHelpCodes, x.Help) {
				v.Add(f+".help", "assist.err_help")
			}
			if utf8.RuneCountInString(x.Detail) > MaxAssistDetail {
				v.Add(f+".detail", "assist.err_detail_long")
			} else if !assistTextOK(x.Detail) {
				v.Add(f+".detail", "assist.err_text")
			} else if x.Help == "other" && x.Detail == "" {
				v.Add(f+".detail", "assist.err_detail_needed")
			}
			if seen[x.StudentID] {
				v.Add(f+".student_id", "assist.err_twice")
			}
			seen[x.StudentID] = true
		}
		if err := v.Err(); err != nil {
			return err
		}
		if l.Items+len(in) > MaxAssistItems {
			return &FieldError{Field: "items", Key: "assist.err_too_many"}
		}
		for i, x := range in {
			f := "items[" + strconv.Itoa(i) + "]"
			var cats int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT st.categories FROM students st WHERE st.id = ? AND st.school_id = ? AND st.status = 'enrolled' AND `+
				scopePred(sc, "st.district_id", "st.school_id", "st.class_id")), x.StudentID, l.SchoolID).Scan(&cats)
			if errors.Is(err, sql.ErrNoRows) {
				v.Add(f+".student_id", "assist.err_student")
				continue
			} else if err != nil {
				return err
			}
			if !model.CategorySet(cats).Has(model.Category(x.Category)) {
				v.Add(f+".category", "assist.err_category_held")
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM assist_items WHERE list_id = ? AND student_id = ?"), listID, x.StudentID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				v.Add(f+".student_id", "assist.err_listed")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		entries := make([]audit.Entry, 0, len(in))
		for i, x := range in {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO assist_items (list_id, student_id, school_id, district_id, category, help, detail)
				VALUES (?, ?, ?, ?, ?, ?, ?)`), listID, x.StudentID, l.SchoolID, l.DistrictID, x.Category, x.Help, x.Detail); err != nil {
				if errors.Is(mapErr(err), ErrConflict) {
					return &FieldError{Field: "items[" + strconv.Itoa(i) + "].student_id", Key: "assist.err_listed"}
				}
				return fmt.Errorf("store: add assistance item: %w", err)
			}
			e := a.entry("assist.item_added", "student", x.StudentID, l.SchoolID, l.DistrictID)
			e.Detail = "list=" + strconv.FormatInt(listID, 10)
			entries = append(entries, e)
		}
		return s.appendAuditMany(ctx, tx, entries)
	})
	if err != nil {
		return 0, err
	}
	return len(in), nil
}

// RemoveAssistItem takes a pupil off a draft list.
func (s *Store) RemoveAssistItem(ctx context.Context, a Actor, sc authz.Scope, listID, itemID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.assistListIn(ctx, tx, sc, listID)
		if err != nil {
			return err
		}
		if l.State != "draft" {
			return ErrAssistSent
		}
		var student int64
		if err := tx.QueryRowContext(ctx, s.q("SELECT student_id FROM assist_items WHERE id = ? AND list_id = ?"), itemID, listID).Scan(&student); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM assist_items WHERE id = ?"), itemID); err != nil {
			return err
		}
		e := a.entry("assist.item_removed", "student", student, l.SchoolID, l.DistrictID)
		e.Detail = "list=" + strconv.FormatInt(listID, 10)
		return s.appendAudit(ctx, tx, e)
	})
}

// SendAssistList sends a draft list with at least one pupil to its agency:
// from now on the agency's users see it and the school no longer edits it.
func (s *Store) SendAssistList(ctx context.Context, a Actor, sc authz.Scope, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.assistListIn(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if l.State != "draft" {
			return ErrAssistSent
		}
		if l.Items == 0 {
			return &FieldError{Field: "items", Key: "assist.err_empty"}
		}
		if err := s.execOne(ctx, tx, s.q("UPDATE assist_lists SET state = 'sent', sent_by = ?, sent_at = ? WHERE id = ? AND state = 'draft'"),
			a.UserID, msNow(s), id); err != nil {
			return err
		}
		if err := s.sealPackets(ctx, tx, id); err != nil {
			return err
		}
		e := a.entry("assist.list_sent", "assist_list", id, l.SchoolID, l.DistrictID)
		e.Detail = fmt.Sprintf("agency=%d items=%d", l.AgencyID, l.Items)
		return s.appendAudit(ctx, tx, e)
	})
}

// CloseAssistList closes a sent list: the agency reads it still, but no
// answer changes any more.
func (s *Store) CloseAssistList(ctx context.Context, a Actor, sc authz.Scope, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.assistListIn(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		switch l.State {
		case "draft":
			return ErrAssistDraft
		case "closed":
			return ErrAssistClosed
		}
		if err := s.execOne(ctx, tx, s.q("UPDATE assist_lists SET state = 'closed' WHERE id = ? AND state = 'sent'"), id); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, a.entry("assist.list_closed", "assist_list", id, l.SchoolID, l.DistrictID))
	})
}

// GetAssistList returns a list of a school in sc (the caller's
// school-level D2 read scope) with its pupils; an audited read of named
// pupils' D2 data, in the same transaction.
func (s *Store) GetAssistList(ctx context.Context, a Actor, sc authz.Scope, id int64) (AssistList, []AssistItem, error) {
	var l AssistList
	items := []AssistItem{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = s.assistListIn(ctx, tx, sc, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT i.id, i.student_id, st.school_id, COALESCE(st.class_id, 0), st.name, COALESCE(c.name, ''), i.category, i.help,
			i.detail, i.answer, i.answer_note, i.answered_at
			FROM assist_items i JOIN students st ON st.id = i.student_id LEFT JOIN classes c ON c.id = st.class_id
			WHERE i.list_id = ? ORDER BY c.grade, c.number, st.name, i.id`), id)
		if err != nil {
			return fmt.Errorf("store: assistance items: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var x AssistItem
			var at int64
			if err := rows.Scan(&x.ID, &x.StudentID, &x.SchoolID, &x.ClassID, &x.Name, &x.ClassName, &x.Category, &x.Help, &x.Detail, &x.Answer,
				&x.AnswerNote, &at); err != nil {
				return err
			}
			x.AnsweredAt = fromMS(at)
			items = append(items, x)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		e := a.entry("assist.list_read", "assist_list", id, l.SchoolID, l.DistrictID)
		e.Detail = "items=" + strconv.Itoa(len(items))
		return s.appendAudit(ctx, tx, e)
	})
	if err != nil {
		return AssistList{}, nil, err
	}
	return l, items, nil
}

// AssistSuggestion is a key pupil of the school a new list suggests.
type AssistSuggestion struct {
	StudentID  int64            `json:"student_id"`
	SchoolID   int64            `json:"school_id"`
	ClassID    int64            `json:"class_id"`
	Name       string           `json:"name"`
	ClassName  string           `json:"class_name"`
	Categories []model.Category `json:"categories"` // of AssistSuggested only
}

// AssistSuggestions returns the school's enrolled pupils in the
// AssistSuggested categories who are not on the draft list yet (at most
// 1,000, in roster order); an audited read.
func (s *Store) AssistSuggestions(ctx context.Context, a Actor, sc authz.Scope, listID int64) ([]AssistSuggestion, error) {
	var mask model.CategorySet
	for _, c := range AssistSuggested {
		mask = mask.With(c)
	}
	out := []AssistSuggestion{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.assistListIn(ctx, tx, sc, listID)
		if err != nil {
			return err
		}
		if l.State != "draft" {
			return nil
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT st.id, st.school_id, COALESCE(st.class_id, 0), st.name, COALESCE(c.name, ''), st.categories
			FROM students st LEFT JOIN classes c ON c.id = st.class_id
			WHERE st.school_id = ? AND st.status = 'enrolled' AND (st.categories & ?) <> 0 AND `+scopePred(sc, "st.district_id", "st.school_id", "st.class_id")+`
			AND NOT EXISTS (SELECT 1 FROM assist_items i WHERE i.list_id = ? AND i.student_id = st.id)
			ORDER BY c.grade, c.number, st.name, st.id LIMIT 1000`), l.SchoolID, int64(mask), listID)
		if err != nil {
			return fmt.Errorf("store: assistance suggestions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var x AssistSuggestion
			var cats int64
			if err := rows.Scan(&x.StudentID, &x.SchoolID, &x.ClassID, &x.Name, &x.ClassName, &cats); err != nil {
				return err
			}
			x.Categories = (model.CategorySet(cats) & mask).List()
			out = append(out, x)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		e := a.entry("assist.suggestions_read", "assist_list", listID, l.SchoolID, l.DistrictID)
		e.Detail = "rows=" + strconv.Itoa(len(out))
		return s.appendAudit(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// agencyPacket is what leaves the school for one pupil of a list.
type agencyPacket struct {
	Name          string `json:"name"`
	Gender        string `json:"gender"`
	SchoolName    string `json:"school_name"`
	Grade         string `json:"grade"`
	GuardianName  string `json:"guardian_name"`
	GuardianPhone string `json:"guardian_phone"`
}

func packetAAD(itemID int64) string { return "assist_items.packet:" + strconv.FormatInt(itemID, 10) }

// livePackets reads the packets of a list's items from the roster as it is
// now, by item id.
func (s *Store) livePackets(ctx context.Context, tx *sql.Tx, listID int64) (map[int64]agencyPacket, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT i.id, st.name, st.gender, s.name, c.grade,
		COALESCE((SELECT g.name FROM guardians g WHERE g.student_id = st.id ORDER BY g.id LIMIT 1), ''),
		COALESCE((SELECT g.phone FROM guardians g WHERE g.student_id = st.id ORDER BY g.id LIMIT 1), '')
		FROM assist_items i JOIN students st ON st.id = i.student_id JOIN schools s ON s.id = i.school_id LEFT JOIN classes c ON c.id = st.class_id
		WHERE i.list_id = ?`), listID)
	if err != nil {
		return nil, fmt.Errorf("store: assistance packets: %w", err)
	}
	defer rows.Close()
	out := map[int64]agencyPacket{}
	for rows.Next() {
		var id int64
		var p agencyPacket
		var grade sql.NullInt64
		if err := rows.Scan(&id, &p.Name, &p.Gender, &p.SchoolName, &grade, &p.GuardianName, &p.GuardianPhone); err != nil {
			return nil, err
		}
		if grade.Valid {
			p.Grade = model.GradeName(int(grade.Int64))
		}
		out[id] = p
	}
	return out, rows.Err()
}

// sealPackets fixes what a list discloses as it is sent: each item's
// packet, sealed into the item.
func (s *Store) sealPackets(ctx context.Context, tx *sql.Tx, listID int64) error {
	live, err := s.livePackets(ctx, tx, listID)
	if err != nil {
		return err
	}
	for id, p := range live {
		body, err := json.Marshal(p)
		if err != nil {
			return err
		}
		sealed, err := s.keys.Seal(body, packetAAD(id))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE assist_items SET packet = ? WHERE id = ?`), sealed, id); err != nil {
			return fmt.Errorf("store: seal assistance packet: %w", err)
		}
	}
	return nil
}

// agencyItems reads the pupils of a list in the shape that leaves the
// school: the packets sealed when it was sent (the roster as it is now only
// for lists sent before packets were kept).
func (s *Store) agencyItems(ctx context.Context, tx *sql.Tx, listID int64) ([]AgencyItem, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT i.id, i.category, i.help, i.detail, i.packet, i.answer, i.answer_note, i.answered_at
		FROM assist_items i WHERE i.list_id = ? ORDER BY i.id`), listID)
	if err != nil {
		return nil, fmt.Errorf("store: assistance items for the agency: %w", err)
	}
	out := []AgencyItem{}
	var sealed [][]byte
	for rows.Next() {
		var x AgencyItem
		var at int64
		var packet []byte
		if err := rows.Scan(&x.ID, &x.Category, &x.Help, &x.Detail, &packet, &x.Answer, &x.AnswerNote, &at); err != nil {
			rows.Close()
			return nil, err
		}
		x.AnsweredAt = fromMS(at)
		out = append(out, x)
		sealed = append(sealed, packet)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var live map[int64]agencyPacket
	for i := range out {
		var p agencyPacket
		if len(sealed[i]) > 0 {
			plain, err := s.keys.Open(sealed[i], packetAAD(out[i].ID))
			if err != nil {
				return nil, fmt.Errorf("store: open assistance packet %d: %w", out[i].ID, err)
			}
			if err := json.Unmarshal(plain, &p); err != nil {
				return nil, fmt.Errorf("store: assistance packet %d: %w", out[i].ID, err)
			}
		} else {
			if live == nil {
				if live, err = s.livePackets(ctx, tx, listID); err != nil {
					return nil, err
				}
			}
			p = live[out[i].ID]
		}
		out[i].Name, out[i].Gender, out[i].SchoolName, out[i].Grade = p.Name, p.Gender, p.SchoolName, p.Grade
		out[i].GuardianName, out[i].GuardianPhone = p.GuardianName, p.GuardianPhone
	}
	return out, nil
}

// agencyPred admits the sent (or closed) lists addressed to agencies.
func agencyPred(agencies []int64) string {
	return "l.agency_id IN " + assistIDList(agencies) + " AND l.state IN ('sent', 'closed') AND l.school_id IS NOT NULL"
}

// AgencyAssistLists returns the lists sent to the given agencies (the
// caller's agency assignments), newest first. Drafts never show.
func (s *Store) AgencyAssistLists(ctx context.Context, agencies []int64) ([]AssistList, error) {
	return s.assistLists(ctx, kpReadPool{s}, agencyPred(agencies))
}

// AgencyAssistList returns one list sent to one of agencies with its
// pupils in the agency's shape; every read is audited in the same
// transaction. Any other list: ErrNotFound.
func (s *Store) AgencyAssistList(ctx context.Context, a Actor, agencies []int64, id int64) (AssistList, []AgencyItem, error) {
	var l AssistList
	var items []AgencyItem
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A closed list stays in the agency's inbox as counts; its pupils
		// are no longer the agency's to read (SECURITY-TESTS T1.5: access
		// ends when the school closes the list).
		ls, err := s.assistLists(ctx, tx, "l.id = ? AND l.state = 'sent' AND "+agencyPred(agencies), id)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return ErrNotFound
		}
		l = ls[0]
		if items, err = s.agencyItems(ctx, tx, id); err != nil {
			return err
		}
		e := a.entry("assist.agency_read", "assist_list", id, l.SchoolID, l.DistrictID)
		e.Detail = fmt.Sprintf("agency=%d items=%d", l.AgencyID, len(items))
		return s.appendAudit(ctx, tx, e)
	})
	if err != nil {
		return AssistList{}, nil, err
	}
	return l, items, nil
}

// ExportAssistList returns a sent (or closed) list of a school in sc (D2
// write) with its pupils in the agency's shape, for a workbook that goes
// to an agency without accounts; the export is audited with its row count.
func (s *Store) ExportAssistList(ctx context.Context, a Actor, sc authz.Scope, id int64) (AssistList, []AgencyItem, error) {
	var l AssistList
	var items []AgencyItem
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = s.assistListIn(ctx, tx, sc, id); err != nil {
			return err
		}
		if l.State == "draft" {
			return ErrAssistDraft
		}
		if items, err = s.agencyItems(ctx, tx, id); err != nil {
			return err
		}
		e := a.entry("assist.exported", "assist_list", id, l.SchoolID, l.DistrictID)
		e.Detail = "rows=" + strconv.Itoa(len(items))
		return s.appendAudit(ctx, tx, e)
	})
	if err != nil {
		return AssistList{}, nil, err
	}
	return l, items, nil
}

// validateAnswers checks answers before any is looked up.
func validateAnswers(in []AssistAnswerInput) error {
	var v ValidationError
	if len(in) == 0 {
		v.Add("answers", "assist.err_no_answers")
	}
	seen := map[int64]bool{}
	for i := range in {
		x := &in[i]
		f := "answers[" + strconv.Itoa(i) + "]"
		x.Note = strings.TrimSpace(x.Note)
		if !slices.Contains(AssistAnswers, x.Answer) {
			v.Add(f+".answer", "assist.err_answer")
		}
		if utf8.RuneCountInString(x.Note) > MaxAssistNote {
			v.Add(f+".note", "assist.err_note_long")
		} else if !assistTextOK(x.Note) {
			v.Add(f+".note", "assist.err_text")
		}
		if seen[x.ItemID] {
			v.Add(f+".item_id", "assist.err_item_twice")
		}
		seen[x.ItemID] = true
	}
	return v.Err()
}

// recordAnswers stores answers about items of list l inside tx, all or
// nothing, and returns how many changed (an answer given again as it
// stands is neither written nor audited). otherList says whether a caller
// may be told that an item id belongs to another list (one in their
// scope); else it is unknown.
func (s *Store) recordAnswers(ctx context.Context, tx *sql.Tx, a Actor, l AssistList, in []AssistAnswerInput, channel string,
	otherList func(listID int64) bool) (int, error) {
	if err := validateAnswers(in); err != nil {
		return 0, err
	}
	var v ValidationError
	same := make([]bool, len(in))
	for i, x := range in {
		var list int64
		var answer, note string
		err := tx.QueryRowContext(ctx, s.q("SELECT list_id, answer, answer_note FROM assist_items WHERE id = ?"), x.ItemID).Scan(&list, &answer, &note)
		f := "answers[" + strconv.Itoa(i) + "].item_id"
		switch {
		case errors.Is(err, sql.ErrNoRows):
			v.Add(f, "assist.err_item_unknown")
		case err != nil:
			return 0, err
		case list != l.ID && otherList(list):
			v.Add(f, "assist.err_item_other_list")
		case list != l.ID:
			v.Add(f, "assist.err_item_unknown")
		default:
			same[i] = answer == x.Answer && note == x.Note
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := msNow(s)
	entries := make([]audit.Entry, 0, len(in))
	for i, x := range in {
		if same[i] {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE assist_items SET answer = ?, answer_note = ?, answered_by = ?, answered_at = ?
			WHERE id = ? AND list_id = ?`), x.Answer, x.Note, a.UserID, now, x.ItemID, l.ID); err != nil {
			return 0, fmt.Errorf("store: record answer: %w", err)
		}
		e := a.entry("assist.answered", "assist_item", x.ItemID, l.SchoolID, l.DistrictID)
		e.Detail = fmt.Sprintf("list=%d answer=%s channel=%s", l.ID, x.Answer, channel)
		entries = append(entries, e)
	}
	return len(entries), s.appendAuditMany(ctx, tx, entries)
}

// AnswerAssistItems records an agency's answers about pupils of a list
// sent to one of agencies, all or nothing, and returns how many changed.
// Any list not sent to them: ErrNotFound, before the answers are judged; a
// closed one ErrAssistClosed. Refused with the answer named: an unknown
// answer, a note too long, an item twice or not on this list.
func (s *Store) AnswerAssistItems(ctx context.Context, a Actor, agencies []int64, listID int64, in []AssistAnswerInput) (int, error) {
	if len(in) > MaxAssistItems {
		return 0, &FieldError{Field: "answers", Key: "assist.err_too_many"}
	}
	var n int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ls, err := s.assistLists(ctx, tx, "l.id = ? AND "+agencyPred(agencies), listID)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return ErrNotFound
		}
		if ls[0].State != "sent" {
			return ErrAssistClosed
		}
		n, err = s.recordAnswers(ctx, tx, a, ls[0], in, "system", func(int64) bool { return false })
		return err
	})
	return n, err
}

// ImportAssistAnswers records the answers an agency without accounts wrote
// into the exported workbook, for a sent list of a school in sc (D2 write),
// all or nothing, marks the list's channel as excel and returns how many
// answers changed. An item of another list of a school in sc is named as
// such; any other unknown id as unknown.
func (s *Store) ImportAssistAnswers(ctx context.Context, a Actor, sc authz.Scope, listID int64, in []AssistAnswerInput) (int, error) {
	if len(in) > MaxAssistItems {
		return 0, &FieldError{Field: "answers", Key: "assist.err_too_many"}
	}
	var n int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		l, err := s.assistListIn(ctx, tx, sc, listID)
		if err != nil {
			return err
		}
		switch l.State {
		case "draft":
			return ErrAssistDraft
		case "closed":
			return ErrAssistClosed
		}
		inScope := func(other int64) bool {
			var k int
			err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM assist_lists l WHERE l.id = ? AND "+
				scopePred(sc, "l.district_id", "l.school_id", "")), other).Scan(&k)
			return err == nil && k > 0
		}
		if n, err = s.recordAnswers(ctx, tx, a, l, in, "excel", inScope); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.q("UPDATE assist_lists SET channel = 'excel' WHERE id = ?"), listID)
		return err
	})
	return n, err
}

// AssistStats counts, per school id, the pupils of the lists of schools in
// sc (an aggregate D0 scope) sent in [from, to), and the answers about
// them. Counts only.
func (s *Store) AssistStats(ctx context.Context, sc authz.Scope, from, to time.Time) (map[int64]AssistStat, error) {
	rows, err := s.readRows(ctx, s.q(`SELECT l.school_id, COUNT(*),
		SUM(CASE WHEN i.answer = 'received' THEN 1 ELSE 0 END),
		SUM(CASE WHEN i.answer = 'assisted' THEN 1 ELSE 0 END),
		SUM(CASE WHEN i.answer = 'declined' THEN 1 ELSE 0 END),
		SUM(CASE WHEN i.answer = '' THEN 1 ELSE 0 END)
		FROM assist_lists l JOIN assist_items i ON i.list_id = l.id
		WHERE l.state IN ('sent', 'closed') AND l.school_id IS NOT NULL AND l.sent_at >= ? AND l.sent_at < ? AND `+
		scopePred(sc, "l.district_id", "l.school_id", "")+` GROUP BY l.school_id`), ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("store: assistance figures: %w", err)
	}
	defer rows.Close()
	out := map[int64]AssistStat{}
	for rows.Next() {
		var id int64
		var x AssistStat
		if err := rows.Scan(&id, &x.Listed, &x.Received, &x.Assisted, &x.Declined, &x.Pending); err != nil {
			return nil, err
		}
		out[id] = x
	}
	return out, rows.Err()
}
