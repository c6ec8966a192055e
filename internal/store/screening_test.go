package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"huhang/internal/authz"
	"huhang/internal/report"
)

func knownInstrument(code string) bool { return code == "phq9" || code == "gad7" }

// screeningCity is the fixture city with a campaign over all its classes,
// every guardian's consent given, and a psychology teacher and principal at
// the first school plus a district and a city official.
type screeningCity struct {
	*city
	campaign int64
	psych    int64
	official int64
	cityOff  int64
}

func newScreeningCity(t *testing.T, s *Store) *screeningCity {
	t.Helper()
	ctx := context.Background()
	c := &screeningCity{city: newCity(t, s)}
	var err error
	c.campaign, err = s.CreateCampaign(ctx, testActor, cityScope, CampaignInput{
		Name: "2025学年第二学期心理普查", Instruments: []string{"phq9", "gad7"},
		OpensAt: testEpoch.Add(-24 * time.Hour), ClosesAt: testEpoch.Add(14 * 24 * time.Hour),
		SchoolIDs: c.allSchools(),
	}, knownInstrument)
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	user := func(name string, asg authz.Assignment) int64 {
		id, err := s.CreateUser(ctx, SystemActor, NewUser{Username: name, DisplayName: name, PasswordHash: "x", Assignments: []authz.Assignment{asg}})
		if err != nil {
			t.Fatalf("CreateUser %s: %v", name, err)
		}
		return id
	}
	c.psych = user("psych1", authz.At(authz.PsychTeacher, c.schools[0][0]))
	user("principal1", authz.At(authz.Principal, c.schools[0][0]))
	c.official = user("district1", authz.At(authz.DistrictOfficial, c.districts[0]))
	c.cityOff = user("city1", authz.At(authz.CityOfficial, 0))
	for _, cl := range c.allClasses() {
		roster, err := s.CampaignClassRoster(ctx, testActor, cityScope, c.campaign, cl, false)
		if err != nil {
			t.Fatalf("roster: %v", err)
		}
		var in []ConsentInput
		for _, r := range roster {
			in = append(in, ConsentInput{ParticipantID: r.ParticipantID, Status: ConsentGiven, Method: "paper"})
		}
		if _, err := s.SetConsent(ctx, testActor, cityScope, c.campaign, in); err != nil {
			t.Fatalf("SetConsent: %v", err)
		}
	}
	return c
}

func (c *screeningCity) participant(t *testing.T, s *Store, d, sc, cl int) Participant {
	t.Helper()
	roster, err := s.CampaignClassRoster(context.Background(), testActor, cityScope, c.campaign, c.classes[d][sc][cl], true)
	if err != nil || len(roster) != 1 {
		t.Fatalf("roster: %v (%d rows)", err, len(roster))
	}
	p, err := s.ParticipantByCode(context.Background(), roster[0].Code)
	if err != nil {
		t.Fatalf("ParticipantByCode: %v", err)
	}
	return p
}

func submission(p Participant, tier int, alert bool) *Submission {
	sub := &Submission{Participant: p, Detail: []byte(`{"answers":{"phq9":[0,0,0,0,0,0,0,0,2]}}`), Tier: tier,
		Duration: 3 * time.Minute, IP: "192.0.2.7", RequestID: "req"}
	if alert {
		sub.Critical = true
		sub.Reasons = []string{"critical_item:phq9:9"}
		sub.Alert = &AlertSpec{Severity: "critical", Reason: "critical_item:phq9:9", DueAt: testEpoch.Add(2 * time.Hour)}
	}
	return sub
}

