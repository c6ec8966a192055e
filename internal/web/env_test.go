package web_test

// The test environment: one seeded synthetic city per database engine per
// test binary, served by the real handler over loopback. Seeding costs about
// a second, so the environment is built once (sync.Once) and shared; tests
// read the shared data and change only records they create themselves.
//
// SQLite always runs (a fresh file in a temporary directory); PostgreSQL
// runs when HUHANG_TEST_DATABASE_URL names a server, in a fresh schema
// t_<hex> that is dropped when the binary ends.
//
// Every name, ID number and phone number here is synthetic: the city comes
// from the demo generator and test records are made up by the tests.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/importer"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/programme"
	"huhang/internal/screening"
	"huhang/internal/seed"
	"huhang/internal/store"
	"huhang/internal/web"
)

// pgEnv names the PostgreSQL server the postgres subtests run against.
const pgEnv = "HUHANG_TEST_DATABASE_URL"

// cheapParams hash test passwords quickly; the policy is not under test here.
var cheapParams = auth.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// sessionCookie is the cookie name with InsecureCookies (plain-HTTP tests).
const sessionCookie = "huhang_session"

// city is the scope that admits every row (fixture reads).
var city = authz.Scope{City: true}

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one engine's seeded city and the server over it.
type env struct {
	engine string
	st     *store.Store
	srv    *web.Server
	h      http.Handler // srv.Handler(), built once
	ts     *httptest.Server
	logs   *syncBuffer
	log    *slog.Logger
	fx     *fixtures

	mu       sync.Mutex
	sessions map[string]string // username → session token of a cached login
}

var (
	envOnce = map[string]*sync.Once{"sqlite": new(sync.Once), "postgres": new(sync.Once)}
	envs    = map[string]*env{}
	envErrs = map[string]error{}

	cleanupMu sync.Mutex
	cleanups  []func()
)

func addCleanup(f func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	cleanups = append(cleanups, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	cleanupMu.Lock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanupMu.Unlock()
	os.Exit(code)
}

// eachEngine runs fn as the subtests "sqlite" and "postgres" on the shared
// environment of each engine.
func eachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { fn(t, sharedEnv(t, engine)) })
	}
}

// sharedEnv returns the engine's environment, building it on first use.
func sharedEnv(t testing.TB, engine string) *env {
	t.Helper()
	if engine == "postgres" && os.Getenv(pgEnv) == "" {
		t.Skipf("set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run on PostgreSQL", pgEnv)
	}
	envOnce[engine].Do(func() { envs[engine], envErrs[engine] = buildEnv(engine) })
	if err := envErrs[engine]; err != nil {
		t.Fatalf("build %s environment: %v", engine, err)
	}
	return envs[engine]
}

