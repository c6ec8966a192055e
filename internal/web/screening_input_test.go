package web_test

// Hostile and wrong input to the screening JSON endpoints other than the
// submission (see pupil_test.go): campaigns, consent, alert steps and
// licensed instruments. Each refusal is a structured error naming the
// field, and nothing is written.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/store"
)

func campaignsIn(t *testing.T, e *env) int {
	t.Helper()
	cs, err := e.st.ListCampaigns(context.Background(), authz.Scope{City: true})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestCampaignCreateRefusesBadInput(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		psych := e.as(t, "psych")
		now := time.Now().UTC()
		w := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
		good := func(extra string) string {
			return fmt.Sprintf(`{"name":"测试","instruments":["phq9"],"opens_at":%q,"closes_at":%q%s}`, w(0), w(48*time.Hour), extra)
		}
		before := campaignsIn(t, e)
		cases := []struct {
			name, body string
			status     int
			field      string
		}{
			{"no target", good(""), 400, "school_ids"},
			{"an unknown instrument", strings.Replace(good(fmt.Sprintf(`,"class_ids":[%d]`, e.fx.own.class)), "phq9", "sdq", 1), 400, "instruments"},
			{"the same instrument twice", strings.Replace(good(fmt.Sprintf(`,"class_ids":[%d]`, e.fx.own.class)), `["phq9"]`, `["phq9","phq9"]`, 1), 400, "instruments"},
			{"a window that ends before it opens", fmt.Sprintf(`{"name":"测试","instruments":["phq9"],"opens_at":%q,"closes_at":%q,"class_ids":[%d]}`, w(48*time.Hour), w(0), e.fx.own.class), 400, "closes_at"},
			{"a window of a year", fmt.Sprintf(`{"name":"测试","instruments":["phq9"],"opens_at":%q,"closes_at":%q,"class_ids":[%d]}`, w(0), w(365*24*time.Hour), e.fx.own.class), 400, "closes_at"},
			{"a blank name", strings.Replace(good(fmt.Sprintf(`,"class_ids":[%d]`, e.fx.own.class)), `"测试"`, `"   "`, 1), 400, "name"},
			{"a date that is not a date", `{"name":"x","instruments":["phq9"],"opens_at":"tomorrow","closes_at":"later","class_ids":[1]}`, 400, ""},
			{"an unknown field", good(`,"owner":"city"`), 400, "owner"},
			{"a class of another school", good(fmt.Sprintf(`,"class_ids":[%d]`, e.fx.other.class)), 404, ""},
			{"a school of another district", good(fmt.Sprintf(`,"school_ids":[%d]`, e.fx.other.school)), 404, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name+" is refused", func(t *testing.T) {
				r := psych.sendJSON("POST", "/api/v1/screening/campaigns", tc.body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				ae := checkErrorShape(t, r, tc.field != "")
				if tc.field != "" && !strings.Contains(strings.Join(ae.fields(), ","), tc.field) {
					t.Errorf("fields %v lack %s", ae.fields(), tc.field)
				}
			})
		}
		if after := campaignsIn(t, e); after != before {
			t.Errorf("%d campaigns created by refused requests", after-before)
		}
	})
}

