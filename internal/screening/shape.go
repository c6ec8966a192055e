package screening

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// checkShape walks the JSON tokens alongside the Instrument type before the
// real decode. encoding/json cannot do this job: it reports an unknown field
// without saying where, matches keys case-insensitively ("Red" for "red"),
// keeps the last of duplicate keys and accepts null for anything. Here every
// one of those is an error naming the exact path.
func checkShape(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := shapeWalker{dec: dec}
	if err := w.value(reflect.TypeFor[Instrument](), ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return loadErr("", "unexpected data after the instrument")
	}
	return nil
}

type shapeWalker struct{ dec *json.Decoder }

func (w *shapeWalker) token(path string) (json.Token, error) {
	tok, err := w.dec.Token()
	if err == nil {
		return tok, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF) && path == "":
		return nil, loadErr("", "empty document")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, loadErr(path, "unexpected end of document")
	case errors.As(err, &se):
		return nil, loadErr(path, "invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	return nil, loadErr(path, "invalid JSON: %v", err)
}

func (w *shapeWalker) value(t reflect.Type, path string) error {
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	if tok == nil {
		return loadErr(path, "null is not allowed")
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return loadErr(path, "must be an object")
		}
		fields := jsonFields(t)
		seen := make(map[string]bool, len(fields))
		for w.dec.More() {
			k, err := w.key(path)
			if err != nil {
				return err
			}
			sub := joinField(path, k)
			ft, ok := fields[k]
			if !ok {
				return loadErr(sub, "unknown field")
			}
			if seen[k] {
				return loadErr(sub, "duplicate key")
			}
			seen[k] = true
			if err := w.value(ft, sub); err != nil {
				return err
			}
		}
		_, err := w.token(path) // '}'
		return err
	case reflect.Map:
		if tok != json.Delim('{') {
			return loadErr(path, "must be an object")
		}
		seen := map[string]bool{}
		for w.dec.More() {
			k, err := w.key(path)
			if err != nil {
				return err
			}
			sub := path + "[" + strconv.Quote(truncate(k)) + "]"
			if seen[k] {
				return loadErr(sub, "duplicate key")
			}
			seen[k] = true
			if err := w.value(t.Elem(), sub); err != nil {
				return err
			}
		}
		_, err := w.token(path)
		return err
	case reflect.Slice:
		if tok != json.Delim('[') {
			return loadErr(path, "must be an array")
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := w.token(path)
		return err
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return loadErr(path, "must be a string")
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return loadErr(path, "must be true or false")
		}
	case reflect.Int:
		n, ok := tok.(json.Number)
		if !ok {
			return loadErr(path, "must be a number")
		}
		if _, err := strconv.Atoi(string(n)); err != nil {
			return loadErr(path, "must be a whole number, not %s", truncate(string(n)))
		}
	case reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			return loadErr(path, "must be a number")
		}
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return loadErr(path, "number out of range")
		}
	default:
		// Only reachable if Instrument gains a field of a new kind.
		return loadErr(path, "unsupported field type %s", t)
	}
	return nil
}

func (w *shapeWalker) key(path string) (string, error) {
	tok, err := w.token(path)
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok { // the decoder only yields string keys; kept for safety
		return "", loadErr(path, "object key must be a string")
	}
	return k, nil
}

// jsonFields maps the exact JSON names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}

// joinField appends a field name to a path; a name that is not a plain
// identifier (only possible for an unknown field) is quoted and shortened so
// that a hostile key cannot flood a log line.
func joinField(path, name string) string {
	if !plainName(name) {
		return path + "[" + strconv.Quote(truncate(name)) + "]"
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	n := 0
	for i := range s {
		if n == 24 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
