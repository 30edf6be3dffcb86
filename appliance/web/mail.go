package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
)

// The mail pages: the administrator's page of the mail bridge (addresses,
// IMAP mailboxes with "Tester la connexion", the outgoing relay, routing
// rules, acknowledgement policy and templates), and on the letter page
// the e-mails of a letter, an answer by e-mail and the paper
// acknowledgement. Every change goes through the Service, which refuses a
// non-admin; the tests against the real servers go through the mail
// bridge (Options.Mail).

// pageRoute is a pattern and its handler, mounted behind s.authed.
type pageRoute struct {
	pattern string
	h       handler
}

// mailRoutes are mounted by Register like the other pages.
func (s *Server) mailRoutes() []pageRoute {
	return []pageRoute{
		{"GET /admin/mail", s.adminMail},
		{"POST /admin/mail/addresses", s.adminMailAddAddress},
		{"POST /admin/mail/addresses/delete", s.adminMailRemoveAddress},
		{"POST /admin/mail/mailboxes", s.adminMailAddMailbox},
		{"POST /admin/mail/mailboxes/test", s.adminMailTestMailbox},
		{"POST /admin/mail/mailboxes/{id}/test", s.adminMailTestMailbox},
		{"POST /admin/mail/mailboxes/{id}/delete", s.adminMailRemoveMailbox},
		{"POST /admin/mail/relay", s.adminMailSetRelay},
		{"POST /admin/mail/relay/test", s.adminMailTestRelay},
		{"POST /admin/mail/rules", s.adminMailAddRule},
		{"POST /admin/mail/rules/{id}/delete", s.adminMailRemoveRule},
		{"POST /admin/mail/templates", s.adminMailSetTemplate},
		{"POST /admin/mail/ack", s.adminMailSetAck},
		{"POST /letters/{id}/postal-ack", s.postalAck},
		{"POST /letters/{id}/answer-mail", s.answerMail},
	}
}

// mailTemplateRow is one template on the page: the tenant's, or the
// default until the tenant words its own.
type mailTemplateRow struct {
	Mode          string
	Subject, Body string
	Custom        bool
}

type mailAdminData struct {
	*appliance.MailSettings
	orgChoices
	Templates []mailTemplateRow
	// Fields are the templates' merge fields: the reply drafts' ones.
	Fields []drafts.Field
	// DefaultAck is the tenant's policy; Ack, each doctype's own.
	DefaultAck string
	Ack        map[string]string
	Bridge     bool
	// Open is the form that failed, shown open.
	Open string
	// Tried is the outcome of "Tester la connexion" with the values typed
	// in the form Open, shown beside it.
	Tried *appliance.MailTestResult
}

func (s *Server) adminMail(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showMail(w, r, q, http.StatusOK, "", nil)
}

// showMail renders the page; form names the form whose fields errs are
// about, so that its values come back and its errors show beside them.
func (s *Server) showMail(w http.ResponseWriter, r *http.Request, q *request, code int, form string, errs appliance.FieldErrors) error {
	return s.showMailTried(w, r, q, code, form, errs, nil)
}

// showMailTried is showMail with the outcome of a test of the values
// typed in form, which come back in it (never the password).
func (s *Server) showMailTried(w http.ResponseWriter, r *http.Request, q *request, code int, form string, errs appliance.FieldErrors, tried *appliance.MailTestResult) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	ctx := r.Context()
	st, err := s.svc.MailSettings(ctx, q.actor)
	if err != nil {
		return err
	}
	org, err := s.orgChoices(ctx, q.actor)
	if err != nil {
		return err
	}
	d := &mailAdminData{MailSettings: st, orgChoices: org,
		DefaultAck: appliance.AckAuto, Ack: map[string]string{}, Bridge: s.opts.Mail != nil, Fields: drafts.FieldList}
	for _, p := range st.AckPolicies {
		if p.DoctypeID == "" {
			d.DefaultAck = p.Policy
		} else {
			d.Ack[p.DoctypeID] = p.Policy
		}
	}
	custom := map[string]domain.MailTemplate{}
	for _, t := range st.Templates {
		custom[t.Mode] = t
	}
	for _, m := range appliance.MailTemplateModes {
		row := mailTemplateRow{Mode: m}
		if t, ok := custom[m]; ok {
			row.Subject, row.Body, row.Custom = t.Subject, t.Body, true
		} else if s.opts.Mail != nil {
			row.Subject, row.Body = s.opts.Mail.DefaultTemplate(m)
		}
		d.Templates = append(d.Templates, row)
	}
	d.Open, d.Tried = form, tried
	v := s.page(w, r, q, tr(q.lang, "mail.title"), "admin-mail", d)
	if errs != nil || tried != nil {
		v.Errors, v.Form = prefixed(form, errs), prefixedValues(form, r.PostForm)
	}
	s.render(w, q, code, "admin_mail", v)
	return nil
}