func TestConsentAndAlertStepsRefuseBadInput(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := time.Now()
		id, codes := campaignCodes(t, e, now.Add(-time.Hour), now.Add(48*time.Hour))
		psych := e.as(t, "psych")
		roster, err := e.st.CampaignClassRoster(ctx, store.SystemActor, authz.Scope{City: true}, id, e.fx.own.class, false)
		if err != nil {
			t.Fatal(err)
		}
		pid := roster[0].ParticipantID
		path := fmt.Sprintf("/api/v1/screening/campaigns/%d/consent", id)
		for _, tc := range []struct {
			name, body string
			status     int
		}{
			{"an empty list", `{"items":[]}`, 400},
			{"an unknown status", fmt.Sprintf(`{"items":[{"participant_id":%d,"status":"maybe","method":"paper"}]}`, pid), 400},
			{"no method for a given consent", fmt.Sprintf(`{"items":[{"participant_id":%d,"status":"given"}]}`, pid), 400},
			{"a participant of another campaign", `{"items":[{"participant_id":1,"status":"refused","method":"paper"}]}`, 404},
			{"malformed JSON", `{"items":[{`, 400},
		} {
			t.Run("consent: "+tc.name+" is refused", func(t *testing.T) {
				r := psych.sendJSON("POST", path, tc.body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				checkErrorShape(t, r, false)
			})
		}
		if got, _ := e.st.CampaignClassRoster(ctx, store.SystemActor, authz.Scope{City: true}, id, e.fx.own.class, false); got[0].Consent != roster[0].Consent {
			t.Errorf("a refused request changed consent: %s → %s", roster[0].Consent, got[0].Consent)
		}

		// An alert to act on: a critical answer.
		anon := newClient(t, e.ts.URL)
		if r := anon.do("POST", "/api/v1/screening/submissions", []byte(fmt.Sprintf(`{"code":%q,"answers":{"phq9":%s}}`, codes[0], phq(3))), "application/json", nil); r.status != 201 {
			t.Fatalf("submission: %s", r)
		}
		list, err := e.st.ListAlerts(ctx, store.AlertScope{Direct: authz.Scope{Schools: []int64{e.fx.own.school}}}, store.AlertFilter{Active: true, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var alertID int64
		for _, a := range list {
			if a.CampaignID == id {
				alertID = a.ID
			}
		}
		if alertID == 0 {
			t.Fatal("no alert raised")
		}
		base := fmt.Sprintf("/api/v1/alerts/%d", alertID)
		for _, tc := range []struct {
			name, path, body string
			status           int
		}{
			{"an action before acknowledging", "/notes", `{"note":"已约谈"}`, 409},
			{"an empty action note", "/notes", `{"note":""}`, 400},
			{"closing without an outcome", "/close", `{"note":"x"}`, 400},
			{"an unknown outcome", "/close", `{"outcome":"deleted"}`, 400},
			{"a note of 3,000 characters", "/acknowledge", fmt.Sprintf(`{"note":%q}`, strings.Repeat("很", 3000)), 400},
			{"an unknown field", "/acknowledge", `{"state":"closed"}`, 400},
		} {
			t.Run("alert: "+tc.name+" is refused", func(t *testing.T) {
				r := psych.sendJSON("POST", base+tc.path, tc.body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				checkErrorShape(t, r, false)
			})
		}
		a, _, err := e.st.GetAlert(ctx, store.AlertScope{Direct: authz.Scope{Schools: []int64{e.fx.own.school}}}, alertID, false)
		if err != nil || a.State != "open" {
			t.Fatalf("after refusals the alert is %q (%v), want open", a.State, err)
		}
		t.Run("the steps in order are accepted and a closed alert takes no more", func(t *testing.T) {
			for _, step := range []struct{ path, body, state string }{
				{"/acknowledge", `{"note":"已联系班主任"}`, "acknowledged"},
				{"/notes", `{"note":"已约谈家长"}`, "acknowledged"},
				{"/close", `{"outcome":"counselling"}`, "closed"},
			} {
				r := psych.sendJSON("POST", base+step.path, step.body)
				if r.status != 200 || !strings.Contains(string(r.body), `"state":"`+step.state+`"`) {
					t.Fatalf("%s: %s", step.path, r)
				}
			}
			if r := psych.sendJSON("POST", base+"/acknowledge", `{}`); r.status != 409 {
				t.Errorf("acknowledging a closed alert: %d", r.status)
			}
			_, evs, _ := e.st.GetAlert(ctx, store.AlertScope{Direct: authz.Scope{Schools: []int64{e.fx.own.school}}}, alertID, true)
			var steps []string
			for _, ev := range evs {
				steps = append(steps, ev.Action)
			}
			if got := strings.Join(steps, ","); got != "raised,acknowledged,action_taken,closed" {
				t.Errorf("history %s", got)
			}
		})
	})
}

func TestInstrumentUploadRefusesBadDefinitions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		city := e.as(t, "city")
		for _, tc := range []struct{ name, body, field string }{
			{"malformed JSON", `{"code":`, ""},
			{"an unknown field", `{"code":"x1","nonsense":true}`, "nonsense"},
			{"no items", `{"code":"lic1","name":{"zh-CN":"授权量表"},"version":"1","licence":"licensed","source":"s","respondent":"pupil","min_age":10,"max_age":18,"instructions":{"zh-CN":"请作答"},"options":[{"value":0,"label":{"zh-CN":"否"}},{"value":1,"label":{"zh-CN":"是"}}],"items":[],"bands":[{"min":0,"code":"low","label":{"zh-CN":"低"}}],"tiers":[{"min_age":10,"max_age":18,"yellow":1,"orange":2,"red":3}]}`, "items"},
		} {
			t.Run(tc.name+" is refused", func(t *testing.T) {
				r := city.sendJSON("POST", "/api/v1/screening/instruments", tc.body)
				if r.status != 400 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				ae := checkErrorShape(t, r, false)
				if tc.field != "" && !strings.Contains(strings.Join(ae.fields(), ","), tc.field) {
					t.Errorf("fields %v lack %s", ae.fields(), tc.field)
				}
			})
		}
		t.Run("a shipped instrument's code is taken", func(t *testing.T) {
			r := city.get("/api/v1/screening/instruments")
			if r.status != 200 || !strings.Contains(string(r.body), `"phq9"`) {
				t.Fatalf("%s", r)
			}
		})
		bodies, err := e.st.Instruments(context.Background())
		if err != nil || len(bodies) != 0 {
			t.Errorf("stored instruments after refusals: %d (%v)", len(bodies), err)
		}
	})
}