func TestCampaignCreatesParticipantsWithinScope(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newCity(t, s)
		in := CampaignInput{Name: "普查", Instruments: []string{"phq9"}, OpensAt: testEpoch, ClosesAt: testEpoch.Add(72 * time.Hour),
			SchoolIDs: []int64{c.schools[0][0]}}
		id, err := s.CreateCampaign(ctx, testActor, schoolScope(c.schools[0][0]), in, knownInstrument)
		if err != nil {
			t.Fatalf("CreateCampaign: %v", err)
		}
		if n := count(t, s, "screening_participants", "campaign_id = ?", id); n != 2 {
			t.Errorf("participants = %d, want 2 (two classes of one pupil)", n)
		}
		t.Run("a school outside the caller's scope is not found", func(t *testing.T) {
			in.SchoolIDs = []int64{c.schools[1][0]}
			_, err := s.CreateCampaign(ctx, testActor, schoolScope(c.schools[0][0]), in, knownInstrument)
			wantNotFound(t, "campaign for another school", err)
		})
		t.Run("a class outside scope is not found", func(t *testing.T) {
			in.SchoolIDs, in.ClassIDs = nil, []int64{c.classes[1][1][0]}
			_, err := s.CreateCampaign(ctx, testActor, districtScope(c.districts[0]), in, knownInstrument)
			wantNotFound(t, "campaign for a class of another district", err)
		})
		t.Run("bad input names its fields", func(t *testing.T) {
			bad := CampaignInput{Name: " ", Instruments: []string{"sdq"}, OpensAt: testEpoch, ClosesAt: testEpoch}
			_, err := s.CreateCampaign(ctx, testActor, cityScope, bad, knownInstrument)
			got := strings.Join(fieldsOf(t, err), ",")
			for _, f := range []string{"name", "instruments", "closes_at", "school_ids"} {
				if !strings.Contains(got, f) {
					t.Errorf("fields %s lack %s", got, f)
				}
			}
		})
		t.Run("the campaign is visible only where it has classes", func(t *testing.T) {
			if _, err := s.GetCampaign(ctx, schoolScope(c.schools[0][0]), id); err != nil {
				t.Errorf("own school: %v", err)
			}
			_, err := s.GetCampaign(ctx, schoolScope(c.schools[1][1]), id)
			wantNotFound(t, "campaign of another school", err)
		})
	})
}

