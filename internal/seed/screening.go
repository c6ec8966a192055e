package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/screening"
	"huhang/internal/store"
)

// The demo city's screening history: two campaigns of the current school
// year over grades 4 to 12 of every school — one at the start of the
// semester, complete and with every alert closed, and one under way, with
// schools at different completion rates and some alerts still open (those
// left unacknowledged escalate as soon as the server runs). The answers are
// generated from a latent level of distress per pupil, so tiers come out in
// plausible proportions; they are scored by the real instruments.

// screeningPlan is one generated campaign.
type screeningPlan struct {
	name             string
	opens            time.Time
	days             int
	done             func(schoolID int64, r *rand.Rand) bool // answered by now?
	closeAlerts      bool
	openAlertSchools int // this many schools (the demo school first) keep open alerts
	consentRefused   float64
	consentPending   float64
}

func loadScreening(ctx context.Context, st *store.Store, seed uint64, t Targets) error {
	phaseStart = time.Now()
	reg, err := screening.NewRegistry()
	if err != nil {
		return err
	}
	policy := screening.DefaultPolicy()
	now := time.Now()
	year := model.SchoolYearOf(now)
	loc := policy.Location
	if loc == nil {
		loc = time.UTC
	}
	start := time.Date(year, time.September, 15, 8, 0, 0, 0, loc)
	current := now.Add(-5 * 24 * time.Hour).Truncate(time.Hour)
	if current.Before(start.Add(20 * 24 * time.Hour)) {
		current = start.Add(20 * 24 * time.Hour)
	}
	plans := []screeningPlan{
		{name: fmt.Sprintf("%d学年秋季开学心理普查", year), opens: start, days: 14, closeAlerts: true,
			done:           func(_ int64, r *rand.Rand) bool { return r.Float64() < 0.97 },
			consentRefused: 0.02, consentPending: 0.01},
		{name: fmt.Sprintf("%d学年秋季期中心理普查", year), opens: current, days: 14, openAlertSchools: 4,
			done: func(school int64, r *rand.Rand) bool {
				// Some schools are far behind, most well on.
				lag := float64((school*2654435761)%100) / 100
				return r.Float64() < 0.45+0.5*lag
			},
			consentRefused: 0.02, consentPending: 0.04},
	}
	var ids []int64
	for offset := 0; ; offset += 500 {
		schools, _, err := st.ListSchools(ctx, cityAll, store.SchoolFilter{Limit: 500, Offset: offset})
		if err != nil {
			return err
		}
		for _, s := range schools {
			ids = append(ids, s.ID)
		}
		if len(schools) < 500 {
			break
		}
	}
	ins := []*screening.Instrument{}
	for _, code := range []string{"phqa", "gad7"} {
		in, ok := reg.Get(code)
		if !ok {
			return fmt.Errorf("seed: instrument %s missing", code)
		}
		ins = append(ins, in)
	}
	known := func(code string) bool { _, ok := reg.Get(code); return ok }
	defer st.SetClock(time.Now)
	for pi, p := range plans {
		closes := p.opens.Add(time.Duration(p.days) * 24 * time.Hour)
		st.SetClock(func() time.Time { return p.opens.Add(-24 * time.Hour) })
		id, err := st.CreateCampaign(ctx, store.SystemActor, cityAll, store.CampaignInput{Name: p.name, Instruments: []string{"phqa", "gad7"},
			OpensAt: p.opens, ClosesAt: closes, SchoolIDs: ids, Grades: []int{4, 5, 6, 7, 8, 9, 10, 11, 12}}, known)
		if err != nil {
			return fmt.Errorf("seed: campaign: %w", err)
		}
		tracePhase("campaign created")
		parts, err := st.CampaignParticipants(ctx, id)
		if err != nil {
			return err
		}
		r := rand.New(rand.NewPCG(seed, uint64(pi)+1))
		var given, refused []int64
		for _, pt := range parts {
			switch x := r.Float64(); {
			case x < p.consentRefused:
				refused = append(refused, pt.ID)
			case x < p.consentRefused+p.consentPending:
			default:
				given = append(given, pt.ID)
			}
		}
		if err := st.BulkConsent(ctx, store.SystemActor, id, store.ConsentGiven, "paper", given); err != nil {
			return err
		}
		if err := st.BulkConsent(ctx, store.SystemActor, id, store.ConsentRefused, "paper", refused); err != nil {
			return err
		}
		tracePhase("consent")
		cp, err := st.GetCampaign(ctx, cityAll, id)
		if err != nil {
			return err
		}
		givenSet := make(map[int64]bool, len(given))
		for _, g := range given {
			givenSet[g] = true
		}
		// Spread the answers over the first days of the window, a batch
		// at a time, with the store's clock at the batch's moment; batches
		// are written as they fill, so the city's answers never sit in
		// memory at once.
		span := min(time.Duration(p.days)*24*time.Hour, now.Sub(p.opens)) * 2 / 3
		subs := make([]*store.Submission, 0, store.MaxIngestBatch)
		flush := func(i int) error {
			if len(subs) == 0 {
				return nil
			}
			at := p.opens.Add(time.Duration(float64(span) * float64(i) / float64(max(len(parts), 1))))
			st.SetClock(func() time.Time { return at })
			for _, sub := range subs {
				if sub.Alert != nil {
					sub.Alert.DueAt = policy.DueAt(screening.Severity(sub.Alert.Severity), at)
				}
			}
			if _, _, err := st.SubmitMany(ctx, subs); err != nil {
				return fmt.Errorf("seed: submissions: %w", err)
			}
			subs = subs[:0]
			return nil
		}
		for i, pt := range parts {
			if !givenSet[pt.ID] || !p.done(pt.SchoolID, r) {
				continue
			}
			pt.Campaign = cp
			answers, dur := demoAnswers(r, ins)
			a, err := screening.Assess(ins, answers, pt.Age, dur)
			if err != nil {
				return fmt.Errorf("seed: assess: %w", err)
			}
			detail, _ := json.Marshal(map[string]any{"answers": map[string][]int{"phqa": answers[0], "gad7": answers[1]}, "assessment": a})
			sub := &store.Submission{Participant: pt, Detail: detail, Tier: int(a.Tier), Critical: a.Critical, Duration: dur, IP: "demo"}
			for _, f := range a.Flags {
				sub.Flags = append(sub.Flags, string(f))
			}
			for _, rs := range a.Reasons {
				sub.Reasons = append(sub.Reasons, rs.Code+":"+rs.Instrument)
			}
			if sev, ok := policy.AlertFor(a); ok {
				sub.Alert = &store.AlertSpec{Severity: string(sev), Reason: string(sev)}
			}
			subs = append(subs, sub)
			if len(subs) == store.MaxIngestBatch {
				if err := flush(i); err != nil {
					return err
				}
			}
		}
		if err := flush(len(parts)); err != nil {
			return err
		}
		st.SetClock(time.Now)
		tracePhase("submitted")
		if err := settleAlerts(ctx, st, id, p, t, policy); err != nil {
			return err
		}
	}
	return nil
}

