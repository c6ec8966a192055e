package web_test

// Small counts (ACCESS.md: D0 aggregates, counts below 5 suppressed): a
// suppressed cell must not be recoverable from the cells shown beside it.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"testing"

	"huhang/internal/model"
	"huhang/internal/store"
)

type countsView struct {
	Students   *int            `json:"students"`
	Female     *int            `json:"female"`
	Male       *int            `json:"male"`
	Categories map[string]*int `json:"categories"`
	Suppressed bool            `json:"suppressed"`
}

// TestSmallCountsCannotBeRecovered makes a class of six pupils, one of them
// a girl, and reads its aggregates: with the class size and the boys shown,
// hiding the one girl hides nothing (6 − 5 = 1).
func TestSmallCountsCannotBeRecovered(t *testing.T) {
	e := sharedEnv(t, "sqlite")
	ctx := context.Background()
	ref, err := e.st.GetClass(ctx, city, e.fx.own.class)
	must(t, err)
	var rnd [2]byte
	rand.Read(rnd[:])
	n := int(binary.BigEndian.Uint16(rnd[:]))
	var class int64
	for i := 0; i < 20 && class == 0; i++ {
		class, err = e.st.CreateClass(ctx, store.SystemActor, city, store.ClassInput{SchoolID: e.fx.own.school,
			StartYear: ref.StartYear, Grade: ref.Grade, Number: 50 + (n+i)%50})
		if err != nil {
			class = 0
		}
	}
	if class == 0 {
		t.Fatalf("create a class: %v", err)
	}
	names := []string{"补数测试甲", "补数测试乙", "补数测试丙", "补数测试丁", "补数测试戊", "补数测试己"}
	for i, name := range names {
		g := model.Male
		if i == 0 {
			g = model.Female
		}
		in := newStudent(class, "20160501", 0, name, g)
		no := fmt.Sprintf("L510403201605%06d", (n*10+i)%1000000)
		in.StudentNo, in.IDNumber = &no, nil
		if _, err := e.st.CreateStudent(ctx, store.SystemActor, city, city, in); err != nil {
			t.Fatalf("create pupil: %v", err)
		}
	}

	for _, who := range []string{"principal", "district", "city"} {
		r := e.as(t, who).get("/api/v1/classes/" + itoa(class))
		if who != "principal" && r.status == 404 {
			continue // not every role reaches the class
		}
		if r.status != 200 {
			t.Fatalf("%s: %s", who, r)
		}
		var v struct {
			Counts countsView `json:"counts"`
		}
		r.json(t, &v)
		c := v.Counts
		shown := func(p *int) string {
			if p == nil {
				return "—"
			}
			return fmt.Sprint(*p)
		}
		recoverable := func(hidden, total, other *int) bool { return hidden == nil && total != nil && other != nil }
		if recoverable(c.Female, c.Students, c.Male) || recoverable(c.Male, c.Students, c.Female) {
			t.Errorf("as %s: students %s, female %s, male %s: the suppressed cell is the total minus the other",
				who, shown(c.Students), shown(c.Female), shown(c.Male))
		}
	}
}
