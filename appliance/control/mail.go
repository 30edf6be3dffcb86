package control

import (
	"context"
	"fmt"
	"strings"

	"missive/appliance"
)

// MailRequest carries the mail bridge's settings (missive mail …).
type MailRequest struct {
	Address    string `json:"address,omitempty"`
	Entity     string `json:"entity,omitempty"`  // entity code
	Doctype    string `json:"doctype,omitempty"` // doctype code
	Host       string `json:"host,omitempty"`
	Port       int    `json:"port,omitempty"`
	Security   string `json:"security,omitempty"`
	Auth       string `json:"auth,omitempty"`
	User       string `json:"user,omitempty"`
	Password   string `json:"password,omitempty"`
	From       string `json:"from,omitempty"`
	FromName   string `json:"from_name,omitempty"`
	Folder     string `json:"folder,omitempty"`
	DoneFolder string `json:"done_folder,omitempty"`
	Keywords   string `json:"keywords,omitempty"`
	Position   int    `json:"position,omitempty"`
	Policy     string `json:"policy,omitempty"`
}

// routing resolves entity and doctype codes.
func routing(ctx context.Context, svc service, sys *appliance.Actor, entity, doctype string) (entityID, doctypeID string, err error) {
	if entity != "" {
		e, err := svc.EntityByCode(ctx, sys, entity)
		if err != nil {
			return "", "", fmt.Errorf("entité %q: %w", entity, err)
		}
		entityID = e.ID
	}
	if doctype != "" {
		dts, err := svc.Doctypes(ctx, sys)
		if err != nil {
			return "", "", err
		}
		for _, d := range dts {
			if strings.EqualFold(d.Code, doctype) {
				doctypeID = d.ID
			}
		}
		if doctypeID == "" {
			return "", "", fmt.Errorf("type de courrier %q: %w", doctype, appliance.ErrNotFound)
		}
	}
	return entityID, doctypeID, nil
}

// runMail performs the mail.* operations.
func runMail(ctx context.Context, svc service, sys *appliance.Actor, req Request) (string, error) {
	m := req.Mail
	if m == nil {
		m = &MailRequest{}
	}
	switch req.Op {
	case "mail.address.add":
		in := appliance.MailAddressInput{Address: m.Address}
		var err error
		if in.EntityID, in.DoctypeID, err = routing(ctx, svc, sys, m.Entity, m.Doctype); err != nil {
			return "", err
		}
		a, err := svc.AddMailAddress(ctx, sys, in)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Le courrier adressé à %s arrive désormais dans la commune %s.\n", a.Address, req.Tenant), nil
	case "mail.relay.set":
		rl, err := svc.SetMailRelay(ctx, sys, appliance.MailRelayInput{Host: m.Host, Port: m.Port, Security: m.Security, Username: m.User,
			Password: m.Password, FromAddress: m.From, FromName: m.FromName})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Relais SMTP sortant: %s:%d (%s).\n", rl.Host, rl.Port, rl.Security), nil
	case "mail.mailbox.add":
		mb, err := svc.AddMailbox(ctx, sys, appliance.MailboxInput{Host: m.Host, Port: m.Port, Security: m.Security, Auth: m.Auth,
			Username: m.User, Password: m.Password, Folder: m.Folder, DoneFolder: m.DoneFolder})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Boîte %s@%s:%d ajoutée: le dossier « %s » est relevé, les messages enregistrés vont dans « %s ».\n",
			mb.Username, mb.Host, mb.Port, mb.Folder, mb.DoneFolder), nil
	case "mail.rule.add":
		in := appliance.MailRuleInput{Position: m.Position, Recipient: m.Address, Keywords: m.Keywords}
		var err error
		if in.EntityID, in.DoctypeID, err = routing(ctx, svc, sys, m.Entity, m.Doctype); err != nil {
			return "", err
		}
		if _, err := svc.AddMailRule(ctx, sys, in); err != nil {
			return "", err
		}
		return "Règle de routage ajoutée.\n", nil
	case "mail.ack.set":
		_, doctypeID, err := routing(ctx, svc, sys, "", m.Doctype)
		if err != nil {
			return "", err
		}
		if err := svc.SetMailAckPolicy(ctx, sys, doctypeID, m.Policy); err != nil {
			return "", err
		}
		return "Accusés de réception: " + m.Policy + ".\n", nil
	case "mail.status":
		st, err := svc.MailSettings(ctx, sys)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintln(&b, "Adresses de réception:")
		for _, a := range st.Addresses {
			fmt.Fprintf(&b, "  %s\n", a.Address)
		}
		if st.Relay != nil {
			fmt.Fprintf(&b, "Relais sortant: %s:%d (%s) expéditeur %s\n", st.Relay.Host, st.Relay.Port, st.Relay.Security, st.Relay.FromAddress)
		} else {
			fmt.Fprintln(&b, "Relais sortant: aucun (les accusés de réception attendent)")
		}
		fmt.Fprintln(&b, "Boîtes relevées:")
		for _, mb := range st.Mailboxes {
			fmt.Fprintf(&b, "  %s@%s:%d %s → %s (%s)\n", mb.Username, mb.Host, mb.Port, mb.Folder, mb.DoneFolder, mb.Security)
		}
		if len(st.Notices) > 0 {
			fmt.Fprintln(&b, "Avis:")
			for _, n := range st.Notices {
				fmt.Fprintf(&b, "  %s %s\n", n.CreatedAt, n.Text)
			}
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("%w: opération %q inconnue", appliance.ErrInvalid, req.Op)
}
