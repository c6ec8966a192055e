package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"huhang/internal/authz"
	"huhang/internal/export"
	"huhang/internal/importer"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/report"
	"huhang/internal/store"
)

// Assistance lists (帮扶名单, issue 6 part 4). The school's data officer
// builds a draft list of pupils from families in difficulty (suggested from
// the key-pupil register), sends it to one partner agency, and reads the
// agency's answers; the principal and the psychology teacher read the
// lists. The agency's users answer on their own pages. For an agency
// without accounts the school exports the sent list as a workbook (the
// same minimal fields, an answer column with a drop-down) and imports the
// filled workbook, all or nothing, every bad row named. Officials see
// counts only. Routes and their access: assist_routes.go.

// assistReadScope is where the caller reads lists: their school-level D2
// read scope (a class teacher's classes do not make a school's lists).
func (c *reqCtx) assistReadScope() authz.Scope {
	sc := c.scope(authz.D2, authz.Read)
	sc.Classes = nil
	return sc
}

// assistWriteScope is where the caller builds and sends lists: their
// school-level D2 write scope.
func (c *reqCtx) assistWriteScope() authz.Scope {
	sc := c.scope(authz.D2, authz.Write)
	sc.Classes = nil
	return sc
}

// agencyIDs are the agencies the caller's agency assignments name.
func (c *reqCtx) agencyIDs() []int64 {
	var out []int64
	if c.sub == nil {
		return nil
	}
	for _, a := range c.sub.Assignments {
		if a.Role == authz.AgencyUser && a.AgencyID != 0 && !slices.Contains(out, a.AgencyID) {
			out = append(out, a.AgencyID)
		}
	}
	return out
}

// assistErr gives the store's list-state refusals their own messages.
func assistErr(err error) error {
	switch {
	case errors.Is(err, store.ErrAssistSent):
		return &codedError{status: http.StatusConflict, code: "list_sent", key: "assist.err_sent", field: "state"}
	case errors.Is(err, store.ErrAssistClosed):
		return &codedError{status: http.StatusConflict, code: "list_closed", key: "assist.err_closed", field: "state"}
	case errors.Is(err, store.ErrAssistDraft):
		return &codedError{status: http.StatusConflict, code: "list_draft", key: "assist.err_draft", field: "state"}
	}
	return err
}

// assistAgencies are the agencies a list may go to.
func (s *Server) assistAgencies(r *http.Request) ([]model.Agency, error) {
	all, err := s.store.ListAgencies(r.Context())
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(a model.Agency) bool { return !slices.Contains(store.AssistAgencyKinds, a.Kind) }), nil
}

var assistItemField = regexp.MustCompile(`^(items|answers)\[(\d+)\]\.([a-z_]+)$`)

// assistProblems names the refused fields of a list's forms: an item by
// its label (the pupil), a field by its name.
func (s *Server) assistProblems(c *reqCtx, err error, labelOf func(i int) string) ([]rowProblem, bool) {
	t := func(k string) string { return s.cat.T(c.locale, k) }
	return s.kpFormProblems(c, err, func(field string) string {
		if m := assistItemField.FindStringSubmatch(field); m != nil {
			i, _ := strconv.Atoi(m[2])
			if l := labelOf(i); l != "" {
				return l + " · " + t("assist.f_"+m[3])
			}
			return t("assist.f_" + m[3])
		}
		return t("assist.f_" + field)
	})
}

// ---- the school's lists ---------------------------------------------------------

func (s *Server) assistListsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.assistListsView(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) assistListsView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, form map[string]string, problems []rowProblem) error {
	ctx := r.Context()
	sc := c.assistReadScope()
	schools, _, err := s.store.ListSchools(ctx, sc, store.SchoolFilter{Limit: 500})
	if err != nil {
		return err
	}
	schoolID := queryID(r, "school")
	if schoolID == 0 && len(schools) == 1 {
		schoolID = schools[0].ID
	}
	lists, err := s.store.ListAssistLists(ctx, sc, schoolID)
	if err != nil {
		return err
	}
	data := map[string]any{"Lists": lists, "Schools": schools, "SchoolID": schoolID, "Problems": problems}
	if wsc := c.assistWriteScope(); !wsc.Empty() {
		ag, err := s.assistAgencies(r)
		if err != nil {
			return err
		}
		writable := slices.DeleteFunc(slices.Clone(schools), func(x store.SchoolSummary) bool { return !wsc.Covers(x.DistrictID, x.ID, 0) })
		if form == nil {
			form = map[string]string{"school_id": strconv.FormatInt(schoolID, 10),
				"title": s.cat.T(c.locale, "assist.default_title", s.planAt().Format("2006-01"))}
		}
		data["CanCreate"], data["Agencies"], data["Writable"], data["Form"] = len(writable) > 0, ag, writable, form
	}
	w.WriteHeader(status)
	return s.html(w, c, "assist_lists.html", "assist.title", nil, data)
}

func (s *Server) assistCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	form := formValues(r, "school_id", "agency_id", "title")
	in := store.AssistListInput{Title: form["title"]}
	in.SchoolID, _ = strconv.ParseInt(form["school_id"], 10, 64)
	in.AgencyID, _ = strconv.ParseInt(form["agency_id"], 10, 64)
	id, err := s.store.CreateAssistList(r.Context(), c.actor(r), c.assistWriteScope(), in)
	if ps, ok := s.assistProblems(c, err, func(int) string { return "" }); ok {
		return s.assistListsView(w, r, c, http.StatusBadRequest, form, ps)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assist/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// assistItemView is a pupil of a list as the school's page shows it.
type assistItemView struct {
	store.AssistItem
	Masked bool
}

// assistAddForm is what the add form sends back on a refusal.
type assistAddForm struct {
	Picked   map[int64]bool
	Category map[int64]string
	Help     map[int64]string
	Detail   map[int64]string
	Free     store.AssistItemInput // the row typed in by student id
	FreeID   string
}

func (s *Server) assistListPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.assistListView(w, r, c, http.StatusOK, nil, nil, nil)
}

