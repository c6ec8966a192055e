package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"testing"
	"time"

	"huhang/internal/authz"
)

// A certificate's evidence file goes back only to its holder and to those
// who read the holder's school, as an attachment, and never in the clear
// in the database.
func TestCertificateEvidenceOnlyForHolderAndSchool(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		teacher := e.as(t, "teacher")
		number := fmt.Sprintf("T-EVID-%d", time.Now().UnixNano()%1e12)
		evidence := []byte("%PDF-1.4 test evidence " + number)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"kind": "C", "number": number, "issuer": "测试发证机关", "issued_on": "2024-05-01"} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("evidence", "证书.pdf")
		fw.Write(evidence)
		mw.Close()
		if r := teacher.do("POST", "/me/training/certificates", body.Bytes(), mw.FormDataContentType(), nil); r.status != 303 {
			t.Fatalf("submitting with evidence: %s", r)
		}
		list, err := e.st.ListCertificates(ctx, authz.Scope{City: true}, e.fx.own.school, "")
		must(t, err)
		var id int64
		for _, c := range list {
			if c.Number == number {
				id = c.ID
			}
		}
		if id == 0 {
			t.Fatal("the certificate is not stored")
		}
		path := fmt.Sprintf("/certificates/%d/evidence", id)
		for _, who := range []string{"teacher", "principal"} {
			r := e.as(t, who).get(path)
			if r.status != 200 || !bytes.Equal(r.body, evidence) || r.header.Get("Content-Disposition") == "" {
				t.Errorf("%s: %d, %d bytes, disposition %q", who, r.status, len(r.body), r.header.Get("Content-Disposition"))
			}
		}
		other, _, pw := e.newUser(t, "evidence-principal-b", authz.At(authz.Principal, e.fx.sibling.school))
		for who, c := range map[string]*client{"a principal of another school": e.fresh(t, other, pw), "agency": e.as(t, "agency"),
			"psychology teacher (own record only)": e.as(t, "psych")} {
			if r := c.get(path); r.status != 404 {
				t.Errorf("%s: %d, want 404", who, r.status)
			}
		}
	})
}
