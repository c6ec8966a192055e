package langtext

import "testing"

func TestInFallsBackByLanguageThenChineseThenAny(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		text Text
		lang string
		want string
	}{
		{"the language asked for", Text{"zh-CN": "中", "en": "en"}, "en", "en"},
		{"another variant of the same language", Text{"zh-CN": "中", "en-GB": "gb"}, "en-US", "gb"},
		{"Chinese when the language is missing", Text{"zh-CN": "中", "fr": "fr"}, "de", "中"},
		{"an empty value counts as missing", Text{"zh-CN": "中", "en": ""}, "en", "中"},
		{"the first tag in order when there is no Chinese", Text{"fr": "fr", "de": "de"}, "ja", "de"},
		{"nothing from an empty text", Text{}, "en", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.text.In(c.lang); got != c.want {
				t.Errorf("In(%q) = %q, want %q", c.lang, got, c.want)
			}
		})
	}
}