func (s *Server) assistListView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, add *assistAddForm, problems, sheetProblems []rowProblem) error {
	ctx := r.Context()
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, items, err := s.store.GetAssistList(ctx, c.actor(r), c.assistReadScope(), id)
	if err != nil {
		return err
	}
	full := c.sub.FullNamesIn()
	views := make([]assistItemView, len(items))
	for i, x := range items {
		views[i] = assistItemView{AssistItem: x}
		if !full.Covers(0, x.SchoolID, x.ClassID) {
			views[i].Name, views[i].Masked = privacy.MaskName(x.Name), true
		}
	}
	canWrite := c.assistWriteScope().Covers(l.DistrictID, l.SchoolID, 0)
	data := map[string]any{"L": l, "Items": views, "CanWrite": canWrite, "Problems": problems, "SheetProblems": sheetProblems,
		"Done": r.URL.Query().Get("done"), "N": queryID(r, "n"), "HelpCodes": store.AssistHelpCodes, "MaxDetail": store.MaxAssistDetail}
	if canWrite && l.State == "draft" {
		sg, err := s.store.AssistSuggestions(ctx, c.actor(r), c.assistWriteScope(), id)
		if err != nil {
			return err
		}
		for i := range sg {
			if !full.Covers(0, sg[i].SchoolID, sg[i].ClassID) {
				sg[i].Name = privacy.MaskName(sg[i].Name)
			}
		}
		ag, err := s.assistAgencies(r)
		if err != nil {
			return err
		}
		if add == nil {
			add = &assistAddForm{Picked: map[int64]bool{}, Category: map[int64]string{}, Help: map[int64]string{}, Detail: map[int64]string{},
				Free: store.AssistItemInput{Help: "financial"}}
		}
		data["Suggestions"], data["Agencies"], data["Add"] = sg, ag, add
	}
	w.WriteHeader(status)
	crumbs := []crumb{{s.cat.T(c.locale, "assist.title"), "/assist?school=" + strconv.FormatInt(l.SchoolID, 10)}, {l.Title, ""}}
	return s.html(w, c, "assist_list.html", "assist.list", crumbs, data)
}

func (s *Server) assistUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	in := store.AssistListInput{Title: r.PostFormValue("title")}
	in.AgencyID, _ = strconv.ParseInt(r.PostFormValue("agency_id"), 10, 64)
	err = s.store.UpdateAssistList(r.Context(), c.actor(r), c.assistWriteScope(), id, in)
	if ps, ok := s.assistProblems(c, err, func(int) string { return "" }); ok {
		return s.assistListView(w, r, c, http.StatusBadRequest, nil, ps, nil)
	}
	if err != nil {
		return assistErr(err)
	}
	http.Redirect(w, r, "/assist/"+strconv.FormatInt(id, 10)+"?done=saved", http.StatusSeeOther)
	return nil
}

