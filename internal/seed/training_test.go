package seed

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"huhang/internal/audit"
	"huhang/internal/auth"
	"huhang/internal/model"
	"huhang/internal/privacy"
	"huhang/internal/programme"
	"huhang/internal/store"
)

// cheapParams hash the demo passwords quickly; the policy is not under test.
var cheapParams = auth.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func openTestStore(t *testing.T) *store.Store {
	t.Helper()
	keys, err := privacy.NewKeyring(make([]byte, privacy.MasterKeySize), privacy.AES256GCM)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Config{SQLitePath: filepath.Join(t.TempDir(), "seed.db"), Keyring: keys, AuditAlgorithm: audit.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestTrainingHistory loads a small city and checks the story the
// dashboards tell.
func TestTrainingHistory(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	if _, err := Load(ctx, st, Options{Seed: 1, Scale: 0.05, PasswordParams: &cheapParams, SkipScreening: true}); err != nil {
		t.Fatal(err)
	}
	targets, err := st.Targets(ctx)
	// The 2021–2025 plan's five, the six home–school quotas and the demo's
	// example of the next plan's four.
	if err != nil || len(targets) != 15 {
		t.Fatalf("targets: %d, %v; want the plan's 5, the home–school 6 and the next plan's 4", len(targets), err)
	}

	sessions, err := st.ListTrainingSessions(ctx, cityAll, 500)
	if err != nil {
		t.Fatal(err)
	}
	attendance := 0
	for _, s := range sessions {
		attendance += s.Attendees
	}
	if attendance == 0 {
		t.Fatal("no attendance recorded")
	}

	for _, tg := range targets {
		h, err := st.TargetHistory(ctx, tg.Code, "city", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) < 12 {
			t.Fatalf("%s: %d city snapshots", tg.Code, len(h))
		}
		if tg.Code != "c-cert-class-teachers" {
			continue
		}
		for i := 1; i < len(h); i++ {
			if h[i].Actual < h[i-1].Actual {
				t.Errorf("C share fell from %.1f to %.1f on %s", h[i-1].Actual, h[i].Actual, h[i].At.Format(time.DateOnly))
			}
		}
		if first, last := h[0].Actual, h[len(h)-1].Actual; !(last > first+20) {
			t.Errorf("C share %.1f → %.1f: not rising", first, last)
		}
	}

	_, r, err := st.Progress(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.City) != len(targets) || len(r.Districts) != 5 {
		t.Fatalf("progress: %d city results, %d districts", len(r.City), len(r.Districts))
	}
	differ := false
	for _, tg := range targets {
		var seen programme.Status
		for id, m := range r.Districts {
			res, ok := m[tg.Code]
			if !ok {
				t.Fatalf("district %d has no result for %s", id, tg.Code)
			}
			if seen != "" && res.Status != seen {
				differ = true
			}
			seen = res.Status
		}
	}
	if !differ {
		t.Error("every district stands the same on every target: no story")
	}

	u, err := st.UserByUsername(ctx, "teacher")
	if err != nil {
		t.Fatal(err)
	}
	staffID, err := st.StaffIDOf(ctx, u.ID)
	if err != nil || staffID == 0 {
		t.Fatalf("teacher account not linked: %d, %v", staffID, err)
	}
	rec, err := st.TrainingOf(ctx, cityAll, 0, staffID)
	if err != nil {
		t.Fatal(err)
	}
	year := model.SchoolYearOf(time.Now())
	if h := rec.HoursByYear[year]; h >= 8 {
		t.Errorf("demo teacher has %.1f h this school year; want short of 8", h)
	}
	if h := rec.HoursByYear[year-1]; h < 8 {
		t.Errorf("demo teacher had %.1f h last school year; want 8 or more", h)
	}
	for _, name := range []string{"classteacher", "psych", "principal"} {
		u, err := st.UserByUsername(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if id, err := st.StaffIDOf(ctx, u.ID); err != nil || id == 0 {
			t.Errorf("%s account not linked: %d, %v", name, id, err)
		}
	}
	pending, err := st.ListCertificates(ctx, cityAll, 0, "submitted")
	if err != nil || len(pending) == 0 {
		t.Fatalf("no certificate awaiting confirmation: %v", err)
	}
	for _, c := range pending {
		if c.SchoolID != rec.SchoolID {
			t.Errorf("certificate %s awaits confirmation outside the demo school", c.Number)
		}
	}
}

// TestTrainingDeterministic: the same input draws the same history.
func TestTrainingDeterministic(t *testing.T) {
	in := trainingInput{seed: 7, today: date(2026, time.November, 29), school: 1, district: 1,
		districts: map[int64]model.District{1: {ID: 1, Code: "510402", Name: "东区"}, 2: {ID: 2, Code: "510422", Name: "盐边县"}},
		schools:   []programme.School{{ID: 1, DistrictID: 1, Type: model.Primary}, {ID: 2, DistrictID: 2, Type: model.Junior}}}
	posts := [][]model.Post{{model.PostPrincipal}, {model.PostPsychFullTime}, {model.PostClassTeacher, model.PostSubjectTeacher},
		{model.PostSubjectTeacher}, {model.PostMoralCadre}}
	for i := range 40 {
		school := int64(1 + i%2)
		in.staff = append(in.staff, programme.Person{ID: int64(i + 1), SchoolID: school, DistrictID: school,
			SchoolType: in.schools[school-1].Type, Posts: posts[i%len(posts)]})
	}
	in.demo = demoStaff{teacher: 4, classTeacher: 3, psych: 2, principal: 1}
	a, _ := generateTraining(in)
	b, _ := generateTraining(in)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two draws from the same seed differ")
	}
	if len(a.Attendance) == 0 || len(a.Certificates) == 0 {
		t.Fatalf("history: %d attendance, %d certificates", len(a.Attendance), len(a.Certificates))
	}
	numbers := map[string]bool{}
	for _, c := range a.Certificates {
		k := c.Kind + " " + c.Number
		if numbers[k] {
			t.Fatalf("certificate number %s twice", k)
		}
		numbers[k] = true
		if c.IssuedOn >= "2026-11-29" {
			t.Errorf("certificate %s issued %s, not before today", c.Number, c.IssuedOn)
		}
	}
	for _, x := range a.Attendance {
		if !x.Passed && x.Hours != 0 {
			t.Fatalf("failed attendance credited %.1f h", x.Hours)
		}
	}
}
