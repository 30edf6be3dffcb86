package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/download"
	"missive/appliance/store"
)

func (s *Server) me(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	writeJSON(w, 200, a.User)
	return nil
}

func (s *Server) createLetter(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.RegisterInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	l, err := s.svc.RegisterLetter(r.Context(), a, in)
	if err != nil {
		return err
	}
	// The letter as applied, with its display fields: the same body as a
	// replay of its idempotency key.
	w.Header().Set("Location", "/api/v1/letters/"+l.ID)
	writeJSON(w, 201, l)
	return nil
}

// ParseFilter reads a letter filter from query parameters; the web UI's
// search page uses the same names.
func ParseFilter(r *http.Request) (store.LetterFilter, error) {
	q := r.URL.Query()
	f := store.LetterFilter{
		Query: q.Get("q"), Category: domain.Category(q.Get("category")), Status: domain.Status(q.Get("status")),
		EntityID: q.Get("entity"), DoctypeID: q.Get("doctype"), AssigneeID: q.Get("assignee"),
		From: q.Get("from"), To: q.Get("to"), Sort: q.Get("sort"),
	}
	fe := appliance.FieldErrors{}
	if f.Category != "" && !f.Category.Valid() {
		fe["category"] = "incoming, outgoing ou internal"
	}
	if f.Status != "" && !f.Status.Valid() {
		fe["status"] = "new, in_progress ou closed"
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if _, err := time.Parse(domain.DateLayout, v); v != "" && err != nil {
			fe[name] = "date invalide (AAAA-MM-JJ)"
		}
	}
	if !store.ValidSort(f.Sort) {
		fe["sort"] = "number, subject, sender, entity, arrival, due ou priority"
	}
	var err error
	if v := q.Get("overdue"); v != "" {
		if f.Overdue, err = strconv.ParseBool(v); err != nil {
			fe["overdue"] = "true ou false"
		}
	}
	if v := q.Get("desc"); v != "" {
		if f.Desc, err = strconv.ParseBool(v); err != nil {
			fe["desc"] = "true ou false"
		}
	}
	if len(q.Get("q")) > 1000 {
		fe["q"] = "1000 caractères au plus"
	}
	if len(fe) > 0 {
		return f, fe
	}
	return f, nil
}

func (s *Server) listLetters(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	f, err := ParseFilter(r)
	if err != nil {
		return err
	}
	page, perPage, err := pageParams(r)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = perPage, (page-1)*perPage
	if f.After = r.URL.Query().Get("after"); f.After != "" {
		if len(f.After) > 64 {
			return appliance.FieldErrors{"after": "identifiant de courrier invalide (le champ next de la page précédente)"}
		}
		f.Offset = 0
	}
	if f.Body, err = listFields(r.URL.Query().Get("fields")); err != nil {
		return err
	}
	items, total, err := s.svc.Letters(r.Context(), a, f)
	if err != nil {
		return err
	}
	out := Page[domain.Letter]{Items: items, Total: total, Page: page, PerPage: perPage}
	if len(items) == perPage {
		out.Next = items[len(items)-1].ID
	}
	writeJSON(w, 200, out)
	return nil
}

// listFields reads ?fields=: the optional fields a list of letters adds to
// its summaries. Only the body is optional: a page of fifty letters is then
// a few kilobytes unless a client asks for their texts. Naming a field the
// summary has is allowed; an unknown name is an error, not silently nothing.
func listFields(v string) (body bool, err error) {
	if v == "" {
		return false, nil
	}
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "body":
			body = true
		case !letterFields[f]:
			return false, appliance.FieldErrors{"fields": fmt.Sprintf("champ %q inconnu: body, ou un champ de courrier", f)}
		}
	}
	return body, nil
}

// letterFields are the JSON names of a letter's fields.
var letterFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(domain.Letter{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = true
	}
	return m
}()

func (s *Server) getLetter(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	v, err := s.svc.View(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, v)
	return nil
}

func (s *Server) letterHistory(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	v, err := s.svc.View(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, v.History)
	return nil
}

func (s *Server) qualify(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.QualifyInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	l, err := s.svc.Qualify(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, l)
	return nil
}

func (s *Server) redirect(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.RedirectInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	l, err := s.svc.Redirect(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, l)
	return nil
}

func (s *Server) note(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.NoteInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	n, err := s.svc.AddNote(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, n)
	return nil
}

func (s *Server) link(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in LinkBody
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.Link(r.Context(), a, r.PathValue("id"), in.OtherID); err != nil {
		return err
	}
	writeJSON(w, 204, nil)
	return nil
}

func (s *Server) close(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in NoteBody
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	l, err := s.svc.Close(r.Context(), a, r.PathValue("id"), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, 200, l)
	return nil
}

func (s *Server) reopen(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in NoteBody
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	l, err := s.svc.Reopen(r.Context(), a, r.PathValue("id"), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, 200, l)
	return nil
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	v, err := s.svc.View(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, v.Documents)
	return nil
}