// assistAddItems puts the picked suggestions and the row typed in by
// student id on the draft list, all or nothing.
func (s *Server) assistAddItems(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	t := func(k string, args ...any) string { return s.cat.T(c.locale, k, args...) }
	form := &assistAddForm{Picked: map[int64]bool{}, Category: map[int64]string{}, Help: map[int64]string{}, Detail: map[int64]string{}}
	var items []store.AssistItemInput
	var labels []string
	var bad store.ValidationError
	for _, v := range r.PostForm["pick"] {
		sid, err := strconv.ParseInt(v, 10, 64)
		if err != nil || sid <= 0 || form.Picked[sid] {
			continue
		}
		key := strconv.FormatInt(sid, 10)
		form.Picked[sid] = true
		form.Category[sid], form.Help[sid], form.Detail[sid] = r.PostFormValue("category_"+key), r.PostFormValue("help_"+key), r.PostFormValue("detail_"+key)
		items = append(items, store.AssistItemInput{StudentID: sid, Category: form.Category[sid], Help: form.Help[sid], Detail: form.Detail[sid]})
		label := strings.TrimSpace(r.PostFormValue("name_" + key))
		if utf8.RuneCountInString(label) > 30 {
			label = ""
		}
		labels = append(labels, label)
	}
	form.FreeID = strings.TrimSpace(r.PostFormValue("add_student"))
	form.Free = store.AssistItemInput{Category: r.PostFormValue("add_category"), Help: r.PostFormValue("add_help"), Detail: r.PostFormValue("add_detail")}
	if form.FreeID != "" {
		in := form.Free
		if sid, err := strconv.ParseInt(form.FreeID, 10, 64); err != nil || sid <= 0 {
			bad.Add(fmt.Sprintf("items[%d].student_id", len(items)), "assist.err_student")
		} else {
			in.StudentID = sid
		}
		items = append(items, in)
		labels = append(labels, t("assist.student_no_label", form.FreeID))
	}
	label := func(i int) string {
		if i >= 0 && i < len(labels) {
			return labels[i]
		}
		return ""
	}
	err = bad.Err()
	if err == nil {
		_, err = s.store.AddAssistItems(r.Context(), c.actor(r), c.assistWriteScope(), id, items)
	}
	if ps, ok := s.assistProblems(c, err, label); ok {
		return s.assistListView(w, r, c, http.StatusBadRequest, form, ps, nil)
	}
	if err != nil {
		return assistErr(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/assist/%d?done=added&n=%d", id, len(items)), http.StatusSeeOther)
	return nil
}

func (s *Server) assistRemoveItem(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	item, err := pathID(r, "item")
	if err != nil {
		return err
	}
	if err := s.store.RemoveAssistItem(r.Context(), c.actor(r), c.assistWriteScope(), id, item); err != nil {
		return assistErr(err)
	}
	http.Redirect(w, r, "/assist/"+strconv.FormatInt(id, 10)+"?done=removed", http.StatusSeeOther)
	return nil
}

func (s *Server) assistSend(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.store.SendAssistList(r.Context(), c.actor(r), c.assistWriteScope(), id)
	if ps, ok := s.assistProblems(c, err, func(int) string { return "" }); ok {
		return s.assistListView(w, r, c, http.StatusBadRequest, nil, ps, nil)
	}
	if err != nil {
		return assistErr(err)
	}
	http.Redirect(w, r, "/assist/"+strconv.FormatInt(id, 10)+"?done=sent", http.StatusSeeOther)
	return nil
}

func (s *Server) assistClose(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.CloseAssistList(r.Context(), c.actor(r), c.assistWriteScope(), id); err != nil {
		return assistErr(err)
	}
	http.Redirect(w, r, "/assist/"+strconv.FormatInt(id, 10)+"?done=closed", http.StatusSeeOther)
	return nil
}

// ---- the workbook for an agency without accounts ------------------------------

// Columns of the exported workbook, by catalogue key. The answer and note
// columns are the agency's; the item id column ties a row to the list.
var assistSheetCols = []string{"assist.x_item", "assist.x_name", "assist.x_gender", "assist.x_school", "assist.x_grade", "assist.x_category",
	"assist.x_help", "assist.x_detail", "assist.x_guardian", "assist.x_phone", "assist.x_answer", "assist.x_note"}

const (
	assistColItem   = 0
	assistColAnswer = 10
	assistColNote   = 11
	// maxAssistSheetBytes bounds an uploaded answers workbook (a list of
	// 500 pupils is about 40 KB; the request body limit is 1 MB).
	maxAssistSheetBytes = 1 << 20
	// assistSheetFirstRow is the first data row (a note, then the header).
	assistSheetFirstRow = 3
)

// assistAnswerZH are the answers' words in the workbook's Chinese
// drop-down (the English one offers the codes themselves).
var assistAnswerZH = map[string]string{"received": "已接收", "assisted": "已帮扶", "declined": "未帮扶"}

// assistAnswerWords are the answers a returned workbook may hold: the
// Chinese words or the English codes (any case).
var assistAnswerWords = func() map[string]string {
	out := map[string]string{}
	for _, a := range store.AssistAnswers {
		out[a], out[assistAnswerZH[a]] = a, a
	}
	return out
}()

// assistAnswerLabel is the word a workbook shows for an answer, in the
// exporter's language.
func assistAnswerLabel(locale, answer string) string {
	if locale == "en" || answer == "" {
		return answer
	}
	return assistAnswerZH[answer]
}

// assistWorkbook writes a sent list for an agency without accounts: the
// fields an agency needs and nothing else, every text cell neutralised
// (export.Neutralize) and stored as text, the answer column with a
// drop-down of the three answers. The list is at most MaxAssistItems rows,
// so the workbook is built in memory, which excelize's data validation
// needs.
func (s *Server) assistWorkbook(c *reqCtx, l store.AssistList, items []store.AgencyItem) ([]byte, error) {
	t := func(k string, args ...any) string { return s.cat.T(c.locale, k, args...) }
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#E7EEF7"}}})
	if err != nil {
		return nil, err
	}
	answerStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"#FFF7D6"}}})
	if err != nil {
		return nil, err
	}
	note := s.watermark(c) + " · " + l.Title + " · " + l.AgencyName
	if err := f.SetCellValue(sheet, "A1", export.Neutralize(note)); err != nil {
		return nil, err
	}
	last, _ := excelize.ColumnNumberToName(len(assistSheetCols))
	if err := f.MergeCell(sheet, "A1", last+"1"); err != nil {
		return nil, err
	}
	header := make([]any, len(assistSheetCols))
	for i, k := range assistSheetCols {
		header[i] = export.Neutralize(t(k))
	}
	if err := f.SetSheetRow(sheet, "A2", &header); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sheet, "A2", last+"2", head); err != nil {
		return nil, err
	}
	for i, x := range items {
		row := assistSheetFirstRow + i
		gender := ""
		if x.Gender != "" {
			gender = t("gender." + x.Gender)
		}
		vals := []any{x.ID}
		for _, v := range []string{x.Name, gender, x.SchoolName, x.Grade, t("cat." + x.Category), t("assist.help_" + x.Help), x.Detail,
			x.GuardianName, x.GuardianPhone, assistAnswerLabel(c.locale, x.Answer), x.AnswerNote} {
			vals = append(vals, export.Neutralize(v))
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return nil, err
		}
		from, _ := excelize.CoordinatesToCellName(2, row)
		if err := f.SetCellStyle(sheet, from, last+strconv.Itoa(row), text); err != nil {
			return nil, err
		}
		ans, _ := excelize.CoordinatesToCellName(assistColAnswer+1, row)
		if err := f.SetCellStyle(sheet, ans, last+strconv.Itoa(row), answerStyle); err != nil {
			return nil, err
		}
	}
	if n := len(items); n > 0 {
		var words []string
		for _, a := range store.AssistAnswers {
			words = append(words, assistAnswerLabel(c.locale, a))
		}
		dv := excelize.NewDataValidation(true)
		col, _ := excelize.ColumnNumberToName(assistColAnswer + 1)
		dv.Sqref = fmt.Sprintf("%s%d:%s%d", col, assistSheetFirstRow, col, assistSheetFirstRow+n-1)
		if err := dv.SetDropList(words); err != nil {
			return nil, err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, t("assist.x_answer"), t("assist.err_sheet_answer"))
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return nil, err
		}
	}
	widths := []float64{10, 12, 6, 24, 8, 10, 12, 30, 12, 16, 10, 30}
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Creator: "Huhang", Description: export.Neutralize(note)}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *Server) assistExport(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, items, err := s.store.ExportAssistList(r.Context(), c.actor(r), c.assistWriteScope(), id)
	if err != nil {
		return assistErr(err)
	}
	b, err := s.assistWorkbook(c, l, items)
	if err != nil {
		return err
	}
	sendXLSX(w, b, l.SchoolName+"_"+s.cat.T(c.locale, "assist.list"), l.Title, s.now().Format("2006-01-02"))
	return nil
}

