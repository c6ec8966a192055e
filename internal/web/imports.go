package web

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"huhang/internal/authz"
	"huhang/internal/export"
	"huhang/internal/importer"
	"huhang/internal/store"
)

// Uploads may be larger than ordinary requests.
const maxUploadBytes = 20 << 20

// job is the in-process state of a preview or a commit, so the status page
// can show progress while a large file is read and written. A job lives in
// the server that runs it; the import's figures are in the database.
type job struct {
	mu       sync.Mutex
	phase    string // reading, checking, writing, previewed, committed, failed
	done     int
	total    int
	problems []importer.Problem
	counts   store.ImportCounts
	format   string
	err      string
	finished bool
	ended    time.Time
}

type jobView struct {
	Phase    string             `json:"phase"`
	Done     int                `json:"done"`
	Total    int                `json:"total"`
	Percent  int                `json:"percent"`
	Finished bool               `json:"finished"`
	Format   string             `json:"format,omitempty"`
	Counts   store.ImportCounts `json:"counts"`
	Problems []importer.Problem `json:"-"`
	Error    string             `json:"error,omitempty"`
}

func (j *job) view() jobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := jobView{Phase: j.phase, Done: j.done, Total: j.total, Finished: j.finished, Format: j.format, Counts: j.counts, Problems: j.problems, Error: j.err}
	if j.total > 0 {
		v.Percent = min(100, j.done*100/j.total)
	}
	if j.finished {
		v.Percent = 100
	}
	return v
}

func (j *job) set(phase string, done, total int) {
	j.mu.Lock()
	j.phase, j.done, j.total = phase, done, total
	j.mu.Unlock()
}

type jobs struct {
	mu sync.Mutex
	m  map[int64]*job
}

func (js *jobs) get(id int64) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.m[id]
}

// jobKeep is how long a finished job's problem list stays in memory; after
// that the status page runs the check again (the figures are in the
// database either way).
const jobKeep = 30 * time.Minute

// start runs fn for import id unless a job for it is still running.
func (js *jobs) start(id int64, fn func(*job)) *job {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.m == nil {
		js.m = map[int64]*job{}
	}
	for k, j := range js.m {
		j.mu.Lock()
		old := j.finished && time.Since(j.ended) > jobKeep
		j.mu.Unlock()
		if old {
			delete(js.m, k)
		}
	}
	if j, ok := js.m[id]; ok && !j.view().Finished {
		return j
	}
	j := &job{phase: "reading"}
	js.m[id] = j
	go fn(j)
	return j
}

// importScope is where the caller may import: rosters need D1 and D2
// write (the file carries contact details), staff lists D6 write.
func importScope(c *reqCtx, kind importer.Kind) (authz.Scope, authz.Scope) {
	if kind == importer.Staff {
		sc := c.scope(authz.D6, authz.Write)
		return sc, sc
	}
	return c.scope(authz.D1, authz.Write), c.scope(authz.D2, authz.Write)
}

// readRoster parses an uploaded file, reporting progress as rows are read.
func readRoster(file []byte, name string, kind importer.Kind, j *job) (*importer.Result, []importer.StudentRow, []importer.StaffRow, error) {
	var students []importer.StudentRow
	var staff []importer.StaffRow
	res, err := importer.ReadEach(bytes.NewReader(file), name, kind, importer.DefaultLimits,
		func(n int) { j.set("reading", n, 0) },
		func(r importer.StudentRow) error { students = append(students, r); return nil },
		func(r importer.StaffRow) error { staff = append(staff, r); return nil })
	return res, students, staff, err
}

// runPreview reads and checks an uploaded file and stores the figures.
func (s *Server) runPreview(a store.Actor, sc1, sc2 authz.Scope, imp store.Import) func(*job) {
	return func(j *job) {
		ctx := context.Background()
		fail := func(err error) {
			s.log.Error("import preview failed", "import_id", imp.ID, "err", err)
			j.mu.Lock()
			j.phase, j.err, j.finished, j.ended = "failed", "error.internal", true, time.Now()
			j.mu.Unlock()
		}
		file, err := s.store.ImportFile(ctx, sc1, imp.ID)
		if err != nil {
			fail(err)
			return
		}
		res, students, staff, err := readRoster(file, imp.FileName, importer.Kind(imp.Kind), j)
		if err != nil {
			fail(err)
			return
		}
		j.set("checking", 0, len(students)+len(staff))
		problems := append([]importer.Problem(nil), res.Problems...)
		var counts store.ImportCounts
		switch importer.Kind(imp.Kind) {
		case importer.Students:
			plan, err := s.store.PlanStudentImport(ctx, sc1, sc2, imp.SchoolID, students)
			if err != nil {
				fail(err)
				return
			}
			counts = plan.ImportCounts
			problems = append(problems, plan.Problems...)
		case importer.Staff:
			plan, err := s.store.PlanStaffImport(ctx, sc1, imp.SchoolID, staff)
			if err != nil {
				fail(err)
				return
			}
			counts = plan.ImportCounts
			problems = append(problems, plan.Problems...)
		}
		counts.Total = res.Rows
		counts.Errors = errorRows(problems)
		if err := s.store.SetImportPreview(ctx, imp.ID, counts); err != nil {
			fail(err)
			return
		}
		sortProblems(problems)
		j.mu.Lock()
		j.phase, j.problems, j.counts, j.format, j.finished, j.ended = "previewed", problems, counts, res.Format, true, time.Now()
		j.mu.Unlock()
	}
}