// mailResult turns a Service error into the page again with the form's
// errors, or the error page; nil means success.
func (s *Server) mailResult(w http.ResponseWriter, r *http.Request, q *request, form string, err error) (bool, error) {
	var fe appliance.FieldErrors
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &fe):
		return true, s.showMail(w, r, q, http.StatusUnprocessableEntity, form, fe)
	case errors.Is(err, appliance.ErrConflict):
		field := map[string]string{"addr": "address", "mbox": "username"}[form]
		if field == "" {
			field = "form"
		}
		return true, s.showMail(w, r, q, http.StatusConflict, form, appliance.FieldErrors{field: strings.TrimPrefix(err.Error(), appliance.ErrConflict.Error()+": ")})
	}
	return true, err
}

func (s *Server) adminMailAddAddress(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	a, err := s.svc.AddMailAddress(r.Context(), q.actor, appliance.MailAddressInput{Address: strings.TrimSpace(f.Get("address")),
		EntityID: f.Get("entity_id"), DoctypeID: f.Get("doctype_id")})
	if shown, err := s.mailResult(w, r, q, "addr", err); shown || err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#addresses", tf(q.lang, "mail.addressadded", a.Address))
}

func (s *Server) adminMailRemoveAddress(w http.ResponseWriter, r *http.Request, q *request) error {
	addr := r.PostForm.Get("address")
	if err := s.svc.RemoveMailAddress(r.Context(), q.actor, addr); err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#addresses", tf(q.lang, "mail.addressremoved", addr))
}

func atoiField(errs appliance.FieldErrors, f url.Values, name string) int {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		errs[name] = "nombre entier attendu"
	}
	return n
}

// mailboxForm reads the mailbox form.
func mailboxForm(f url.Values) (appliance.MailboxInput, appliance.FieldErrors) {
	errs := appliance.FieldErrors{}
	return appliance.MailboxInput{Host: f.Get("host"), Port: atoiField(errs, f, "port"), Security: f.Get("security"), Auth: f.Get("auth"),
		Username: strings.TrimSpace(f.Get("username")), Password: f.Get("password"), Folder: strings.TrimSpace(f.Get("folder")),
		DoneFolder: strings.TrimSpace(f.Get("done_folder"))}, errs
}

func (s *Server) adminMailAddMailbox(w http.ResponseWriter, r *http.Request, q *request) error {
	in, errs := mailboxForm(r.PostForm)
	var err error = errs
	var mb *domain.Mailbox
	if len(errs) == 0 {
		mb, err = s.svc.AddMailbox(r.Context(), q.actor, in)
	}
	if shown, err := s.mailResult(w, r, q, "mbox", err); shown || err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#mailboxes", tf(q.lang, "mail.mailboxadded", mb.Username+"@"+mb.Host))
}

func (s *Server) adminMailRemoveMailbox(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.svc.RemoveMailbox(r.Context(), q.actor, r.PathValue("id")); err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#mailboxes", tr(q.lang, "mail.mailboxremoved"))
}

