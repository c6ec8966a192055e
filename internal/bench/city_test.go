package bench

// The small-city fixture: a Scale 0.05 demo city (about 9,000 students) in
// a temporary SQLite file, served by the real handler. It is built once per
// test binary, on first use, so plain `go test` pays for it only in the
// tests that need it.

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/authz"
	"huhang/internal/privacy"
	"huhang/internal/seed"
	"huhang/internal/store"
	"huhang/internal/web"
)

type city struct {
	dir     string
	st      *store.Store
	handler http.Handler
	srv     *httptest.Server
	// Sessions and the pages each may open, found through the API.
	sessions map[string]Session
	paths    map[string]Paths
}

var (
	cityOnce sync.Once
	theCity  *city
	cityErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if theCity != nil {
		theCity.close()
	}
	os.Exit(code)
}

// smallCity returns the shared Scale 0.05 city, building it on first use.
func smallCity(tb testing.TB) *city {
	tb.Helper()
	cityOnce.Do(func() { theCity, cityErr = newCity() })
	if cityErr != nil {
		tb.Fatalf("build the small city: %v", cityErr)
	}
	return theCity
}

func newCity() (*city, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "huhang-bench-test-")
	if err != nil {
		return nil, err
	}
	c := &city{dir: dir, sessions: map[string]Session{}, paths: map[string]Paths{}}
	master := make([]byte, privacy.MasterKeySize)
	rand.Read(master)
	keys, err := privacy.NewKeyring(master, privacy.AES256GCM)
	if err != nil {
		c.close()
		return nil, err
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	c.st, err = store.Open(ctx, store.Config{SQLitePath: filepath.Join(dir, "huhang.db"), Keyring: keys,
		AuditAlgorithm: audit.SHA256, Logger: log})
	if err != nil {
		c.close()
		return nil, err
	}
	// Cheap password hashing: the fixture measures pages, not logins.
	cheap := auth.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	// HUHANG_BENCH_SCALE runs the benchmarks on a bigger city, e.g. 1 for
	// the demo scale when profiling (docs/BENCHMARKS.md).
	scale := 0.05
	if v, err := strconv.ParseFloat(os.Getenv("HUHANG_BENCH_SCALE"), 64); err == nil && v > 0 {
		scale = v
	}
	if _, err := seed.Load(ctx, c.st, seed.Options{Seed: 1, Scale: scale, PasswordParams: &cheap}); err != nil {
		c.close()
		return nil, err
	}
	srv, err := web.New(web.Config{InsecureCookies: true, SyntheticData: true}, c.st, log)
	if err != nil {
		c.close()
		return nil, err
	}
	c.handler = srv.Handler()
	c.srv = httptest.NewServer(c.handler)
	client := NewClient(30 * time.Second)
	defer client.CloseIdleConnections()
	for _, name := range []string{"city", "district", "principal"} {
		s, err := Login(ctx, client, c.srv.URL, name, seed.DemoPassword)
		if err != nil {
			c.close()
			return nil, err
		}
		p, err := Discover(ctx, client, c.srv.URL, s, DiscoverOptions{Seed: 1})
		if err != nil {
			c.close()
			return nil, err
		}
		c.sessions[name], c.paths[name] = s, p
	}
	return c, nil
}

func (c *city) close() {
	if c.srv != nil {
		c.srv.Close()
	}
	if c.st != nil {
		c.st.Close()
	}
	os.RemoveAll(c.dir)
}

