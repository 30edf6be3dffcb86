package api

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// queryDocs describe the query parameters whose name does not say it all.
var queryDocs = map[string]string{
	"after":  "pagination par clé: l'identifiant du dernier courrier de la page précédente (le champ next de la réponse); remplace page, et une page profonde coûte alors ce que coûte la première; un courrier inconnu ou hors de votre périmètre donne une page vide",
	"fields": "champs facultatifs à ajouter aux courriers de la liste, séparés par des virgules: body (le texte du courrier). Sans lui, la liste donne les champs de résumé; tout autre nom de champ d'un courrier est accepté et déjà présent",
}

// OpenAPI builds the OpenAPI 3.1 document from the route table and the Go
// types of request and response bodies: the document cannot drift from the
// code that serves it.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	param := regexp.MustCompile(`\{(\w+)\}`)
	for _, rt := range s.routes {
		op := map[string]any{
			"summary":     rt.summary,
			"operationId": opID(rt.method, rt.path),
			"security":    []any{map[string]any{"bearer": []any{}}},
		}
		var params []any
		for _, m := range param.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			p := map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}}
			if d := queryDocs[q]; d != "" {
				p["description"] = d
			}
			params = append(params, p)
		}
		if rt.method == "GET" {
			params = append(params, map[string]any{"name": "consistency", "in": "query",
				"description": "local (défaut): la base de ce nœud, qui a toutes les écritures qu'il a acceptées; strong: attend d'avoir toutes celles que le cluster a validées avant la requête (lecture linéarisable)",
				"schema":      map[string]any{"type": "string", "enum": []string{"local", "strong"}}})
		}
		if isWrite(rt.method) && !rt.noWrite {
			params = append(params, map[string]any{"name": IdemHeader, "in": "header", "description": idemDoc,
				"schema": map[string]any{"type": "string", "minLength": 1, "maxLength": 255}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.in != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.in))}}}
		}
		status := rt.status
		if status == 0 {
			status = 200
		}
		resp := map[string]any{"description": "succès"}
		if rt.out != nil && status != 204 {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.out))}}
		}
		errRef := map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(Error{}))}}}
		responses := map[string]any{itoa(status): resp}
		errs := map[string]string{"401": "authentification requise", "403": "action non autorisée", "404": "introuvable ou hors de votre périmètre",
			"422": "données invalides", "503": "service momentanément indisponible (base de données injoignable…); réessayez après Retry-After"}
		if isWrite(rt.method) && !rt.noWrite && status != 202 {
			responses["202"] = map[string]any{"description": "acceptée, inscrite au journal mais pas encore appliquée: la base de données ne répond pas; elle le sera à son retour. Ne la renvoyez pas sans la même Idempotency-Key",
				"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(Pending{}))}}}
		}
		for code, desc := range errs {
			e := map[string]any{"description": desc}
			for k, v := range errRef {
				e[k] = v
			}
			responses[code] = e
		}
		op["responses"] = responses
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Missive API",
			"version":     "1",
			"description": "API JSON de Missive, gestion du courrier des mairies. Authentification: en-tête Authorization: Bearer <jeton> (missive token create).",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func opID(method, path string) string {
	p := strings.NewReplacer("/api/v1/", "", "/", "_", "{", "", "}", "").Replace(path)
	return strings.ToLower(method) + "_" + p
}

type schemaGen struct{ defs map[string]any }

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // breaks recursion
			props := map[string]any{}
			var required []string
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				tag := f.Tag.Get("json")
				if !f.IsExported() || tag == "-" {
					continue
				}
				jname, opts, _ := strings.Cut(tag, ",")
				if jname == "" {
					jname = f.Name
				}
				ps := g.schema(f.Type)
				if doc := f.Tag.Get("doc"); doc != "" {
					ps = map[string]any{"allOf": []any{ps}, "description": doc}
				}
				props[jname] = ps
				if !strings.Contains(opts, "omitempty") {
					required = append(required, jname)
				}
			}
			def := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if required != nil {
				def["required"] = required
			}
			g.defs[name] = def
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// schemaName names a struct by package and type; generic Page[T] becomes PageLetter.
func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.Index(n, "["); i >= 0 {
		inner := n[i+1 : len(n)-1]
		if j := strings.LastIndex(inner, "."); j >= 0 {
			inner = inner[j+1:]
		}
		n = n[:i] + inner
	}
	return n
}