// runCommit writes an import in one transaction.
func (s *Server) runCommit(a store.Actor, sc1, sc2 authz.Scope, imp store.Import) func(*job) {
	return func(j *job) {
		ctx := context.Background()
		finish := func(phase string, problems []importer.Problem, counts store.ImportCounts, errKey string) {
			sortProblems(problems)
			j.mu.Lock()
			j.phase, j.problems, j.counts, j.err, j.finished, j.ended = phase, problems, counts, errKey, true, time.Now()
			j.mu.Unlock()
		}
		file, err := s.store.ImportFile(ctx, sc1, imp.ID)
		if err != nil {
			finish("failed", nil, store.ImportCounts{}, "imp.file_gone")
			return
		}
		res, students, staff, err := readRoster(file, imp.FileName, importer.Kind(imp.Kind), j)
		if err != nil {
			s.log.Error("import commit: reading the file failed", "import_id", imp.ID, "err", err)
			finish("failed", nil, store.ImportCounts{}, "imp.commit_failed")
			return
		}
		if res.ErrorRows() > 0 {
			finish("previewed", res.Problems, store.ImportCounts{Total: res.Rows, Errors: res.ErrorRows()}, "imp.fix_first")
			return
		}
		total := len(students) + len(staff)
		j.set("writing", 0, total)
		progress := func(n int) { j.set("writing", n, total) }
		var counts store.ImportCounts
		var problems []importer.Problem
		switch importer.Kind(imp.Kind) {
		case importer.Students:
			plan, err := s.store.CommitStudentImport(ctx, a, sc1, sc2, imp.ID, imp.SchoolID, students, progress)
			if err != nil {
				s.log.Error("import commit failed", "import_id", imp.ID, "err", err)
				finish("failed", rowProblems(err), store.ImportCounts{}, "imp.commit_failed")
				return
			}
			counts, problems = plan.ImportCounts, plan.Problems
		case importer.Staff:
			plan, err := s.store.CommitStaffImport(ctx, a, sc1, imp.ID, imp.SchoolID, staff, progress)
			if err != nil {
				s.log.Error("import commit failed", "import_id", imp.ID, "err", err)
				finish("failed", rowProblems(err), store.ImportCounts{}, "imp.commit_failed")
				return
			}
			counts, problems = plan.ImportCounts, plan.Problems
		}
		counts.Total = res.Rows
		if len(problems) > 0 {
			counts.Errors = errorRows(problems)
			finish("previewed", problems, counts, "imp.changed_since")
			return
		}
		finish("committed", nil, counts, "")
	}
}

// rowProblems turns a store refusal of one row into a problem the user can
// act on.
func rowProblems(err error) []importer.Problem {
	var re *store.RowError
	if errors.As(err, &re) {
		key := "imp.row_refused"
		if fields := fieldErrors(re.Err); len(fields) > 0 {
			key = fields[0].Key
		}
		return []importer.Problem{{Row: re.Row, Key: key}}
	}
	return nil
}

func errorRows(ps []importer.Problem) int {
	seen := map[int]bool{}
	for _, p := range ps {
		if !p.Notice {
			seen[p.Row] = true
		}
	}
	return len(seen)
}

func sortProblems(ps []importer.Problem) {
	slices.SortStableFunc(ps, func(a, b importer.Problem) int { return cmp.Compare(a.Row, b.Row) })
}

// problemText renders a problem in the user's language.
func (s *Server) problemText(locale string, p importer.Problem) string {
	return s.cat.T(locale, p.Key, p.Args...)
}

