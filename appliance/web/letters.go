package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/domain"
	"missive/appliance/download"
	"missive/appliance/workdays"
)

type letterData struct {
	View      *appliance.LetterView
	Row       letterRow
	CanAct    bool
	CanWrite  bool
	Following bool
	Sender    *domain.Contact
	// Inline is the document shown in the page (PDF or image), if any.
	Inline     *domain.Document
	InlinePDF  bool
	Entities   []domain.Entity
	Users      []domain.User
	Doctypes   []domain.Doctype
	Names      map[string]string // user and entity ids → names
	Copies     []string
	CopyValues []string
	Recent     []domain.HistoryEntry // newest first, a few
	// Open is the action panel to open: the one whose form failed.
	Open string
	// Mail is the letter's e-mails, the answer by e-mail and the paper
	// acknowledgement (mail.go).
	Mail *letterMail
	// GED is where the letter was exported, or why not (ged.go).
	GED *letterGED
	// Reply is the reply draft and its final PDF (appliance/replies.go).
	Reply *letterDrafts
	// DAV is the letter's folder in the WebDAV share (dav.go).
	DAV *letterDAV
	// Mode is the letter's doctype's: for SVA and SVR the due date is the
	// day the implicit decision arises.
	Mode domain.Mode
	// Today, Tomorrow and InAMonth prefill the dates of the pieces' forms.
	Today, Tomorrow, InAMonth string
}

func (s *Server) letter(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showLetter(w, r, q, http.StatusOK, "", nil)
}

func (s *Server) showLetter(w http.ResponseWriter, r *http.Request, q *request, code int, form string, errs appliance.FieldErrors) error {
	ctx, a := r.Context(), q.actor
	lv, err := s.svc.View(ctx, a, r.PathValue("id"))
	if err != nil {
		return err
	}
	l := lv.Letter
	today := s.svc.Today()
	d := letterData{View: lv, Row: rows(today, []domain.Letter{*l})[0], CanAct: a.CanAct(l), CanWrite: a.Role() != domain.RoleElected, Open: form,
		Mode: domain.ModeNormal, Today: today.Format(domain.DateLayout), Tomorrow: workdays.AddDays(today, 1).Format(domain.DateLayout),
		InAMonth: workdays.AddMonths(today, 1).Format(domain.DateLayout)}
	if d.Following, err = s.svc.Following(ctx, a, l.ID); err != nil {
		return err
	}
	if l.SenderID != "" {
		if d.Sender, err = s.svc.Contact(ctx, a, l.SenderID); err != nil && !errors.Is(err, appliance.ErrNotFound) {
			return err
		}
	}
	if d.Entities, err = s.svc.Entities(ctx, a); err != nil {
		return err
	}
	if d.Users, err = s.svc.Users(ctx, a); err != nil {
		return err
	}
	if d.Doctypes, err = s.svc.Doctypes(ctx, a); err != nil {
		return err
	}
	for _, dt := range d.Doctypes {
		if dt.ID == l.DoctypeID {
			d.Mode = dt.Mode
		}
	}
	d.Names = map[string]string{appliance.SystemActor: "Missive"}
	for _, u := range d.Users {
		d.Names[u.ID] = u.Name
	}
	for _, e := range d.Entities {
		d.Names[e.ID] = e.Name
	}
	d.Users = slices.DeleteFunc(d.Users, func(u domain.User) bool { return u.Disabled })
	for _, c := range l.Copies {
		d.Copies = append(d.Copies, d.Names[c.Ref])
		d.CopyValues = append(d.CopyValues, c.Kind+":"+c.Ref)
	}
	for i := range lv.Documents {
		doc := &lv.Documents[i]
		last := doc.Versions[len(doc.Versions)-1]
		if d.Inline == nil && download.Displayable(last.MIME) && (doc.Role == domain.DocMain || !hasMain(lv.Documents)) {
			d.Inline, d.InlinePDF = doc, last.MIME == "application/pdf"
		}
	}
	if d.Mail, err = s.letterMailData(ctx, a, l, d.Sender); err != nil {
		return err
	}
	if d.GED, err = s.letterGEDData(ctx, a, l, d.CanAct); err != nil {
		return err
	}
	if d.Reply, err = s.letterDraftsData(r, q, l, lv.Documents, d.CanAct); err != nil {
		return err
	}
	if d.DAV, err = s.letterDAVData(r, q, l); err != nil {
		return err
	}
	for i := len(lv.History) - 1; i >= 0 && len(d.Recent) < 5; i-- {
		d.Recent = append(d.Recent, lv.History[i])
	}
	v := s.page(w, r, q, l.Number+" — "+l.Subject, "", d)
	if errs != nil {
		v.Errors, v.Form = prefixed(form, errs), prefixedValues(form, r.PostForm)
	}
	s.render(w, q, code, "letter", v)
	return nil
}

