package programme

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"huhang/internal/model"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*Target)
		path   string // "" for a valid target
		reason string
	}{
		{"the base target is valid", func(*Target) {}, "", ""},
		{"an empty code is refused", func(t *Target) { t.Code = "" }, "code", "must be"},
		{"a code with capitals is refused", func(t *Target) { t.Code = "Cert" }, "code", "must be"},
		{"a missing plan is refused", func(t *Target) { t.Plan = " " }, "plan", "required"},
		{"a missing clause is refused", func(t *Target) { t.Clause = "" }, "clause", "required"},
		{"a title without zh-CN is refused", func(t *Target) { t.Title = Text{"en": "x"} }, "title", "zh-CN"},
		{"an empty English title is refused", func(t *Target) { t.Title["en"] = "" }, `title["en"]`, "empty"},
		{"an unknown subject is refused", func(t *Target) { t.Population.Subject = "teachers" }, "population.subject", "must be"},
		{"a staff target without posts is refused (empty population)", func(t *Target) { t.Population.Posts = nil }, "population.posts", "at least one post"},
		{"an unknown post is refused", func(t *Target) { t.Population.Posts = []model.Post{"janitor"} }, "population.posts[0]", "unknown post"},
		{"a post listed twice is refused", func(t *Target) {
			t.Population.Posts = []model.Post{model.PostClassTeacher, model.PostClassTeacher}
		}, "population.posts[1]", "duplicate"},
		{"an unknown school type is refused", func(t *Target) { t.Population.SchoolTypes = []model.SchoolType{"college"} }, "population.school_types[0]", "unknown"},
		{"a school target with posts is refused", func(t *Target) {
			t.Population.Subject = SubjectSchool
			t.Condition = Condition{Kind: CondActivities, ActivityTypes: []string{ActGuidance}, Min: 2}
			t.Recurring = EverySemester
		}, "population.posts", "only staff"},
		{"an unknown condition kind is refused", func(t *Target) { t.Condition.Kind = "cert" }, "condition.kind", "unknown kind"},
		{"a kind for another subject is refused", func(t *Target) {
			t.Condition = Condition{Kind: CondVisits}
		}, "condition.kind", "applies to a pupil population"},
		{"an unknown level is refused", func(t *Target) { t.Condition.Level = "D" }, "condition.level", "must be"},
		{"a level on principal training is refused", func(t *Target) { t.Condition.Kind = CondPrincipalTraining }, "condition.level", "only"},
		{"negative hours are refused", func(t *Target) {
			t.Condition = Condition{Kind: CondHoursThisYear, Hours: -8}
			t.Recurring = EverySchoolYear
		}, "condition.hours", "above 0"},
		{"NaN hours are refused", func(t *Target) {
			t.Condition = Condition{Kind: CondHoursThisYear, Hours: math.NaN()}
			t.Recurring = EverySchoolYear
		}, "condition.hours", "above 0"},
		{"a percent above 100 is refused", func(t *Target) { t.Threshold.Percent = 120 }, "threshold.percent", "at most 100"},
		{"a zero percent is refused", func(t *Target) { t.Threshold.Percent = 0 }, "threshold.percent", "above 0"},
		{"a negative percent is refused", func(t *Target) { t.Threshold.Percent = -5 }, "threshold.percent", "above 0"},
		{"a count on a percentage target is refused", func(t *Target) { t.Threshold.Count = 20 }, "threshold.count", "only count_holders"},
		{"a count_holders target without a count is refused", func(t *Target) {
			t.Condition.Kind = CondCountHolders
			t.Threshold = Threshold{}
		}, "threshold.count", "at least 1"},
		{"a count_holders target with a percentage is refused", func(t *Target) {
			t.Condition.Kind = CondCountHolders
			t.Threshold = Threshold{Count: 20, Percent: 50}
		}, "threshold.percent", "a count"},
		{"a deadline before the start is refused", func(t *Target) { t.Deadline = day(2020, 12, 31) }, "deadline", "before start"},
		{"a deadline on the start day is accepted", func(t *Target) { t.Deadline = t.Start }, "", ""},
		{"a one-off target without a deadline is refused", func(t *Target) { t.Deadline = time.Time{} }, "deadline", "required"},
		{"a missing start is refused", func(t *Target) { t.Start = time.Time{} }, "start", "required"},
		{"a one-off kind flagged recurring is refused", func(t *Target) { t.Recurring = EverySchoolYear }, "recurring", "one-off"},
		{"an hours target that does not recur every school year is refused", func(t *Target) {
			t.Condition = Condition{Kind: CondHoursThisYear, Hours: 8}
		}, "recurring", "school_year"},
		{"an open-ended recurring target is accepted", func(t *Target) {
			t.Condition = Condition{Kind: CondHoursThisYear, Hours: 8}
			t.Recurring, t.Deadline = EverySchoolYear, time.Time{}
		}, "", ""},
		{"an activity quota without types is refused", func(t *Target) {
			t.Population = Population{Subject: SubjectSchool}
			t.Condition = Condition{Kind: CondActivities, Min: 1}
			t.Recurring = EverySemester
		}, "condition.activity_types", "at least one"},
		{"an unknown activity type is refused", func(t *Target) {
			t.Population = Population{Subject: SubjectSchool}
			t.Condition = Condition{Kind: CondActivities, ActivityTypes: []string{"party"}, Min: 1}
			t.Recurring = EverySemester
		}, "condition.activity_types[0]", "unknown activity type"},
		{"an activity quota of zero is refused", func(t *Target) {
			t.Population = Population{Subject: SubjectSchool}
			t.Condition = Condition{Kind: CondActivities, ActivityTypes: []string{ActGuidance}}
			t.Recurring = EverySemester
		}, "condition.min", "between 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tg := validTarget()
			c.change(&tg)
			err := tg.Validate()
			if c.path == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate = %v; want a *FieldError at %s", err, c.path)
			}
			if fe.Path != c.path || !strings.Contains(fe.Reason, c.reason) {
				t.Errorf("Validate = %v; want %s: …%s…", err, c.path, c.reason)
			}
		})
	}
}

