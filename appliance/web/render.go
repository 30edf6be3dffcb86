package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

type pageTemplate = template.Template

// Pages are the parsed templates: per language, the layout and the
// partials, then each page that fills them (a clone of the layout with
// the page). Parsing every page of both languages was a third of a cold
// start's CPU, and a page is needed only when someone asks for it: each
// is parsed on its first use, once.
type Pages struct {
	pages map[string]map[string]func() (*pageTemplate, error) // lang → page
}

// ParsePages prepares the pages of every language, parsed on first use.
func ParsePages() *Pages {
	files, _ := fs.Glob(assets, "templates/*.html") // the pattern is valid
	p := &Pages{pages: map[string]map[string]func() (*pageTemplate, error){}}
	for _, lang := range languages {
		base := sync.OnceValues(func() (*pageTemplate, error) {
			t, err := template.New("").Funcs(funcs(lang)).ParseFS(assets, "templates/layout.html", "templates/partials.html")
			if err != nil {
				return nil, fmt.Errorf("parse layout: %w", err)
			}
			return t, nil
		})
		p.pages[lang] = map[string]func() (*pageTemplate, error){}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".html")
			if name == "layout" || name == "partials" {
				continue
			}
			p.pages[lang][name] = sync.OnceValues(func() (*pageTemplate, error) {
				b, err := base()
				if err != nil {
					return nil, err
				}
				t, err := template.Must(b.Clone()).ParseFS(assets, f)
				if err != nil {
					return nil, fmt.Errorf("parse %s: %w", f, err)
				}
				return t, nil
			})
		}
	}
	return p
}

// page is the template of a page in a language, parsed if it was not yet.
func (p *Pages) page(lang, name string) (*pageTemplate, error) {
	set, ok := p.pages[lang]
	if !ok {
		set = p.pages[languages[0]]
	}
	parse := set[name]
	if parse == nil {
		return nil, fmt.Errorf("no page %q", name)
	}
	return parse()
}

// funcs is what templates may call: words and dates in the page's
// language, and helpers that shape data and do not depend on it.
func funcs(lang string) template.FuncMap {
	m := localFuncs(lang)
	maps.Copy(m, dataFuncs())
	return m
}

// localFuncs translate and format for the page's language.
func localFuncs(lang string) template.FuncMap {
	cat := catalogue[lang]
	t := func(key string) string {
		if v, ok := cat[key]; ok {
			return v
		}
		return key
	}
	return template.FuncMap{
		"t":  t,
		"tf": func(key string, args ...any) string { return fmt.Sprintf(t(key), args...) },
		"date": func(d string) string {
			x, err := time.Parse(domain.DateLayout, d)
			if err != nil {
				return d
			}
			if lang == "fr" {
				return x.Format("02/01/2006")
			}
			return x.Format("2 Jan 2006")
		},
		"datetime": func(s string) string {
			x, err := time.Parse(domain.TimeLayout, s)
			if err != nil {
				return s
			}
			x = x.In(domain.Paris)
			if lang == "fr" {
				return x.Format("02/01/2006 15:04")
			}
			return x.Format("2 Jan 2006 15:04")
		},
		// label names a form field in the error summary: "qualify.subject"
		// is the subject field of the edit form.
		"label": func(field string) string {
			if i := strings.LastIndexByte(field, '.'); i >= 0 {
				field = field[i+1:]
			}
			if v, ok := cat["field."+field]; ok {
				return v
			}
			return field
		},
	}
}

// dataFuncs shape data for templates, in any language.
func dataFuncs() template.FuncMap {
	return template.FuncMap{
		"size": func(n int64) string {
			switch {
			case n >= 1<<20:
				return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " Mo"
			case n >= 1<<10:
				return strconv.FormatInt(n>>10, 10) + " ko"
			}
			return strconv.FormatInt(n, 10) + " o"
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"has": func(list any, v string) bool {
			switch l := list.(type) {
			case []string:
				for _, x := range l {
					if x == v {
						return true
					}
				}
			case []domain.Status:
				for _, x := range l {
					if string(x) == v {
						return true
					}
				}
			}
			return false
		},
		"add":  func(a, b int) int { return a + b },
		"list": func(xs ...string) []string { return xs },
		"members": func(ms []domain.Membership, manager bool) []string {
			var out []string
			for _, m := range ms {
				if m.Manager == manager {
					out = append(out, m.EntityID)
				}
			}
			return out
		},
		"statuses": func(ss []domain.Status) []string {
			out := make([]string, len(ss))
			for i, x := range ss {
				out[i] = string(x)
			}
			return out
		},
		"neg":    func(a int) int { return -a },
		"etree":  func(es []domain.Entity) []*entityNode { return flatten(tree(es), 0, nil) },
		"indent": func(n int) string { return strings.Repeat("\u00a0\u00a0\u00a0", n) },
		"str":    func(v any) string { return fmt.Sprint(v) },
	}
}

// view is what the layout and every page template see.
type view struct {
	Title       string
	Lang        string
	User        *domain.User
	TenantName  string
	Admin       bool
	CanRegister bool
	CSRF        string
	Nav         []navItem
	Active      string // basket id or page key, for aria-current
	Flash       *flash
	Path        string // this page, for the language switch
	Data        any
	// Errors and Form are a submitted form's field messages and values,
	// shown again next to their fields.
	Errors appliance.FieldErrors
	Form   url.Values
	// Backup is the backups' health when it needs an administrator's
	// attention (admin pages only).
	Backup *appliance.BackupHealth
	// Stale says this node has no quorum: every page says its data may be
	// out of date.
	Stale bool
	// ReadOnly is why this node takes no write, on every page.
	ReadOnly string
}

type navItem struct {
	ID, Label, Href string
	Count           string // "999+" past navCountCap - 1
	Err             bool
}

// navCountCap bounds the counting of each basket of the menu, on every
// page: past it the menu says "999+", and the basket's page counts them all.
const navCountCap = 1000

// Err is a field's message ("" when none).
func (v *view) Err(field string) string { return v.Errors[field] }

// Val is a field's submitted value, or def when no form was submitted.
func (v *view) Val(field, def string) string {
	if v.Form == nil {
		return def
	}
	return v.Form.Get(field)
}

// Vals is a multi-valued field's submitted values, or def.
func (v *view) Vals(field string, def []string) []string {
	if v.Form == nil {
		return def
	}
	return v.Form[field]
}

// Checked says whether a checkbox is on: submitted, or def without a form.
func (v *view) Checked(field string, def bool) bool {
	if v.Form == nil {
		return def
	}
	return v.Form.Get(field) != ""
}

type flash struct {
	Kind string // ok or error
	Text string
}

func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, key []byte, kind, text string) {
	p := kind + "|" + text
	if len(p) > 1500 {
		p = p[:1500]
	}
	s.setCookie(w, r, flashCookie, b64([]byte(p))+"."+b64(mac(key, "flash", p)), "/", 120)
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request, key []byte) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil || key == nil {
		return nil
	}
	s.setCookie(w, r, flashCookie, "", "/", -1)
	p64, sig64, _ := strings.Cut(c.Value, ".")
	p, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil || !bytes.Equal(sig, mac(key, "flash", string(p))) {
		return nil
	}
	kind, text, _ := strings.Cut(string(p), "|")
	return &flash{Kind: kind, Text: text}
}