var cityAll = authz.Scope{City: true}

// settleAlerts plays the schools' responses: in the finished campaign
// every alert was acknowledged and closed; in the current one most were
// acknowledged (half of those closed), and a few schools — the demo school
// first — have not yet answered theirs.
func settleAlerts(ctx context.Context, st *store.Store, campaignID int64, p screeningPlan, t Targets, policy screening.Policy) error {
	alerts, err := st.CampaignAlerts(ctx, campaignID)
	if err != nil {
		return err
	}
	keepOpen := map[int64]bool{}
	if !p.closeAlerts {
		keepOpen[t.School] = true
		for _, a := range alerts {
			if len(keepOpen) >= p.openAlertSchools {
				break
			}
			keepOpen[a.SchoolID] = true
		}
	}
	var ids []int64
	raised := map[int64]time.Time{}
	for _, a := range alerts {
		if !keepOpen[a.SchoolID] {
			ids = append(ids, a.ID)
			raised[a.ID] = a.RaisedAt
		}
	}
	return st.SettleAlerts(ctx, store.SystemActor, ids,
		func(id int64) time.Time { return raised[id].Add(time.Duration(20+id%80) * time.Minute) },
		func(id int64) string {
			if p.closeAlerts || id%2 == 0 {
				return store.AlertOutcomes[int(id)%len(store.AlertOutcomes)]
			}
			return ""
		})
}

// demoAnswers draws one pupil's answers: a latent distress level, items
// around it, the self-harm item only at high levels, and now and then a
// pupil who rushes.
func demoAnswers(r *rand.Rand, ins []*screening.Instrument) ([][]int, time.Duration) {
	level := r.ExpFloat64() * 0.42
	out := make([][]int, len(ins))
	items := 0
	for i, in := range ins {
		out[i] = make([]int, len(in.Items))
		for j := range out[i] {
			v := int(math.Round(level + r.NormFloat64()*0.55))
			if in.Code == "phqa" && j == len(out[i])-1 {
				v = 0
				if level > 1.25 && r.Float64() < 0.5 {
					v = 1 + r.IntN(2)
				}
			}
			out[i][j] = min(max(v, 0), 3)
		}
		items += len(in.Items)
	}
	dur := time.Duration(items*(6+r.IntN(10))) * time.Second
	if r.Float64() < 0.015 {
		dur = time.Duration(items) * 500 * time.Millisecond
	}
	return out, dur
}

var phaseStart time.Time

func tracePhase(name string) {
	if os.Getenv("HUHANG_TRACE_SEED") != "" {
		fmt.Fprintf(os.Stderr, "seed: %s after %.1fs\n", name, time.Since(phaseStart).Seconds())
	}
}
