package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// T3.3: free text from one user is inert in every page that shows it.
func TestStoredMarkupIsEscaped(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		district := e.as(t, "district")
		payloads := []string{
			`<script>alert(1)</script>`,
			`"><img src=x onerror=alert(1)>`,
			`javascript:alert(1)`,
			`＜script＞alert(1)＜/script＞`,
			`<svg/onload=alert(1)>`,
		}
		for i, p := range payloads {
			code := fmt.Sprintf("XSS-%s-%d", e.engine[:2], i)
			r := district.sendJSON("POST", "/api/v1/schools", fmt.Sprintf(`{"district_id":%d,"code":%q,"name":%q,"type":"primary","address":%q}`,
				e.fx.targets.District, code, "学校"+p, p))
			if r.status != 201 {
				t.Fatalf("create with payload %d: %s", i, r)
			}
			var got struct{ ID int64 }
			r.json(t, &got)
			for _, path := range []string{"/districts/" + itoa(e.fx.targets.District), "/schools/" + itoa(got.ID), "/schools/" + itoa(got.ID) + "/edit"} {
				body := string(district.get(path).body)
				for _, raw := range []string{"<script>alert", "<img src=x", "<svg/onload", `"><img`} {
					if strings.Contains(body, raw) {
						t.Errorf("%s shows %q unescaped", path, raw)
					}
				}
			}
		}
	})
}
