package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Session cookie names the server may set: the plain one with
// --insecure-cookies, the __Host- one otherwise.
var sessionCookies = []string{"huhang_session", "__Host-huhang_session"}

// NewClient returns an HTTP client for one load-generating client: its own
// transport holding a single keep-alive connection (as one wrk connection
// or one browser tab would), no proxy, no compression and no redirects
// followed, so a redirect to the login page shows up as a non-200.
func NewClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Session is a signed-in account: the cookie to send with each request.
type Session struct {
	Username string
	Cookie   string // "name=value", ready for a Cookie header
}

// Login signs in through the login form (POST /login) and returns the
// session cookie. A successful login answers 303 with Set-Cookie; anything
// else is an error that quotes the status. The server allows ten login
// attempts a minute per address, so repeated runs can meet 429: Login then
// waits as long as Retry-After asks (at most two minutes, twice) and tries
// again.
func Login(ctx context.Context, c *http.Client, baseURL, username, password string) (Session, error) {
	for attempt := 0; ; attempt++ {
		s, retry, err := login(ctx, c, baseURL, username, password)
		if retry <= 0 || retry > 2*time.Minute || attempt == 2 {
			return s, err
		}
		select {
		case <-ctx.Done():
			return Session{}, ctx.Err()
		case <-time.After(retry):
		}
	}
}

func login(ctx context.Context, c *http.Client, baseURL, username, password string) (Session, time.Duration, error) {
	fail := func(err error) (Session, time.Duration, error) { return Session{}, 0, err }
	form := url.Values{"username": {username}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return fail(fmt.Errorf("bench: log in as %s: %w", username, err))
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return Session{}, time.Duration(max(secs, 1)) * time.Second,
			fmt.Errorf("bench: log in as %s: status 429: the server's login rate limit (10 a minute per address); wait a minute", username)
	}
	if resp.StatusCode != http.StatusSeeOther {
		return fail(fmt.Errorf("bench: log in as %s: status %d (wrong password, or MFA required?)", username, resp.StatusCode))
	}
	for _, ck := range resp.Cookies() {
		for _, name := range sessionCookies {
			if ck.Name == name && ck.Value != "" {
				return Session{Username: username, Cookie: ck.Name + "=" + ck.Value}, 0, nil
			}
		}
	}
	return fail(fmt.Errorf("bench: log in as %s: no session cookie in the answer", username))
}

// get sends one GET with the session cookie.
func get(ctx context.Context, c *http.Client, baseURL string, s Session, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cookie", s.Cookie)
	req.Header.Set("Accept-Language", "zh-CN")
	return c.Do(req)
}

