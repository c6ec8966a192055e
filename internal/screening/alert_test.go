package screening

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var cst = DefaultPolicy().Location

func at8(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, cst)
}

func TestDefaultPolicy(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2026, 3, 6, 12, 0, 0, 0, p.Location).Zone(); off != 8*3600 {
		t.Errorf("offset %d, want +08:00", off)
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*Policy)
		want string // "" for valid
	}{
		{"the default is valid", func(*Policy) {}, ""},
		{"a nil location is valid and means Shanghai", func(p *Policy) { p.Location = nil }, ""},
		{"a deadline with both hours and school days is invalid", func(p *Policy) { p.Red.SchoolDays = 1 }, "red"},
		{"a deadline with neither is invalid", func(p *Policy) { p.Critical = Deadline{} }, "critical"},
		{"negative hours are invalid", func(p *Policy) { p.Critical.Hours = -2 }, "critical"},
		{"more than 30 school days is invalid", func(p *Policy) { p.Orange.SchoolDays = 31 }, "orange"},
		{"a critical deadline longer than red is invalid", func(p *Policy) { p.Critical.Hours = 48 }, "critical deadline is longer than red"},
		{"a red deadline longer than orange is invalid", func(p *Policy) { p.Red = Deadline{SchoolDays: 5} }, "red deadline is longer than orange"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := DefaultPolicy()
			c.edit(&p)
			err := p.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("Validate = %v, want %q", err, c.want)
			}
		})
	}
}

