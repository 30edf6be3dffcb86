package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// Every page renders for an admin, with its landmarks and without a
// template error.
func TestPagesRender(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l := s.letter(t, "Demande d'élagage rue des Tilleuls")
	b := s.browser(t)
	b.login("admin", "motdepasse-admin-1")
	for _, path := range []string{"/", "/baskets/qualify", "/baskets/mine", "/baskets/service", "/baskets/copy", "/baskets/late", "/baskets/followed", "/baskets/closed",
		"/letters/new", "/letters/" + l.ID, "/search", "/search?q=elagage", "/password", "/admin/users", "/admin/users/" + s.Agent.ID,
		"/admin/entities", "/admin/doctypes", "/admin/doctypes/" + s.Doctype.ID, "/admin/baskets", "/admin/baskets?role=elected"} {
		p := must(t, b.get(path), http.StatusOK)
		for _, want := range []string{`<main id="main"`, `<nav class="baskets"`, `<header class="top">`, `lang="fr"`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("%s: no %s", path, want)
			}
		}
	}
}
