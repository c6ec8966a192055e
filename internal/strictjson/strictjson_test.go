package strictjson

import (
	"fmt"
	"reflect"
	"testing"
)

type item struct {
	Value int    `json:"value"`
	Label string `json:"label"`
	Seen  bool   `json:"seen"`
	Skip  string `json:"-"`
}

type doc struct {
	Name  string            `json:"name"`
	Items []item            `json:"items"`
	Texts map[string]string `json:"texts"`
	Score float64           `json:"score"`
}

func TestCheckNamesThePathOfTheFirstProblem(t *testing.T) {
	t.Parallel()
	fail := func(path, format string, args ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	cases := []struct{ name, in, want string }{
		{"a well-formed document", `{"name":"a","items":[{"value":1,"label":"x","seen":true}],"texts":{"zh-CN":"中"},"score":1.5}`, ""},
		{"an empty document", ``, ": empty document"},
		{"an unknown field deep inside", `{"items":[{"value":1},{"valeu":2}]}`, "items[1].valeu: unknown field"},
		{"a key differing only in case", `{"Name":"a"}`, "Name: unknown field"},
		{"a field tagged to be left out", `{"items":[{"Skip":"x"}]}`, "items[0].Skip: unknown field"},
		{"a duplicate key", `{"name":"a","name":"b"}`, "name: duplicate key"},
		{"a duplicate map key", `{"texts":{"en":"a","en":"b"}}`, `texts["en"]: duplicate key`},
		{"a null", `{"items":null}`, "items: null is not allowed"},
		{"a fraction where a whole number belongs", `{"items":[{"value":1.5}]}`, "items[0].value: must be a whole number, not 1.5"},
		{"a string where a bool belongs", `{"items":[{"seen":"yes"}]}`, "items[0].seen: must be true or false"},
		{"an unfinished object", `{"name":"a"`, ": unexpected end of document"},
		{"data after the document", `{} {}`, ": unexpected data after the test document"},
		{"a hostile key is shortened", `{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-":1}`, `["aaaaaaaaaaaaaaaaaaaaaaaa…"]: unknown field`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Check([]byte(c.in), reflect.TypeFor[doc](), "the test document", fail)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
