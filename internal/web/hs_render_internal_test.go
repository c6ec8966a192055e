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