func hasMain(ds []domain.Document) bool {
	for _, d := range ds {
		if d.Role == domain.DocMain {
			return true
		}
	}
	return false
}

// letterAction runs one of the letter page's forms.
func (s *Server) letterAction(w http.ResponseWriter, r *http.Request, q *request) error {
	ctx, a := r.Context(), q.actor
	id, action := r.PathValue("id"), r.PathValue("action")
	f := r.PostForm
	back := "/letters/" + url.PathEscape(id)
	var msg string
	var err error
	switch action {
	case "qualify":
		msg, err = s.qualify(r, q, id)
	case "redirect":
		in := appliance.RedirectInput{EntityID: f.Get("entity_id"), AssigneeID: f.Get("assignee_id"), Note: f.Get("note")}
		if _, err = s.svc.Redirect(ctx, a, id, in); err == nil {
			msg = tr(q.lang, "letter.redirected")
		}
	case "close":
		if _, err = s.svc.Close(ctx, a, id, f.Get("note")); err == nil {
			msg = tr(q.lang, "letter.closed")
		}
	case "reopen":
		if _, err = s.svc.Reopen(ctx, a, id, f.Get("note")); err == nil {
			msg = tr(q.lang, "letter.reopened")
		}
	case "note":
		if _, err = s.svc.AddNote(ctx, a, id, appliance.NoteInput{Text: f.Get("text"), Entities: f["entities"]}); err == nil {
			msg = tr(q.lang, "letter.noted")
		}
	case "attach":
		err = s.attach(r, q, id)
		if err == nil {
			msg = tr(q.lang, "letter.attached")
		}
	case "restore":
		msg, err = s.restoreVersion(r, q, id)
	case "incomplete":
		msg, err = s.incomplete(r, q, id)
	case "pieces":
		msg, err = s.piecesReceived(r, q, id)
	case "link":
		err = s.link(r, q, id, f.Get("number"))
		if err == nil {
			msg = tr(q.lang, "letter.linked")
		}
	case "follow":
		if err = s.svc.Follow(ctx, a, id); err == nil || errors.Is(err, appliance.ErrConflict) {
			err, msg = nil, tr(q.lang, "letter.followed")
		}
	case "unfollow":
		if err = s.svc.Unfollow(ctx, a, id); err == nil || errors.Is(err, appliance.ErrConflict) {
			err, msg = nil, tr(q.lang, "letter.unfollowed")
		}
	default:
		return errNotFound
	}
	var fe appliance.FieldErrors
	switch {
	case errors.As(senderErrors(err, "sender."), &fe):
		return s.showLetter(w, r, q, http.StatusUnprocessableEntity, action, fe)
	case errors.Is(err, appliance.ErrConflict):
		return s.doneErr(w, r, q, back, err.Error())
	case err != nil:
		return err
	}
	if _, e := s.svc.Letter(ctx, a, id); e != nil {
		// Redirected out of the user's sight: back to their baskets.
		back = "/"
	}
	return s.done(w, r, q, back, msg)
}

// qualify saves the letter page's edit form.
func (s *Server) qualify(r *http.Request, q *request, id string) (string, error) {
	ctx, a := r.Context(), q.actor
	in, err := registerInput(r.PostForm)
	if err != nil {
		return "", err
	}
	if in.Sender != nil && in.Sender.ID == "" {
		// A sender typed but not picked is created first: Qualify
		// takes an existing contact.
		c, err := s.svc.CreateContact(ctx, a, *in.Sender)
		if err != nil {
			return "", senderErrors(err, "")
		}
		in.Sender = &appliance.ContactInput{ID: c.ID}
	}
	// The form shows every field: what it leaves empty is cleared.
	if _, err := s.svc.Qualify(ctx, a, id, appliance.FullQualify(in)); err != nil {
		return "", err
	}
	return tr(q.lang, "letter.qualified"), nil
}

