package store

// The test harness: every store test runs once on SQLite (a fresh file per
// test) and once on PostgreSQL (a fresh schema per test, only when
// HUHANG_TEST_DATABASE_URL names a server), through eachEngine. Fixtures are
// built through the store's own exported methods; only districts, which the
// store has no method for, are inserted with SQL on the write handle.
//
// Every name, ID number and phone number here is generated: ID numbers use
// the area code 510402, a birth date, a sequence and a computed check
// character; phones are 139 followed by a counter.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/privacy"
)

// pgEnv names the PostgreSQL server the postgres subtests run against.
const pgEnv = "HUHANG_TEST_DATABASE_URL"

// testEnv is what the harness remembers about a store it opened: enough to
// open the same database again and to read what the store logged.
type testEnv struct {
	engine     string
	cfg        Config
	master     []byte
	sqlitePath string
	logs       *syncBuffer
	clock      *fakeClock
}

var envs sync.Map // *Store → *testEnv

func envOf(t testing.TB, s *Store) *testEnv {
	t.Helper()
	e, ok := envs.Load(s)
	if !ok {
		t.Fatalf("store %p was not opened by the harness", s)
	}
	return e.(*testEnv)
}

// syncBuffer collects the store's log output (the store logs from
// goroutines in the concurrency tests).
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

// fakeClock is the store's clock in every test: fixed until a test moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// testEpoch is the fixed "now" of the tests: a school day in March 2026.
var testEpoch = time.Date(2026, time.March, 2, 8, 0, 0, 0, time.UTC)

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// engineOptions vary how eachEngineWith opens the store.
type engineOptions struct {
	cipher privacy.Algorithm // default AES-256-GCM
	audit  audit.Algorithm   // default SHA-256
}

// eachEngine runs fn as the subtests "sqlite" and "postgres", each on a
// fresh, migrated database with an AES-256-GCM keyring and a fake clock.
func eachEngine(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	eachEngineWith(t, engineOptions{}, fn)
}

// eachEngineWith is eachEngine with a chosen cipher and audit hash.
func eachEngineWith(t *testing.T, opt engineOptions, fn func(t *testing.T, s *Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, openTestStore(t, "sqlite", opt))
	})
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv(pgEnv) == "" {
			t.Skipf("set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests", pgEnv)
		}
		fn(t, openTestStore(t, "postgres", opt))
	})
}

// openTestStore opens a store on a fresh database of the named engine and
// closes it (and drops the PostgreSQL schema) when the test ends.
func openTestStore(t *testing.T, engine string, opt engineOptions) *Store {
	t.Helper()
	env := freshEnv(t, engine, opt)
	s, err := Open(context.Background(), env.cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { s.Close() })
	if got := s.Engine(); got != engine {
		t.Fatalf("Engine() = %q, want %q", got, engine)
	}
	s.SetClock(env.clock.Now)
	envs.Store(s, env)
	t.Cleanup(func() { envs.Delete(s) })
	return s
}

// freshEnv prepares an empty database of the named engine (a new SQLite
// path, or a new PostgreSQL schema dropped when the test ends) and a
// configuration for it, without opening a store.
func freshEnv(t *testing.T, engine string, opt engineOptions) *testEnv {
	t.Helper()
	if opt.cipher == "" {
		opt.cipher = privacy.AES256GCM
	}
	if opt.audit == "" {
		opt.audit = audit.SHA256
	}
	master := make([]byte, privacy.MasterKeySize)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.NewKeyring(master, opt.cipher)
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	env := &testEnv{engine: engine, master: master, logs: &syncBuffer{}, clock: &fakeClock{t: testEpoch}}
	env.cfg = Config{
		Keyring:        keys,
		AuditAlgorithm: opt.audit,
		Logger:         slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	switch engine {
	case "sqlite":
		env.sqlitePath = filepath.Join(t.TempDir(), "huhang.db")
		env.cfg.SQLitePath = env.sqlitePath
	case "postgres":
		env.cfg.DatabaseURL = freshSchema(t)
	default:
		t.Fatalf("unknown engine %q", engine)
	}
	return env
}

// freshSchema creates a schema named t_<random hex> on the server named by
// HUHANG_TEST_DATABASE_URL, drops it when the test ends, and returns the URL
// with search_path set to it (pgx passes unknown URL parameters to the
// server as run-time parameters).
func freshSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", pgEnv, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("connect to %s: %v", pgEnv, err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema %s: %v", schema, err)
	}
	// Registered before the store's Close, so it runs after it.
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// reopen opens a second store on the same database as s, after mutate has
// adjusted a copy of the configuration. The new store is closed when the
// test ends.
func reopen(t *testing.T, s *Store, mutate func(*Config)) (*Store, error) {
	t.Helper()
	env := envOf(t, s)
	cfg := env.cfg
	if mutate != nil {
		mutate(&cfg)
	}
	s2, err := Open(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { s2.Close() })
	s2.SetClock(env.clock.Now)
	env2 := *env
	env2.cfg = cfg
	envs.Store(s2, &env2)
	t.Cleanup(func() { envs.Delete(s2) })
	return s2, nil
}