func TestCodesAreOneTimeAndNeedConsent(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newCity(t, s)
		id, err := s.CreateCampaign(ctx, testActor, cityScope, CampaignInput{Name: "普查", Instruments: []string{"phq9"},
			OpensAt: testEpoch, ClosesAt: testEpoch.Add(72 * time.Hour), ClassIDs: []int64{c.classes[0][0][0]}}, knownInstrument)
		if err != nil {
			t.Fatal(err)
		}
		roster, err := s.CampaignClassRoster(ctx, testActor, cityScope, id, c.classes[0][0][0], true)
		if err != nil || len(roster) != 1 || len(roster[0].Code) != CodeLen {
			t.Fatalf("roster %+v, %v", roster, err)
		}
		code := roster[0].Code
		typed := strings.ToLower(code[:5]) + "-" + code[5:]
		p, err := s.ParticipantByCode(ctx, typed)
		if err != nil {
			t.Fatalf("a code typed in lower case with a dash: %v", err)
		}
		if _, err := s.ParticipantByCode(ctx, "AAAAAAAAAA"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
		if _, err := s.Submit(ctx, submission(p, 0, false)); !errors.Is(err, ErrConflict) {
			t.Errorf("submission without consent: %v, want conflict", err)
		}
		if n := count(t, s, "screening_submissions", ""); n != 0 {
			t.Fatalf("a submission without consent was stored")
		}
		if _, err := s.SetConsent(ctx, testActor, cityScope, id, []ConsentInput{{ParticipantID: p.ID, Status: ConsentGiven, Method: "online"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveDraft(ctx, testActor, p, map[string][]int{"phq9": {1, 2}}); err != nil {
			t.Fatalf("SaveDraft: %v", err)
		}
		p, _ = s.ParticipantByCode(ctx, code)
		if p.State != PartStarted || len(p.Draft["phq9"]) != 2 {
			t.Errorf("draft not resumable: state %s draft %v", p.State, p.Draft)
		}
		if _, err := s.Submit(ctx, submission(p, 1, false)); err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if _, err := s.Submit(ctx, submission(p, 1, false)); !errors.Is(err, ErrConflict) {
			t.Errorf("second submission with the same code: %v, want conflict", err)
		}
		if n := count(t, s, "screening_submissions", ""); n != 1 {
			t.Errorf("submissions = %d, want 1", n)
		}
		if err := s.SaveDraft(ctx, testActor, p, map[string][]int{"phq9": {1}}); !errors.Is(err, ErrConflict) {
			t.Errorf("draft after submission: %v", err)
		}
		t.Run("a reissued code replaces the old one", func(t *testing.T) {
			other := c.classes[0][0][0]
			_ = other
			if _, err := s.ReissueCode(ctx, testActor, cityScope, p.ID); !errors.Is(err, ErrConflict) {
				t.Errorf("reissue after submission: %v, want conflict", err)
			}
		})
		t.Run("the sealed answers are not stored in plain text", func(t *testing.T) {
			var detail []byte
			if err := s.read.QueryRowContext(ctx, "SELECT detail FROM screening_submissions").Scan(&detail); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(detail), "phq9") {
				t.Error("the answers are stored in plain text")
			}
		})
	})
}

func TestSubmissionAndAlertCommitTogether(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		s.SetNotifyChannels([]string{"webhook", "sms"})
		c := newScreeningCity(t, s)
		p := c.participant(t, s, 0, 0, 0)
		res, err := s.Submit(ctx, submission(p, 3, true))
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		if res.AlertID == 0 {
			t.Fatal("no alert id for a critical answer")
		}
		if n := count(t, s, "alerts", "submission_id = ?", p.ID); n != 1 {
			t.Errorf("alerts for the submission = %d", n)
		}
		if n := count(t, s, "alert_events", "alert_id = ? AND action = 'raised'", res.AlertID); n != 1 {
			t.Errorf("raised events = %d", n)
		}
		// The psychology teacher and the principal of the school.
		if n := count(t, s, "notifications", "alert_id = ? AND channel = 'inbox'", res.AlertID); n != 2 {
			t.Errorf("inbox notifications = %d, want 2", n)
		}
		if n := count(t, s, "notifications", "alert_id = ? AND channel = 'webhook'", res.AlertID); n != 1 {
			t.Errorf("webhook notifications = %d, want 1", n)
		}
		school := AlertScope{Direct: schoolScope(c.schools[0][0])}
		if n, _ := s.UnreadAlerts(ctx, c.psych, school); n != 1 {
			t.Errorf("psychology teacher's unread = %d", n)
		}
		t.Run("other schools and the district do not see a fresh alert", func(t *testing.T) {
			for name, as := range map[string]AlertScope{
				"other school": {Direct: schoolScope(c.schools[0][1])},
				"district":     {EscalatedDistricts: []int64{c.districts[0]}},
				"city":         {EscalatedCity: true},
			} {
				list, err := s.ListAlerts(ctx, as, AlertFilter{Active: true})
				if err != nil || len(list) != 0 {
					t.Errorf("%s sees %d alerts (%v)", name, len(list), err)
				}
			}
		})
		t.Run("the counters moved", func(t *testing.T) {
			total, _, err := s.ScreeningBreakdown(ctx, cityScope, c.campaign, ByDistrict, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if total.Submitted != 1 || total.ConsentGiven != 8 || total.Participants != 8 {
				t.Errorf("totals %+v", total)
			}
			if total.Red != report.Hidden || total.Critical != report.Hidden {
				t.Errorf("a single red pupil is shown: red %d critical %d", total.Red, total.Critical)
			}
		})
		t.Run("acknowledging stops escalation; closing needs the state machine's consent", func(t *testing.T) {
			ack := func(cur AlertCore) (AlertCore, error) { cur.State = "acknowledged"; return cur, nil }
			if _, err := s.ActOnAlert(ctx, Actor{UserID: c.psych, Role: "psych_teacher"}, school, res.AlertID, "acknowledged", "已电话联系家长", ack); err != nil {
				t.Fatalf("acknowledge: %v", err)
			}
			if n, _ := s.UnreadAlerts(ctx, c.psych, school); n != 0 {
				t.Errorf("unread after acting = %d", n)
			}
			a, evs, err := s.GetAlert(ctx, school, res.AlertID, true)
			if err != nil || a.State != "acknowledged" || a.AcknowledgedAt.IsZero() {
				t.Fatalf("alert %+v, %v", a, err)
			}
			if last := evs[len(evs)-1]; last.Note != "已电话联系家长" || last.ActorID != c.psych {
				t.Errorf("last event %+v", last)
			}
			_, evs, _ = s.GetAlert(ctx, school, res.AlertID, false)
			if evs[len(evs)-1].Note != "" {
				t.Error("a note is opened for a viewer who may not read it")
			}
			_, err = s.ActOnAlert(ctx, testActor, AlertScope{Direct: schoolScope(c.schools[1][0])}, res.AlertID, "closed", "", ack)
			wantNotFound(t, "acting on another school's alert", err)
		})
		t.Run("an alert cannot be deleted", func(t *testing.T) {
			if _, err := s.write.ExecContext(ctx, s.q("DELETE FROM alerts WHERE id = ?"), res.AlertID); err == nil {
				t.Error("an alert was deleted")
			}
			if _, err := s.write.ExecContext(ctx, s.q("UPDATE alert_events SET action = 'x' WHERE alert_id = ?"), res.AlertID); err == nil {
				t.Error("alert history was changed")
			}
		})
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}

func TestUnacknowledgedAlertsEscalate(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newScreeningCity(t, s)
		clock := envOf(t, s).clock
		p := c.participant(t, s, 0, 0, 0)
		res, err := s.Submit(ctx, submission(p, 3, true))
		if err != nil {
			t.Fatal(err)
		}
		step := func(a AlertCore, now time.Time) (AlertCore, bool) {
			if now.Before(a.DueAt) || a.Level >= LevelCity || (a.State != "open" && a.State != "seen") {
				return a, false
			}
			a.Level++
			a.DueAt = now.Add(2 * time.Hour)
			return a, true
		}
		if n, err := s.EscalateDue(ctx, clock.Now(), step); err != nil || n != 0 {
			t.Fatalf("escalated %d before due (%v)", n, err)
		}
		clock.Advance(2*time.Hour + time.Minute)
		if n, err := s.EscalateDue(ctx, clock.Now(), step); err != nil || n != 1 {
			t.Fatalf("escalated %d at due (%v)", n, err)
		}
		district := AlertScope{EscalatedDistricts: []int64{c.districts[0]}}
		list, err := s.ListAlerts(ctx, district, AlertFilter{Active: true, UserID: c.official})
		if err != nil || len(list) != 1 || !list[0].Unread || list[0].Level != LevelDistrict {
			t.Fatalf("district sees %+v (%v)", list, err)
		}
		if list, _ := s.ListAlerts(ctx, AlertScope{EscalatedDistricts: []int64{c.districts[1]}}, AlertFilter{}); len(list) != 0 {
			t.Error("another district sees the escalated alert")
		}
		clock.Advance(3 * time.Hour)
		if n, _ := s.EscalateDue(ctx, clock.Now(), step); n != 1 {
			t.Fatalf("no escalation to the city")
		}
		clock.Advance(3 * time.Hour)
		if n, _ := s.EscalateDue(ctx, clock.Now(), step); n != 0 {
			t.Fatalf("escalated past the city")
		}
		if list, _ := s.ListAlerts(ctx, AlertScope{EscalatedCity: true}, AlertFilter{UserID: c.cityOff}); len(list) != 1 || !list[0].Unread {
			t.Errorf("city sees %+v", list)
		}
		if n := count(t, s, "alert_events", "alert_id = ? AND action = 'escalated'", res.AlertID); n != 2 {
			t.Errorf("escalation events = %d", n)
		}
	})
}

