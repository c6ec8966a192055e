// Package langtext holds a piece of text in several languages, as the
// shipped data (plan targets, screening instruments) carries its titles and
// wording: Chinese first, with the fallback rule both use.
package langtext

import (
	"slices"
	"strings"
)

// DefaultLang is the language every text must provide, and the one shown
// when the requested language is missing: the platform serves Chinese
// schools first.
const DefaultLang = "zh-CN"

// Text is one piece of text in several languages, keyed by language tag
// ("zh-CN", "en").
type Text map[string]string

// In returns the text in lang; failing that in another variant of the same
// language ("en" for "en-GB"), then in zh-CN, then in any language (the
// first tag in sort order, so the choice is stable). It returns "" only for
// an empty Text.
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

// baseLang is the primary language subtag, lower-cased: "zh" for "zh-CN".
func baseLang(tag string) string {
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}
