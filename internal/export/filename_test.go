package export

import (
	"mime"
	"strings"
	"testing"
	"unicode"
)

func TestFilename(t *testing.T) {
	tests := []struct {
		parts    []string
		name     string
		fallback string
	}{
		{[]string{"东区", "学生名单", "2026-11-29"}, "东区_学生名单_2026-11-29.xlsx", "export_2026-11-29.xlsx"},
		{[]string{"初一/1班", "名单"}, "初一_1班_名单.xlsx", "export_1.xlsx"},
		{[]string{`初一\1班`}, "初一_1班.xlsx", "export_1.xlsx"},
		{[]string{"../../etc/passwd"}, "etc_passwd.xlsx", "etc_passwd.xlsx"},
		{[]string{"..", "名单"}, "名单.xlsx", "export.xlsx"},
		{[]string{".."}, "export.xlsx", "export.xlsx"},
		{[]string{"a..b"}, "a.b.xlsx", "a.b.xlsx"},
		{[]string{`"期末"名单`}, "期末_名单.xlsx", "export.xlsx"},
		{[]string{`say "hi"`}, "say _hi.xlsx", "say _hi.xlsx"},
		{[]string{"名单\r\nX-Injected: 1"}, "名单 X-Injected_ 1.xlsx", "export_X-Injected_ 1.xlsx"},
		{[]string{"名单\u202exslx.exe"}, "名单xslx.exe.xlsx", "export_xslx.exe.xlsx"},
		{[]string{"Class 1  list"}, "Class 1 list.xlsx", "Class 1 list.xlsx"},
		{[]string{"report.xlsx"}, "report.xlsx", "report.xlsx"},
		{[]string{"report", ".XLSX"}, "report_XLSX.xlsx", "report_XLSX.xlsx"},
		{[]string{"CON"}, "CON_.xlsx", "CON_.xlsx"},
		{[]string{"nul.2026"}, "nul_.2026.xlsx", "nul_.2026.xlsx"},
		{[]string{"a;b%20c"}, "a;b%20c.xlsx", "export_a_b_20c.xlsx"},
		{[]string{"", "  ", "\x00\x07"}, "export.xlsx", "export.xlsx"},
		{nil, "export.xlsx", "export.xlsx"},
		{[]string{"bad\xffutf8"}, "badutf8.xlsx", "badutf8.xlsx"},
		{[]string{"东区\u3000学生"}, "东区 学生.xlsx", "export.xlsx"},
	}
	for _, tt := range tests {
		name, disp := Filename(tt.parts...)
		if name != tt.name {
			t.Errorf("Filename(%q) name = %q, want %q", tt.parts, name, tt.name)
		}
		if d := Disposition(tt.parts...); d != disp {
			t.Errorf("Disposition(%q) = %q, differs from Filename's %q", tt.parts, d, disp)
		}
		checkDisposition(t, disp, name, tt.fallback)
	}
}

func TestDispositionExact(t *testing.T) {
	got := Disposition("东区", "学生名单", "2026-11-29")
	want := `attachment; filename="export_2026-11-29.xlsx"; filename*=UTF-8''%E4%B8%9C%E5%8C%BA_%E5%AD%A6%E7%94%9F%E5%90%8D%E5%8D%95_2026-11-29.xlsx`
	if got != want {
		t.Errorf("Disposition =\n %s\nwant\n %s", got, want)
	}
}

func TestFilenameLength(t *testing.T) {
	name, disp := Filename(strings.Repeat("名", 100), "2026-11-29")
	if name != strings.Repeat("名", maxBaseBytes/3)+".xlsx" {
		t.Errorf("long name = %q", name)
	}
	checkDisposition(t, disp, name, "export.xlsx")
	// A cut in the middle of a multi-byte character must not leave
	// invalid UTF-8.
	name, _ = Filename("a" + strings.Repeat("名", 100))
	if !strings.HasSuffix(name, "名.xlsx") || len(name) > maxBaseBytes+5 {
		t.Errorf("odd cut = %q", name)
	}
}

// checkDisposition asserts the header's structural safety and that a
// standard parser recovers the UTF-8 name.
func checkDisposition(t *testing.T, disp, name, fallback string) {
	t.Helper()
	for _, r := range disp {
		if r < 0x20 || r >= 0x7f {
			t.Errorf("header %q contains non-printable or non-ASCII %U", disp, r)
		}
	}
	if n := strings.Count(disp, `"`); n != 2 {
		t.Errorf("header %q has %d quotes, want 2", disp, n)
	}
	if !strings.HasPrefix(disp, `attachment; filename="`+fallback+`"; filename*=UTF-8''`) {
		t.Errorf("header %q, want fallback %q", disp, fallback)
	}
	typ, params, err := mime.ParseMediaType(disp)
	if err != nil || typ != "attachment" {
		t.Fatalf("ParseMediaType(%q) = %q, %v", disp, typ, err)
	}
	if params["filename"] != name {
		t.Errorf("parsed filename = %q, want %q", params["filename"], name)
	}
	if strings.ContainsAny(name, `/\"`) || strings.HasPrefix(name, ".") ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		t.Errorf("unsafe name %q", name)
	}
}

func FuzzFilename(f *testing.F) {
	for _, s := range []string{"东区", "../..", "a/b\\c", "\"x\"\r\n", "CON", "\u202e", ".xlsx"} {
		f.Add(s, "学生名单")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		name, disp := Filename(a, b)
		if !strings.HasSuffix(name, ".xlsx") || len(name) > maxBaseBytes+len(".xlsx") {
			t.Fatalf("name %q", name)
		}
		if strings.ContainsAny(name, "/\\\"\r\n") || strings.Contains(name, "..") || strings.HasPrefix(name, ".") {
			t.Fatalf("unsafe name %q", name)
		}
		_, params, err := mime.ParseMediaType(disp)
		if err != nil || params["filename"] != name {
			t.Fatalf("header %q parses to %q, %v; want %q", disp, params["filename"], err, name)
		}
	})
}
