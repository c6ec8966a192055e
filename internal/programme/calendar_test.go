package programme

import (
	"testing"
	"time"

	"huhang/internal/model"
)

func TestTermOf(t *testing.T) {
	t.Parallel()
	published := Calendar{{StartYear: 2025, Semesters: [2]model.Period{
		{Start: day(2025, 9, 1), End: day(2026, 1, 16)},
		{Start: day(2026, 2, 25), End: day(2026, 7, 3)},
	}}}
	cases := []struct {
		name string
		cal  Calendar
		at   time.Time
		want Term
	}{
		{"the first day of September is semester 1", nil, day(2025, 9, 1), Term{2025, 1}},
		{"31 January is still semester 1", nil, day(2026, 1, 31), Term{2025, 1}},
		{"1 February is semester 2", nil, day(2026, 2, 1), Term{2025, 2}},
		{"31 July is semester 2", nil, day(2026, 7, 31), Term{2025, 2}},
		{"August belongs to the term about to start", nil, day(2026, 8, 1), Term{2026, 1}},
		{"late evening in Beijing keeps its own date", nil, time.Date(2026, 1, 31, 23, 30, 0, 0, time.FixedZone("CST", 8*3600)), Term{2025, 1}},
		{"a published last day of semester 1 is semester 1", published, day(2026, 1, 16), Term{2025, 1}},
		{"the winter holiday belongs to semester 2", published, day(2026, 1, 20), Term{2025, 2}},
		{"the summer holiday after a published end belongs to the next year", published, day(2026, 7, 10), Term{2026, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.cal.TermOf(c.at); got != c.want {
				t.Errorf("TermOf(%s) = %v; want %v", c.at.Format(time.DateTime), got, c.want)
			}
		})
	}
	if p := published.Period(Term{2025, 2}); !p.End.Equal(day(2026, 7, 3)) {
		t.Errorf("published period = %v", p)
	}
	if p := published.Period(Term{2026, 1}); !p.Start.Equal(day(2026, 9, 1)) {
		t.Errorf("an unpublished year does not follow the standard calendar: %v", p)
	}
}