func (s *Server) attach(r *http.Request, q *request, id string) error {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return appliance.FieldErrors{"file": "choisissez un fichier"}
	}
	defer file.Close()
	u := appliance.Upload{Name: hdr.Filename, Role: domain.DocRole(r.PostFormValue("role")), Body: file}
	_, err = s.svc.Attach(r.Context(), q.actor, id, r.PostFormValue("document_id"), u)
	if errors.Is(err, appliance.ErrTooLarge) {
		return appliance.FieldErrors{"file": err.Error()}
	}
	return err
}

func (s *Server) link(r *http.Request, q *request, id, number string) error {
	number = strings.TrimSpace(number)
	if number == "" {
		return appliance.FieldErrors{"number": "obligatoire"}
	}
	other, err := s.svc.LetterByNumber(r.Context(), q.actor, number)
	if errors.Is(err, appliance.ErrNotFound) {
		return appliance.FieldErrors{"number": "aucun courrier de ce numéro parmi ceux que vous voyez"}
	}
	if err != nil {
		return err
	}
	err = s.svc.Link(r.Context(), q.actor, id, other.ID)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return appliance.FieldErrors{"number": fe["other_id"]}
	}
	return err
}

// document sends a document's content: inline for the viewer in the letter
// page when its type is safe to show, as a download otherwise.
func (s *Server) document(w http.ResponseWriter, r *http.Request, q *request) error {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errNotFound
		}
		version = n
	}
	d, v, f, err := s.svc.OpenDocument(r.Context(), q.actor, r.PathValue("id"), version)
	if err != nil {
		return err
	}
	defer f.Close()
	mode := download.Attachment
	if r.URL.Query().Get("inline") != "" {
		mode = download.Viewer
	}
	api.ServeDocument(w, r, d, v, f, mode)
	return nil
}

// registerInput reads the letter fields shared by the registration and
// edit forms.
func registerInput(f url.Values) (appliance.RegisterInput, error) {
	in := appliance.RegisterInput{
		Category: domain.Category(f.Get("category")), Subject: f.Get("subject"), Body: f.Get("body"),
		LetterDate: f.Get("letter_date"), ArrivalDate: f.Get("arrival_date"), Priority: domain.Priority(f.Get("priority")),
		EntityID: f.Get("entity_id"), AssigneeID: f.Get("assignee_id"), DoctypeID: f.Get("doctype_id"),
		Confidential: f.Get("confidential") != "",
	}
	if id := f.Get("sender_id"); id != "" {
		in.Sender = &appliance.ContactInput{ID: id}
	} else if f.Get("sender_name") != "" || f.Get("sender_email") != "" || f.Get("sender_organization") != "" {
		in.Sender = &appliance.ContactInput{Name: f.Get("sender_name"), Organization: f.Get("sender_organization"), Email: strings.TrimSpace(f.Get("sender_email")),
			Address: f.Get("sender_address"), Postcode: f.Get("sender_postcode"), City: f.Get("sender_city")}
	}
	for _, c := range f["copies"] {
		kind, ref, ok := strings.Cut(c, ":")
		if !ok {
			return in, appliance.FieldErrors{"copies": "copie invalide"}
		}
		in.Copies = append(in.Copies, domain.Copy{Kind: kind, Ref: ref})
	}
	return in, nil
}

// senderErrors renames the sender's field errors (prefix "sender." from
// RegisterLetter, none from CreateContact) to the form's sender_ fields.
func senderErrors(err error, prefix string) error {
	var fe appliance.FieldErrors
	if !errors.As(err, &fe) {
		return err
	}
	out := appliance.FieldErrors{}
	for k, v := range fe {
		if rest, ok := strings.CutPrefix(k, prefix); ok && (prefix != "" || !strings.Contains(k, ".")) {
			k = "sender_" + rest
		}
		out[k] = v
	}
	return out
}
