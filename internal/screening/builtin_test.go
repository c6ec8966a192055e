package screening

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestBuiltinShipsTheSixInstruments(t *testing.T) {
	t.Parallel()
	var codes []string
	for _, in := range Builtin() {
		codes = append(codes, in.Code)
	}
	if want := []string{"cesdc", "gad7", "phq9", "phqa", "psc17", "who5"}; !slices.Equal(codes, want) {
		t.Errorf("codes = %v, want %v", codes, want)
	}
}

func TestBuiltinInstrumentsFollowThePlatformRules(t *testing.T) {
	t.Parallel()
	for _, in := range Builtin() {
		t.Run(in.Code+" is freely usable, cited and bilingual", func(t *testing.T) {
			if in.Licence == LicenceLicensed {
				t.Error("a licensed instrument is shipped")
			}
			if !strings.Contains(in.Source, "19") && !strings.Contains(in.Source, "20") {
				t.Errorf("source %q cites no year", in.Source)
			}
			texts := []Text{in.Name, in.Instructions, in.Notes}
			for _, o := range in.Options {
				texts = append(texts, o.Label)
			}
			for _, it := range in.Items {
				texts = append(texts, it.Text)
			}
			for _, b := range in.Bands {
				texts = append(texts, b.Label)
			}
			for _, c := range in.Critical {
				texts = append(texts, c.Reason)
			}
			for _, s := range in.Subscales {
				texts = append(texts, s.Name)
			}
			for i, tx := range texts {
				if tx["zh-CN"] == "" || tx["en"] == "" {
					t.Errorf("text %d lacks zh-CN or en: %v", i, tx)
				}
			}
			for i, r := range in.Tiers {
				if r.Source == "" {
					t.Errorf("tiers[%d] does not say where its thresholds come from", i)
				}
			}
		})
	}
	for _, code := range []string{"phq9", "phqa"} {
		t.Run(code+" treats item 9 above not at all as critical", func(t *testing.T) {
			in := builtinInstrument(t, code)
			if len(in.Critical) != 1 || in.Critical[0].Item != "9" || in.Critical[0].Min != 1 {
				t.Errorf("critical = %+v", in.Critical)
			}
		})
	}
}

func TestMustLoadDirPanicsOnABadFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"an invalid instrument stops start-up", fstest.MapFS{"d/test.json": {Data: []byte(`{"code": "test"}`)}}, "d/test.json"},
		{"a file named differently from its code stops start-up", fstest.MapFS{"d/other.json": {Data: []byte(baseJSON)}}, `has code "test"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("panic = %v, want one mentioning %q", r, c.want)
				}
			}()
			mustLoadDir(c.files, "d")
		})
	}
	t.Run("a good directory loads", func(t *testing.T) {
		got := mustLoadDir(fstest.MapFS{"d/test.json": {Data: []byte(baseJSON)}, "d/readme.txt": {Data: []byte("x")}}, "d")
		if len(got) != 1 || got[0].Code != "test" {
			t.Errorf("got %v", got)
		}
	})
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	extra, err := Load([]byte(baseJSON))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("builtin and extra instruments are all listed, sorted by code", func(t *testing.T) {
		r, err := NewRegistry(extra)
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, in := range r.All() {
			codes = append(codes, in.Code)
		}
		if !slices.IsSorted(codes) || len(codes) != 7 || !slices.Contains(codes, "test") {
			t.Errorf("codes = %v", codes)
		}
		if got, ok := r.Get("test"); !ok || got != extra {
			t.Error("Get(test) failed")
		}
		if _, ok := r.Get("sdq"); ok {
			t.Error("Get(sdq) found something")
		}
	})
	t.Run("an import cannot replace a shipped instrument", func(t *testing.T) {
		clash := *extra
		clash.Code = "phq9"
		if _, err := NewRegistry(&clash); !errors.Is(err, ErrDuplicateCode) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an invalid extra is rejected with its LoadError", func(t *testing.T) {
		bad := *extra
		bad.Tiers = nil
		var le *LoadError
		if _, err := NewRegistry(&bad); !errors.As(err, &le) || le.Path != "tiers" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a nil extra is rejected", func(t *testing.T) {
		if _, err := NewRegistry(nil); err == nil {
			t.Error("no error")
		}
	})
	t.Run("All returns a copy", func(t *testing.T) {
		r, _ := NewRegistry()
		all := r.All()
		all[0] = nil
		if r.All()[0] == nil {
			t.Error("All exposed the registry's slice")
		}
	})
}

func TestTextIn(t *testing.T) {
	t.Parallel()
	tx := Text{"zh-CN": "你好", "en": "hello", "fr": "bonjour"}
	cases := []struct {
		name string
		t    Text
		lang string
		want string
	}{
		{"the requested language is used", tx, "en", "hello"},
		{"a regional variant falls back to its language", tx, "en-GB", "hello"},
		{"a missing language falls back to zh-CN", tx, "de", "你好"},
		{"without zh-CN the first tag in sort order is used", Text{"fr": "bonjour", "en": "hello"}, "de", "hello"},
		{"an empty entry counts as missing", Text{"zh-CN": "你好", "en": ""}, "en", "你好"},
		{"a language matches a regional entry", Text{"zh-CN": "你好", "en-US": "hi"}, "en", "hi"},
		{"an empty text is empty", nil, "en", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.t.In(c.lang); got != c.want {
				t.Errorf("In(%q) = %q, want %q", c.lang, got, c.want)
			}
		})
	}
}