func TestGroupCommitStoresEveryAcknowledgedSubmission(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newScreeningCity(t, s)
		var ps []Participant
		for d := range 2 {
			for sc := range 2 {
				for cl := range 2 {
					ps = append(ps, c.participant(t, s, d, sc, cl))
				}
			}
		}
		// Each participant submitted by 6 goroutines at once: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for i := range 6 * len(ps) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := ps[i%len(ps)]
				_, err := s.Submit(ctx, submission(p, i%4, i%4 == 3))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, ErrConflict):
					conflicts++
				default:
					t.Errorf("Submit: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != len(ps) || conflicts != 5*len(ps) {
			t.Errorf("accepted %d, conflicts %d; want %d and %d", ok, conflicts, len(ps), 5*len(ps))
		}
		if n := count(t, s, "screening_submissions", ""); n != len(ps) {
			t.Errorf("stored %d submissions", n)
		}
		if n, m := count(t, s, "alerts", ""), count(t, s, "screening_submissions", "tier = 3"); n != m {
			t.Errorf("%d alerts for %d red submissions", n, m)
		}
		total, _, _ := s.ScreeningBreakdown(ctx, cityScope, c.campaign, ByDistrict, 0, 0)
		if total.Submitted != len(ps) {
			t.Errorf("counter says %d submitted", total.Submitted)
		}
		if st := s.IngestStats(); st.Items != int64(6*len(ps)) {
			t.Errorf("writer saw %d items", st.Items)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("audit chain: %v", err)
		}
	})
}

