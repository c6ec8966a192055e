package screening

import (
	"reflect"

	"huhang/internal/strictjson"
)

// checkShape checks an instrument's JSON against the Instrument type before
// the real decode, naming the exact path of an unknown field, a duplicate
// key, a null or a wrong type (see strictjson).
func checkShape(data []byte) error {
	return strictjson.Check(data, reflect.TypeFor[Instrument](), "the instrument", func(path, format string, args ...any) error {
		return loadErr(path, format, args...)
	})
}

func truncate(s string) string { return strictjson.Truncate(s) }
