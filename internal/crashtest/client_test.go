package crashtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"huhang/internal/seed"
	"huhang/internal/store"
)

// staff is a signed-in member of staff talking to the server as a browser
// would: a session cookie and a same-origin Origin header on writes.
type staff struct {
	base string
	hc   *http.Client
}

func login(t *testing.T, base, username string) *staff {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &staff{base: base, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	form := url.Values{"username": {username}, "password": {seed.DemoPassword}}
	req, err := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d, want 303", username, resp.StatusCode)
	}
	return c
}

// call sends a JSON request (body nil: none) and decodes a JSON answer into
// out when the status is want.
func (c *staff) call(method, path string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", c.base)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d (error code %q)", method, path, resp.StatusCode, want, errorCode(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// page fetches an HTML page.
func (c *staff) page(path string) (string, error) {
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return string(b), nil
}

// errorCode is the "code" of an API error body ("" if there is none): a
// machine code such as code_used, never personal data.
func errorCode(body []byte) string {
	var e struct {
		Code string `json:"code"`
	}
	json.Unmarshal(body, &e)
	return e.Code
}

var (
	consentInput = regexp.MustCompile(`name="consent_([0-9]+)"`)
	codeSlip     = regexp.MustCompile(`<p class="code"[^>]*>([0-9A-Z]{5}-[0-9A-Z]{5})</p>`)
)

// campaign is one screening campaign of the psychology teacher's school
// with a code for every pupil (consent given on paper).
type campaign struct {
	id    int64
	codes []string
}

// newCampaign opens a PHQ-9 campaign over the given classes, records
// consent for every pupil and reads the code slips.
func (c *staff) newCampaign(name string, classIDs []int64) (campaign, error) {
	now := time.Now()
	in := map[string]any{"name": name, "instruments": []string{"phq9"}, "opens_at": now.Add(-time.Hour).UTC().Format(time.RFC3339),
		"closes_at": now.Add(48 * time.Hour).UTC().Format(time.RFC3339), "class_ids": classIDs}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := c.call("POST", "/api/v1/screening/campaigns", in, &created, http.StatusCreated); err != nil {
		return campaign{}, err
	}
	cp := campaign{id: created.ID}
	id := strconv.FormatInt(cp.id, 10)
	var consent []store.ConsentInput
	for _, cid := range classIDs {
		html, err := c.page("/screening/" + id + "/classes/" + strconv.FormatInt(cid, 10))
		if err != nil {
			return cp, err
		}
		var pids []int64
		for _, m := range consentInput.FindAllStringSubmatch(html, -1) {
			pid, _ := strconv.ParseInt(m[1], 10, 64)
			pids = append(pids, pid)
		}
		slices.Sort(pids)
		for _, pid := range slices.Compact(pids) {
			consent = append(consent, store.ConsentInput{ParticipantID: pid, Status: store.ConsentGiven, Method: "paper"})
		}
	}
	if len(consent) == 0 {
		return cp, fmt.Errorf("campaign %d: no participants on the class pages", cp.id)
	}
	var changed struct {
		Changed int `json:"changed"`
	}
	if err := c.call("POST", "/api/v1/screening/campaigns/"+id+"/consent", map[string]any{"items": consent}, &changed, http.StatusOK); err != nil {
		return cp, err
	}
	if changed.Changed != len(consent) {
		return cp, fmt.Errorf("campaign %d: consent changed %d of %d participants", cp.id, changed.Changed, len(consent))
	}
	for _, cid := range classIDs {
		html, err := c.page("/screening/" + id + "/classes/" + strconv.FormatInt(cid, 10) + "/codes")
		if err != nil {
			return cp, err
		}
		for _, m := range codeSlip.FindAllStringSubmatch(html, -1) {
			cp.codes = append(cp.codes, strings.ReplaceAll(m[1], "-", ""))
		}
	}
	if len(cp.codes) != len(consent) {
		return cp, fmt.Errorf("campaign %d: %d code slips for %d participants with consent", cp.id, len(cp.codes), len(consent))
	}
	return cp, nil
}

// pupil submits answers as a tablet app would: no account, the code is the
// credential.
type pupil struct {
	base string
	hc   *http.Client
}

func newPupil(base string, conns int) *pupil {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 30 * time.Second}
	return &pupil{base: base, hc: &http.Client{Transport: tr, Timeout: 15 * time.Second}}
}

// submit posts one PHQ-9 answer set. It returns the status and the API
// error code, or the transport error (the server died mid-request).
func (p *pupil) submit(code string, answers []int) (int, string, error) {
	body, err := json.Marshal(map[string]any{"code": code, "answers": map[string][]int{"phq9": answers}, "duration_ms": 120000})
	if err != nil {
		return 0, "", err
	}
	resp, err := p.hc.Post(p.base+"/api/v1/screening/submissions", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && resp.StatusCode != http.StatusCreated {
		return resp.StatusCode, "", err
	}
	// A 201 is the acknowledgement even if the rest of the body was cut
	// off by the kill: the server answers only after the commit.
	return resp.StatusCode, errorCode(b), nil
}

func (p *pupil) close() { p.hc.CloseIdleConnections() }
