// Package i18n holds Huhang's translations: flat JSON catalogues per
// locale (zh-CN first, en second), used by pages and API error messages
// alike. A locale's catalogue is locales/<locale>.json plus every file in
// locales/<locale>/ (one per feature area); a key defined twice is an
// error. A missing key falls back to zh-CN, then to the key itself, so a gap
// shows up in tests (which compare the catalogues) rather than as a crash.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"
)

//go:embed locales/*.json locales/*/*.json
var files embed.FS

// Default is the locale used when nothing else is asked for.
const Default = "zh-CN"

// Locales lists the supported locales, default first.
var Locales = []string{"zh-CN", "en"}

// Catalog maps keys to messages for every locale.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load reads the embedded catalogues.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, loc := range Locales {
		parts, err := fs.Glob(files, "locales/"+loc+"/*.json")
		if err != nil {
			return nil, fmt.Errorf("i18n: list %s: %w", loc, err)
		}
		m := map[string]string{}
		for _, name := range append([]string{"locales/" + loc + ".json"}, parts...) {
			b, err := files.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("i18n: read %s: %w", name, err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, fmt.Errorf("i18n: parse %s: %w", name, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("i18n: %s defines %q again", name, k)
				}
				m[k] = v
			}
		}
		c.msgs[loc] = m
	}
	return c, nil
}

// MustLoad is Load for program start-up, where the embedded files are known good.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Keys returns the sorted keys of one locale (tests compare catalogues).
func (c *Catalog) Keys(locale string) []string {
	var out []string
	for k := range c.msgs[locale] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists in locale.
func (c *Catalog) Has(locale, key string) bool {
	_, ok := c.msgs[locale][key]
	return ok
}

// T translates key into locale, formatting args with fmt verbs in the message.
func (c *Catalog) T(locale, key string, args ...any) string {
	m, ok := c.msgs[locale][key]
	if !ok {
		if m, ok = c.msgs[Default][key]; !ok {
			m = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

// Match picks a supported locale: an explicit choice first (cookie or
// account setting), then the Accept-Language header, then the default.
func Match(choice string, r *http.Request) string {
	for _, l := range Locales {
		if strings.EqualFold(choice, l) {
			return l
		}
	}
	if r != nil {
		for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
			tag := strings.ToLower(strings.TrimSpace(strings.Split(part, ";")[0]))
			switch {
			case strings.HasPrefix(tag, "zh"):
				return "zh-CN"
			case strings.HasPrefix(tag, "en"):
				return "en"
			}
		}
	}
	return Default
}

// AddMessages merges messages that live beside the code that produces
// them (e.g. the importer's problem texts: key → {zh-CN, en}); keys the
// catalogues already hold keep their catalogue text.
func (c *Catalog) AddMessages(msgs map[string][2]string) {
	for k, m := range msgs {
		for i, loc := range Locales {
			if _, ok := c.msgs[loc][k]; !ok && i < len(m) {
				c.msgs[loc][k] = m[i]
			}
		}
	}
}
