package web_test

// Fuzzing the JSON bodies of the create endpoints through the real handler
// (T4.1): whatever the bytes, the answer is a 201 with an id of a record
// inside the caller's scope, or a structured 4xx in the one error shape —
// never a 5xx. The seed corpora in testdata/fuzz run as unit tests under
// plain `go test`; `go test -fuzz=FuzzStudentCreateJSON` explores further.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"huhang/internal/store"
)

// fuzzPost sends body as a signed-in JSON POST through the handler.
func fuzzPost(e *env, token, path string, body []byte) *response {
	req := httptest.NewRequest("POST", path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes(), method: "POST", path: path}
}

// checkCreated checks a fuzzed answer and returns the created id, if any.
func checkCreated(t *testing.T, r *response, took time.Duration) int64 {
	t.Helper()
	if took > time.Second {
		t.Errorf("%s took %v", r, took)
	}
	if r.status >= 500 {
		t.Fatalf("%s", r)
	}
	if !json.Valid(r.body) {
		t.Fatalf("%d answer is not JSON: %q", r.status, r.body)
	}
	if r.status == http.StatusCreated {
		var m map[string]any
		r.json(t, &m)
		id, ok := m["id"].(float64)
		if len(m) != 1 || !ok || id <= 0 {
			t.Fatalf("201 answer %s, want exactly {\"id\": n}", r.body)
		}
		return int64(id)
	}
	if r.status < 400 {
		t.Fatalf("%s: want 201 or a 4xx", r)
	}
	checkErrorShape(t, r, false)
	return 0
}

func FuzzStudentCreateJSON(f *testing.F) {
	e := sharedEnv(f, "sqlite")
	token := e.as(f, "schooladmin").cookie(sessionCookie)
	own := e.fx.own
	// Seeds that depend on this city's ids (the rest are in testdata/fuzz).
	f.Add([]byte(fmt.Sprintf(`{"class_id":%d,"student_no":"L510403201605010401","name":"模糊测试甲","gender":"F","birth_date":"2016-05-01"}`, own.class)))
	f.Add([]byte(fmt.Sprintf(`{"class_id":%d,"student_no":"G%s","name":"模糊测试乙","gender":"M","birth_date":"2016-05-01",`+
		`"categories":["poor","left_behind"],"guardians":[{"name":"模糊监护","relation":"mother","phone":"13900000002"}]}`,
		own.class, idNumber("510403", "20160501", 402))))
	f.Add([]byte(fmt.Sprintf(`{"class_id":%d,"student_no":"L510403201605010403","name":"模糊测试丙","gender":"F","birth_date":"2016-05-01"}`, e.fx.other.class)))
	f.Add([]byte(fmt.Sprintf(`{"class_id":%d,"student_no":"J%s","name":"模糊测试丁","gender":"M","birth_date":"2016-05-01","id_number":%q}`,
		own.class, idNumber("510403", "20160501", 404), idNumber("510403", "20160501", 405))))
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		r := fuzzPost(e, token, "/api/v1/students", body)
		id := checkCreated(t, r, time.Since(start))
		if id == 0 {
			return
		}
		// A created pupil is in the school administrator's school.
		d, err := e.st.GetStudent(context.Background(), store.SystemActor, city, city, id, false)
		if err != nil {
			t.Fatalf("created pupil %d cannot be read: %v", id, err)
		}
		if d.SchoolID != own.school {
			t.Fatalf("pupil %d created in school %d, outside the caller's school %d", id, d.SchoolID, own.school)
		}
	})
}

func FuzzSchoolCreateJSON(f *testing.F) {
	e := sharedEnv(f, "sqlite")
	token := e.as(f, "district").cookie(sessionCookie)
	f.Add([]byte(fmt.Sprintf(`{"district_id":%d,"code":"FZ-0001","name":"模糊测试学校","type":"primary","address":"测试路2号"}`, e.fx.own.district)))
	f.Add([]byte(fmt.Sprintf(`{"district_id":%d,"code":"FZ-0002","name":"模糊测试学校二","type":"junior"}`, e.fx.other.district)))
	f.Fuzz(func(t *testing.T, body []byte) {
		start := time.Now()
		r := fuzzPost(e, token, "/api/v1/schools", body)
		id := checkCreated(t, r, time.Since(start))
		if id == 0 {
			return
		}
		s, err := e.st.GetSchool(context.Background(), city, id)
		if err != nil {
			t.Fatalf("created school %d cannot be read: %v", id, err)
		}
		if s.DistrictID != e.fx.own.district {
			t.Fatalf("school %d created in district %d, outside the official's district %d", id, s.DistrictID, e.fx.own.district)
		}
	})
}
