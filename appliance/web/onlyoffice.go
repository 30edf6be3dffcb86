package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// The OnlyOffice editor page: a page of its own, outside the layout, where
// the Document Server's api.js draws the editor with the signed
// configuration the Service builds. Its scripts come from our origin
// (static/onlyoffice.js reads the configuration from a JSON data block: no
// inline script) and from the Document Server, which the page's CSP names.

var onlyOfficeTmpl = template.Must(template.New("oo").Parse(`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — OnlyOffice</title>
<style nonce="{{.Nonce}}">html, body, #editor { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="editor"><p>Chargement de l'éditeur OnlyOffice…</p></div>
<script type="application/json" id="oo-config">{{.Config}}</script>
<script src="{{.APIURL}}"></script>
<script src="/static/onlyoffice.js"></script>
</body>
</html>
`))

func (s *Server) onlyOfficePage(w http.ResponseWriter, r *http.Request, q *request) error {
	base := s.opts.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	ed, err := s.svc.OnlyOfficeEditor(r.Context(), q.actor, r.PathValue("id"), base)
	if err != nil {
		return err
	}
	cfg, err := json.Marshal(ed.Config)
	if err != nil {
		return err
	}
	origin := ed.APIURL
	if u, err := url.Parse(ed.APIURL); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	nonce := strings.TrimRight(randomString(16), "=")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+origin+"; frame-src "+origin+"; connect-src 'self' "+origin+
		"; style-src 'self' 'nonce-"+nonce+"'; img-src 'self' data: "+origin+"; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// json.Marshal writes <, > and & as \u escapes, so that a document
	// title cannot close the data block's tag.
	return onlyOfficeTmpl.Execute(w, map[string]any{"Title": ed.Config.Document.Title, "Config": template.JS(cfg), "APIURL": ed.APIURL, "Nonce": nonce})
}
