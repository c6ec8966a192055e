package web

import (
	"strings"
	"testing"

	"huhang/internal/store"
)

// The visit sheet's pupil lists are rendered in Go, not by html/template:
// every value must come out escaped all the same.
func TestSheetListsEscapeEveryValue(t *testing.T) {
	t.Parallel()
	bad := `<script>alert(1)</script>"'&`
	p := sheetPupil{VisitPupil: store.VisitPupil{StudentID: 7, Name: bad, LastOn: bad, Visits: 2}, Cats: []string{bad}, ModesText: bad, Selected: true}
	l := renderSheetLists([]sheetPupil{p}, []sheetPupil{p}, bad, bad)
	for name, h := range map[string]string{"unvisited": string(l.Unvisited), "unvisited options": string(l.UnvisitedOptions),
		"visited": string(l.Visited), "visited options": string(l.VisitedOptions)} {
		if strings.Contains(h, "<script>") || strings.Contains(h, `"'&`) {
			t.Errorf("%s list shows markup unescaped: %s", name, h)
		}
		if !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;") {
			t.Errorf("%s list lost the escaped name: %s", name, h)
		}
	}
	if !strings.Contains(string(l.UnvisitedOptions), `<option value="7" selected>`) {
		t.Errorf("the chosen pupil is not selected: %s", l.UnvisitedOptions)
	}
	if !strings.Contains(string(l.Visited), `<td>2</td>`) || !strings.Contains(string(l.Visited), `href="/students/7/visits"`) {
		t.Errorf("visited row: %s", l.Visited)
	}
}

// The report's key-pupil and assistance figures describe families in
// difficulty: counts of 1–4 are withheld, and so is anything that would
// give them away (a rate, the answered total, the bar).
func TestReportFiguresWithholdSmallCounts(t *testing.T) {
	t.Parallel()
	t.Run("an assistance outcome with a count of 1–4 withholds every answer", func(t *testing.T) {
		x := showAssist(store.AssistStat{Listed: 12, Received: 3, Assisted: 6, Declined: 0, Pending: 3})
		if !x.Withheld || x.Received != "<5" || x.Assisted != "<5" || x.Pending != "<5" || x.Declined != "0" || x.Answered != "–" || x.WAssisted != 0 {
			t.Errorf("%+v", x)
		}
		if x.Listed != "12" {
			t.Errorf("the list's size of 12 is publishable: %+v", x)
		}
	})
	t.Run("a list of 1–4 pupils is withheld", func(t *testing.T) {
		if x := showAssist(store.AssistStat{Listed: 4, Pending: 4}); x.Listed != "<5" || !x.Withheld {
			t.Errorf("%+v", x)
		}
	})
	t.Run("large counts are shown with their bar", func(t *testing.T) {
		x := showAssist(store.AssistStat{Listed: 20, Received: 5, Assisted: 10, Declined: 5})
		if x.Withheld || x.Answered != "20" || x.WAssisted != 50 || x.Assisted != "10" {
			t.Errorf("%+v", x)
		}
	})
	t.Run("a follow-up rate is withheld when a count behind it is 1–4", func(t *testing.T) {
		x := showFollowUp(store.FollowUpStat{Key: 40, OnTime: 37, Overdue: 3})
		if x.Pct != "–" || x.Overdue != "<5" || x.OnTime != "37" || x.Bar != 0 {
			t.Errorf("%+v", x)
		}
		if y := showFollowUp(store.FollowUpStat{Key: 40, OnTime: 30, Overdue: 10}); y.Pct != "75.0%" || y.Bar != 75 {
			t.Errorf("%+v", y)
		}
	})
}