// testResult shows the outcome of "Tester la connexion" as a message on
// the page: green when the server accepted, red with the reason otherwise.
func (s *Server) testResult(w http.ResponseWriter, r *http.Request, q *request, anchor string, test func(context.Context, appliance.MailBridge) (appliance.MailTestResult, error)) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	if s.opts.Mail == nil {
		return s.doneErr(w, r, q, "/admin/mail"+anchor, tr(q.lang, "mail.nobridge"))
	}
	res, err := test(r.Context(), s.opts.Mail)
	if err != nil {
		return err
	}
	if !res.OK {
		return s.doneErr(w, r, q, "/admin/mail"+anchor, res.Message)
	}
	return s.done(w, r, q, "/admin/mail"+anchor, res.Message)
}

// tryTyped tests the values typed in form, saving nothing, and shows the
// page again with them and the outcome beside the form; a value that
// cannot be right comes back as a field error, as when saving.
func (s *Server) tryTyped(w http.ResponseWriter, r *http.Request, q *request, form string, errs appliance.FieldErrors, try func(appliance.MailBridge) (appliance.MailTestResult, error)) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	res := appliance.MailTestResult{Message: tr(q.lang, "mail.nobridge")}
	var err error = errs
	if len(errs) == 0 {
		err = nil
		if s.opts.Mail != nil {
			res, err = try(s.opts.Mail)
		}
	}
	if shown, err := s.mailResult(w, r, q, form, err); shown || err != nil {
		return err
	}
	return s.showMailTried(w, r, q, http.StatusOK, form, appliance.FieldErrors{}, &res)
}

// adminMailTestMailbox tests a saved mailbox (its row's button), or the
// values typed in the mailbox form (which has a host), without saving
// them: an empty password is then the one stored for the same user on
// the same host.
func (s *Server) adminMailTestMailbox(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	if _, typed := r.PostForm["host"]; typed || id == "" {
		in, errs := mailboxForm(r.PostForm)
		return s.tryTyped(w, r, q, "mbox", errs, func(m appliance.MailBridge) (appliance.MailTestResult, error) {
			return m.TryMailbox(r.Context(), q.actor, id, in)
		})
	}
	return s.testResult(w, r, q, "#mailboxes", func(ctx context.Context, m appliance.MailBridge) (appliance.MailTestResult, error) {
		return m.TestMailbox(ctx, q.actor, id)
	})
}

// adminMailTestRelay tests the saved relay, or the values typed in the
// relay form, without saving them.
func (s *Server) adminMailTestRelay(w http.ResponseWriter, r *http.Request, q *request) error {
	if _, typed := r.PostForm["host"]; typed {
		in, errs := relayForm(r.PostForm)
		return s.tryTyped(w, r, q, "relay", errs, func(m appliance.MailBridge) (appliance.MailTestResult, error) {
			return m.TryRelay(r.Context(), q.actor, in)
		})
	}
	return s.testResult(w, r, q, "#relay", func(ctx context.Context, m appliance.MailBridge) (appliance.MailTestResult, error) {
		return m.TestRelay(ctx, q.actor)
	})
}

// relayForm reads the relay form. The password is never shown back: an
// empty field keeps the one stored for the same user.
func relayForm(f url.Values) (appliance.MailRelayInput, appliance.FieldErrors) {
	errs := appliance.FieldErrors{}
	return appliance.MailRelayInput{Host: f.Get("host"), Port: atoiField(errs, f, "port"), Security: f.Get("security"),
		Username: strings.TrimSpace(f.Get("username")), Password: f.Get("password"), KeepPassword: true,
		FromAddress: strings.TrimSpace(f.Get("from_address")), FromName: f.Get("from_name")}, errs
}

func (s *Server) adminMailSetRelay(w http.ResponseWriter, r *http.Request, q *request) error {
	in, errs := relayForm(r.PostForm)
	var err error = errs
	if len(errs) == 0 {
		_, err = s.svc.SetMailRelay(r.Context(), q.actor, in)
	}
	if shown, err := s.mailResult(w, r, q, "relay", err); shown || err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#relay", tr(q.lang, "mail.relayset"))
}

