package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"missive/appliance"
	"missive/appliance/domain"
)

// letterMessages lists the e-mails of a letter: the message that made it,
// replies and bounces that joined it, acknowledgements and answers sent.
func (s *Server) letterMessages(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	ms, err := s.svc.LetterMessages(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, ms)
	return nil
}

// MailTemplateBody words one kind of outgoing mail.
type MailTemplateBody struct {
	Subject string `json:"subject"`
	Body    string `json:"body" doc:"Modèle Go text/template avec les champs des modèles de réponse: {{numero}}, {{commune}}, {{date_arrivee}}, {{entite}}, {{service_adresse}}, {{service_telephone}}, {{service_courriel}}, {{date_limite}}, {{pieces_manquantes}}…, et {{papier}}; les anciens noms ({{.Number}}, {{.Commune}}…) restent valables"`
}

// MailTemplateView is a template as the tenant uses it: its own wording,
// or the default.
type MailTemplateView struct {
	Mode    string `json:"mode"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	Custom  bool   `json:"custom" doc:"false: le modèle par défaut de Missive"`
}

// MailAckBody says when a doctype's letters are acknowledged.
type MailAckBody struct {
	DoctypeID string `json:"doctype_id,omitempty" doc:"Vide: la valeur par défaut de la commune"`
	Policy    string `json:"policy" doc:"auto, qualified ou never"`
}

// mailRoutes are the mail bridge's settings (admin only, per tenant: the
// Service refuses anyone else), its connection tests, and the answer by
// e-mail and paper acknowledgement of a letter.
func (s *Server) mailRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/mail", summary: "Réglages du courrier électronique de la commune (admin); les mots de passe n'y figurent jamais", out: appliance.MailSettings{}, h: s.mailSettings},
		{method: "POST", path: "/api/v1/mail/addresses", summary: "Ajouter une adresse de réception (admin)", in: appliance.MailAddressInput{}, out: domain.MailAddress{}, status: 201, h: s.mailAddAddress},
		{method: "DELETE", path: "/api/v1/mail/addresses/{address}", summary: "Retirer une adresse de réception (admin)", status: 204, h: s.mailRemoveAddress},
		{method: "POST", path: "/api/v1/mail/mailboxes", summary: "Ajouter une boîte IMAP à relever (admin)", in: appliance.MailboxInput{}, out: domain.Mailbox{}, status: 201, h: s.mailAddMailbox},
		{method: "DELETE", path: "/api/v1/mail/mailboxes/{id}", summary: "Retirer une boîte relevée (admin)", status: 204, h: s.mailRemoveMailbox},
		{method: "POST", path: "/api/v1/mail/mailboxes/test", summary: "Tester les réglages d'une boîte sans les enregistrer: identification et ouverture du dossier relevé; un mot de passe vide reprend celui d'une boîte enregistrée du même identifiant sur le même serveur (admin)", in: appliance.MailboxInput{}, out: appliance.MailTestResult{}, h: s.mailTryMailbox, noWrite: true},
		{method: "POST", path: "/api/v1/mail/mailboxes/{id}/test", summary: "Tester la connexion: identification et ouverture du dossier relevé (admin); avec un corps, ces réglages sont essayés sans être enregistrés, un mot de passe vide reprenant celui de la boîte (même identifiant, même serveur)", in: appliance.MailboxInput{}, out: appliance.MailTestResult{}, h: s.mailTestMailbox, noWrite: true},
		{method: "PUT", path: "/api/v1/mail/relay", summary: "Régler le relais SMTP sortant (admin)", in: appliance.MailRelayInput{}, out: domain.MailRelay{}, h: s.mailSetRelay},
		{method: "POST", path: "/api/v1/mail/relay/test", summary: "Tester la connexion au relais: STARTTLS et AUTH s'ils sont réglés, aucun envoi (admin); avec un corps, ces réglages sont essayés sans être enregistrés, un mot de passe vide reprenant celui enregistré (même identifiant, même serveur)", in: appliance.MailRelayInput{}, out: appliance.MailTestResult{}, h: s.mailTestRelay, noWrite: true},
		{method: "POST", path: "/api/v1/mail/rules", summary: "Ajouter une règle de routage (admin)", in: appliance.MailRuleInput{}, out: domain.MailRule{}, status: 201, h: s.mailAddRule},
		{method: "DELETE", path: "/api/v1/mail/rules/{id}", summary: "Retirer une règle de routage (admin)", status: 204, h: s.mailRemoveRule},
		{method: "GET", path: "/api/v1/mail/templates", summary: "Modèles des messages: accusés de réception normal, SVA, SVR et avis (admin)", out: []MailTemplateView{}, h: s.mailTemplates},
		{method: "PUT", path: "/api/v1/mail/templates/{mode}", summary: "Rédiger le modèle d'un mode: normal, sva, svr ou notice (admin)", in: MailTemplateBody{}, out: domain.MailTemplate{}, h: s.mailSetTemplate},
		{method: "PUT", path: "/api/v1/mail/ack-policy", summary: "Quand envoyer l'accusé de réception, par type de courrier (admin)", in: MailAckBody{}, status: 204, h: s.mailSetAck},
		{method: "POST", path: "/api/v1/letters/{id}/answer", summary: "Répondre par courriel à l'expéditeur, avec des documents du courrier", in: appliance.MailAnswerInput{}, out: domain.OutboxEntry{}, status: 201, h: s.answerByMail},
		{method: "POST", path: "/api/v1/letters/{id}/postal-ack", summary: "Accusé de réception à imprimer (PDF joint au courrier), pour un expéditeur sans adresse électronique", out: appliance.PostalAckResult{}, status: 201, h: s.postalAck, replay: s.replayPostalAck},
	}
}

func (s *Server) mailSettings(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	st, err := s.svc.MailSettings(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, 200, st)
	return nil
}

func (s *Server) mailAddAddress(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.MailAddressInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.AddMailAddress(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, m)
	return nil
}

func (s *Server) mailRemoveAddress(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	if err := s.svc.RemoveMailAddress(r.Context(), a, r.PathValue("address")); err != nil {
		return err
	}
	writeJSON(w, 204, nil)
	return nil
}

func (s *Server) mailAddMailbox(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.MailboxInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.AddMailbox(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, m)
	return nil
}

func (s *Server) mailRemoveMailbox(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	if err := s.svc.RemoveMailbox(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, 204, nil)
	return nil
}

func (s *Server) bridge() (appliance.MailBridge, error) {
	if s.Mail == nil {
		return nil, appliance.ErrNoMailBridge
	}
	return s.Mail, nil
}

// decodeIfAny decodes a body when there is one (not only blanks) and says
// so: a test route without a body tests the saved settings.
func decodeIfAny(w http.ResponseWriter, r *http.Request, v any) (bool, error) {
	if r.ContentLength == 0 || r.Body == nil {
		return false, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxJSON+1))
	if err != nil {
		return false, fmt.Errorf("%w: lecture du corps: %v", ErrBadRequest, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return false, nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return true, decode(w, r, v)
}

// mailTestMailbox tests a saved mailbox, or, with a body, the settings it
// holds without saving them.
func (s *Server) mailTestMailbox(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	b, err := s.bridge()
	if err != nil {
		return err
	}
	var in appliance.MailboxInput
	typed, err := decodeIfAny(w, r, &in)
	if err != nil {
		return err
	}
	var res appliance.MailTestResult
	if typed {
		res, err = b.TryMailbox(r.Context(), a, r.PathValue("id"), in)
	} else {
		res, err = b.TestMailbox(r.Context(), a, r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

// mailTryMailbox tests the settings of a mailbox not saved.
func (s *Server) mailTryMailbox(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	b, err := s.bridge()
	if err != nil {
		return err
	}
	var in appliance.MailboxInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	res, err := b.TryMailbox(r.Context(), a, "", in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (s *Server) mailSetRelay(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.MailRelayInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.SetMailRelay(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, m)
	return nil
}

func (s *Server) mailTestRelay(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	b, err := s.bridge()
	if err != nil {
		return err
	}
	var in appliance.MailRelayInput
	typed, err := decodeIfAny(w, r, &in)
	if err != nil {
		return err
	}
	var res appliance.MailTestResult
	if typed {
		res, err = b.TryRelay(r.Context(), a, in)
	} else {
		res, err = b.TestRelay(r.Context(), a)
	}
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (s *Server) mailAddRule(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.MailRuleInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	m, err := s.svc.AddMailRule(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, m)
	return nil
}

func (s *Server) mailRemoveRule(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	if err := s.svc.RemoveMailRule(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, 204, nil)
	return nil
}

func (s *Server) mailTemplates(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	ts, err := s.svc.MailTemplates(r.Context(), a)
	if err != nil {
		return err
	}
	custom := map[string]domain.MailTemplate{}
	for _, t := range ts {
		custom[t.Mode] = t
	}
	out := []MailTemplateView{}
	for _, m := range appliance.MailTemplateModes {
		v := MailTemplateView{Mode: m}
		if t, ok := custom[m]; ok {
			v.Subject, v.Body, v.Custom = t.Subject, t.Body, true
		} else if s.Mail != nil {
			v.Subject, v.Body = s.Mail.DefaultTemplate(m)
		}
		out = append(out, v)
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Server) mailSetTemplate(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in MailTemplateBody
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var check func(string, string) error
	if s.Mail != nil {
		check = s.Mail.CheckTemplate
	}
	t, err := s.svc.SetMailTemplate(r.Context(), a, appliance.MailTemplateInput{Mode: r.PathValue("mode"), Subject: in.Subject, Body: in.Body}, check)
	if err != nil {
		return err
	}
	writeJSON(w, 200, t)
	return nil
}

func (s *Server) mailSetAck(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in MailAckBody
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.SetMailAckPolicy(r.Context(), a, in.DoctypeID, in.Policy); err != nil {
		return err
	}
	writeJSON(w, 204, nil)
	return nil
}

func (s *Server) answerByMail(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.MailAnswerInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	o, err := s.svc.AnswerByMail(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 201, o)
	return nil
}

func (s *Server) postalAck(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	b, err := s.bridge()
	if err != nil {
		return err
	}
	res, err := b.PostalAck(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 201, res)
	return nil
}