// sheetAnswer is one answered row read from a workbook.
type sheetAnswer struct {
	Row int
	store.AssistAnswerInput
}

// assistSheetProblem is a problem of one row and column of a workbook.
type assistSheetProblem struct {
	Row    int    // 0: the file as a whole
	Column int    // assistCol*; -1 none
	Key    string // catalogue key
	Args   []any
}

// assistHeaders recognises the workbook's columns in either language.
func (s *Server) assistHeaders() map[string]int {
	out := map[string]int{"itemid": assistColItem, "id": assistColItem, "编号": assistColItem, "answer": assistColAnswer, "answernote": assistColNote,
		"note": assistColNote, "备注": assistColNote}
	for _, loc := range []string{"zh-CN", "en"} {
		for _, col := range []int{assistColItem, assistColAnswer, assistColNote} {
			out[sheetHeaderKey(s.cat.T(loc, assistSheetCols[col]))] = col
		}
	}
	return out
}

// readAssistSheet reads the answered rows of a returned workbook (or a CSV
// made from it): the header is the first row naming the item id column;
// rows without an answer and without a note are not answered yet. Every
// problem is named with its row and column; nothing is returned with one.
func (s *Server) readAssistSheet(data []byte) ([]sheetAnswer, []assistSheetProblem, *importer.Problem) {
	headers := s.assistHeaders()
	var cols map[int]int // sheet column index → assistCol*
	var out []sheetAnswer
	var problems []assistSheetProblem
	seen := map[int64]int{}
	tooMany := false
	p, err := importer.EachRawRow(data, importer.Limits{MaxBytes: maxAssistSheetBytes}, func(row int, cells []string) error {
		clean := make([]string, len(cells))
		blank := true
		for i, x := range cells {
			clean[i] = strings.TrimSpace(importer.NormalizeText(x))
			if clean[i] != "" {
				blank = false
			}
		}
		if blank {
			return nil
		}
		if cols == nil {
			found := map[int]int{}
			for i, h := range clean {
				if col, ok := headers[sheetHeaderKey(h)]; ok {
					if _, dup := found[col]; !dup {
						found[col] = i
					}
				}
			}
			if _, ok := found[assistColItem]; ok {
				cols = map[int]int{}
				for col, i := range found {
					cols[i] = col
				}
			}
			return nil // rows above the header (the note) are skipped
		}
		var item, answer, note string
		for i, x := range clean {
			switch col, ok := cols[i]; {
			case !ok:
			case col == assistColItem:
				item = x
			case col == assistColAnswer:
				answer = x
			case col == assistColNote:
				note = x
			}
		}
		// A note neutralised on export comes back with its apostrophe.
		if strings.HasPrefix(note, "'") && export.Neutralize(note[1:]) == note {
			note = note[1:]
		}
		if answer == "" && note == "" {
			return nil // not answered yet
		}
		if len(out)+len(problems) >= store.MaxAssistItems*2 {
			tooMany = true
			return errStopSheet
		}
		a := sheetAnswer{Row: row}
		bad := false
		id, err := strconv.ParseInt(strings.TrimSuffix(item, ".0"), 10, 64)
		switch {
		case item == "":
			problems, bad = append(problems, assistSheetProblem{Row: row, Column: assistColItem, Key: "assist.err_sheet_item_missing"}), true
		case err != nil || id <= 0:
			problems, bad = append(problems, assistSheetProblem{Row: row, Column: assistColItem, Key: "assist.err_sheet_item"}), true
		case seen[id] != 0:
			problems, bad = append(problems, assistSheetProblem{Row: row, Column: assistColItem, Key: "assist.err_sheet_item_twice", Args: []any{seen[id]}}), true
		default:
			seen[id] = row
			a.ItemID = id
		}
		if answer == "" {
			problems, bad = append(problems, assistSheetProblem{Row: row, Column: assistColAnswer, Key: "assist.err_sheet_answer_missing"}), true
		} else if v, ok := assistAnswerWords[strings.ToLower(answer)]; ok {
			a.Answer = v
		} else {
			problems, bad = append(problems, assistSheetProblem{Row: row, Column: assistColAnswer, Key: "assist.err_sheet_answer"}), true
		}
		if utf8.RuneCountInString(note) > store.MaxAssistNote {
			problems, bad = append(problems, assistSheetProblem{Row: row, Column: assistColNote, Key: "assist.err_note_long"}), true
		}
		a.Note = note
		if !bad {
			out = append(out, a)
		}
		return nil
	})
	switch {
	case err != nil && err != errStopSheet:
		return nil, nil, &importer.Problem{Key: "imp.internal"}
	case p != nil:
		return nil, nil, p
	case tooMany:
		return nil, nil, &importer.Problem{Key: "assist.err_too_many"}
	case cols == nil:
		return nil, nil, &importer.Problem{Key: "assist.err_sheet_columns"}
	}
	hasAnswer := false
	for _, col := range cols {
		hasAnswer = hasAnswer || col == assistColAnswer
	}
	if !hasAnswer {
		return nil, nil, &importer.Problem{Key: "assist.err_sheet_columns"}
	}
	if len(out) == 0 && len(problems) == 0 {
		return nil, nil, &importer.Problem{Key: "assist.err_sheet_empty"}
	}
	return out, problems, nil
}

