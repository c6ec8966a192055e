package programme

import (
	"slices"
	"strings"
	"unicode/utf8"

	"huhang/internal/langtext"
)

// DefaultLang is the language every title must provide, and the one shown
// when the requested language is missing.
const DefaultLang = langtext.DefaultLang

// Text is one piece of text in several languages, keyed by language tag
// ("zh-CN", "en"); see langtext.Text.In for the fallback.
type Text = langtext.Text

// checkText requires a zh-CN text and plausible tags and values.
func checkText(path string, t Text) error {
	if strings.TrimSpace(t[DefaultLang]) == "" {
		return fieldErr(path, "a %s text is required", DefaultLang)
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same error for the same input
	for _, k := range keys {
		sub := path + "[" + quote(k) + "]"
		if !validLangTag(k) {
			return fieldErr(sub, "not a language tag")
		}
		v := t[k]
		switch {
		case strings.TrimSpace(v) == "":
			return fieldErr(sub, "empty")
		case !utf8.ValidString(v):
			return fieldErr(sub, "not valid UTF-8")
		case utf8.RuneCountInString(v) > maxTextLen:
			return fieldErr(sub, "longer than %d characters", maxTextLen)
		}
	}
	return nil
}

// validLangTag accepts the shape of a BCP 47 tag: letter-digit subtags of
// 1–8 characters joined by '-', the first all letters.
func validLangTag(s string) bool {
	if s == "" || len(s) > 35 {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if sub == "" || len(sub) > 8 {
			return false
		}
		for _, c := range []byte(sub) {
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !letter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}
