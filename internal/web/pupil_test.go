package web_test

// The pupils' side of screening from the outside: the submission API with
// hostile and wrong input (each refused with a clear error, nothing
// written), the answering pages from code to thank-you, and a fuzz target
// for the submission decoder.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/store"
)

// campaignCodes creates a PHQ-9 campaign on the class teacher's class with
// every guardian's consent but the last one's, and returns its id and the
// pupils' codes (the last without consent).
func campaignCodes(t testing.TB, e *env, opens, closes time.Time) (int64, []string) {
	t.Helper()
	ctx := context.Background()
	city := authz.Scope{City: true}
	id, err := e.st.CreateCampaign(ctx, store.SystemActor, city, store.CampaignInput{Name: fmt.Sprintf("测试普查 %d", time.Now().UnixNano()),
		Instruments: []string{"phq9"}, OpensAt: opens, ClosesAt: closes, ClassIDs: []int64{e.fx.own.class}},
		func(c string) bool { return c == "phq9" })
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	roster, err := e.st.CampaignClassRoster(ctx, store.SystemActor, city, id, e.fx.own.class, true)
	if err != nil || len(roster) < 3 {
		t.Fatalf("roster: %v (%d)", err, len(roster))
	}
	var in []store.ConsentInput
	var codes []string
	for i, r := range roster {
		codes = append(codes, r.Code)
		if i < len(roster)-1 {
			in = append(in, store.ConsentInput{ParticipantID: r.ParticipantID, Status: store.ConsentGiven, Method: "paper"})
		}
	}
	if _, err := e.st.SetConsent(ctx, store.SystemActor, city, id, in); err != nil {
		t.Fatal(err)
	}
	return id, codes
}