// assistColumnName is a workbook column's header in the caller's language.
func (s *Server) assistColumnName(c *reqCtx, col int) string {
	if col < 0 || col >= len(assistSheetCols) {
		return ""
	}
	return s.cat.T(c.locale, assistSheetCols[col])
}

// assistSheetProblems turns a workbook's problems into the page's rows.
func (s *Server) assistSheetProblems(c *reqCtx, ps []assistSheetProblem) []rowProblem {
	out := make([]rowProblem, len(ps))
	for i, p := range ps {
		out[i] = rowProblem{Field: s.assistColumnName(c, p.Column), Message: s.cat.T(c.locale, p.Key, p.Args...)}
		if p.Row > 0 {
			out[i].Row = s.cat.T(c.locale, "assist.sheet_row", p.Row)
		}
	}
	return out
}

// importAssistSheet reads an uploaded workbook and records its answers
// through the store, all or nothing. It returns the rows recorded, or the
// problems (a store refusal mapped back to its row and column).
func (s *Server) importAssistSheet(r *http.Request, c *reqCtx, id int64, data []byte) (int, []assistSheetProblem, error) {
	rows, problems, fp := s.readAssistSheet(data)
	if fp != nil {
		return 0, []assistSheetProblem{{Column: -1, Key: fp.Key, Args: fp.Args}}, nil
	}
	if len(problems) > 0 {
		return 0, problems, nil
	}
	in := make([]store.AssistAnswerInput, len(rows))
	for i, x := range rows {
		in[i] = x.AssistAnswerInput
	}
	n, err := s.store.ImportAssistAnswers(r.Context(), c.actor(r), c.assistWriteScope(), id, in)
	var fields []store.FieldError
	var ve *store.ValidationError
	var fe *store.FieldError
	switch {
	case errors.As(err, &ve):
		fields = ve.Fields
	case errors.As(err, &fe):
		fields = []store.FieldError{*fe}
	case err != nil:
		return 0, nil, assistErr(err)
	}
	for _, f := range fields {
		p := assistSheetProblem{Column: -1, Key: f.Key}
		if m := assistItemField.FindStringSubmatch(f.Field); m != nil {
			i, _ := strconv.Atoi(m[2])
			if i < len(rows) {
				p.Row = rows[i].Row
			}
			switch m[3] {
			case "item_id":
				p.Column = assistColItem
			case "answer":
				p.Column = assistColAnswer
			case "note":
				p.Column = assistColNote
			}
		}
		problems = append(problems, p)
	}
	return n, problems, nil
}

// uploadedSheet reads the "file" part of a multipart request, in memory
// (it names pupils and must not spill to a temporary file).
func uploadedSheet(r *http.Request) ([]byte, string, error) {
	if err := r.ParseMultipartForm(maxAssistSheetBytes); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", err
		}
		return nil, "err.upload", nil
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, "err.required", nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAssistSheetBytes+1))
	if err != nil || len(data) > maxAssistSheetBytes {
		return nil, "assist.err_sheet_size", nil
	}
	if len(data) == 0 {
		return nil, "imp.empty", nil
	}
	return data, "", nil
}

func (s *Server) assistImport(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	data, key, err := uploadedSheet(r)
	if err != nil {
		return err
	}
	var problems []assistSheetProblem
	n := 0
	if key != "" {
		problems = []assistSheetProblem{{Column: -1, Key: key}}
	} else if n, problems, err = s.importAssistSheet(r, c, id, data); err != nil {
		return err
	}
	if len(problems) > 0 {
		return s.assistListView(w, r, c, http.StatusBadRequest, nil, nil, s.assistSheetProblems(c, problems))
	}
	http.Redirect(w, r, fmt.Sprintf("/assist/%d?done=imported&n=%d", id, n), http.StatusSeeOther)
	return nil
}

// ---- figures for officials ---------------------------------------------------------

// assistPeriod is the school year asked for (?year=, default the current
// one): from September 1 to the next September 1, in local time.
func (s *Server) assistPeriod(r *http.Request) (int, time.Time, time.Time) {
	year := model.SchoolYearOf(s.planAt())
	if y := int(queryID(r, "year")); y >= 2000 && y <= year+1 {
		year = y
	}
	zone := s.planAt().Location()
	return year, time.Date(year, time.September, 1, 0, 0, 0, 0, zone), time.Date(year+1, time.September, 1, 0, 0, 0, 0, zone)
}

// assistStatRow is a school's figures as published: -1 (report.Hidden)
// marks a withheld count.
type assistStatRow struct {
	SchoolID                                      int64
	SchoolName                                    string
	Listed, Received, Assisted, Declined, Pending int
	Withheld                                      bool
}