// uploadBody finds the file of an upload: the "file" part of a multipart
// form (streamed, never buffered whole), or the raw body named by ?name=.
// An upload whose declared length is over the limit is refused before a
// byte is stored.
func (s *Server) uploadBody(w http.ResponseWriter, r *http.Request) (appliance.Upload, error) {
	limit := s.svc.UploadLimit()
	if r.ContentLength > limit+64<<10 {
		return appliance.Upload{}, fmt.Errorf("%w: %d octets, la limite est de %d Mo", appliance.ErrTooLarge, r.ContentLength, limit>>20)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	u := appliance.Upload{Name: r.URL.Query().Get("name"), Role: domain.DocRole(r.URL.Query().Get("role"))}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		u.Body = r.Body
		return u, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return u, fmt.Errorf("%w: formulaire multipart invalide: %v", ErrBadRequest, err)
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return u, fmt.Errorf("%w: champ « file » manquant", ErrBadRequest)
		}
		if err != nil {
			return u, fmt.Errorf("%w: formulaire multipart invalide: %v", ErrBadRequest, err)
		}
		switch p.FormName() {
		case "role":
			b, _ := io.ReadAll(io.LimitReader(p, 64))
			u.Role = domain.DocRole(b)
		case "file":
			if u.Name == "" {
				u.Name = p.FileName()
			}
			u.Body = p
			return u, nil
		}
	}
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	u, err := s.uploadBody(w, r)
	if err != nil {
		return err
	}
	d, err := s.svc.Attach(r.Context(), a, r.PathValue("id"), "", u)
	if err != nil {
		return tooLarge(err)
	}
	writeJSON(w, 201, d)
	return nil
}

func (s *Server) uploadVersion(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	doc, err := s.svc.Document(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	u, err := s.uploadBody(w, r)
	if err != nil {
		return err
	}
	d, err := s.svc.Attach(r.Context(), a, doc.LetterID, doc.ID, u)
	if err != nil {
		return tooLarge(err)
	}
	writeJSON(w, 201, d)
	return nil
}

// tooLarge reports a body cut by MaxBytesReader as 413, not as a read error.
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("%w: limite de %d octets", appliance.ErrTooLarge, mbe.Limit)
	}
	return err
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	d, err := s.svc.Document(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, d)
	return nil
}

func (s *Server) download(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%w: version doit être un entier ≥ 1", ErrBadRequest)
		}
		version = n
	}
	d, v, f, err := s.svc.OpenDocument(r.Context(), a, r.PathValue("id"), version)
	if err != nil {
		return err
	}
	defer f.Close()
	ServeDocument(w, r, d, v, f, download.Attachment)
	return nil
}

// ServeDocument sends a document's version with the headers of all user
// content (package download); the web UI's viewer uses it too.
func ServeDocument(w http.ResponseWriter, r *http.Request, d *domain.Document, v *domain.Version, f io.ReadSeeker, mode download.Mode) {
	t, _ := time.Parse(domain.TimeLayout, v.CreatedAt)
	download.Serve(w, r, d.Name, v.MIME, v.SHA256, t, mode, f)
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	page, perPage, err := pageParams(r)
	if err != nil {
		return err
	}
	cs, err := s.svc.Contacts(r.Context(), a, r.URL.Query().Get("q"), perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	writeJSON(w, 200, cs)
	return nil
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.ContactInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := s.svc.CreateContact(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, c)
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	c, err := s.svc.Contact(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, c)
	return nil
}

func (s *Server) listEntities(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	es, err := s.svc.Entities(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, 200, es)
	return nil
}

func (s *Server) createEntity(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.EntityInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := s.svc.CreateEntity(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, e)
	return nil
}

func (s *Server) listDoctypes(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	ds, err := s.svc.Doctypes(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, 200, ds)
	return nil
}

func (s *Server) createDoctype(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.DoctypeInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	d, err := s.svc.CreateDoctype(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, d)
	return nil
}

func (s *Server) getDoctype(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	d, err := s.svc.Doctype(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, d)
	return nil
}

func (s *Server) updateDoctype(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.DoctypeInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	d, err := s.svc.UpdateDoctype(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, d)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	us, err := s.svc.Users(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, 200, us)
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.UserInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, u)
	return nil
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.UserInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Password != "" {
		return appliance.FieldErrors{"password": "utilisez POST /api/v1/users/{id}/password"}
	}
	u, err := s.svc.UpdateUser(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, u)
	return nil
}

func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in PasswordBody
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if id := r.PathValue("id"); id != a.ID() {
		if err := s.svc.SetPassword(r.Context(), a, id, in.Password); err != nil {
			return err
		}
		writeJSON(w, 204, nil)
		return nil
	}
	// One's own: the current password is asked for, even with a token,
	// under the login limiter.
	if _, err := s.svc.ChangePassword(r.Context(), a, in.Current, in.Password, in.Password, clientAddr(r)); err != nil {
		return err
	}
	writeJSON(w, 204, nil)
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.TokenInput
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	tok, t, err := s.svc.IssueToken(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, TokenResponse{Token: tok, ID: t.ID, Name: t.Name, ExpiresAt: t.ExpiresAt})
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	user := r.URL.Query().Get("user")
	switch user {
	case "":
		user = a.ID()
	case "all":
		user = ""
		if !a.IsAdmin() {
			return fmt.Errorf("%w: réservé aux administrateurs", appliance.ErrForbidden)
		}
	}
	ts, err := s.svc.Tokens(r.Context(), a, user)
	if err != nil {
		return err
	}
	writeJSON(w, 200, ts)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	t, err := s.svc.RevokeToken(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, t)
	return nil
}

// clientAddr is the address of the client, without its port: the login
// limiter's key.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) tenantHistory(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	page, perPage, err := pageParams(r)
	if err != nil {
		return err
	}
	hs, err := s.svc.TenantHistory(r.Context(), a, perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	writeJSON(w, 200, hs)
	return nil
}