func submitted(t testing.TB, e *env, campaign int64) int {
	t.Helper()
	total, _, err := e.st.ScreeningBreakdown(context.Background(), authz.Scope{City: true}, campaign, store.ByClass, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return total.Submitted
}

func phq(item9 int) string {
	return fmt.Sprintf(`[1,0,2,1,0,1,0,0,%d]`, item9)
}

func TestSubmissionAPIRefusesBadInputAndWritesNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		now := time.Now()
		id, codes := campaignCodes(t, e, now.Add(-time.Hour), now.Add(48*time.Hour))
		closedID, closedCodes := campaignCodes(t, e, now.Add(-72*time.Hour), now.Add(-time.Hour))
		code, noConsent := codes[0], codes[len(codes)-1]
		anon := newClient(t, e.ts.URL)
		post := func(body string) *response {
			return anon.do("POST", "/api/v1/screening/submissions", []byte(body), "application/json", nil)
		}
		cases := []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"malformed JSON", `{"code":`, 400, "body"},
			{"not an object", `[1,2,3]`, 400, "body"},
			{"an unknown field", fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s},"tier":"green"}`, code, phq(0)), 400, "tier"},
			{"trailing data", fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s}} {}`, code, phq(0)), 400, "body"},
			{"no code", fmt.Sprintf(`{"answers":{"phq9":%s}}`, phq(0)), 400, "code"},
			{"a code of the wrong form", fmt.Sprintf(`{"code":"0OIL1","answers":{"phq9":%s}}`, phq(0)), 400, "code"},
			{"an unknown code", fmt.Sprintf(`{"code":"AAAAA-AAAAA","answers":{"phq9":%s}}`, phq(0)), 404, ""},
			{"no answers", fmt.Sprintf(`{"code":%q}`, code), 400, "answers"},
			{"an instrument not in the campaign", fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s,"gad7":[0,0,0,0,0,0,0]}}`, code, phq(0)), 400, "answers.gad7"},
			{"a missing instrument", fmt.Sprintf(`{"code":%q,"answers":{"gad7":[0,0,0,0,0,0,0]}}`, code), 400, "answers.phq9"},
			{"too few answers", fmt.Sprintf(`{"code":%q,"answers":{"phq9":[1,2,3]}}`, code), 400, "answers.phq9[3]"},
			{"too many answers", fmt.Sprintf(`{"code":%q,"answers":{"phq9":[0,0,0,0,0,0,0,0,0,0]}}`, code), 400, "answers.phq9[9]"},
			{"an answer out of range", fmt.Sprintf(`{"code":%q,"answers":{"phq9":[0,0,0,7,0,0,0,0,0]}}`, code), 400, "answers.phq9[3]"},
			{"a skipped answer", fmt.Sprintf(`{"code":%q,"answers":{"phq9":[0,0,0,-1,0,0,0,0,0]}}`, code), 400, "answers.phq9[3]"},
			{"a string for a number", fmt.Sprintf(`{"code":%q,"answers":{"phq9":["1",0,0,0,0,0,0,0,0]}}`, code), 400, "answers"},
			{"a negative duration", fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s},"duration_ms":-5}`, code, phq(0)), 400, "duration_ms"},
			{"a pupil without consent", fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s}}`, noConsent, phq(0)), 409, ""},
			{"a closed campaign", fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s}}`, closedCodes[0], phq(0)), 409, ""},
			{"an oversize body", fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s},"x":"%s"}`, code, phq(0), strings.Repeat("a", 40<<10)), 413, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name+" is refused", func(t *testing.T) {
				r := post(tc.body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				ae := checkErrorShape(t, r, tc.field != "")
				if tc.field != "" && !strings.Contains(strings.Join(ae.fields(), ","), tc.field) {
					t.Errorf("fields %v lack %s", ae.fields(), tc.field)
				}
				if strings.Contains(string(r.body), code) {
					t.Error("the error echoes the code")
				}
			})
		}
		if n := submitted(t, e, id); n != 0 {
			t.Fatalf("%d submissions stored after refusals", n)
		}
		if n := submitted(t, e, closedID); n != 0 {
			t.Fatalf("a closed campaign took %d submissions", n)
		}
		t.Run("a good submission is stored once and its critical answer raises an alert", func(t *testing.T) {
			body := fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s},"duration_ms":180000}`, strings.ToLower(code[:5])+"-"+code[5:], phq(2))
			r := post(body)
			if r.status != 201 || !strings.Contains(string(r.body), `"received"`) {
				t.Fatalf("%s", r)
			}
			if strings.Contains(string(r.body), "red") || strings.Contains(string(r.body), "score") {
				t.Errorf("the pupil's answer reveals a result: %s", r.body)
			}
			if r := post(body); r.status != 409 {
				t.Errorf("the same code again: %d, want 409", r.status)
			}
			if n := submitted(t, e, id); n != 1 {
				t.Errorf("stored %d", n)
			}
			list, err := e.st.ListAlerts(context.Background(), store.AlertScope{Direct: authz.Scope{Schools: []int64{e.fx.own.school}}}, store.AlertFilter{Active: true, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range list {
				found = found || a.CampaignID == id && a.Severity == "critical"
			}
			if !found {
				t.Error("no critical alert for the critical answer")
			}
		})
	})
}