// protectAssistStat withholds small counts: a listed total of 1–4 hides
// every part; a part of 1–4 hides every other non-zero part too, so none
// can be worked out from the total.
func protectAssistStat(x store.AssistStat) assistStatRow {
	r := assistStatRow{Listed: x.Listed, Received: x.Received, Assisted: x.Assisted, Declined: x.Declined, Pending: x.Pending}
	parts := []*int{&r.Received, &r.Assisted, &r.Declined, &r.Pending}
	small := report.Suppressed(r.Listed)
	for _, p := range parts {
		small = small || report.Suppressed(*p)
	}
	if small {
		r.Withheld = true
		for _, p := range parts {
			if *p > 0 {
				*p = report.Hidden
			}
		}
	}
	return r
}

// assistStatRows are the figures of the caller's D0 scope, by school name.
func (s *Server) assistStatRows(r *http.Request, c *reqCtx, from, to time.Time) ([]assistStatRow, error) {
	ctx := r.Context()
	sc := c.scope(authz.D0, authz.Read)
	stats, err := s.store.AssistStats(ctx, sc, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]assistStatRow, 0, len(stats))
	for id, x := range stats {
		row := protectAssistStat(x)
		row.SchoolID = id
		if sch, err := s.store.GetSchool(ctx, sc, id); err == nil {
			row.SchoolName = sch.Name
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b assistStatRow) int { return strings.Compare(a.SchoolName, b.SchoolName) })
	return out, nil
}

func (s *Server) assistSummaryPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	year, from, to := s.assistPeriod(r)
	rows, err := s.assistStatRows(r, c, from, to)
	if err != nil {
		return err
	}
	current := model.SchoolYearOf(s.planAt())
	var years []int
	for y := current; y >= current-4; y-- {
		years = append(years, y)
	}
	return s.html(w, c, "assist_summary.html", "assist.summary", nil, map[string]any{"Rows": rows, "Year": year, "Years": years})
}

// ---- the agency's side -------------------------------------------------------------

func (s *Server) agencyInboxPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	lists, err := s.store.AgencyAssistLists(r.Context(), c.agencyIDs())
	if err != nil {
		return err
	}
	return s.html(w, c, "assist_inbox.html", "assist.inbox", nil, map[string]any{"Lists": lists})
}

func (s *Server) agencyListPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.agencyListView(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) agencyListView(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, form map[int64][2]string, problems []rowProblem) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, items, err := s.store.AgencyAssistList(r.Context(), c.actor(r), c.agencyIDs(), id)
	if err != nil {
		return err
	}
	if form == nil {
		form = map[int64][2]string{}
		for _, x := range items {
			form[x.ID] = [2]string{x.Answer, x.AnswerNote}
		}
	}
	w.WriteHeader(status)
	crumbs := []crumb{{s.cat.T(c.locale, "assist.inbox"), "/agency/assist"}, {l.Title, ""}}
	return s.html(w, c, "assist_agency.html", "assist.list", crumbs, map[string]any{"L": l, "Items": items, "Form": form,
		"Answers": store.AssistAnswers, "Problems": problems, "Done": r.URL.Query().Get("done"), "N": queryID(r, "n"), "MaxNote": store.MaxAssistNote})
}

func (s *Server) agencyAnswer(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	form := map[int64][2]string{}
	var in []store.AssistAnswerInput
	var labels []string
	for _, v := range r.PostForm["item"] {
		item, err := strconv.ParseInt(v, 10, 64)
		if err != nil || item <= 0 {
			continue
		}
		if _, dup := form[item]; dup {
			continue
		}
		key := strconv.FormatInt(item, 10)
		answer, note := r.PostFormValue("answer_"+key), r.PostFormValue("note_"+key)
		form[item] = [2]string{answer, note}
		if answer == "" && strings.TrimSpace(note) == "" {
			continue // not answered yet
		}
		in = append(in, store.AssistAnswerInput{ItemID: item, Answer: answer, Note: note})
		labels = append(labels, s.cat.T(c.locale, "assist.item_label", key))
	}
	n, err := s.store.AnswerAssistItems(r.Context(), c.actor(r), c.agencyIDs(), id, in)
	label := func(i int) string {
		if i >= 0 && i < len(labels) {
			return labels[i]
		}
		return ""
	}
	if ps, ok := s.assistProblems(c, err, label); ok {
		return s.agencyListView(w, r, c, http.StatusBadRequest, form, ps)
	}
	if err != nil {
		return assistErr(err)
	}
	http.Redirect(w, r, fmt.Sprintf("/agency/assist/%d?done=answered&n=%d", id, n), http.StatusSeeOther)
	return nil
}

// ---- JSON API ------------------------------------------------------------------------

func apiTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type assistListJSON struct {
	ID         int64  `json:"id"`
	SchoolID   int64  `json:"school_id"`
	SchoolName string `json:"school_name"`
	AgencyID   int64  `json:"agency_id"`
	AgencyName string `json:"agency_name"`
	AgencyKind string `json:"agency_kind"`
	Title      string `json:"title"`
	State      string `json:"state"`
	Channel    string `json:"channel"`
	CreatedAt  string `json:"created_at"`
	SentAt     string `json:"sent_at"`
	Items      int    `json:"items"`
	Received   int    `json:"received"`
	Assisted   int    `json:"assisted"`
	Declined   int    `json:"declined"`
	Pending    int    `json:"pending"`
}

func toAssistListJSON(l store.AssistList) assistListJSON {
	return assistListJSON{ID: l.ID, SchoolID: l.SchoolID, SchoolName: l.SchoolName, AgencyID: l.AgencyID, AgencyName: l.AgencyName, AgencyKind: l.AgencyKind,
		Title: l.Title, State: l.State, Channel: l.Channel, CreatedAt: apiTime(l.CreatedAt), SentAt: apiTime(l.SentAt), Items: l.Items,
		Received: l.Received, Assisted: l.Assisted, Declined: l.Declined, Pending: l.Pending}
}