func buildEnv(engine string) (*env, error) {
	ctx := context.Background()
	master := make([]byte, privacy.MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		return nil, err
	}
	keys, err := privacy.NewKeyring(master, privacy.AES256GCM)
	if err != nil {
		return nil, err
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := store.Config{Keyring: keys, Logger: logger}
	switch engine {
	case "sqlite":
		dir, err := os.MkdirTemp("", "huhang-web-test-")
		if err != nil {
			return nil, err
		}
		addCleanup(func() { os.RemoveAll(dir) })
		cfg.SQLitePath = filepath.Join(dir, "huhang.db")
	case "postgres":
		u, err := freshSchema(ctx)
		if err != nil {
			return nil, err
		}
		cfg.DatabaseURL = u
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	addCleanup(func() { st.Close() })
	if _, err := seed.Load(ctx, st, seed.Options{Seed: 1, Scale: 0.02, PasswordParams: &cheapParams}); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	// Every test client comes from 127.0.0.1, so the shared server's login
	// limiter is raised; the limiter itself is tested on its own server.
	srv, err := web.New(web.Config{InsecureCookies: true, LoginPerMinute: 1_000_000}, st, logger)
	if err != nil {
		return nil, err
	}
	e := &env{engine: engine, st: st, srv: srv, h: srv.Handler(), logs: logs, log: logger, sessions: map[string]string{}}
	e.ts = httptest.NewServer(e.h)
	addCleanup(e.ts.Close)
	if e.fx, err = loadFixtures(ctx, st); err != nil {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	return e, nil
}

// freshSchema creates schema t_<hex> on the server named by pgEnv, drops it
// when the binary ends, and returns the URL with search_path set to it.
func freshSchema(ctx context.Context) (string, error) {
	base := os.Getenv(pgEnv)
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s: %w", pgEnv, err)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", fmt.Errorf("create schema %s: %w", schema, err)
	}
	addCleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "drop schema %s: %v\n", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// newServer builds a second server over the environment's store with its
// own configuration (its own limiter, lockout and clock), for tests that
// change the clock or exhaust a limit.
func (e *env) newServer(t testing.TB, cfg web.Config) (*web.Server, *httptest.Server) {
	t.Helper()
	srv, err := web.New(cfg, e.st, e.log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

// ---- fixtures ---------------------------------------------------------------

// position is a place in the tree relative to the demo accounts: their own
// school, another class of it, another school of the same district, or
// another district. Each holds one record of every kind and the names a
// viewer without access there must never receive.
type position struct {
	name                                    string
	district, school, class, student, staff int64
	imp                                     int64 // a roster import of the school (see fixtureImport)

	school0    store.SchoolSummary
	student0   store.StudentDetail // unmasked, with contact
	staff0     model.Staff
	idNumber   string   // student0's ID number
	students   []string // full names of pupils here, unique in the city
	staffNames []string // staff names here, unique in the city
	structure  []string // district and school names here, unique in the city

	// Screening (see addScreeningFixtures): the test campaign over this
	// position's class, a pupil of the class in it who has submitted (the
	// participant), that pupil's code (used, so it answers 409 and writes
	// nothing), and closed alerts of the position's school by the level
	// they had been escalated to before they were closed.
	campaign int64
	part     int64
	usedCode string
	alerts   map[int]int64

	// Training (see addPlanFixtures): a confirmed certificate of staff0,
	// and the matrix's training session (the same for every position).
	cert    int64
	session int64
}

// fixtures are the shared city's records the tests aim at.
type fixtures struct {
	targets seed.Targets
	users   map[string]int64 // username → id
	// own is the demo school's position with the class teacher's class;
	// ownTeam the same with the subject teacher's class.
	own, ownTeam, classmate, sibling, other *position
}

const noAssignUser = "noassign"

func loadFixtures(ctx context.Context, st *store.Store) (*fixtures, error) {
	t, err := seed.FindTargets(ctx, st)
	if err != nil {
		return nil, err
	}
	fx := &fixtures{targets: t, users: map[string]int64{}}
	hash, err := auth.HashPassword(seed.DemoPassword, cheapParams)
	if err != nil {
		return nil, err
	}
	if _, err := st.CreateUser(ctx, store.SystemActor, store.NewUser{Username: noAssignUser, DisplayName: "测试·无岗位",
		PasswordHash: hash}); err != nil {
		return nil, err
	}
	for _, a := range seed.Accounts {
		u, err := st.UserByUsername(ctx, a.Username)
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.Username, err)
		}
		fx.users[a.Username] = u.ID
	}
	u, err := st.UserByUsername(ctx, noAssignUser)
	if err != nil {
		return nil, err
	}
	fx.users[noAssignUser] = u.ID

	own, err := st.GetSchool(ctx, city, t.School)
	if err != nil {
		return nil, err
	}
	classes, err := st.ListClasses(ctx, city, t.School)
	if err != nil {
		return nil, err
	}
	var classmate int64
	for _, c := range classes {
		if c.ID != t.Class && c.ID != t.TeamClass && c.Counts.Students > 0 {
			classmate = c.ID
			break
		}
	}
	if classmate == 0 {
		return nil, fmt.Errorf("demo school %d has no third class with pupils", t.School)
	}
	// Another school of the demo district and a school of another district,
	// each with pupils and staff.
	pick := func(district int64, not int64) (store.SchoolSummary, error) {
		xs, _, err := st.ListSchools(ctx, city, store.SchoolFilter{DistrictID: district, Limit: 500})
		if err != nil {
			return store.SchoolSummary{}, err
		}
		for _, x := range xs {
			if x.ID != not && x.Staff > 0 && x.Counts.Students > 0 {
				return x, nil
			}
		}
		return store.SchoolSummary{}, fmt.Errorf("no school with pupils and staff in district %d", district)
	}
	sibling, err := pick(t.District, t.School)
	if err != nil {
		// At small scales the demo school is alone in its district: add a
		// second school there, with a class, pupils and a staff member.
		if sibling, err = addSiblingSchool(ctx, st, t); err != nil {
			return nil, fmt.Errorf("add a sibling school: %w", err)
		}
	}
	ds, err := st.ListDistricts(ctx, city)
	if err != nil {
		return nil, err
	}
	var other store.SchoolSummary
	var otherDistrict store.DistrictSummary
	for i := len(ds) - 1; i >= 0 && otherDistrict.ID == 0; i-- {
		if ds[i].ID == t.District {
			continue
		}
		if x, err := pick(ds[i].ID, 0); err == nil {
			other, otherDistrict = x, ds[i]
		}
	}
	if otherDistrict.ID == 0 {
		return nil, fmt.Errorf("no other district with a usable school")
	}

	linked := map[int64]bool{} // staff records of the demo accounts
	for _, uid := range fx.users {
		id, err := st.StaffIDOf(ctx, uid)
		if err != nil {
			return nil, err
		}
		linked[id] = id != 0
	}
	mk := func(name string, district int64, school store.SchoolSummary, class int64) (*position, error) {
		p := &position{name: name, district: district, school: school.ID, class: class, school0: school}
		if class == 0 {
			cs, err := st.ListClasses(ctx, city, school.ID)
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				if c.Counts.Students > 0 {
					p.class = c.ID
					break
				}
			}
		}
		rows, _, err := st.ListStudents(ctx, store.SystemActor, city, store.StudentFilter{ClassID: p.class, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			d, err := st.GetStudent(ctx, store.SystemActor, city, city, r.ID, true)
			if err != nil {
				return nil, err
			}
			if p.student == 0 && d.Contact != nil && d.Contact.IDNumber != "" {
				p.student, p.student0, p.idNumber = r.ID, d, d.Contact.IDNumber
			}
			if len(p.students) < 4 && uniqueName(ctx, st, r.Name) {
				p.students = append(p.students, r.Name)
			}
		}
		if p.student == 0 {
			return nil, fmt.Errorf("class %d has no pupil with an ID number", p.class)
		}
		staff, _, err := st.ListStaff(ctx, city, store.StaffFilter{SchoolID: school.ID, Limit: 500})
		if err != nil {
			return nil, err
		}
		if len(staff) == 0 {
			return nil, fmt.Errorf("school %d has no staff", school.ID)
		}
		// The record aimed at is no demo account's own (the seed links some
		// accounts to their staff records): a request about it is never
		// about the caller's own record.
		i := slices.IndexFunc(staff, func(x model.Staff) bool { return !linked[x.ID] })
		if i < 0 {
			return nil, fmt.Errorf("school %d has no staff but the demo accounts'", school.ID)
		}
		p.staff, p.staff0 = staff[i].ID, staff[i]
		for _, x := range staff {
			if len(p.staffNames) < 3 && uniqueName(ctx, st, x.Name) {
				p.staffNames = append(p.staffNames, x.Name)
			}
		}
		return p, nil
	}
	if fx.own, err = mk("own", t.District, own, t.Class); err != nil {
		return nil, err
	}
	if fx.ownTeam, err = mk("own", t.District, own, t.TeamClass); err != nil {
		return nil, err
	}
	if fx.classmate, err = mk("classmate", t.District, own, classmate); err != nil {
		return nil, err
	}
	fx.classmate.staffNames = nil // same school: its staff are the own position's
	if fx.sibling, err = mk("sibling", t.District, sibling, 0); err != nil {
		return nil, err
	}
	if uniqueSchoolName(ctx, st, sibling.Name) {
		fx.sibling.structure = []string{sibling.Name}
	}
	if fx.other, err = mk("other", otherDistrict.ID, other, 0); err != nil {
		return nil, err
	}
	if uniqueSchoolName(ctx, st, other.Name) {
		fx.other.structure = append(fx.other.structure, other.Name)
	}
	// The district name must not occur in a name of the demo district's schools.
	xs, _, err := st.ListSchools(ctx, city, store.SchoolFilter{Query: otherDistrict.Name, Limit: 500})
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(xs, func(x store.SchoolSummary) bool { return x.DistrictID != otherDistrict.ID }) {
		fx.other.structure = append(fx.other.structure, otherDistrict.Name)
	}
	for _, p := range []*position{fx.own, fx.classmate, fx.sibling, fx.other} {
		if len(p.students) == 0 {
			return nil, fmt.Errorf("position %s: no pupil with a name unique in the city", p.name)
		}
	}
	if len(fx.other.structure) == 0 || len(fx.other.staffNames) == 0 {
		return nil, fmt.Errorf("other district: no unique school, district or staff names to check for leaks")
	}
	// One roster import per school: the demo school's (shared by the
	// positions there), the sibling's and the other district's.
	for i, p := range []*position{fx.own, fx.sibling, fx.other} {
		if p.imp, err = fixtureImport(ctx, st, p, 700+i); err != nil {
			return nil, fmt.Errorf("import for %s: %w", p.name, err)
		}
	}
	fx.ownTeam.imp, fx.classmate.imp = fx.own.imp, fx.own.imp
	if err := addScreeningFixtures(ctx, st, fx); err != nil {
		return nil, fmt.Errorf("screening fixtures: %w", err)
	}
	if err := addPlanFixtures(ctx, st, fx); err != nil {
		return nil, fmt.Errorf("plan fixtures: %w", err)
	}
	return fx, nil
}

// Alert levels as ACCESS.md and the brief name them (store.LevelSchool…).
const (
	alertAtSchool   = 0
	alertAtDistrict = 1
	alertAtCity     = 2
)

// alertNoteCanary is the note recorded on every fixture alert: only the
// school's own viewers (principal, psychology teacher) may ever read it.
const alertNoteCanary = "矩阵测试随访备注-Q7"

// addScreeningFixtures adds, through the store, one screening campaign per
// place the matrix aims at — the demo school (the class teacher's class,
// the class team's class and a third class), the sibling school's class
// and the other district's class — so that a campaign is in or out of a
// caller's scope by its classes alone (the seeded campaigns span the whole
// city). Every guardian consents. In each class one pupil has submitted
// (position.part, green, no alert); in the demo school three more pupils,
// in the sibling school one and in the other district two have submitted
// a critical answer, which raised an alert each.
//
// Those alerts are escalated with store.EscalateDue and a step that moves
// only them: an alert's due time is set to a sentinel in 2001 (to go to
// district level) or 2002 (to the city), far in the past, and the step
// escalates an alert only while its due time is such a sentinel and its
// level below the sentinel's, so the seed's own open alerts stay as they
// are. Then each alert is acknowledged, given a note (alertNoteCanary) and
// closed with an outcome, so no request of the tests can change it: every
// further step is refused by the state machine (409), and opening it
// records nothing. The result, in position.alerts by level:
//
//	own      school, district, city
//	sibling  district
//	other    district, city
func addScreeningFixtures(ctx context.Context, st *store.Store, fx *fixtures) error {
	reg, err := screening.NewRegistry()
	if err != nil {
		return err
	}
	var ins []*screening.Instrument
	for _, code := range []string{"phqa", "gad7"} {
		in, ok := reg.Get(code)
		if !ok {
			return fmt.Errorf("instrument %s missing", code)
		}
		ins = append(ins, in)
	}
	known := func(code string) bool { _, ok := reg.Get(code); return ok }
	now := time.Now()
	mkCampaign := func(name string, classes ...int64) (int64, error) {
		return st.CreateCampaign(ctx, store.SystemActor, city, store.CampaignInput{Name: name, Instruments: []string{"phqa", "gad7"},
			OpensAt: now.Add(-24 * time.Hour), ClosesAt: now.Add(13 * 24 * time.Hour), ClassIDs: classes}, known)
	}
	answers := func(critical bool) [][]int {
		out := make([][]int, len(ins))
		for i, in := range ins {
			out[i] = make([]int, len(in.Items))
			if critical {
				for j := range out[i] {
					out[i][j] = 1
				}
				if i == 0 {
					out[i][len(out[i])-1] = 2 // the self-harm item
				}
			}
		}
		return out
	}
	// submit stores one pupil's answers; with an alert due at due.
	submit := func(pt store.Participant, critical bool, due time.Time) (int64, error) {
		a, err := screening.Assess(ins, answers(critical), pt.Age, 5*time.Minute)
		if err != nil {
			return 0, err
		}
		detail, err := json.Marshal(map[string]any{"answers": map[string][]int{"phqa": answers(critical)[0], "gad7": answers(critical)[1]},
			"assessment": a})
		if err != nil {
			return 0, err
		}
		sub := &store.Submission{Participant: pt, Detail: detail, Tier: int(a.Tier), Critical: a.Critical, Duration: 5 * time.Minute, IP: "test"}
		for _, f := range a.Flags {
			sub.Flags = append(sub.Flags, string(f))
		}
		for _, r := range a.Reasons {
			sub.Reasons = append(sub.Reasons, r.Code+":"+r.Instrument)
		}
		if critical {
			sub.Alert = &store.AlertSpec{Severity: string(screening.SevCritical), Reason: "critical_item:phqa", DueAt: due}
		}
		res, err := st.Submit(ctx, sub)
		if err != nil {
			return 0, err
		}
		if critical && res.AlertID == 0 {
			return 0, fmt.Errorf("participant %d: no alert raised", pt.ID)
		}
		return res.AlertID, nil
	}
	sentinel := map[int]time.Time{
		alertAtSchool:   now.Add(30 * 24 * time.Hour), // not due: stays with the school
		alertAtDistrict: time.Date(2001, time.June, 15, 12, 0, 0, 0, time.UTC),
		alertAtCity:     time.Date(2002, time.June, 15, 12, 0, 0, 0, time.UTC),
	}
	// setUp creates a campaign over the positions' classes, consents for
	// everyone, and submits: one green pupil per class (the participant)
	// and, in the first class, one critical pupil per alert level.
	setUp := func(name string, ps []*position, levels ...int) error {
		var classes []int64
		for _, p := range ps {
			classes = append(classes, p.class)
		}
		id, err := mkCampaign(name, classes...)
		if err != nil {
			return err
		}
		cp, err := st.GetCampaign(ctx, city, id)
		if err != nil {
			return err
		}
		parts, err := st.CampaignParticipants(ctx, id)
		if err != nil {
			return err
		}
		all := make([]int64, len(parts))
		for i, pt := range parts {
			all[i] = pt.ID
		}
		if err := st.BulkConsent(ctx, store.SystemActor, id, store.ConsentGiven, "paper", all); err != nil {
			return err
		}
		for i, p := range ps {
			var mine []store.Participant
			for _, pt := range parts {
				if pt.ClassID == p.class {
					pt.Campaign, pt.Consent = cp, store.ConsentGiven
					mine = append(mine, pt)
				}
			}
			need := 1
			if i == 0 {
				need += len(levels)
			}
			if len(mine) < need {
				return fmt.Errorf("class %d has %d pupils in campaign %d, want %d", p.class, len(mine), id, need)
			}
			if _, err := submit(mine[0], false, time.Time{}); err != nil {
				return err
			}
			p.campaign, p.part = id, mine[0].ID
			p.usedCode = st.ParticipantCode(id, mine[0].StudentID, 0)
			if i > 0 {
				continue
			}
			p.alerts = map[int]int64{}
			for j, level := range levels {
				if p.alerts[level], err = submit(mine[1+j], true, sentinel[level]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := setUp("矩阵测试普查·本校", []*position{fx.own, fx.classmate, fx.ownTeam}, alertAtSchool, alertAtDistrict, alertAtCity); err != nil {
		return err
	}
	if err := setUp("矩阵测试普查·兄弟校", []*position{fx.sibling}, alertAtDistrict); err != nil {
		return err
	}
	if err := setUp("矩阵测试普查·外区", []*position{fx.other}, alertAtDistrict, alertAtCity); err != nil {
		return err
	}
	fx.classmate.alerts, fx.ownTeam.alerts = fx.own.alerts, fx.own.alerts

	// Escalate the fixture's alerts, and only them, to their levels.
	step := func(a store.AlertCore, _ time.Time) (store.AlertCore, bool) {
		target := alertAtSchool
		switch {
		case a.DueAt.Equal(sentinel[alertAtDistrict]):
			target = alertAtDistrict
		case a.DueAt.Equal(sentinel[alertAtCity]):
			target = alertAtCity
		}
		if a.Level >= target {
			return a, false
		}
		a.Level++
		return a, true
	}
	for range alertAtCity {
		if _, err := st.EscalateDue(ctx, time.Now(), step); err != nil {
			return err
		}
	}
	all := store.AlertScope{Direct: city}
	for _, p := range []*position{fx.own, fx.sibling, fx.other} {
		for level, id := range p.alerts {
			a, _, err := st.GetAlert(ctx, all, id, false)
			if err != nil {
				return err
			}
			if a.Level != level || a.SchoolID != p.school {
				return fmt.Errorf("alert %d of %s is at level %d of school %d, want level %d of school %d", id, p.name, a.Level, a.SchoolID, level, p.school)
			}
			for _, s := range []struct {
				action, note string
				apply        func(*store.AlertCore)
			}{
				{"acknowledged", "", func(c *store.AlertCore) { c.State = "acknowledged" }},
				{"action_taken", alertNoteCanary, func(*store.AlertCore) {}},
				{"closed", "", func(c *store.AlertCore) { c.State, c.Outcome = "closed", "other" }},
			} {
				if _, err := st.ActOnAlert(ctx, store.SystemActor, all, id, s.action, s.note, func(c store.AlertCore) (store.AlertCore, error) {
					s.apply(&c)
					return c, nil
				}); err != nil {
					return fmt.Errorf("alert %d %s: %w", id, s.action, err)
				}
			}
		}
	}
	return nil
}

// fixtureImport uploads, through the store, a one-row pupil roster for
// p's school. The row is well formed but names class 99 of its grade,
// which no school has, so every preview reports one problem and every
// commit is refused: the import exists in and out of each caller's scope,
// and no request of the matrix can change the shared city through it.
func fixtureImport(ctx context.Context, st *store.Store, p *position, seq int) (int64, error) {
	cl, err := st.GetClass(ctx, city, p.class)
	if err != nil {
		return 0, err
	}
	birth := fmt.Sprintf("%d0601", model.SchoolYearOf(time.Now())-6-max(cl.Grade, 1))
	id := idNumber("519988", birth, seq)
	gender := "女"
	if (id[16]-'0')%2 == 1 {
		gender = "男"
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"学籍号", "姓名", "性别", "出生日期", "身份证号", "年级", "班级"})
	w.Write([]string{"G" + id, "矩阵导入学生", gender, birth[:4] + "-06-01", id, model.GradeName(cl.Grade), "99班"})
	w.Flush()
	return st.CreateImport(ctx, store.SystemActor, city, importer.Students, p.school, "矩阵测试名单.csv", b.Bytes())
}

// addSiblingSchool creates a primary school in the demo district with one
// class of five pupils and one staff member, all with made-up names.
func addSiblingSchool(ctx context.Context, st *store.Store, t seed.Targets) (store.SchoolSummary, error) {
	a := store.SystemActor
	id, err := st.CreateSchool(ctx, a, city, store.SchoolInput{DistrictID: t.District, Code: "TEST-SIB-01",
		Name: "测试兄弟小学", Type: model.Primary, Address: "测试路1号"})
	if err != nil {
		return store.SchoolSummary{}, err
	}
	ref, err := st.GetClass(ctx, city, t.Class)
	if err != nil {
		return store.SchoolSummary{}, err
	}
	class, err := st.CreateClass(ctx, a, city, store.ClassInput{SchoolID: id, StartYear: ref.StartYear, Grade: ref.Grade, Number: 1})
	if err != nil {
		return store.SchoolSummary{}, err
	}
	for i, n := range []string{"兄弟校学生甲", "兄弟校学生乙", "兄弟校学生丙", "兄弟校学生丁", "兄弟校学生戊"} {
		if _, err := st.CreateStudent(ctx, a, city, city, newStudent(class, "20160501", 900+i, n, model.Female)); err != nil {
			return store.SchoolSummary{}, err
		}
	}
	if _, err := st.CreateStaff(ctx, a, city, store.StaffInput{SchoolID: id, Name: "兄弟校教师甲", Gender: model.Female,
		Phone: "13900000001", Posts: []model.StaffPost{{Post: model.PostClassTeacher, ClassID: class}}}); err != nil {
		return store.SchoolSummary{}, err
	}
	return st.GetSchool(ctx, city, id)
}

// newStudent is a valid new pupil of class with a synthetic ID number
// (area 510403, the given birth date, sequence seq) and an L student number.
func newStudent(class int64, birth string, seq int, name string, g model.Gender) store.StudentInput {
	id := idNumber("510403", birth, seq)
	no := "L510403" + birth + fmt.Sprintf("%04d", seq)
	bd := birth[:4] + "-" + birth[4:6] + "-" + birth[6:]
	return store.StudentInput{ClassID: &class, StudentNo: &no, Name: &name, Gender: &g, BirthDate: &bd, IDNumber: &id}
}

// idNumber builds a resident ID number with a correct check character.
func idNumber(area, birth string, seq int) string {
	first := fmt.Sprintf("%s%s%03d", area, birth, seq%1000)
	c, err := privacy.IDCheckChar(first)
	if err != nil {
		panic(err)
	}
	return first + string(c)
}

// uniqueName reports whether name has three or more characters and is part
// of no other pupil's or staff member's name in the city, so finding it in
// a response means this person leaked.
func uniqueName(ctx context.Context, st *store.Store, name string) bool {
	if utf8.RuneCountInString(name) < 3 {
		return false
	}
	_, n, err := st.ListStudents(ctx, store.SystemActor, city, store.StudentFilter{Query: name, Status: "all", Limit: 1})
	if err != nil {
		return false
	}
	_, m, err := st.ListStaff(ctx, city, store.StaffFilter{Query: name, Limit: 1})
	if err != nil {
		return false
	}
	return n+m == 1
}

func uniqueSchoolName(ctx context.Context, st *store.Store, name string) bool {
	_, n, err := st.ListSchools(ctx, city, store.SchoolFilter{Query: name, Limit: 1})
	return err == nil && n == 1
}

// ---- users -------------------------------------------------------------------

// newUser creates a throwaway account with the given assignments and
// returns its username, id and password.
func (e *env) newUser(t testing.TB, prefix string, asg ...authz.Assignment) (string, int64, string) {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := prefix + "-" + hex.EncodeToString(b[:])
	pw := "Test-Only-" + hex.EncodeToString(b[:]) + "-Pass"
	hash, err := auth.HashPassword(pw, cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.st.CreateUser(context.Background(), store.SystemActor, store.NewUser{Username: name, DisplayName: "测试·" + prefix,
		PasswordHash: hash, Assignments: asg})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return name, id, pw
}

// ---- HTTP client -------------------------------------------------------------

// httpc never follows redirects: tests look at the 303s themselves.
var httpc = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       60 * time.Second,
}

// client talks to one server, as one session (or anonymously).
type client struct {
	t       testing.TB
	base    string
	cookies []*http.Cookie
	hdr     http.Header
}

func newClient(t testing.TB, base string) *client {
	return &client{t: t, base: base, hdr: http.Header{}}
}

// response is a read response.
type response struct {
	status int
	header http.Header
	body   []byte
	method string
	path   string
}

func (r *response) String() string {
	b := string(r.body)
	switch {
	case !utf8.Valid(r.body):
		b = fmt.Sprintf("(%d bytes of %s)", len(r.body), r.header.Get("Content-Type")) // a download
	case strings.HasPrefix(strings.TrimSpace(b), "<"):
		b = textOf(r.body)
	}
	if utf8.RuneCountInString(b) > 160 {
		b = string([]rune(b)[:160]) + "…"
	}
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, b)
}

// json decodes the body into v, failing the test when it is not JSON.
func (r *response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v\n%s", r.method, r.path, err, r.body)
	}
}

func (c *client) do(method, path string, body []byte, ctype string, extra http.Header) *response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range c.hdr {
		req.Header[k] = v
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	res, err := httpc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: b, method: method, path: path}
}

func (c *client) get(path string) *response { c.t.Helper(); return c.do("GET", path, nil, "", nil) }

func (c *client) postForm(path string, v url.Values) *response {
	c.t.Helper()
	return c.do("POST", path, []byte(v.Encode()), "application/x-www-form-urlencoded", nil)
}

func (c *client) sendJSON(method, path, body string) *response {
	c.t.Helper()
	return c.do(method, path, []byte(body), "application/json", nil)
}

// setCookie keeps (or replaces) a cookie for later requests.
func (c *client) setCookie(ck *http.Cookie) {
	c.cookies = slices.DeleteFunc(c.cookies, func(x *http.Cookie) bool { return x.Name == ck.Name })
	if ck.Value != "" && ck.MaxAge >= 0 {
		c.cookies = append(c.cookies, &http.Cookie{Name: ck.Name, Value: ck.Value})
	}
}

// keepCookies applies a response's Set-Cookie headers, as a browser would.
func (c *client) keepCookies(r *response) {
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		c.setCookie(ck)
	}
}

func (c *client) cookie(name string) string {
	for _, ck := range c.cookies {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// login posts the login form and keeps the session cookie; it fails the
// test unless the login succeeds.
func (c *client) login(username, password string) *response {
	c.t.Helper()
	r := c.postForm("/login", url.Values{"username": {username}, "password": {password}})
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("login as %s: %s", username, r)
	}
	c.keepCookies(r)
	return r
}

// as returns a client of the shared server signed in as username (a demo
// account or the no-assignment account), reusing one login per account.
func (e *env) as(t testing.TB, username string) *client {
	t.Helper()
	e.mu.Lock()
	tok, ok := e.sessions[username]
	e.mu.Unlock()
	c := newClient(t, e.ts.URL)
	if ok {
		c.setCookie(&http.Cookie{Name: sessionCookie, Value: tok})
		return c
	}
	c.login(username, seed.DemoPassword)
	tok = c.cookie(sessionCookie)
	if tok == "" {
		t.Fatalf("login as %s set no %s cookie", username, sessionCookie)
	}
	e.mu.Lock()
	e.sessions[username] = tok
	e.mu.Unlock()
	return c
}

// fresh returns a client with a new session of its own (for logout and
// other tests that end the session).
func (e *env) fresh(t testing.TB, username, password string) *client {
	t.Helper()
	c := newClient(t, e.ts.URL)
	c.login(username, password)
	return c
}

// bearer returns a client that authenticates with a new API token of the
// user (created through the store, as the account page would).
func (e *env) bearer(t testing.TB, userID int64) *client {
	t.Helper()
	plain, hash := auth.NewToken()
	if _, err := e.st.CreateToken(context.Background(), store.SystemActor, userID, "test", hash, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, e.ts.URL)
	c.hdr.Set("Authorization", "Bearer "+plain)
	return c
}

// ---- assertions --------------------------------------------------------------

// apiErr is the API's one error shape.
type apiErr struct {
	Code      string      `json:"code"`
	Message   string      `json:"message"`
	RequestID string      `json:"request_id"`
	Details   []errDetail `json:"details"`
}

type errDetail struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// errorShape checks that r is an API error in the one shape and returns it.
func errorShape(t testing.TB, r *response) apiErr {
	t.Helper()
	return checkErrorShape(t, r, true)
}

// checkErrorShape is errorShape; namedFields requires every detail to name
// its field (the fuzz targets check the shape, and leave naming to
// TestAPIErrorsAndStrictDecoding).
func checkErrorShape(t testing.TB, r *response, namedFields bool) apiErr {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatalf("%s: error body is not a JSON object: %v", r, err)
	}
	for k := range raw {
		if !slices.Contains([]string{"code", "message", "details", "request_id"}, k) {
			t.Errorf("%s: error has unexpected key %q", r, k)
		}
	}
	var e apiErr
	r.json(t, &e)
	if e.Code == "" || e.Message == "" || e.RequestID == "" {
		t.Errorf("%s: error lacks code, message or request_id", r)
	}
	if got := r.header.Get("X-Request-Id"); got != e.RequestID {
		t.Errorf("%s: request_id %q differs from X-Request-Id %q", r, e.RequestID, got)
	}
	for _, d := range e.Details {
		if (namedFields && d.Field == "") || d.Code == "" || d.Message == "" {
			t.Errorf("%s: detail %+v lacks field, code or message", r, d)
		}
	}
	return e
}

func (e apiErr) fields() []string {
	var out []string
	for _, d := range e.Details {
		out = append(out, d.Field)
	}
	return out
}

// extraKeys returns the keys of m that are not in allowed.
func extraKeys(m map[string]any, allowed ...string) []string {
	var out []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// containsAny returns the first of names found in body, or "".
func containsAny(body []byte, names []string) string {
	for _, n := range names {
		if n != "" && bytes.Contains(body, []byte(n)) {
			return n
		}
	}
	return ""
}

// textOf strips tags crudely, for messages.
func textOf(b []byte) string {
	s := string(b)
	var out strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			out.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(out.String()), " ")
}

// planTargetCode is the staff target the matrix's plan rows aim at (one
// of the plan's five the seed stores).
const planTargetCode = "c-cert-class-teachers"

// addPlanFixtures adds, through the store, what the plan and training
// rows aim at. The seed stores the 2021–2025 targets (and example
// 2026–2030 ones); this checks the one the rows name is there. One
// course with one city-wide session, which a member of staff of the demo
// school, of the sibling school and of the other district attended (named
// in position.staffNames, never position.staff, whom the refused
// attendance bodies name: so a leak of a name out of scope shows, and a
// refusal is never for "attended twice"). And for position.staff of each
// school a confirmed C certificate (position.cert): confirmed already, so
// every review of it is refused and no request changes it.
func addPlanFixtures(ctx context.Context, st *store.Store, fx *fixtures) error {
	ts, err := st.Targets(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ts, func(t programme.Target) bool { return t.Code == planTargetCode }) {
		return fmt.Errorf("the seed stores no target %s", planTargetCode)
	}
	course, err := st.CreateCourse(ctx, store.SystemActor, store.Course{Title: "矩阵测试课程", Level: "C", Hours: 8, Mode: "offline"})
	if err != nil {
		return err
	}
	sess, err := st.CreateTrainingSession(ctx, store.SystemActor, store.TrainingSession{CourseID: course, StartsOn: "2025-10-10", EndsOn: "2025-10-10"})
	if err != nil {
		return err
	}
	var attended []store.AttendanceInput
	for _, p := range []*position{fx.own, fx.sibling, fx.other} {
		staff, _, err := st.ListStaff(ctx, city, store.StaffFilter{SchoolID: p.school, Limit: 500})
		if err != nil {
			return err
		}
		var who int64
		if i := slices.IndexFunc(staff, func(x model.Staff) bool { return x.ID != p.staff && slices.Contains(p.staffNames, x.Name) }); i >= 0 {
			who = staff[i].ID
		} else {
			// A school of one (the sibling school added at small scales):
			// a second member of staff, with a made-up name.
			name := "矩阵培训学员" + p.name
			if who, err = st.CreateStaff(ctx, store.SystemActor, city, store.StaffInput{SchoolID: p.school, Name: name, Gender: model.Male,
				Phone: "13900000003", Posts: []model.StaffPost{{Post: model.PostSubjectTeacher}}}); err != nil {
				return err
			}
			p.staffNames = append(p.staffNames, name)
		}
		attended = append(attended, store.AttendanceInput{StaffID: who, Passed: true, Hours: 2})
	}
	if _, err := st.RecordAttendance(ctx, store.SystemActor, city, sess, attended); err != nil {
		return err
	}
	for i, p := range []*position{fx.own, fx.ownTeam, fx.classmate, fx.sibling, fx.other} {
		p.session = sess
		if p == fx.ownTeam || p == fx.classmate {
			p.cert = fx.own.cert // the same school: the same member of staff
			continue
		}
		id, err := st.SubmitCertificate(ctx, store.SystemActor, city, 0, store.CertificateInput{StaffID: p.staff0.ID, Kind: "C",
			Number: fmt.Sprintf("MATRIX-C-%d", i), Issuer: "矩阵测试", IssuedOn: "2024-05-01"})
		if err != nil {
			return err
		}
		if err := st.ReviewCertificate(ctx, store.SystemActor, city, id, true); err != nil {
			return err
		}
		p.cert = id
	}
	return nil
}
