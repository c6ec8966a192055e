package web_test

import (
	"strings"
	"testing"
)

// A new deployment starts with no districts: the city bureau adds them.
func TestCityOfficialAddsDistricts(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		city := e.as(t, "city")
		code := "519977"
		if e.engine == "postgres" {
			code = "519978"
		}
		r := city.sendJSON("POST", "/api/v1/districts", `{"code":"`+code+`","name":"测试新区","kind":"county"}`)
		if r.status != 201 {
			t.Fatalf("create: %s", r)
		}
		var got struct{ ID int64 }
		r.json(t, &got)
		if d := city.get("/api/v1/districts/" + itoa(got.ID)); d.status != 200 || !strings.Contains(string(d.body), "测试新区") {
			t.Errorf("the new district does not show: %s", d)
		}
		dup := city.sendJSON("POST", "/api/v1/districts", `{"code":"`+code+`","name":"重复","kind":"district"}`)
		if er := checkErrorShape(t, dup, true); dup.status != 400 || len(er.Details) == 0 || er.Details[0].Field != "code" {
			t.Errorf("a duplicate code: %s", dup)
		}
		bad := city.sendJSON("POST", "/api/v1/districts", `{"code":"51A","name":"","kind":"town"}`)
		if er := checkErrorShape(t, bad, true); bad.status != 400 || len(er.Details) != 3 {
			t.Errorf("bad input should name code, name and kind: %s", bad)
		}
		if r := e.as(t, "district").sendJSON("POST", "/api/v1/districts", `{"code":"519979","name":"越权","kind":"district"}`); r.status != 404 {
			t.Errorf("a district official added a district: %s", r)
		}
	})
}