func (s *Server) adminMailAddRule(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	errs := appliance.FieldErrors{}
	in := appliance.MailRuleInput{Position: atoiField(errs, f, "position"), Recipient: strings.TrimSpace(f.Get("recipient")),
		Keywords: f.Get("keywords"), EntityID: f.Get("entity_id"), DoctypeID: f.Get("doctype_id")}
	var err error = errs
	if len(errs) == 0 {
		_, err = s.svc.AddMailRule(r.Context(), q.actor, in)
	}
	if shown, err := s.mailResult(w, r, q, "rule", err); shown || err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#rules", tr(q.lang, "mail.ruleadded"))
}

func (s *Server) adminMailRemoveRule(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.svc.RemoveMailRule(r.Context(), q.actor, r.PathValue("id")); err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#rules", tr(q.lang, "mail.ruleremoved"))
}

func (s *Server) adminMailSetTemplate(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	mode := f.Get("mode")
	var check func(string, string) error
	if s.opts.Mail != nil {
		check = s.opts.Mail.CheckTemplate
	}
	_, err := s.svc.SetMailTemplate(r.Context(), q.actor, appliance.MailTemplateInput{Mode: mode, Subject: f.Get("subject"),
		Body: strings.ReplaceAll(f.Get("body"), "\r\n", "\n")}, check)
	if shown, err := s.mailResult(w, r, q, "tpl-"+mode, err); shown || err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#tpl-"+url.PathEscape(mode), tr(q.lang, "mail.templateset"))
}

func (s *Server) adminMailSetAck(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	err := s.svc.SetMailAckPolicy(r.Context(), q.actor, f.Get("doctype_id"), f.Get("policy"))
	if shown, err := s.mailResult(w, r, q, "ack", err); shown || err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/mail#ack", tr(q.lang, "mail.ackset"))
}

// letterMail is the e-mail part of the letter page.
type letterMail struct {
	Messages []appliance.MailMessage
	// SenderEmail is where an answer goes by default; without one the
	// page offers the paper acknowledgement.
	SenderEmail string
	Incoming    bool
	Bridge      bool
}

// letterMailData fills the letter page's e-mail section.
func (s *Server) letterMailData(ctx context.Context, a *appliance.Actor, l *domain.Letter, sender *domain.Contact) (*letterMail, error) {
	ms, err := s.svc.LetterMessages(ctx, a, l.ID)
	if err != nil {
		return nil, err
	}
	m := &letterMail{Messages: ms, Incoming: l.Category == domain.Incoming, Bridge: s.opts.Mail != nil}
	if sender != nil {
		m.SenderEmail = sender.Email
	}
	return m, nil
}

func (s *Server) postalAck(w http.ResponseWriter, r *http.Request, q *request) error {
	back := "/letters/" + url.PathEscape(r.PathValue("id"))
	if s.opts.Mail == nil {
		return s.doneErr(w, r, q, back, tr(q.lang, "mail.nobridge"))
	}
	res, err := s.opts.Mail.PostalAck(r.Context(), q.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.done(w, r, q, back+"#h-docs", tf(q.lang, "mail.postalmade", res.Name))
}

// autoPostalAck makes the paper acknowledgement of a letter just
// registered when one is due, and says so; a failure does not undo the
// registration: it is logged and the button on the letter page remains.
func (s *Server) autoPostalAck(ctx context.Context, q *request, l *domain.Letter) string {
	if s.opts.Mail == nil {
		return ""
	}
	res, err := s.opts.Mail.AutoPostalAck(ctx, q.actor, l.ID)
	if err != nil {
		s.log.Error("web: paper acknowledgement", "letter", l.Number, "err", err)
		return ""
	}
	if res == nil {
		return ""
	}
	return " " + tf(q.lang, "mail.postalauto", res.Name)
}

func (s *Server) answerMail(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	id := r.PathValue("id")
	_, err := s.svc.AnswerByMail(r.Context(), q.actor, id, appliance.MailAnswerInput{Text: f.Get("text"), DocumentIDs: f["document_ids"],
		To: strings.TrimSpace(f.Get("to")), Subject: strings.TrimSpace(f.Get("subject"))})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showLetter(w, r, q, http.StatusUnprocessableEntity, "answer", fe)
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/letters/"+url.PathEscape(id)+"#h-mail", tr(q.lang, "mail.answerqueued"))
}