// ---- raw SQL on the write handle ------------------------------------------

// exec runs a statement written with ? placeholders on the write handle.
func exec(t testing.TB, s *Store, query string, args ...any) {
	t.Helper()
	if _, err := s.write.ExecContext(context.Background(), s.q(query), args...); err != nil {
		t.Fatalf("exec %q: %v", query, err)
	}
}

// count returns SELECT COUNT(*) FROM table [WHERE where].
func count(t testing.TB, s *Store, table, where string, args ...any) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := s.write.QueryRowContext(context.Background(), s.q(q), args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// auditCount is the number of audit log entries.
func auditCount(t testing.TB, s *Store) int { t.Helper(); return count(t, s, "audit_log", "") }

// lastAudit returns the newest audit entry.
func lastAudit(t testing.TB, s *Store) audit.Entry {
	t.Helper()
	es, err := s.SearchAudit(context.Background(), AuditFilter{Limit: 1})
	if err != nil {
		t.Fatalf("SearchAudit: %v", err)
	}
	if len(es) == 0 {
		t.Fatal("audit log is empty")
	}
	return es[0]
}

// rowCounts counts the rows of several tables, to prove a refused call
// stored nothing.
func rowCounts(t testing.TB, s *Store, tables ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tb := range tables {
		out[tb] = count(t, s, tb, "")
	}
	return out
}

// ---- synthetic people ------------------------------------------------------

// idNumber builds a valid resident ID number: area 510402, birth date
// (YYYY-MM-DD), a three-digit sequence and the GB 11643 check character.
func idNumber(t testing.TB, birth string, seq int) string {
	t.Helper()
	first17 := "510402" + strings.ReplaceAll(birth, "-", "") + fmt.Sprintf("%03d", seq%1000)
	c, err := privacy.IDCheckChar(first17)
	if err != nil {
		t.Fatalf("IDCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

// wrongCheckChar returns id with a different, wrong check character.
func wrongCheckChar(id string) string {
	for _, c := range "0123456789X" {
		if byte(c) != id[17] {
			return id[:17] + string(c)
		}
	}
	panic("unreachable")
}

// studentNo builds an "L" national student number: L + area + birth date +
// four digits.
func studentNo(birth string, seq int) string {
	return "L510402" + strings.ReplaceAll(birth, "-", "") + fmt.Sprintf("%04d", seq%10000)
}

// synthName makes a deterministic two- or three-character Han name from n.
// The characters are common but the combinations are arbitrary.
func synthName(n int) string {
	family := []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨")
	given := []rune("一二三四五六七八九十甲乙丙丁戊己庚辛壬癸")
	return string(family[n%len(family)]) + string(given[(n/len(family))%len(given)]) + string(given[(n*7+3)%len(given)])
}

func synthPhone(n int) string { return fmt.Sprintf("139%08d", n) }

func ptr[T any](v T) *T { return &v }

// ---- actors and scopes -----------------------------------------------------

var (
	testActor  = Actor{UserID: 7, Role: string(authz.SchoolAdmin), IP: "192.0.2.10", RequestID: "req-test"}
	cityScope  = authz.Scope{City: true}
	emptyScope = authz.Scope{}
)

func districtScope(ids ...int64) authz.Scope { return authz.Scope{Districts: ids} }
func schoolScope(ids ...int64) authz.Scope   { return authz.Scope{Schools: ids} }
func classScope(ids ...int64) authz.Scope    { return authz.Scope{Classes: ids} }

// ---- the fixture city --------------------------------------------------------

// city is the test org: 2 districts × 2 schools × 2 classes, one staff
// member per school (the class teacher of its first class), and one student
// per class with an ID number, categories and guardians.
type city struct {
	districts [2]int64
	schools   [2][2]int64    // [district][school]
	classes   [2][2][2]int64 // [district][school][class]
	staff     [2][2]int64    // [district][school]
	students  [2][2][2]fixtureStudent
}

type fixtureStudent struct {
	id        int64
	no        string
	name      string
	birth     string
	idNumber  string
	guardians []model.Guardian
	cats      []model.Category
}

// allStudents lists the fixture's students in district, school, class order.
func (c *city) allStudents() []fixtureStudent {
	var out []fixtureStudent
	for d := range 2 {
		for sc := range 2 {
			for cl := range 2 {
				out = append(out, c.students[d][sc][cl])
			}
		}
	}
	return out
}

func (c *city) allSchools() []int64 {
	return []int64{c.schools[0][0], c.schools[0][1], c.schools[1][0], c.schools[1][1]}
}

func (c *city) allClasses() []int64 {
	var out []int64
	for d := range 2 {
		for sc := range 2 {
			out = append(out, c.classes[d][sc][0], c.classes[d][sc][1])
		}
	}
	return out
}

func (c *city) allStaff() []int64 {
	return []int64{c.staff[0][0], c.staff[0][1], c.staff[1][0], c.staff[1][1]}
}

// addDistrict inserts a district directly: the store has no method for it.
func addDistrict(t testing.TB, s *Store, code, name string) int64 {
	t.Helper()
	var id int64
	err := s.write.QueryRowContext(context.Background(),
		s.q("INSERT INTO districts (code, name, kind) VALUES (?, ?, ?) RETURNING id"), code, name, string(model.KindDistrict)).Scan(&id)
	if err != nil {
		t.Fatalf("insert district %s: %v", code, err)
	}
	return id
}

// newCity builds the fixture through the store's methods.
func newCity(t testing.TB, s *Store) *city {
	t.Helper()
	ctx := context.Background()
	c := &city{}
	n := 0
	for d, name := range []string{"东试区", "西试区"} {
		c.districts[d] = addDistrict(t, s, fmt.Sprintf("D%d", d+1), name)
	}
	for d := range 2 {
		for sc := range 2 {
			sid, err := s.CreateSchool(ctx, SystemActor, cityScope, SchoolInput{
				DistrictID: c.districts[d], Code: fmt.Sprintf("S%d%d-TEST", d+1, sc+1),
				Name: fmt.Sprintf("测试第%d%d小学", d+1, sc+1), Type: model.Primary,
			})
			if err != nil {
				t.Fatalf("CreateSchool: %v", err)
			}
			c.schools[d][sc] = sid
			for cl := range 2 {
				cid, err := s.CreateClass(ctx, SystemActor, cityScope, ClassInput{SchoolID: sid, StartYear: 2025, Grade: 4, Number: cl + 1})
				if err != nil {
					t.Fatalf("CreateClass: %v", err)
				}
				c.classes[d][sc][cl] = cid
			}
			n++
			stid, err := s.CreateStaff(ctx, SystemActor, cityScope, StaffInput{
				SchoolID: sid, Name: "教师" + synthName(100+n), Gender: model.Female, Phone: synthPhone(9000 + n),
				Posts: []model.StaffPost{{Post: model.PostClassTeacher, ClassID: c.classes[d][sc][0]}, {Post: model.PostSubjectTeacher}},
			})
			if err != nil {
				t.Fatalf("CreateStaff: %v", err)
			}
			c.staff[d][sc] = stid
			for cl := range 2 {
				n++
				fs := fixtureStudent{
					name:  synthName(n),
					birth: fmt.Sprintf("2015-%02d-%02d", 1+n%12, 1+n%27),
					cats:  []model.Category{model.Categories[n%len(model.Categories)]},
					guardians: []model.Guardian{
						{Name: synthName(n + 40), Relation: model.RelMother, Phone: synthPhone(n)},
						{Name: synthName(n + 80), Relation: model.RelGrandfather, Phone: "028-8555" + fmt.Sprintf("%04d", n)},
					},
				}
				fs.no = studentNo(fs.birth, n)
				fs.idNumber = idNumber(t, fs.birth, n)
				fs.id = createStudent(t, s, c.classes[d][sc][cl], fs)
				c.students[d][sc][cl] = fs
			}
		}
	}
	return c
}

// studentInput turns a fixture student into a complete StudentInput.
func studentInput(classID int64, fs fixtureStudent) StudentInput {
	g := model.Female
	in := StudentInput{
		ClassID: ptr(classID), StudentNo: ptr(fs.no), Name: ptr(fs.name), Gender: &g, BirthDate: ptr(fs.birth),
	}
	if fs.idNumber != "" {
		in.IDNumber = ptr(fs.idNumber)
	}
	if fs.cats != nil {
		in.Categories = ptr(slices.Clone(fs.cats))
	}
	if fs.guardians != nil {
		in.Guardians = ptr(slices.Clone(fs.guardians))
	}
	return in
}

func createStudent(t testing.TB, s *Store, classID int64, fs fixtureStudent) int64 {
	t.Helper()
	id, err := s.CreateStudent(context.Background(), testActor, cityScope, cityScope, studentInput(classID, fs))
	if err != nil {
		t.Fatalf("CreateStudent %s: %v", fs.no, err)
	}
	return id
}

// newStudent returns a fresh synthetic student numbered n (use n ≥ 100 to
// stay clear of the fixture's numbers).
func newStudent(t testing.TB, n int) fixtureStudent {
	t.Helper()
	fs := fixtureStudent{
		name:      synthName(n),
		birth:     fmt.Sprintf("2014-%02d-%02d", 1+n%12, 1+n%28),
		cats:      []model.Category{model.CatLeftBehind, model.CatPoor},
		guardians: []model.Guardian{{Name: synthName(n + 1), Relation: model.RelFather, Phone: synthPhone(n)}},
	}
	fs.no = studentNo(fs.birth, n)
	fs.idNumber = idNumber(t, fs.birth, n)
	return fs
}

// ---- assertions ----------------------------------------------------------------

// fieldsOf returns the field names of a *ValidationError, failing the test
// when err is something else.
func fieldsOf(t testing.TB, err error) []string {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error = %v (%T), want *ValidationError", err, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	return out
}

// keysOf returns "field=key" pairs of a *ValidationError.
func keysOf(t testing.TB, err error) []string {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("error = %v (%T), want *ValidationError", err, err)
	}
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field+"="+f.Key)
	}
	return out
}

func wantNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("%s: error = %v, want ErrNotFound", what, err)
	}
}