type assistItemJSON struct {
	ID         int64  `json:"id"`
	StudentID  int64  `json:"student_id"`
	ClassID    int64  `json:"class_id"`
	ClassName  string `json:"class_name"`
	Name       string `json:"name"`
	Masked     bool   `json:"masked"`
	Category   string `json:"category"`
	Help       string `json:"help"`
	Detail     string `json:"detail"`
	Answer     string `json:"answer"`
	AnswerNote string `json:"answer_note"`
	AnsweredAt string `json:"answered_at"`
}

type assistDetailJSON struct {
	List  assistListJSON   `json:"list"`
	Items []assistItemJSON `json:"items"`
}

type assistListPatchJSON struct {
	AgencyID int64  `json:"agency_id"`
	Title    string `json:"title"`
}

type suggestionJSON struct {
	StudentID  int64    `json:"student_id"`
	ClassID    int64    `json:"class_id"`
	ClassName  string   `json:"class_name"`
	Name       string   `json:"name"`
	Masked     bool     `json:"masked"`
	Categories []string `json:"categories"`
}

type assistItemsRequest struct {
	Items []store.AssistItemInput `json:"items"`
}

type answersRequest struct {
	Answers []store.AssistAnswerInput `json:"answers"`
}

// agencyListJSON is a list in its agency's inbox: what it is and how far
// it is answered. The sending school's name is not in the inbox: an agency
// holds no structure data (ACCESS.md, D0 "–"), so a school reaches it only
// inside a list addressed to it (agencyDetailJSON).
type agencyListJSON struct {
	ID         int64  `json:"id"`
	AgencyName string `json:"agency_name"`
	Title      string `json:"title"`
	State      string `json:"state"`
	SentAt     string `json:"sent_at"`
	Items      int    `json:"items"`
	Received   int    `json:"received"`
	Assisted   int    `json:"assisted"`
	Declined   int    `json:"declined"`
	Pending    int    `json:"pending"`
}

func toAgencyListJSON(l store.AssistList) agencyListJSON {
	return agencyListJSON{ID: l.ID, AgencyName: l.AgencyName, Title: l.Title, State: l.State, SentAt: apiTime(l.SentAt),
		Items: l.Items, Received: l.Received, Assisted: l.Assisted, Declined: l.Declined, Pending: l.Pending}
}

// agencyItemJSON is one pupil as the agency receives them: no ID number,
// student number, class, screening data or other categories.
type agencyItemJSON struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Gender        string `json:"gender"`
	SchoolName    string `json:"school_name"`
	Grade         string `json:"grade"`
	Category      string `json:"category"`
	Help          string `json:"help"`
	Detail        string `json:"detail"`
	GuardianName  string `json:"guardian_name"`
	GuardianPhone string `json:"guardian_phone"`
	Answer        string `json:"answer"`
	AnswerNote    string `json:"answer_note"`
	AnsweredAt    string `json:"answered_at"`
}

type agencyDetailJSON struct {
	List       agencyListJSON   `json:"list"`
	SchoolName string           `json:"school_name"`
	Items      []agencyItemJSON `json:"items"`
}

// assistStatJSON is a school's figures; counts of 1–4 (and the counts that
// would reveal them) are null with withheld set.
type assistStatJSON struct {
	SchoolID   int64  `json:"school_id"`
	SchoolName string `json:"school_name"`
	Listed     *int   `json:"listed"`
	Received   *int   `json:"received"`
	Assisted   *int   `json:"assisted"`
	Declined   *int   `json:"declined"`
	Pending    *int   `json:"pending"`
	Withheld   bool   `json:"withheld"`
}