func TestConsentCountsAndBreakdownScope(t *testing.T) {
	eachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := newScreeningCity(t, s)
		p := c.participant(t, s, 1, 1, 1)
		if _, err := s.SetConsent(ctx, testActor, schoolScope(c.schools[0][0]), c.campaign,
			[]ConsentInput{{ParticipantID: p.ID, Status: ConsentRefused, Method: "paper"}}); !errors.Is(err, ErrNotFound) {
			t.Errorf("consent for a pupil of another school: %v", err)
		}
		if _, err := s.SetConsent(ctx, testActor, cityScope, c.campaign,
			[]ConsentInput{{ParticipantID: p.ID, Status: ConsentRefused, Method: "fax"}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown method: %v", err)
		}
		if _, err := s.SetConsent(ctx, testActor, cityScope, c.campaign,
			[]ConsentInput{{ParticipantID: p.ID, Status: ConsentRefused, Method: "paper"}}); err != nil {
			t.Fatal(err)
		}
		total, rows, err := s.ScreeningBreakdown(ctx, districtScope(c.districts[1]), c.campaign, BySchool, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || total.Participants != 4 || total.ConsentRefused != 1 || total.ConsentGiven != 3 {
			t.Errorf("district 2: %+v rows %d", total, len(rows))
		}
		for _, r := range rows {
			if r.ID == c.schools[0][0] {
				t.Error("a school of another district is in the breakdown")
			}
		}
		if _, rows, _ := s.ScreeningBreakdown(ctx, districtScope(c.districts[1]), c.campaign, BySchool, c.districts[0], 0); len(rows) != 0 {
			t.Errorf("filtering on another district shows %d rows", len(rows))
		}
	})
}

func TestProtectScreeningHidesRecoverableCells(t *testing.T) {
	rows := []*ScreeningCounts{
		{Submitted: 40, Green: 30, Yellow: 6, Orange: 2, Red: 2, Critical: 1},
		{Submitted: 50, Green: 35, Yellow: 8, Orange: 7, Red: 0},
		{Submitted: 45, Green: 30, Yellow: 5, Orange: 5, Red: 5, Critical: 6},
	}
	protectScreening(rows)
	for i, r := range rows {
		hidden := 0
		for _, p := range r.healthCells() {
			if *p == report.Hidden {
				hidden++
			}
			if *p > 0 && *p < report.K {
				t.Errorf("row %d shows a small cell %d", i, *p)
			}
		}
		if hidden == 1 {
			t.Errorf("row %d hides exactly one tier: recoverable from the total (%+v)", i, *r)
		}
	}
	if rows[0].Critical != report.Hidden {
		t.Errorf("critical 1 shown")
	}

}
