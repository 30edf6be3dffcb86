package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

type registerData struct {
	Key       string
	Today     string
	Due       string
	Entities  []domain.Entity
	Users     []domain.User
	Doctypes  []domain.Doctype
	Done      *domain.Letter // the letter just registered, when not visible
	SenderSel string         // display name of a picked sender, after an error
}

func (s *Server) registerForm(ctx context.Context, q *request) (*registerData, error) {
	if q.actor.Role() == domain.RoleElected {
		return nil, fmt.Errorf("%w: accès en lecture seule", appliance.ErrForbidden)
	}
	d := &registerData{Key: randomString(24), Today: s.svc.Clock().In(domain.Paris).Format(domain.DateLayout)}
	var err error
	if d.Entities, err = s.svc.Entities(ctx, q.actor); err != nil {
		return nil, err
	}
	if d.Users, err = activeUsers(ctx, s.svc, q.actor); err != nil {
		return nil, err
	}
	if d.Doctypes, err = s.svc.Doctypes(ctx, q.actor); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) newLetter(w http.ResponseWriter, r *http.Request, q *request) error {
	d, err := s.registerForm(r.Context(), q)
	if err != nil {
		return err
	}
	s.render(w, q, http.StatusOK, "register", s.page(w, r, q, tr(q.lang, "register.title"), "register", d))
	return nil
}

// registerLetter registers the form's letter once, whatever the number of
// times the form is sent, and shows its registration number.
func (s *Server) registerLetter(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx := r.Context()
	in, err := registerInput(r.PostForm)
	if in.Channel == "" {
		in.Channel = domain.ChannelPaper
	}
	var l *domain.Letter
	var dup bool
	if err == nil {
		uploads, bad := scan(r)
		if bad != "" {
			// The Service validates every field before it stores an upload:
			// an upload that fails to read gets the other fields' messages
			// too, and proposes nothing.
			uploads = []appliance.Upload{{Name: "scan", Role: domain.DocMain, Body: errReader{}}}
		}
		l, dup, err = s.svc.RegisterLetterOnce(ctx, q.actor, r.PostFormValue("form_key"), in, uploads...)
		var fe appliance.FieldErrors
		switch {
		case bad == "":
		case errors.As(err, &fe):
			fe["file"] = bad
		case errors.Is(err, errBadScan):
			err = appliance.FieldErrors{"file": bad}
		case err == nil:
			return fmt.Errorf("letter %s registered with a refused scan", l.Number)
		}
	}
	if errors.Is(err, appliance.ErrTooLarge) {
		err = appliance.FieldErrors{"file": err.Error()}
	}
	var fe appliance.FieldErrors
	if errors.As(senderErrors(err, "sender."), &fe) {
		d, err := s.registerForm(ctx, q)
		if err != nil {
			return err
		}
		// The same key again: the corrected form is still the one letter.
		d.Key = r.PostFormValue("form_key")
		if fe["form_key"] != "" {
			d.Key = randomString(24)
		}
		d.Due = s.due(ctx, q, r.PostFormValue("doctype_id"), r.PostFormValue("arrival_date"))
		if id := r.PostFormValue("sender_id"); id != "" {
			if c, err := s.svc.Contact(ctx, q.actor, id); err == nil {
				d.SenderSel = c.DisplayName()
			}
		}
		if r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 && r.MultipartForm.File["file"][0].Size > 0 && fe["file"] == "" {
			fe["file"] = tr(q.lang, "register.refile")
		}
		v := s.page(w, r, q, tr(q.lang, "register.title"), "register", d)
		v.Errors, v.Form = fe, r.PostForm
		s.render(w, q, http.StatusUnprocessableEntity, "register", v)
		return nil
	}
	if err != nil {
		return err
	}
	msg := tf(q.lang, "register.done", l.Number)
	if dup {
		msg = tf(q.lang, "register.dup", l.Number)
	} else {
		s.log.Info("web: letter registered", "letter", l.Number, "user", q.actor.User.Login)
		msg += s.autoPostalAck(ctx, q, l)
	}
	if _, err := s.svc.Letter(ctx, q.actor, l.ID); err != nil {
		// Routed out of the registrant's sight (a confidential letter):
		// the number is shown on a fresh form.
		return s.done(w, r, q, "/letters/new", msg)
	}
	return s.done(w, r, q, "/letters/"+l.ID+"?registered=1", msg)
}