func (s *Server) apiAssistLists(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ls, err := s.store.ListAssistLists(r.Context(), c.assistReadScope(), queryID(r, "school_id"))
	if err != nil {
		return err
	}
	out := listOf[assistListJSON]{Items: make([]assistListJSON, len(ls)), Total: len(ls), Limit: len(ls)}
	for i, l := range ls {
		out.Items[i] = toAssistListJSON(l)
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiAssistCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	var in store.AssistListInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.store.CreateAssistList(r.Context(), c.actor(r), c.assistWriteScope(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, idResponse{ID: id})
	return nil
}

func (s *Server) apiAssistList(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, items, err := s.store.GetAssistList(r.Context(), c.actor(r), c.assistReadScope(), id)
	if err != nil {
		return err
	}
	full := c.sub.FullNamesIn()
	out := assistDetailJSON{List: toAssistListJSON(l), Items: make([]assistItemJSON, len(items))}
	for i, x := range items {
		v := assistItemJSON{ID: x.ID, StudentID: x.StudentID, ClassID: x.ClassID, ClassName: x.ClassName, Name: x.Name, Category: x.Category,
			Help: x.Help, Detail: x.Detail, Answer: x.Answer, AnswerNote: x.AnswerNote, AnsweredAt: apiTime(x.AnsweredAt)}
		if !full.Covers(0, x.SchoolID, x.ClassID) {
			v.Name, v.Masked = privacy.MaskName(x.Name), true
		}
		out.Items[i] = v
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiAssistUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in assistListPatchJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.store.UpdateAssistList(r.Context(), c.actor(r), c.assistWriteScope(), id, store.AssistListInput{AgencyID: in.AgencyID, Title: in.Title}); err != nil {
		return assistErr(err)
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func (s *Server) apiAssistSuggestions(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	sg, err := s.store.AssistSuggestions(r.Context(), c.actor(r), c.assistWriteScope(), id)
	if err != nil {
		return err
	}
	full := c.sub.FullNamesIn()
	out := listOf[suggestionJSON]{Items: make([]suggestionJSON, len(sg)), Total: len(sg), Limit: len(sg)}
	for i, x := range sg {
		v := suggestionJSON{StudentID: x.StudentID, ClassID: x.ClassID, ClassName: x.ClassName, Name: x.Name, Categories: make([]string, len(x.Categories))}
		for j, k := range x.Categories {
			v.Categories[j] = string(k)
		}
		if !full.Covers(0, x.SchoolID, x.ClassID) {
			v.Name, v.Masked = privacy.MaskName(x.Name), true
		}
		out.Items[i] = v
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiAssistAddItems(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req assistItemsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	n, err := s.store.AddAssistItems(r.Context(), c.actor(r), c.assistWriteScope(), id, req.Items)
	if err != nil {
		return assistErr(err)
	}
	writeJSON(w, http.StatusCreated, recordedResponse{Recorded: n})
	return nil
}

func (s *Server) apiAssistRemoveItem(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	item, err := pathID(r, "item")
	if err != nil {
		return err
	}
	if err := s.store.RemoveAssistItem(r.Context(), c.actor(r), c.assistWriteScope(), id, item); err != nil {
		return assistErr(err)
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func (s *Server) apiAssistSend(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.SendAssistList(r.Context(), c.actor(r), c.assistWriteScope(), id); err != nil {
		return assistErr(err)
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

func (s *Server) apiAssistClose(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.store.CloseAssistList(r.Context(), c.actor(r), c.assistWriteScope(), id); err != nil {
		return assistErr(err)
	}
	writeJSON(w, 200, okResponse{OK: true})
	return nil
}

// apiAssistImport takes the filled workbook; problems come back as field
// errors named rows[<row>].<column> with the message in plain words.
func (s *Server) apiAssistImport(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	data, key, err := uploadedSheet(r)
	if err != nil {
		return err
	}
	if key != "" {
		return &store.FieldError{Field: "file", Key: key}
	}
	n, problems, err := s.importAssistSheet(r, c, id, data)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		colKey := map[int]string{assistColItem: "item_id", assistColAnswer: "answer", assistColNote: "note"}
		out := apiError{Code: "invalid", Message: s.cat.T(c.locale, "assist.err_nothing_stored"), RequestID: c.reqID}
		for _, p := range problems {
			field := "file"
			msg := s.cat.T(c.locale, p.Key, p.Args...)
			if p.Row > 0 {
				field = fmt.Sprintf("rows[%d]", p.Row)
				if k, ok := colKey[p.Column]; ok {
					field += "." + k
				}
				msg = s.cat.T(c.locale, "assist.sheet_row", p.Row) + " · " + s.assistColumnName(c, p.Column) + "：" + msg
			}
			out.Details = append(out.Details, fieldProblem{Field: field, Code: p.Key, Message: msg})
		}
		writeJSON(w, http.StatusBadRequest, out)
		return nil
	}
	writeJSON(w, 200, recordedResponse{Recorded: n})
	return nil
}

func (s *Server) apiAssistStats(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	_, from, to := s.assistPeriod(r)
	q := r.URL.Query()
	zone := s.planAt().Location()
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := q.Get(p.name); v != "" {
			d, err := time.ParseInLocation("2006-01-02", v, zone)
			if err != nil {
				return &store.FieldError{Field: p.name, Key: "err.date"}
			}
			*p.t = d
		}
	}
	if !from.Before(to) {
		return &store.FieldError{Field: "to", Key: "assist.err_period"}
	}
	rows, err := s.assistStatRows(r, c, from, to)
	if err != nil {
		return err
	}
	cell := func(n int) *int {
		if report.Suppressed(n) {
			return nil
		}
		return &n
	}
	out := listOf[assistStatJSON]{Items: make([]assistStatJSON, len(rows)), Total: len(rows), Limit: len(rows)}
	for i, x := range rows {
		out.Items[i] = assistStatJSON{SchoolID: x.SchoolID, SchoolName: x.SchoolName, Listed: cell(x.Listed), Received: cell(x.Received),
			Assisted: cell(x.Assisted), Declined: cell(x.Declined), Pending: cell(x.Pending), Withheld: x.Withheld}
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiAgencyLists(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	ls, err := s.store.AgencyAssistLists(r.Context(), c.agencyIDs())
	if err != nil {
		return err
	}
	out := listOf[agencyListJSON]{Items: make([]agencyListJSON, len(ls)), Total: len(ls), Limit: len(ls)}
	for i, l := range ls {
		out.Items[i] = toAgencyListJSON(l)
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiAgencyList(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	l, items, err := s.store.AgencyAssistList(r.Context(), c.actor(r), c.agencyIDs(), id)
	if err != nil {
		return err
	}
	out := agencyDetailJSON{List: toAgencyListJSON(l), SchoolName: l.SchoolName, Items: make([]agencyItemJSON, len(items))}
	for i, x := range items {
		out.Items[i] = agencyItemJSON{ID: x.ID, Name: x.Name, Gender: x.Gender, SchoolName: x.SchoolName, Grade: x.Grade, Category: x.Category,
			Help: x.Help, Detail: x.Detail, GuardianName: x.GuardianName, GuardianPhone: x.GuardianPhone, Answer: x.Answer, AnswerNote: x.AnswerNote,
			AnsweredAt: apiTime(x.AnsweredAt)}
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiAgencyAnswer(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req answersRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	n, err := s.store.AnswerAssistItems(r.Context(), c.actor(r), c.agencyIDs(), id, req.Answers)
	if err != nil {
		return assistErr(err)
	}
	writeJSON(w, 200, recordedResponse{Recorded: n})
	return nil
}