func TestDiscoverFindsWhatEachAccountMayOpen(t *testing.T) {
	c := smallCity(t)
	ctx := context.Background()
	all := authz.Scope{City: true}
	districts, err := c.st.ListDistricts(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	_, schools, err := c.st.ListSchools(ctx, all, store.SchoolFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	targets, err := seed.FindTargets(ctx, c.st)
	if err != nil {
		t.Fatal(err)
	}
	classes, err := c.st.ListClasses(ctx, all, targets.School)
	if err != nil {
		t.Fatal(err)
	}

	cityPaths := c.paths["city"]
	if len(cityPaths[District]) != len(districts) || len(cityPaths[School]) != schools {
		t.Errorf("the city official got %d district and %d school pages, want all %d and %d",
			len(cityPaths[District]), len(cityPaths[School]), len(districts), schools)
	}
	if len(cityPaths[Class]) == 0 {
		t.Error("the city official got no class pages")
	}

	d := c.paths["district"]
	if want := fmt.Sprintf("/districts/%d", targets.District); len(d[District]) != 1 || d[District][0] != want {
		t.Errorf("the district official's district pages = %v, want only %s", d[District], want)
	}
	if len(d[School]) == 0 || len(d[School]) >= len(cityPaths[School]) {
		t.Errorf("the district official got %d school pages; want some, but fewer than the city's %d", len(d[School]), len(cityPaths[School]))
	}

	p := c.paths["principal"]
	if len(p[District]) != 0 {
		t.Errorf("the principal got district pages %v; a principal may not open a district", p[District])
	}
	if want := fmt.Sprintf("/schools/%d", targets.School); len(p[School]) != 1 || p[School][0] != want {
		t.Errorf("the principal's school pages = %v, want only %s", p[School], want)
	}
	if len(p[Class]) != len(classes) {
		t.Errorf("the principal got %d class pages, want the school's %d classes", len(p[Class]), len(classes))
	}
}

func TestDiscoverFindsVisitSheets(t *testing.T) {
	c := smallCity(t)
	ctx := context.Background()
	targets, err := seed.FindTargets(ctx, c.st)
	if err != nil {
		t.Fatal(err)
	}
	classes, err := c.st.ListClasses(ctx, authz.Scope{City: true}, targets.School)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"city", "district"} {
		if v := c.paths[name][Visits]; len(v) != 0 {
			t.Errorf("the %s official got visit sheets %v; officials do not read a class's contact data", name, v)
		}
	}
	if v := c.paths["principal"][Visits]; len(v) != len(classes) {
		t.Errorf("the principal got %d visit sheets, want the school's %d classes", len(v), len(classes))
	}
	// A class teacher lists no district, school or class through the API:
	// the sheet of their class comes from their assignment.
	client := NewClient(30 * time.Second)
	defer client.CloseIdleConnections()
	s, err := Login(ctx, client, c.srv.URL, "classteacher", seed.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Discover(ctx, client, c.srv.URL, s, DiscoverOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("/classes/%d/visits", targets.Class); len(p[Visits]) != 1 || p[Visits][0] != want {
		t.Errorf("the class teacher's visit sheets = %v, want only %s", p[Visits], want)
	}
}

func TestDiscoverSamplesReproducibly(t *testing.T) {
	c := smallCity(t)
	ctx := context.Background()
	client := NewClient(30 * time.Second)
	defer client.CloseIdleConnections()
	o := DiscoverOptions{MaxSchools: 3, MaxClasses: 5, Seed: 42}
	a, err := Discover(ctx, client, c.srv.URL, c.sessions["city"], o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Discover(ctx, client, c.srv.URL, c.sessions["city"], o)
	if err != nil {
		t.Fatal(err)
	}
	if len(a[School]) != 3 || len(a[Class]) != 5 {
		t.Errorf("bounded discovery gave %d schools and %d classes, want 3 and 5", len(a[School]), len(a[Class]))
	}
	for _, k := range Kinds {
		if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
			t.Errorf("%s pages differ between two runs with the same seed: %v vs %v", k, a[k], b[k])
		}
	}
}

func TestRunCountsEveryAnswer(t *testing.T) {
	c := smallCity(t)
	var accs []Account
	for _, name := range []string{"city", "district", "principal"} {
		accs = append(accs, Account{Session: c.sessions[name], Paths: c.paths[name]})
	}
	res, err := Run(context.Background(), LoadConfig{BaseURL: c.srv.URL, Accounts: accs, Clients: 3,
		Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond, Mix: map[Kind]int{District: 1, School: 1, Class: 1}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors() != 0 {
		t.Fatalf("%d requests failed: %v", res.Errors(), res.ErrorSamples)
	}
	answered := 0
	for status, n := range res.Statuses {
		if status != http.StatusOK {
			t.Errorf("%d answers with status %d", n, status)
		}
		answered += n
	}
	if answered != res.Requests()+res.WarmupCount {
		t.Errorf("statuses count %d answers, but %d measured + %d warm-up requests were made", answered, res.Requests(), res.WarmupCount)
	}
	if res.Requests() == 0 {
		t.Fatal("no request was measured")
	}
	for _, k := range res.Kinds {
		for _, d := range k.Latencies {
			if d <= 0 {
				t.Fatalf("a %s request has latency %v", k.Kind, d)
			}
		}
	}
	if n := res.ByAccount["principal"][District]; n != 0 {
		t.Errorf("the principal requested %d district pages it may not open", n)
	}
}

func TestRunReportsFailuresAsErrors(t *testing.T) {
	c := smallCity(t)
	// A session cookie the server does not know: every page answers with
	// something other than 200 (a redirect to the login page).
	bogus := Account{Session: Session{Username: "nobody", Cookie: "huhang_session=not-a-session"}, Paths: c.paths["city"]}
	res, err := Run(context.Background(), LoadConfig{BaseURL: c.srv.URL, Accounts: []Account{bogus}, Clients: 2,
		Duration: 100 * time.Millisecond, Mix: map[Kind]int{School: 1}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests() == 0 || res.Errors() != res.Requests() {
		t.Errorf("%d of %d requests counted as errors; want every one", res.Errors(), res.Requests())
	}
	if res.Statuses[http.StatusOK] != 0 {
		t.Errorf("%d requests without a session answered 200", res.Statuses[http.StatusOK])
	}
	if len(res.ErrorSamples) == 0 {
		t.Error("no error sample was kept for the report")
	}
	r := &Report{Config: RunConfig{Clients: 2}}
	r.AddLoad(res)
	r.Judge(DefaultGoals)
	pageVerdicts := 0
	for _, v := range r.Targets {
		if strings.Contains(v.Target, "page p95") {
			pageVerdicts++
			if v.Status != "MISS" {
				t.Errorf("a page target whose requests all failed is %s, want MISS: %+v", v.Status, v)
			}
		}
	}
	if pageVerdicts == 0 {
		t.Error("the report judged no page target")
	}
}

// benchPage requests the paths round-robin straight through the handler
// (no network), as the given account.
func benchPage(b *testing.B, account string, kind Kind) {
	c := smallCity(b)
	paths := c.paths[account][kind]
	if len(paths) == 0 {
		b.Skipf("%s may open no %s page", account, kind)
	}
	cookie := c.sessions[account].Cookie
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, paths[i%len(paths)], nil)
		req.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		c.handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s as %s: status %d", paths[i%len(paths)], account, w.Code)
		}
		i++
	}
}

// BenchmarkDistrictPage: a district page as the city official (school list
// with per-school aggregates).
func BenchmarkDistrictPage(b *testing.B) { benchPage(b, "city", District) }

// BenchmarkSchoolPage: a school page as the city official (class list with
// per-class aggregates).
func BenchmarkSchoolPage(b *testing.B) { benchPage(b, "city", School) }

// BenchmarkClassPage: a class page as the city official (aggregates only).
func BenchmarkClassPage(b *testing.B) { benchPage(b, "city", Class) }

// BenchmarkClassPagePrincipal: a class page as the principal, who sees the
// student list; each view appends an audit entry (a write transaction).
func BenchmarkClassPagePrincipal(b *testing.B) { benchPage(b, "principal", Class) }

// BenchmarkVisitSheet: a class's home-visit sheet as the principal (names,
// categories, coverage, the visit form; each view is audited).
func BenchmarkVisitSheet(b *testing.B) { benchPage(b, "principal", Visits) }
