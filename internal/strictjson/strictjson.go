// Package strictjson checks a JSON document against the Go type it will be
// decoded into, before the decode, naming the exact path of the first
// problem. encoding/json cannot do this job: it reports an unknown field
// without saying where, matches keys case-insensitively ("Level" for
// "level"), keeps the last of duplicate keys and accepts null for anything.
// Here each of those is an error at its path ("items[3].options[0].value"),
// made by the caller's own constructor so each package keeps its error type.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// Fail builds the caller's error for a path and a reason.
type Fail func(path, format string, args ...any) error

// Check walks data's tokens alongside t (structs, maps with string keys,
// slices, strings, bools, ints and float64s). what names the document in
// the trailing-data message ("the document", "the instrument").
func Check(data []byte, t reflect.Type, what string, fail Fail) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, fail: fail}
	if err := w.value(t, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("", "unexpected data after %s", what)
	}
	return nil
}

type walker struct {
	dec   *json.Decoder
	fail  Fail
	depth int
}

func (w *walker) token(path string) (json.Token, error) {
	tok, err := w.dec.Token()
	if err == nil {
		return tok, nil
	}
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF) && path == "" && w.depth == 0:
		return nil, w.fail("", "empty document")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, w.fail(path, "unexpected end of document")
	case errors.As(err, &se):
		return nil, w.fail(path, "invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	return nil, w.fail(path, "invalid JSON: %v", err)
}

func (w *walker) value(t reflect.Type, path string) error {
	tok, err := w.token(path)
	if err != nil {
		return err
	}
	if tok == nil {
		return w.fail(path, "null is not allowed")
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return w.fail(path, "must be an object")
		}
		w.depth++
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
				return w.fail(sub, "unknown field")
			}
			if seen[k] {
				return w.fail(sub, "duplicate key")
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
			return w.fail(path, "must be an object")
		}
		w.depth++
		seen := map[string]bool{}
		for w.dec.More() {
			k, err := w.key(path)
			if err != nil {
				return err
			}
			sub := path + "[" + Quote(k) + "]"
			if seen[k] {
				return w.fail(sub, "duplicate key")
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
			return w.fail(path, "must be an array")
		}
		w.depth++
		for i := 0; w.dec.More(); i++ {
			if err := w.value(t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		_, err := w.token(path)
		return err
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return w.fail(path, "must be a string")
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return w.fail(path, "must be true or false")
		}
	case reflect.Int:
		n, ok := tok.(json.Number)
		if !ok {
			return w.fail(path, "must be a number")
		}
		if _, err := strconv.Atoi(string(n)); err != nil {
			return w.fail(path, "must be a whole number, not %s", Truncate(string(n)))
		}
	case reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			return w.fail(path, "must be a number")
		}
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return w.fail(path, "number out of range")
		}
	default:
		// Only reachable if a checked type gains a field of a new kind.
		return w.fail(path, "unsupported field type %s", t)
	}
	return nil
}

func (w *walker) key(path string) (string, error) {
	tok, err := w.token(path)
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok { // the decoder only yields string keys; kept for safety
		return "", w.fail(path, "object key must be a string")
	}
	return k, nil
}

// jsonFields maps the exact JSON names of t's exported fields to their
// types ("-" fields left out).
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
// identifier (only possible for an unknown field) is quoted and shortened
// so that a hostile key cannot flood a message or a log line.
func joinField(path, name string) string {
	if !plainName(name) {
		return path + "[" + Quote(name) + "]"
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

// Quote is s shortened and quoted, for a key or a value in a message.
func Quote(s string) string { return strconv.Quote(Truncate(s)) }

// Truncate shortens s to 24 characters and an ellipsis.
func Truncate(s string) string {
	n := 0
	for i := range s {
		if n == 24 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