// upload reads a multipart upload: the file, its name and the fields.
func upload(r *http.Request) (kind importer.Kind, schoolID int64, name string, file []byte, err error) {
	// Keep the whole upload in memory: a roster must never spill to a
	// plaintext temporary file.
	if err := r.ParseMultipartForm(maxUploadBytes + 1<<20); err != nil {
		return "", 0, "", nil, &store.ValidationError{Fields: []store.FieldError{{Field: "file", Key: "err.upload"}}}
	}
	kind = importer.Kind(r.FormValue("kind"))
	if kind == "" {
		kind = importer.Students
	}
	schoolID, _ = strconv.ParseInt(r.FormValue("school_id"), 10, 64)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return "", 0, "", nil, &store.ValidationError{Fields: []store.FieldError{{Field: "file", Key: "err.required"}}}
	}
	defer f.Close()
	file, err = io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
	if err != nil || len(file) > maxUploadBytes {
		return "", 0, "", nil, &store.ValidationError{Fields: []store.FieldError{{Field: "file", Key: "err.upload_size"}}}
	}
	if len(file) == 0 {
		return "", 0, "", nil, &store.ValidationError{Fields: []store.FieldError{{Field: "file", Key: "imp.empty"}}}
	}
	return kind, schoolID, hdr.Filename, file, nil
}

// startImport stores an upload and starts its preview.
func (s *Server) startImport(r *http.Request, c *reqCtx) (int64, error) {
	kind, schoolID, name, file, err := upload(r)
	if err != nil {
		return 0, err
	}
	sc1, sc2 := importScope(c, kind)
	id, err := s.store.CreateImport(r.Context(), c.actor(r), sc1, kind, schoolID, name, file)
	if err != nil {
		return 0, err
	}
	imp, err := s.store.GetImport(r.Context(), sc1, id)
	if err != nil {
		return 0, err
	}
	s.jobs.start(id, s.runPreview(c.actor(r), sc1, sc2, imp))
	return id, nil
}

// importFor loads an import the caller may see, with its job (re-running
// the preview when this server has none, e.g. after a restart).
func (s *Server) importFor(r *http.Request, c *reqCtx) (store.Import, jobView, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return store.Import{}, jobView{}, err
	}
	sc1, _ := importScope(c, importer.Students)
	sc6, _ := importScope(c, importer.Staff)
	imp, err := s.store.GetImport(r.Context(), sc1, id)
	if errors.Is(err, store.ErrNotFound) {
		imp, err = s.store.GetImport(r.Context(), sc6, id)
	}
	if err != nil {
		return imp, jobView{}, err
	}
	// The import must match the caller's right for its kind.
	k1, k2 := importScope(c, importer.Kind(imp.Kind))
	if !k1.Covers(imp.DistrictID, imp.SchoolID, 0) {
		return imp, jobView{}, errNotFound
	}
	j := s.jobs.get(id)
	if j == nil && (imp.Status == store.ImportUploaded || imp.Status == store.ImportPreviewed) {
		j = s.jobs.start(id, s.runPreview(c.actor(r), k1, k2, imp))
	}
	if j == nil {
		return imp, jobView{Phase: imp.Status, Finished: true, Percent: 100,
			Counts: store.ImportCounts{Total: imp.Total, New: imp.New, Updated: imp.Updated, Unchanged: imp.Unchanged, Errors: imp.Errors}}, nil
	}
	return imp, j.view(), nil
}

func (s *Server) commitImport(r *http.Request, c *reqCtx) (int64, error) {
	imp, v, err := s.importFor(r, c)
	if err != nil {
		return 0, err
	}
	if imp.Status == store.ImportCommitted {
		return imp.ID, &store.ValidationError{Fields: []store.FieldError{{Field: "import", Key: "err.import_done"}}}
	}
	if !v.Finished || v.Phase != "previewed" {
		return imp.ID, &store.ValidationError{Fields: []store.FieldError{{Field: "import", Key: "imp.wait_preview"}}}
	}
	if v.Counts.Errors > 0 {
		return imp.ID, &store.ValidationError{Fields: []store.FieldError{{Field: "import", Key: "imp.fix_first"}}}
	}
	k1, k2 := importScope(c, importer.Kind(imp.Kind))
	s.jobs.start(imp.ID, s.runCommit(c.actor(r), k1, k2, imp))
	return imp.ID, nil
}

// ---- pages --------------------------------------------------------------

func (s *Server) importsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc1, _ := importScope(c, importer.Students)
	list, err := s.store.ListImports(r.Context(), sc1, 100)
	if err != nil {
		return err
	}
	schools, _, err := s.store.ListSchools(r.Context(), sc1, store.SchoolFilter{Limit: 200})
	if err != nil {
		return err
	}
	return s.html(w, c, "imports.html", "imp.title", nil, map[string]any{"Imports": list, "Schools": schools, "School": queryInt(r, "school")})
}

func (s *Server) importCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := s.startImport(r, c)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/imports/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	imp, v, err := s.importFor(r, c)
	if err != nil {
		return err
	}
	type row struct {
		Row     int
		Column  string
		Message string
		Notice  bool
	}
	var rows []row
	for i, p := range v.Problems {
		if i == 1000 {
			break
		}
		rows = append(rows, row{p.Row, p.Column, s.problemText(c.locale, p), p.Notice})
	}
	return s.html(w, c, "import.html", "imp.one", nil, map[string]any{"Imp": imp, "Job": v, "Problems": rows,
		"MoreProblems": len(v.Problems) - len(rows)})
}