// page builds the view of a logged-in user's page, with the basket menu.
func (s *Server) page(w http.ResponseWriter, r *http.Request, q *request, title, active string, data any) *view {
	a := q.actor
	v := &view{Title: title, Lang: q.lang, User: a.User, TenantName: a.Tenant.Name, Admin: a.IsAdmin(),
		CanRegister: a.Role() != domain.RoleElected, CSRF: q.csrf, Active: active, Data: data, Path: r.URL.RequestURI()}
	v.Flash = s.takeFlash(w, r, q.key)
	v.ReadOnly = s.svc.ReadOnlyReason()
	if strings.HasPrefix(active, "admin") {
		v.Backup = s.backupHealth(r.Context(), a)
	}
	bs, err := s.svc.Baskets(r.Context(), a)
	if err != nil {
		s.log.Error("web: read baskets", "user", a.User.Login, "err", err)
	}
	for i := range bs {
		n, err := s.svc.BasketCount(r.Context(), a, &bs[i], navCountCap)
		if err != nil {
			s.log.Error("web: count basket", "basket", bs[i].ID, "err", err)
		}
		count := strconv.Itoa(n)
		if n >= navCountCap {
			count = strconv.Itoa(navCountCap-1) + "+"
		}
		v.Nav = append(v.Nav, navItem{ID: bs[i].ID, Label: basketLabel(q.lang, &bs[i]), Href: "/baskets/" + bs[i].ID, Count: count, Err: err != nil})
	}
	return v
}

func basketLabel(lang string, b *appliance.BasketDef) string {
	if b.Label != "" {
		return b.Label
	}
	return tr(lang, "basket."+b.ID)
}

func (s *Server) render(w http.ResponseWriter, q *request, code int, name string, v *view) {
	lang := "fr"
	if q != nil {
		lang = q.lang
	}
	v.Lang = lang
	v.Stale = s.opts.Quorum != nil && !s.opts.Quorum()
	var buf bytes.Buffer
	t, err := s.pages.page(lang, name)
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", v)
	}
	if err != nil {
		s.log.Error("web: render", "page", name, "err", err)
		http.Error(w, "erreur interne", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, q *request, code int, msg string) {
	data := map[string]any{"Code": code, "Message": msg}
	if q == nil || q.actor == nil {
		l := lang(r)
		s.render(w, &request{lang: l}, code, "error", &view{Title: tr(l, fmt.Sprintf("error.%d", code)), Data: data, Path: r.URL.RequestURI()})
		return
	}
	v := s.page(w, r, q, tr(q.lang, fmt.Sprintf("error.%d", code)), "", data)
	s.render(w, q, code, "error", v)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	q, err := s.session(w, r)
	if err != nil {
		q = nil
	}
	s.errorPage(w, r, q, http.StatusNotFound, tr(lang(r), "error.notfound"))
}

// done ends a successful form: a message for the next page, and a 303 so
// that reloading it does not send the form again.
func (s *Server) done(w http.ResponseWriter, r *http.Request, q *request, target, msg string) error {
	if msg != "" {
		s.setFlash(w, r, q.key, "ok", msg)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (s *Server) doneErr(w http.ResponseWriter, r *http.Request, q *request, target, msg string) error {
	s.setFlash(w, r, q.key, "error", msg)
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func itoa(n int) string { return strconv.Itoa(n) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// prefixed renames a form's field errors into its namespace on a page that
// holds several forms (the letter page).
func prefixed(prefix string, fe appliance.FieldErrors) appliance.FieldErrors {
	out := appliance.FieldErrors{}
	for k, v := range fe {
		out[prefix+"."+k] = v
	}
	return out
}

func prefixedValues(prefix string, vs url.Values) url.Values {
	out := url.Values{}
	for k, v := range vs {
		out[prefix+"."+k] = v
	}
	return out
}
