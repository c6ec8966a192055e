package programme

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultLang is the language every title must provide, and the one shown
// when the requested language is missing.
const DefaultLang = "zh-CN"

// Text is one piece of text in several languages, keyed by language tag
// ("zh-CN", "en").
type Text map[string]string

// In returns the text in lang; failing that in another variant of the same
// language ("en" for "en-GB"), then in zh-CN, then in the first language in
// sort order. It returns "" only for an empty Text.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	keys := make([]string, 0, len(t))
	for k, s := range t {
		if s != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if base := baseLang(lang); base != "" {
		for _, k := range keys {
			if baseLang(k) == base {
				return t[k]
			}
		}
	}
	if s := t[DefaultLang]; s != "" {
		return s
	}
	if len(keys) > 0 {
		return t[keys[0]]
	}
	return ""
}

func baseLang(tag string) string {
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}

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