func TestShippedTargets(t *testing.T) {
	t.Parallel()
	plan, quotas := Plan2021(), HomeSchoolQuotas()
	t.Run("the plan has its five targets with the letter's numbers", func(t *testing.T) {
		want := map[string]struct {
			kind, level string
			percent     float64
			count       int
			deadline    time.Time
		}{
			"c-cert-class-teachers": {CondCertAtLeast, LevelC, 100, 0, day(2025, 12, 31)},
			"b-cert-key-posts":      {CondCertAtLeast, LevelB, 60, 0, day(2024, 12, 31)},
			"a-cert-psych-teachers": {CondCountHolders, LevelA, 0, 20, day(2025, 12, 31)},
			"principal-training":    {CondPrincipalTraining, "", 100, 0, day(2025, 12, 31)},
			// "each school year" (digest §2): no end date.
			"subject-teacher-hours": {CondHoursThisYear, "", 100, 0, time.Time{}},
		}
		if len(plan) != len(want) {
			t.Fatalf("%d targets; want %d", len(plan), len(want))
		}
		for _, tg := range plan {
			w, ok := want[tg.Code]
			if !ok {
				t.Fatalf("unexpected target %q", tg.Code)
			}
			if tg.Condition.Kind != w.kind || tg.Condition.Level != w.level || tg.Threshold.Percent != w.percent ||
				tg.Threshold.Count != w.count || !tg.Deadline.Equal(w.deadline) {
				t.Errorf("%s = %+v", tg.Code, tg)
			}
			if tg.Title["en"] == "" {
				t.Errorf("%s has no English title", tg.Code)
			}
		}
		if h := planTarget(t, "subject-teacher-hours"); h.Condition.Hours != 8 || h.Recurring != EverySchoolYear {
			t.Errorf("hours target = %+v", h)
		}
	})
	t.Run("every shipped target validates and kindergarten staff are outside the plan", func(t *testing.T) {
		for _, tg := range append(plan, quotas...) {
			if err := tg.Validate(); err != nil {
				t.Errorf("%s: %v", tg.Code, err)
			}
			if tg.Population.Subject == SubjectStaff && (len(tg.Population.SchoolTypes) == 0 ||
				containsType(tg.Population.SchoolTypes, model.Kindergarten)) {
				t.Errorf("%s reaches kindergarten staff", tg.Code)
			}
		}
	})
	t.Run("changing a returned target does not change the shipped one", func(t *testing.T) {
		a := Plan2021()
		a[0].Population.Posts[0] = model.PostPrincipal
		a[0].Title["zh-CN"] = "改"
		if b := Plan2021(); b[0].Population.Posts[0] != model.PostClassTeacher || b[0].Title["zh-CN"] == "改" {
			t.Error("the shipped plan was changed through a returned copy")
		}
	})
}

func containsType(types []model.SchoolType, st model.SchoolType) bool {
	for _, x := range types {
		if x == st {
			return true
		}
	}
	return false
}

func TestTextIn(t *testing.T) {
	t.Parallel()
	tx := Text{"zh-CN": "中", "en": "en"}
	for lang, want := range map[string]string{"en": "en", "en-GB": "en", "fr": "中", "zh-CN": "中"} {
		if got := tx.In(lang); got != want {
			t.Errorf("In(%q) = %q; want %q", lang, got, want)
		}
	}
}