func getJSON(ctx context.Context, c *http.Client, baseURL string, s Session, path string, v any) error {
	resp, err := get(ctx, c, baseURL, s, path)
	if err != nil {
		return fmt.Errorf("bench: GET %s as %s: %w", path, s.Username, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("bench: GET %s as %s: status %d", path, s.Username, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("bench: GET %s as %s: %w", path, s.Username, err)
	}
	return nil
}

// Kind is a drill-down page kind.
type Kind string

// The drill-down page kinds, in drill-down order.
const (
	District Kind = "district"
	School   Kind = "school"
	Class    Kind = "class"
	// Screening is a campaign's dashboard: completion and tiers of the
	// caller's whole scope, and of each district for the city.
	Screening Kind = "screening"
	// Plan is the plan targets' dashboard: the caller's node, then each
	// district (city) and a sample of schools.
	Plan Kind = "plan"
	// Visits is a class's home-visit sheet (/classes/{id}/visits): who has
	// and has not been visited this term, the class's coverage and the
	// visit form. Each view is audited (a write). Accounts that read the
	// class's contact data open it: a class teacher their classes, the
	// school's principal, data officer and psychology teacher its classes.
	Visits Kind = "visits"
)

// Kinds lists the page kinds in drill-down order.
var Kinds = []Kind{District, School, Class, Screening, Plan, Visits}

// Paths are the page paths of each kind one account may open.
type Paths map[Kind][]string

// DiscoverOptions bound how many ids discovery collects; 0 means all.
type DiscoverOptions struct {
	MaxSchools int
	MaxClasses int
	// Seed makes the sample, when a bound applies, reproducible.
	Seed uint64
}

type idList struct {
	Items []struct {
		ID int64 `json:"id"`
	} `json:"items"`
	Total int `json:"total"`
}

// Discover asks the server's JSON API, as the given account, for the ids
// it may open: every district, the schools (all, or a seeded sample of
// MaxSchools) and the classes of those schools (all, or a seeded sample of
// MaxClasses). Going through the API rather than the database means each
// account gets exactly the pages its scope allows, and it works the same
// against an in-process or an external server.
func Discover(ctx context.Context, c *http.Client, baseURL string, s Session, o DiscoverOptions) (Paths, error) {
	rng := rand.New(rand.NewPCG(o.Seed, 0x6875686168616e67)) // "huhahang"
	out := Paths{}
	var ds idList
	if err := getJSON(ctx, c, baseURL, s, "/api/v1/districts", &ds); err != nil {
		return nil, err
	}
	for _, d := range ds.Items {
		out[District] = append(out[District], "/districts/"+strconv.FormatInt(d.ID, 10))
	}
	var schools []int64
	for offset := 0; ; {
		var page idList
		if err := getJSON(ctx, c, baseURL, s, "/api/v1/schools?limit=500&offset="+strconv.Itoa(offset), &page); err != nil {
			return nil, err
		}
		for _, x := range page.Items {
			schools = append(schools, x.ID)
		}
		offset += len(page.Items)
		if len(page.Items) == 0 || offset >= page.Total {
			break
		}
	}
	rng.Shuffle(len(schools), func(i, j int) { schools[i], schools[j] = schools[j], schools[i] })
	if o.MaxSchools > 0 && len(schools) > o.MaxSchools {
		schools = schools[:o.MaxSchools]
	}
	var classes []int64
	schoolOf := map[int64]int64{} // class → school
	for _, id := range schools {
		out[School] = append(out[School], "/schools/"+strconv.FormatInt(id, 10))
		var cl idList
		if err := getJSON(ctx, c, baseURL, s, "/api/v1/schools/"+strconv.FormatInt(id, 10)+"/classes", &cl); err != nil {
			return nil, err
		}
		for _, x := range cl.Items {
			classes = append(classes, x.ID)
			schoolOf[x.ID] = id
		}
	}
	rng.Shuffle(len(classes), func(i, j int) { classes[i], classes[j] = classes[j], classes[i] })
	if o.MaxClasses > 0 && len(classes) > o.MaxClasses {
		classes = classes[:o.MaxClasses]
	}
	for _, id := range classes {
		out[Class] = append(out[Class], "/classes/"+strconv.FormatInt(id, 10))
	}
	// Screening dashboards, for accounts that see campaigns.
	var camps idList
	if err := getJSON(ctx, c, baseURL, s, "/api/v1/screening/campaigns", &camps); err == nil {
		for _, cp := range camps.Items {
			base := "/screening/" + strconv.FormatInt(cp.ID, 10)
			out[Screening] = append(out[Screening], base)
			for _, d := range ds.Items {
				if len(ds.Items) > 1 {
					out[Screening] = append(out[Screening], base+"?district="+strconv.FormatInt(d.ID, 10))
				}
			}
		}
	}
	// Plan dashboards, for accounts that read staff training (D6).
	if resp, err := get(ctx, c, baseURL, s, "/plan"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			out[Plan] = append(out[Plan], "/plan")
			for _, d := range ds.Items {
				if len(ds.Items) > 1 {
					out[Plan] = append(out[Plan], "/plan?district="+strconv.FormatInt(d.ID, 10))
				}
			}
			for i, id := range schools {
				if i >= 20 {
					break
				}
				out[Plan] = append(out[Plan], "/plan?school="+strconv.FormatInt(id, 10))
			}
		}
	}
	visits, err := discoverVisits(ctx, c, baseURL, s, classes, schoolOf)
	if err != nil {
		return nil, err
	}
	out[Visits] = visits
	if len(out[District])+len(out[School])+len(out[Class])+len(out[Visits]) == 0 {
		return nil, errors.New("bench: account " + s.Username + " may open no district, school, class or visit-sheet page")
	}
	return out, nil
}

// discoverVisits lists the class visit sheets the account may open: those
// of the classes its assignments name (a class teacher's, which the
// school and class lists leave out) and, for the sampled classes, those
// of each school where the sheet of one of its classes opens (reading a
// class's contact data is granted per school or per class). It asks the
// server, one sheet per school, rather than assume a role's rights.
func discoverVisits(ctx context.Context, c *http.Client, baseURL string, s Session, classes []int64, schoolOf map[int64]int64) ([]string, error) {
	sheet := func(id int64) string { return "/classes/" + strconv.FormatInt(id, 10) + "/visits" }
	opens := func(path string) (bool, error) {
		resp, err := get(ctx, c, baseURL, s, path)
		if err != nil {
			return false, fmt.Errorf("bench: GET %s as %s: %w", path, s.Username, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	}
	var out []string
	seen := map[int64]bool{}
	var me struct {
		Assignments []struct {
			ClassID int64 `json:"class_id"`
		} `json:"assignments"`
	}
	if err := getJSON(ctx, c, baseURL, s, "/api/v1/me", &me); err != nil {
		return nil, err
	}
	for _, a := range me.Assignments {
		if a.ClassID == 0 || seen[a.ClassID] {
			continue
		}
		seen[a.ClassID] = true
		ok, err := opens(sheet(a.ClassID))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, sheet(a.ClassID))
		}
	}
	schoolOK := map[int64]bool{}
	for _, id := range classes {
		if seen[id] {
			continue
		}
		sc := schoolOf[id]
		ok, probed := schoolOK[sc]
		if !probed {
			var err error
			if ok, err = opens(sheet(id)); err != nil {
				return nil, err
			}
			schoolOK[sc] = ok
		}
		if ok {
			out = append(out, sheet(id))
		}
	}
	return out, nil
}

// ParseMix reads page-kind weights such as "district=1,school=2,class=2".
// A kind left out gets weight 0 and is not requested.
func ParseMix(s string) (map[Kind]int, error) {
	mix := map[Kind]int{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		kind := Kind(strings.TrimSpace(k))
		if !ok || !slices.Contains(Kinds, kind) {
			return nil, fmt.Errorf("bench: mix entry %q: want district=N, school=N, class=N, screening=N, plan=N or visits=N", part)
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bench: mix entry %q: weight must be a whole number ≥ 0", part)
		}
		mix[kind] = n
		total += n
	}
	if total == 0 {
		return nil, errors.New("bench: the mix requests no page")
	}
	return mix, nil
}
