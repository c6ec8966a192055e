package web

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
)

// apiDoc is what the OpenAPI document says about one API route; the
// document is generated from the route table, so it cannot drift from it.
type apiDoc struct {
	summary string
	query   []string
	req     any
	resp    any
	status  int
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI builds the OpenAPI 3.1 document for every API route.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	schemas := map[string]any{}
	for _, rt := range s.routes {
		if !rt.api || rt.doc == nil {
			continue
		}
		op := map[string]any{"summary": rt.doc.summary, "x-access": rt.access.String()}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
			typ := "integer"
			if m[1] == "code" { // target codes are words
				typ = "string"
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
		}
		for _, q := range rt.doc.query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.doc.req != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.doc.req), schemas)}}}
		}
		status := rt.doc.status
		if status == 0 {
			status = 200
		}
		ok := map[string]any{"description": "OK"}
		if rt.doc.resp != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(rt.doc.resp), schemas)}}
		}
		errRef := map[string]any{"description": "Error", "content": map[string]any{"application/json": map[string]any{
			"schema": schemaOf(reflect.TypeOf(apiError{}), schemas)}}}
		op["responses"] = map[string]any{itoa3(status): ok, "400": errRef, "401": errRef, "404": errRef, "default": errRef}
		p, _ := paths[rt.pattern].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[rt.pattern] = p
		}
		p[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Huhang 护航 API", "version": "1",
			"description": "School mental-health platform. Authenticate with a session cookie or `Authorization: Bearer <token>`. Records outside the caller's scope answer 404."},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
		"security":   []any{map[string]any{"bearer": []any{}}},
	}
}

func itoa3(n int) string {
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

// schemaOf describes a Go type as a JSON schema, registering named structs
// under components/schemas.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint32, reflect.Uint8:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := schemas[name]; !ok {
			schemas[name] = map[string]any{} // break cycles
			props := map[string]any{}
			addFields(t, props, schemas)
			schemas[name] = map[string]any{"type": "object", "properties": props}
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any, schemas map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			addFields(f.Type, props, schemas)
			continue
		}
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		props[tag] = schemaOf(f.Type, schemas)
	}
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.Index(n, "["); i >= 0 {
		inner := n[i+1 : len(n)-1]
		inner = inner[strings.LastIndex(inner, ".")+1:]
		n = n[:i] + "_" + inner
	}
	return nonWord.ReplaceAllString(n, "_")
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, 200, s.OpenAPI())
	return nil
}
