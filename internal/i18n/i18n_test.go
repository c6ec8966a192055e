package i18n

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	c := MustLoad()
	zh, en := c.Keys("zh-CN"), c.Keys("en")
	for _, k := range zh {
		if !c.Has("en", k) {
			t.Errorf("%q is in zh-CN but not in en", k)
		}
	}
	for _, k := range en {
		if !c.Has("zh-CN", k) {
			t.Errorf("%q is in en but not in zh-CN", k)
		}
	}
	if len(zh) < 100 {
		t.Errorf("zh-CN has only %d keys", len(zh))
	}
}

func TestNoMessageIsEmptyOrUntranslated(t *testing.T) {
	c := MustLoad()
	han := regexp.MustCompile(`\p{Han}`)
	for _, k := range c.Keys("zh-CN") {
		zh, en := c.T("zh-CN", k), c.T("en", k)
		if strings.TrimSpace(zh) == "" || strings.TrimSpace(en) == "" {
			t.Errorf("%q has an empty message", k)
		}
		if han.MatchString(en) && !strings.HasPrefix(k, "city.") && !strings.Contains(en, "张*明") {
			t.Errorf("%q: the English message contains Chinese: %q", k, en)
		}
	}
}

// Every key a template or Go file names literally must exist, so no page
// shows a raw key.
func TestEveryKeyInUseExists(t *testing.T) {
	c := MustLoad()
	tKey := regexp.MustCompile(`\.T "([a-z_.]+)"`)
	// Go code names message keys as validation keys ("err.…"), error keys
	// ("error.…") and page titles (the fourth argument of s.html).
	goKey := regexp.MustCompile(`"((?:err|error|login|mfa|account|nav|city)\.[a-z_]+)"|html\(w, c, "[a-z_]+\.html", "([a-z_.]+)"`)
	var missing []string
	filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		var re *regexp.Regexp
		switch {
		case strings.HasSuffix(path, ".html"):
			re = tKey
		case strings.HasSuffix(path, ".go"):
			re = goKey
		default:
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			key := m[1]
			if key == "" && len(m) > 2 {
				key = m[2]
			}
			if strings.HasSuffix(key, ".html") { // a template name, not a key
				continue
			}
			if !c.Has("zh-CN", key) && !slices.Contains(missing, key) {
				missing = append(missing, key+" ("+path+")")
			}
		}
		return nil
	})
	if len(missing) > 0 {
		t.Errorf("keys used but not in the catalogue: %v", missing)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct{ choice, header, want string }{
		{"", "", "zh-CN"},
		{"en", "zh-CN", "en"},
		{"", "en-US,en;q=0.9", "en"},
		{"", "zh-TW,zh;q=0.9", "zh-CN"},
		{"", "fr-FR", "zh-CN"},
		{"EN", "", "en"},
		{"xx", "", "zh-CN"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", c.header)
		if got := Match(c.choice, r); got != c.want {
			t.Errorf("Match(%q, %q) = %q, want %q", c.choice, c.header, got, c.want)
		}
	}
}

func TestFormatting(t *testing.T) {
	c := MustLoad()
	if got := c.T("zh-CN", "list.total", 12); got != "共 12 条" {
		t.Errorf("list.total = %q", got)
	}
	if got := c.T("en", "no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key should show itself, got %q", got)
	}
}