// scanTypes are what a scanner produces.
var scanTypes = []string{"application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "image/webp"}

// scan reads the uploaded scan, if any, and checks that it is a PDF or an
// image by its content, whatever its name says; bad is why it is refused.
func scan(r *http.Request) (ups []appliance.Upload, bad string) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return nil, ""
	}
	hdr := r.MultipartForm.File["file"][0]
	if hdr.Size == 0 && hdr.Filename == "" {
		return nil, ""
	}
	f, err := hdr.Open()
	if err != nil {
		return nil, "fichier illisible"
	}
	br := bufio.NewReader(f)
	head, _ := br.Peek(512)
	mt := http.DetectContentType(head)
	if isTIFF(head) {
		mt = "image/tiff"
	}
	if !slices.Contains(scanTypes, mt) {
		f.Close()
		return nil, "PDF ou image attendu (PDF, PNG, JPEG, TIFF)"
	}
	// The multipart file is removed by the server once the request ends.
	return []appliance.Upload{{Name: hdr.Filename, Role: domain.DocMain, Body: br}}, ""
}

var errBadScan = errors.New("scan refusé")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBadScan }

func isTIFF(b []byte) bool {
	return len(b) >= 4 && (string(b[:4]) == "II*\x00" || string(b[:4]) == "MM\x00*")
}

// due is the due date a doctype gives a letter arriving then, for display.
func (s *Server) due(ctx context.Context, q *request, doctypeID, arrival string) string {
	if doctypeID == "" {
		return ""
	}
	if arrival == "" {
		arrival = s.svc.Clock().In(domain.Paris).Format(domain.DateLayout)
	}
	ds, err := s.svc.Doctypes(ctx, q.actor)
	if err != nil {
		return ""
	}
	for i := range ds {
		if ds[i].ID == doctypeID {
			return s.svc.DueDate(q.actor.Tenant, &ds[i], arrival)
		}
	}
	return ""
}

// dueDate answers the registration form's script: the due date of a
// doctype for an arrival date, computed as Register does.
func (s *Server) dueDate(w http.ResponseWriter, r *http.Request, q *request) error {
	arrival := r.URL.Query().Get("arrival")
	if _, err := time.Parse(domain.DateLayout, arrival); arrival != "" && err != nil {
		writeJSON(w, http.StatusOK, map[string]string{"due": "", "text": ""})
		return nil
	}
	due := s.due(r.Context(), q, r.URL.Query().Get("doctype"), arrival)
	text := ""
	if due != "" {
		text = funcs(q.lang)["date"].(func(string) string)(due)
	}
	writeJSON(w, http.StatusOK, map[string]string{"due": due, "text": text})
	return nil
}

type contactJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	City  string `json:"city,omitempty"`
}

// contacts answers the sender field's autocomplete.
func (s *Server) contacts(w http.ResponseWriter, r *http.Request, q *request) error {
	term := strings.TrimSpace(r.URL.Query().Get("q"))
	out := []contactJSON{}
	if len([]rune(term)) >= 2 {
		cs, err := s.svc.Contacts(r.Context(), q.actor, term, 10, 0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			out = append(out, contactJSON{ID: c.ID, Name: c.DisplayName(), Email: c.Email, City: c.City})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createContact creates a contact from the registration form's sender
// fields, for the script's "create this contact" button.
func (s *Server) createContact(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	c, err := s.svc.CreateContact(r.Context(), q.actor, appliance.ContactInput{Name: f.Get("sender_name"), Organization: f.Get("sender_organization"),
		Email: strings.TrimSpace(f.Get("sender_email")), Address: f.Get("sender_address"), Postcode: f.Get("sender_postcode"), City: f.Get("sender_city")})
	if err != nil {
		return senderErrors(err, "")
	}
	writeJSON(w, http.StatusCreated, contactJSON{ID: c.ID, Name: c.DisplayName(), Email: c.Email, City: c.City})
	return nil
}
