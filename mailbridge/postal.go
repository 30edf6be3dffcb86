package mailbridge

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/mailbridge/internal/pdf"
)

// PostalAck makes the acknowledgement of a letter whose sender has no
// e-mail address: the same template as the e-mailed one (the tenant's
// wording for the doctype's mode, with the CRPA mentions; the incomplete
// one, listing the pieces asked, while they are awaited), laid out as a
// letter to print and post, and attached to the letter as a PDF document
// so that it stays in the file as evidence of the date.
func (b *Bridge) PostalAck(ctx context.Context, a *appliance.Actor, letterID string) (*appliance.PostalAckResult, error) {
	l, err := b.svc.Letter(ctx, a, letterID)
	if err != nil {
		return nil, err
	}
	if l.Category != domain.Incoming {
		return nil, fmt.Errorf("%w: seul un courrier arrivée reçoit un accusé de réception", appliance.ErrInvalid)
	}
	tenant := a.TenantID()
	var sender *domain.Contact
	if l.SenderID != "" {
		if sender, err = b.svc.Contact(ctx, a, l.SenderID); err != nil {
			return nil, fmt.Errorf("postal ack %s: sender: %w", l.Number, err)
		}
	}
	mode, d, v, err := b.ackText(ctx, tenant, l, "ack", true)
	if err != nil {
		return nil, err
	}
	d.Subject = l.Subject
	if sender != nil {
		d.SenderName = sender.DisplayName()
	}
	subject, body := defaultTemplates[mode][0], defaultTemplates[mode][1]
	// The wording is the commune's, read for Missive's own letter: the
	// user's right was checked on the letter above.
	if tpl, err := b.svc.System().MailTemplate(ctx, tenant, mode); err == nil {
		subject, body = tpl.Subject, tpl.Body
	}
	subj, text, err := render(subject, body, d, v)
	if err != nil {
		return nil, fmt.Errorf("postal ack %s: render %s template: %w", l.Number, mode, err)
	}
	doc := pdf.Document(subj, postalLayout(v, sender, b.now().In(domain.Paris).Format("02/01/2006"), subj, text))
	name := "accuse-reception-" + strings.ReplaceAll(l.Number, "/", "-") + ".pdf"
	if mode == "incomplete" {
		name = "demande-pieces-" + strings.ReplaceAll(l.Number, "/", "-") + ".pdf"
	}
	dd, err := b.svc.Attach(ctx, a, l.ID, "", appliance.Upload{Name: name, Role: domain.DocAttachment, Body: bytes.NewReader(doc)})
	if err != nil {
		return nil, fmt.Errorf("postal ack %s: attach: %w", l.Number, err)
	}
	b.log.Info("postal acknowledgement made", "tenant", tenant, "letter", l.ID, "number", l.Number, "document", dd.ID)
	return &appliance.PostalAckResult{DocumentID: dd.ID, Name: name}, nil
}

// AutoPostalAck makes the paper acknowledgement of a letter just
// registered when one is due: incoming, from a sender with a postal address
// and no e-mail address, of a doctype whose acknowledgement is automatic
// (mail_ack_policies, as for e-mail). A letter acknowledged "once
// qualified" gets it from its page when it is.
func (b *Bridge) AutoPostalAck(ctx context.Context, a *appliance.Actor, letterID string) (*appliance.PostalAckResult, error) {
	l, err := b.svc.Letter(ctx, a, letterID)
	if err != nil || l.Category != domain.Incoming || l.SenderID == "" {
		return nil, err
	}
	c, err := b.svc.Contact(ctx, a, l.SenderID)
	if err != nil {
		return nil, err
	}
	if c.Email != "" || strings.TrimSpace(c.Address+c.Postcode+c.City) == "" {
		return nil, nil
	}
	policy, err := b.svc.System().MailAckPolicy(ctx, a.TenantID(), l.DoctypeID)
	if err != nil || policy != appliance.AckAuto {
		return nil, err
	}
	return b.PostalAck(ctx, a, letterID)
}

// postalLayout is a French administrative letter: the sender's block (the
// commune, the service in charge and how to reach it), the addressee's
// block (placed for a window envelope), place and date, the subject, the
// text.
func postalLayout(v drafts.Values, to *domain.Contact, date, subject, text string) []pdf.Line {
	ls := []pdf.Line{{Text: v["commune"], Bold: true}, {Text: v["entite"]}}
	for _, part := range strings.Split(v["service_adresse"], "\n") {
		if part != "" {
			ls = append(ls, pdf.Line{Text: part})
		}
	}
	if v["service_telephone"] != "" {
		ls = append(ls, pdf.Line{Text: "Tél. " + v["service_telephone"]})
	}
	if v["service_courriel"] != "" {
		ls = append(ls, pdf.Line{Text: v["service_courriel"]})
	}
	ls = append(ls, pdf.Line{}, pdf.Line{}, pdf.Line{})
	if to != nil {
		for _, s := range []string{to.DisplayName(), to.Organization, to.Address, strings.TrimSpace(to.Postcode + " " + to.City), to.Country} {
			if s = strings.TrimSpace(s); s != "" && !(s == to.Organization && s == to.DisplayName()) {
				for _, part := range strings.Split(s, "\n") {
					ls = append(ls, pdf.Line{Text: part, Indent: 280})
				}
			}
		}
	}
	ls = append(ls, pdf.Line{}, pdf.Line{}, pdf.Line{Text: "Le " + date}, pdf.Line{}, pdf.Line{Text: "Objet : " + subject, Bold: true},
		pdf.Line{Text: "Référence : courrier n° " + v["numero"]}, pdf.Line{})
	for _, p := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		ls = append(ls, pdf.Line{Text: p})
	}
	return ls
}