func TestDueAt(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	// 2026-03-06 is a Friday.
	cases := []struct {
		name string
		p    Policy
		sev  Severity
		from time.Time
		want time.Time
	}{
		{"Friday 16:00 plus 3 school days is Wednesday 23:59:59", p, SevMedium, at8(2026, 3, 6, 16, 0, 0), at8(2026, 3, 11, 23, 59, 59)},
		{"Saturday plus 3 school days is also Wednesday", p, SevMedium, at8(2026, 3, 7, 10, 0, 0), at8(2026, 3, 11, 23, 59, 59)},
		{"Monday just after midnight plus 3 school days is Thursday", p, SevMedium, at8(2026, 3, 9, 0, 0, 1), at8(2026, 3, 12, 23, 59, 59)},
		{"Wednesday plus 3 school days crosses the weekend to Monday", p, SevMedium, at8(2026, 3, 4, 9, 0, 0), at8(2026, 3, 9, 23, 59, 59)},
		{"school days are counted in Shanghai time, not the caller's zone",
			p, SevMedium, time.Date(2026, 3, 5, 17, 0, 0, 0, time.UTC), // Friday 01:00 in Shanghai
			at8(2026, 3, 11, 23, 59, 59)},
		{"a critical alert is due 2 hours later", p, SevCritical, at8(2026, 3, 6, 16, 0, 0), at8(2026, 3, 6, 18, 0, 0)},
		{"a red alert is due 24 hours later, weekend or not", p, SevHigh, at8(2026, 3, 6, 16, 0, 0), at8(2026, 3, 7, 16, 0, 0)},
		{"an unknown severity gets the critical deadline", p, Severity("urgent"), at8(2026, 3, 6, 16, 0, 0), at8(2026, 3, 6, 18, 0, 0)},
		{"an invalid deadline falls back to the default, never to now", Policy{Location: cst}, SevHigh, at8(2026, 3, 6, 16, 0, 0), at8(2026, 3, 7, 16, 0, 0)},
		{"a policy with 1 school day for orange", Policy{Critical: Deadline{Hours: 1}, Red: Deadline{Hours: 4}, Orange: Deadline{SchoolDays: 1}}, SevMedium, at8(2026, 3, 6, 8, 0, 0), at8(2026, 3, 9, 23, 59, 59)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.p.DueAt(c.sev, c.from); !got.Equal(c.want) {
				t.Errorf("DueAt = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAlertFor(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	cases := []struct {
		name string
		a    Assessment
		sev  Severity
		ok   bool
	}{
		{"a critical answer is critical", Assessment{Tier: Red, Critical: true}, SevCritical, true},
		{"red is high", Assessment{Tier: Red}, SevHigh, true},
		{"orange is medium", Assessment{Tier: Orange}, SevMedium, true},
		{"yellow raises no alert", Assessment{Tier: Yellow}, "", false},
		{"green raises no alert", Assessment{Tier: Green}, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sev, ok := p.AlertFor(c.a)
			if sev != c.sev || ok != c.ok {
				t.Errorf("AlertFor = %q, %v; want %q, %v", sev, ok, c.sev, c.ok)
			}
		})
	}
}

func TestApplyEveryStateAndAction(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	t0 := at8(2026, 3, 6, 10, 0, 0)
	now := t0.Add(30 * time.Minute)
	alertIn := func(s State) Alert {
		if s == "" {
			return Alert{Severity: SevHigh}
		}
		return Alert{State: s, Level: LevelSchool, Severity: SevHigh, RaisedAt: t0, DueAt: p.DueAt(SevHigh, t0)}
	}
	const E = State("error")
	states := []State{"", StateOpen, StateSeen, StateAcknowledged, StateClosed}
	actions := []Action{ActRaise, ActSee, ActAcknowledge, ActNote, ActEscalate, ActClose, Action("deleted")}
	want := map[State][]State{ //  raise      see        acknowledge        note               escalate   close        unknown
		"":                {StateOpen, E, E, E, E, E, E},
		StateOpen:         {E, StateSeen, StateAcknowledged, E, StateOpen, StateClosed, E},
		StateSeen:         {E, E, StateAcknowledged, E, StateOpen, StateClosed, E},
		StateAcknowledged: {E, E, E, StateAcknowledged, E, StateClosed, E},
		StateClosed:       {E, E, E, E, E, E, E},
	}
	for _, s := range states {
		for i, act := range actions {
			from := string(s)
			if from == "" {
				from = "not raised"
			}
			t.Run(string(act)+" on a "+from+" alert gives "+string(want[s][i]), func(t *testing.T) {
				t.Parallel()
				a := alertIn(s)
				got, err := Apply(a, act, now, "referred to the school counsellor", p)
				if want[s][i] == E {
					if !errors.Is(err, ErrTransition) {
						t.Fatalf("err = %v, want ErrTransition", err)
					}
					if got != a {
						t.Errorf("a refused action changed the alert: %+v", got)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.State != want[s][i] {
					t.Errorf("state = %q, want %q", got.State, want[s][i])
				}
				switch act {
				case ActRaise:
					if got.Level != LevelSchool || !got.RaisedAt.Equal(now) || !got.DueAt.Equal(now.Add(24*time.Hour)) {
						t.Errorf("raised alert %+v", got)
					}
				case ActEscalate:
					if got.Level != LevelDistrict || !got.DueAt.Equal(now.Add(24*time.Hour)) {
						t.Errorf("escalated alert %+v", got)
					}
				default:
					if got.Level != a.Level || got.DueAt != a.DueAt || got.RaisedAt != a.RaisedAt {
						t.Errorf("%s changed more than the state: %+v", act, got)
					}
				}
			})
		}
	}
}

func TestApplyGuards(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	t0 := at8(2026, 3, 6, 10, 0, 0)
	open, err := Raise(SevCritical, t0, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []State{StateOpen, StateSeen, StateAcknowledged} {
		t.Run("closing a "+string(s)+" alert without an outcome is refused", func(t *testing.T) {
			a := open
			a.State = s
			for _, outcome := range []string{"", "  \n"} {
				if got, err := Apply(a, ActClose, t0, outcome, p); !errors.Is(err, ErrOutcome) || got != a {
					t.Errorf("outcome %q: %v", outcome, err)
				}
			}
		})
	}
	t.Run("a closed alert refuses a close without an outcome as a transition error", func(t *testing.T) {
		a := open
		a.State = StateClosed
		if _, err := Apply(a, ActClose, t0, "", p); !errors.Is(err, ErrTransition) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an alert at city level cannot be escalated", func(t *testing.T) {
		a := open
		a.Level = LevelCity
		if _, err := Apply(a, ActEscalate, t0, "", p); !errors.Is(err, ErrTransition) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("raising with an unknown severity is refused", func(t *testing.T) {
		if _, err := Raise(Severity("low"), t0, p); !errors.Is(err, ErrSeverity) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("the transition error says what was refused", func(t *testing.T) {
		a := open
		a.State = StateClosed
		_, err := Apply(a, ActSee, t0, "", p)
		if err == nil || !strings.Contains(err.Error(), `"seen" on a closed alert`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestEscalationWalk(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	t0 := at8(2026, 3, 6, 22, 0, 0) // a Friday night: critical deadlines do not wait for Monday
	a, err := Raise(SevCritical, t0, p)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		now   time.Time
		ok    bool
		level Level
		due   time.Time
	}{
		{"before the deadline nothing happens", t0.Add(119 * time.Minute), false, LevelSchool, t0.Add(2 * time.Hour)},
		{"at the school deadline it goes to the district", t0.Add(2 * time.Hour), true, LevelDistrict, t0.Add(4 * time.Hour)},
		{"called again before the new deadline nothing happens", t0.Add(3 * time.Hour), false, LevelDistrict, t0.Add(4 * time.Hour)},
		{"late past the district deadline it goes to the city, due 2 hours from now", t0.Add(5 * time.Hour), true, LevelCity, t0.Add(7 * time.Hour)},
		{"the city is the top: it stops there", t0.Add(100 * time.Hour), false, LevelCity, t0.Add(7 * time.Hour)},
	}
	for _, s := range steps {
		got, ok := Escalate(a, s.now, p)
		if ok != s.ok || got.Level != s.level || !got.DueAt.Equal(s.due) || got.State != StateOpen {
			t.Fatalf("%s: got ok=%v %+v; want ok=%v level %v due %v", s.name, ok, got, s.ok, s.level, s.due)
		}
		a = got
	}

	t.Run("a seen alert still escalates, and is open again for the new level", func(t *testing.T) {
		a, _ := Raise(SevHigh, t0, p)
		a, _ = Apply(a, ActSee, t0.Add(time.Hour), "", p)
		got, ok := Escalate(a, t0.Add(24*time.Hour), p)
		if !ok || got.Level != LevelDistrict || got.State != StateOpen {
			t.Errorf("got ok=%v %+v", ok, got)
		}
	})
	t.Run("an acknowledged alert does not escalate", func(t *testing.T) {
		a, _ := Raise(SevCritical, t0, p)
		a, _ = Apply(a, ActAcknowledge, t0.Add(time.Hour), "", p)
		if got, ok := Escalate(a, t0.Add(10*time.Hour), p); ok || got != a {
			t.Errorf("got ok=%v %+v", ok, got)
		}
	})
	t.Run("a closed alert is never changed", func(t *testing.T) {
		a, _ := Raise(SevCritical, t0, p)
		a, _ = Apply(a, ActClose, t0.Add(time.Hour), "pupil seen by counsellor, parents informed", p)
		later := t0.Add(1000 * time.Hour)
		if got, ok := Escalate(a, later, p); ok || got != a {
			t.Errorf("Escalate changed a closed alert: %+v", got)
		}
		for _, act := range []Action{ActRaise, ActSee, ActAcknowledge, ActNote, ActEscalate, ActClose} {
			if got, err := Apply(a, act, later, "again", p); !errors.Is(err, ErrTransition) || got != a {
				t.Errorf("%s on a closed alert: %v %+v", act, err, got)
			}
		}
	})
	t.Run("a medium alert escalates on school days", func(t *testing.T) {
		a, _ := Raise(SevMedium, at8(2026, 3, 6, 16, 0, 0), p) // due Wed 11th 23:59:59
		if _, ok := Escalate(a, at8(2026, 3, 11, 23, 59, 58), p); ok {
			t.Error("escalated a second early")
		}
		got, ok := Escalate(a, at8(2026, 3, 11, 23, 59, 59), p)
		if !ok || got.Level != LevelDistrict || !got.DueAt.Equal(at8(2026, 3, 16, 23, 59, 59)) {
			t.Errorf("got ok=%v %+v", ok, got)
		}
	})
}

func TestLevelNames(t *testing.T) {
	t.Parallel()
	for _, l := range []Level{LevelSchool, LevelDistrict, LevelCity} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	if _, err := ParseLevel("province"); err == nil {
		t.Error("ParseLevel accepted province")
	}
	b, err := json.Marshal(Alert{State: StateOpen, Level: LevelDistrict, Severity: SevHigh})
	if err != nil || !strings.Contains(string(b), `"level":"district"`) {
		t.Errorf("alert JSON %s, %v", b, err)
	}
	if _, err := Level(5).MarshalText(); err == nil || Level(5).String() != "Level(5)" {
		t.Error("Level(5) marshalled")
	}
}