func TestPupilAnswersPageByPageAndSubmitsOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		now := time.Now()
		id, codes := campaignCodes(t, e, now.Add(-time.Hour), now.Add(48*time.Hour))
		c := newClient(t, e.ts.URL)
		if r := c.get("/s"); r.status != 200 || !strings.Contains(string(r.body), `name="code"`) {
			t.Fatalf("code page: %s", r)
		}
		if r := c.postForm("/s", url.Values{"code": {"BBBBBBBBBB"}}); r.status != 404 || !strings.Contains(string(r.body), "pupil-error") {
			t.Fatalf("unknown code: %s", r)
		}
		r := c.postForm("/s", url.Values{"code": {codes[1]}})
		if r.status != 200 || !strings.Contains(string(r.body), `name="q9"`) {
			t.Fatalf("first page: %s", r)
		}
		// Half the page: the missing items are named, and what was given is kept.
		partial := url.Values{"code": {codes[1]}, "step": {"0"}, "q1": {"2"}, "q2": {"1"}}
		r = c.postForm("/s/answer", partial)
		if r.status != 422 || !strings.Contains(string(r.body), "pupil-missing") {
			t.Fatalf("partial page: %s", r)
		}
		// Coming back with the code resumes with the saved answers.
		r = c.postForm("/s", url.Values{"code": {codes[1]}})
		if !strings.Contains(string(r.body), `name="q1" value="2" checked`) {
			t.Errorf("the saved answer is not kept on resuming")
		}
		full := url.Values{"code": {codes[1]}, "step": {"0"}}
		for i := 1; i <= 9; i++ {
			full.Set(fmt.Sprintf("q%d", i), "0")
		}
		r = c.postForm("/s/answer", full)
		if r.status != 200 || !strings.Contains(string(r.body), `id="submit"`) {
			t.Fatalf("review page: %s", r)
		}
		if n := submitted(t, e, id); n != 0 {
			t.Fatalf("answers stored before the pupil submitted")
		}
		r = c.postForm("/s/answer", url.Values{"code": {codes[1]}, "submit": {"1"}})
		if r.status != 200 || !strings.Contains(string(r.body), "pupil-done") || !strings.Contains(string(r.body), "12355") {
			t.Fatalf("thank-you page: %s", r)
		}
		if n := submitted(t, e, id); n != 1 {
			t.Fatalf("submitted %d", n)
		}
		r = c.postForm("/s/answer", url.Values{"code": {codes[1]}, "submit": {"1"}})
		if r.status != 409 {
			t.Errorf("a second submit: %d, want 409", r.status)
		}
		// All-zero answers in three seconds: flagged as too fast, not dropped.
		rows, err := e.st.ScreeningResults(context.Background(), store.SystemActor, authz.Scope{City: true}, id, store.ResultFilter{OnlySubmitted: true})
		if err != nil || len(rows) != 1 {
			t.Fatalf("results %v %v", rows, err)
		}
		if rows[0].Tier != 0 {
			t.Errorf("all-zero answers tiered %d", rows[0].Tier)
		}
	})
}

// FuzzSubmissionJSON throws arbitrary bodies at the submission endpoint:
// the answer is 201 or a structured 4xx, never a 5xx, and one code is
// accepted at most once.
func FuzzSubmissionJSON(f *testing.F) {
	e := sharedEnv(f, "sqlite")
	now := time.Now()
	id, codes := campaignCodes(f, e, now.Add(-time.Hour), now.Add(48*time.Hour))
	for _, s := range []string{
		fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s}}`, codes[0], phq(1)),
		fmt.Sprintf(`{"code":%q,"answers":{"phq9":[0,0,0,0,0,0,0,0,0]},"duration_ms":1}`, codes[1]),
		`{"code":"ZZZZZZZZZZ","answers":{"phq9":[]}}`, `{}`, `null`, `{"answers":{"":[9e99]}}`,
		fmt.Sprintf(`{"code":%q,"answers":{"phq9":[3,3,3,3,3,3,3,3,3]},"duration_ms":9007199254740993}`, codes[2]),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := submitted(t, e, id)
		req := httptest.NewRequest("POST", "/api/v1/screening/submissions", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "192.0.2.1:1234"
		rec := httptest.NewRecorder()
		start := time.Now()
		e.h.ServeHTTP(rec, req)
		if took := time.Since(start); took > time.Second {
			t.Errorf("took %v", took)
		}
		if rec.Code >= 500 {
			t.Fatalf("%d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body.Bytes())
		}
		after := submitted(t, e, id)
		switch {
		case rec.Code == http.StatusCreated && after != before+1:
			t.Fatalf("201 but %d → %d stored", before, after)
		case rec.Code != http.StatusCreated && rec.Code != http.StatusTooManyRequests && after != before:
			t.Fatalf("%d but %d → %d stored", rec.Code, before, after)
		}
	})
}
