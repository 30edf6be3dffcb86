package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/domain"
)

var numberRe = regexp.MustCompile(`^[0-9]{4}/[ADI]/[0-9]{6}$`)

func FuzzAPIRegister(f *testing.F) {
	env := apptest.New(f, "")
	token, err := env.Svc.CreateToken(context.Background(), env.Admin, env.Admin.ID(), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	// Seeds name the env's objects by placeholder, replaced before sending:
	// ids are random, and would differ between the coordinator and workers.
	ctx := context.Background()
	refs := map[string]string{"@admin": env.Admin.ID()}
	ents, err := env.Svc.Entities(ctx, env.Admin)
	if err != nil || len(ents) == 0 {
		f.Fatalf("entities: %v %v", ents, err)
	}
	refs["@mairie"] = ents[0].ID
	dts, err := env.Svc.Doctypes(ctx, env.Admin)
	if err != nil || len(dts) == 0 {
		f.Fatalf("doctypes: %v %v", dts, err)
	}
	refs["@doctype"] = dts[0].ID
	c, err := env.Svc.CreateContact(ctx, env.Admin, appliance.ContactInput{FirstName: "Jean", LastName: "Dupont", Email: "jean.dupont@example.fr"})
	if err != nil {
		f.Fatal(err)
	}
	refs["@contact"] = c.ID
	var pairs []string
	for k, v := range refs {
		pairs = append(pairs, k, v)
	}
	placeholders := strings.NewReplacer(pairs...)
	mux := http.NewServeMux()
	api.New(env.Svc, apptest.Logger()).Register(mux)

	for _, s := range []string{
		`{"category":"incoming","subject":"Demande de permis de construire","sender":{"name":"Jean Dupont","email":"jean.dupont@example.fr"},"body":"Madame le Maire, je sollicite un permis de construire pour une extension de 20 m²."}`,
		`{"category":"incoming","subject":"Élagage des platanes rue Victor Hugo 🌳","letter_date":"2026-03-12","arrival_date":"2026-03-16","priority":"urgent","channel":"email","confidential":true,
		  "sender":{"kind":"organization","organization":"Association « Les Amis du Parc »","email":"contact@amisduparc.fr","address":"3 place de la Mairie","postcode":"69001","city":"Lyon","country":"France"}}`,
		`{"category":"outgoing","subject":"Réponse: l'urbanisme vous informe","body":"Votre dossier 2026/A/000123 est complet.","sender":{"civility":"Mme","first_name":"Éloïse","last_name":"Lefèvre"}}`,
		`{"category":"internal","subject":"Note de service","priority":"low","channel":"web","copies":[{"kind":"entity","ref":"inconnue"},{"kind":"user","ref":"personne"}]}`,
		`{"category":"incoming","subject":"Réclamation","sender":{"id":"contact-inconnu"},"entity_id":"e","assignee_id":"u","doctype_id":"d","recipient_id":"r"}`,
		`{"category":"incoming","subject":"Réclamation voirie","sender":{"id":"@contact"},"entity_id":"@mairie","assignee_id":"@admin","doctype_id":"@doctype","recipient_id":"@contact",
		  "copies":[{"kind":"entity","ref":"@mairie"},{"kind":"user","ref":"@admin"}]}`,
		`{"category":"incoming","subject":"Copie en double","copies":[{"kind":"user","ref":"@admin"},{"kind":"user","ref":"@admin"}]}`,
		`{"category":"incoming","subject":"Expéditeur connu","sender":{"email":"jean.dupont@example.fr","name":"Jean Dupont"}}`,
		`{"category":"arrivée","subject":"Courrier"}`,
		`{"category":"incoming","subject":"   "}`,
		`{"category":"incoming","subject":"Date","letter_date":"16/03/2026","arrival_date":"2026-02-30"}`,
		`{"category":"incoming","subject":"` + strings.Repeat("é", 501) + `"}`,
		`{"category":"incoming","subject":"NUL\u0000dans l'objet","body":"\u0000"}`,
		`{"category":"incoming","subject":"Courrier","sender":{"email":"pas une adresse"}}`,
		`{"category":"incoming","subject":"Courrier","sender":{"email":"jean\u0000@example.fr","phone":"04\u000078"},"entity_id":"\u0000"}`,
		`{"category":"incoming","subject":"Courrier","objet":"champ inconnu"}`,
		`{"category":1,"subject":["Courrier"]}`,
		`{"category":"incoming","subject":"Courrier"} {"category":"incoming"}`,
		`{"category":"incoming","subject":"Courrier"}]`,
		`{"category":"incoming","subject":"Courrier"`,
		"{\"category\":\"incoming\",\"subject\":\"\xff\xfe\"}",
		`null`, `[]`, `{}`, `""`, ``, "\x00",
	} {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		body = []byte(placeholders.Replace(string(body)))
		req := httptest.NewRequest("POST", "/api/v1/letters", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)

		in, decodes := strictDecode(body)
		switch code := rec.Code; {
		case code == 201:
			if !decodes {
				t.Fatalf("201 for a body that does not decode: %q", body)
			}
			var l domain.Letter
			if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
				t.Fatalf("201 body is not a letter: %v\n%s", err, rec.Body)
			}
			if l.ID == "" || !numberRe.MatchString(l.Number) || l.Category != in.Category {
				t.Fatalf("registered letter is wrong: %+v", l)
			}
			if want := strings.TrimSpace(in.Subject); l.Subject != want {
				t.Fatalf("subject stored as %q, sent %q", l.Subject, want)
			}
			// What SQLite took, PostgreSQL must take too; it refuses NUL.
			if bytes.Contains(rec.Body.Bytes(), []byte(`\u0000`)) {
				t.Fatalf("letter registered with a NUL character: %s", rec.Body)
			}
		case decodes && code != 422:
			t.Fatalf("status %d for a body that decodes, want 201 or 422: %q\n%s", code, body, rec.Body)
		case !decodes && code != 400 && code != 413:
			t.Fatalf("status %d for a body that does not decode, want 400 or 413: %q\n%s", code, body, rec.Body)
		}
		if code := rec.Code; code != 201 {
			var e api.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d without an error message (%v): %s", code, err, rec.Body)
			}
		}
	})
}

// strictDecode is what the API promises to accept: one valid JSON object of
// RegisterInput's fields and nothing after it.
func strictDecode(b []byte) (appliance.RegisterInput, bool) {
	var in appliance.RegisterInput
	if !json.Valid(b) {
		return in, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, false
	}
	return in, true
}
