package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"huhang/internal/authz"
	"huhang/internal/model"
	"huhang/internal/store"
)

// A pupil transferred to another school leaves the sender's scope at once,
// waits at the receiving school without a class, and is placed there.
func TestTransferBetweenSchools(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		fx := e.fx
		sender := e.as(t, "schooladmin")
		// A pupil of our own to move, so shared fixtures stay put.
		seq := 700
		if e.engine == "postgres" {
			seq = 701
		}
		in := newStudent(fx.targets.Class, "20150304", seq, "转学测试", model.Female)
		id, err := e.st.CreateStudent(ctx, store.SystemActor, authz.Scope{City: true}, authz.Scope{City: true}, in)
		if err != nil {
			t.Fatal(err)
		}
		to := fx.sibling.school
		r := sender.sendJSON("POST", fmt.Sprintf("/api/v1/students/%d/move", id), fmt.Sprintf(`{"kind":"transfer","school_id":%d}`, to))
		if r.status != 200 {
			t.Fatalf("transfer: %s", r)
		}
		if r := sender.get(fmt.Sprintf("/api/v1/students/%d", id)); r.status != 404 {
			t.Errorf("the sending school still reads the pupil: %d", r.status)
		}
		name, _, pw := e.newUser(t, "recv", authz.At(authz.SchoolAdmin, to))
		recv := e.fresh(t, name, pw)
		page := recv.get(fmt.Sprintf("/students?school=%d&unplaced=1", to))
		if page.status != 200 || !strings.Contains(string(page.body), "转学测试") {
			t.Fatalf("the receiving school does not list the pupil as waiting: %s", page)
		}
		classes, err := e.st.ListClasses(ctx, authz.Scope{City: true}, to)
		if err != nil || len(classes) == 0 {
			t.Fatalf("receiving school classes: %v", err)
		}
		r = recv.sendJSON("POST", fmt.Sprintf("/api/v1/students/%d/move", id), fmt.Sprintf(`{"kind":"class","class_id":%d}`, classes[0].ID))
		if r.status != 200 {
			t.Fatalf("placing: %s", r)
		}
		d, err := e.st.GetStudent(ctx, store.SystemActor, authz.Scope{City: true}, authz.Scope{}, id, false)
		if err != nil || d.SchoolID != to || d.ClassID != classes[0].ID {
			t.Errorf("after placing: school %d class %d (%v)", d.SchoolID, d.ClassID, err)
		}
		if diffs, err := e.st.CheckCounts(ctx); err != nil || len(diffs) > 0 {
			t.Errorf("counters after the transfer: %v %v", diffs, err)
		}
	})
}