func (s *Server) importCommit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := s.commitImport(r, c)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/imports/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// importTemplate sends an empty roster template.
func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	kind := importer.Kind(r.URL.Query().Get("kind"))
	if kind != importer.Staff {
		kind = importer.Students
	}
	var buf bytes.Buffer
	if err := importer.WriteTemplate(&buf, kind); err != nil {
		return err
	}
	name := "学生名单模板"
	if kind == importer.Staff {
		name = "教职工名单模板"
	}
	sendXLSX(w, buf.Bytes(), name)
	return nil
}

// ---- API ----------------------------------------------------------------

type importJSON struct {
	store.Import
	Job      jobView       `json:"job"`
	Problems []problemJSON `json:"problems"`
}

type problemJSON struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Notice  bool   `json:"notice,omitempty"`
}

func (s *Server) apiImportCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := s.startImport(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, idResponse{ID: id})
	return nil
}

func (s *Server) apiImport(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	imp, v, err := s.importFor(r, c)
	if err != nil {
		return err
	}
	out := importJSON{Import: imp, Job: v, Problems: []problemJSON{}}
	for _, p := range v.Problems {
		out.Problems = append(out.Problems, problemJSON{Row: p.Row, Column: p.Column, Code: p.Key, Message: s.problemText(c.locale, p), Notice: p.Notice})
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) apiImportCommit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := s.commitImport(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, idResponse{ID: id})
	return nil
}

func (s *Server) apiImports(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	sc1, _ := importScope(c, importer.Students)
	list, err := s.store.ListImports(r.Context(), sc1, 100)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Import{}
	}
	writeJSON(w, 200, listOf[store.Import]{Items: list, Total: len(list), Limit: 100})
	return nil
}

// importErrors gives the uploaded file back as .xlsx with a column of the
// problems of each row, so a school can fix its sheet where it stands.
func (s *Server) importErrors(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	imp, v, err := s.importFor(r, c)
	if err != nil {
		return err
	}
	// The link shows once the check is done; a direct request waits for it.
	for deadline := time.Now().Add(30 * time.Second); !v.Finished; {
		if time.Now().After(deadline) || r.Context().Err() != nil {
			return &store.ValidationError{Fields: []store.FieldError{{Field: "import", Key: "imp.wait_preview"}}}
		}
		time.Sleep(50 * time.Millisecond)
		if j := s.jobs.get(imp.ID); j != nil {
			v = j.view()
		}
	}
	k1, _ := importScope(c, importer.Kind(imp.Kind))
	file, err := s.store.ImportFile(r.Context(), k1, imp.ID)
	if err != nil {
		return err
	}
	byRow := map[int][]string{}
	for _, p := range v.Problems {
		msg := s.problemText(c.locale, p)
		if p.Column != "" {
			msg = p.Column + "：" + msg
		}
		byRow[p.Row] = append(byRow[p.Row], msg)
	}
	var sheet *export.Sheet
	var width int
	problemHeader := s.cat.T(c.locale, "imp.problem")
	_, err = importer.EachRawRow(file, importer.DefaultLimits, func(row int, cells []string) error {
		if sheet == nil {
			// The first row is the header: the file's own plus ours.
			cols := make([]export.Column, 0, len(cells)+2)
			cols = append(cols, export.Column{Header: s.cat.T(c.locale, "imp.row")})
			for _, h := range cells {
				cols = append(cols, export.Column{Header: h})
			}
			cols = append(cols, export.Column{Header: problemHeader, Width: 50})
			width = len(cells)
			var err error
			sheet, err = export.New(imp.FileName, cols, s.watermark(c))
			return err
		}
		vals := make([]any, 0, width+2)
		vals = append(vals, row)
		for i := 0; i < width; i++ {
			if i < len(cells) {
				vals = append(vals, cells[i])
			} else {
				vals = append(vals, "")
			}
		}
		vals = append(vals, strings.Join(byRow[row], "；"))
		return sheet.Row(vals...)
	})
	if err != nil {
		return err
	}
	if sheet == nil {
		return &store.ValidationError{Fields: []store.FieldError{{Field: "file", Key: "imp.empty"}}}
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf); err != nil {
		return err
	}
	if err := s.store.AuditExport(r.Context(), c.actor(r), "export.import_errors", "import", imp.ID, imp.SchoolID, imp.DistrictID, sheet.Rows()); err != nil {
		return err
	}
	sendXLSX(w, buf.Bytes(), strings.TrimSuffix(strings.TrimSuffix(imp.FileName, ".xlsx"), ".csv"), s.cat.T(c.locale, "imp.with_problems"))
	return nil
}
