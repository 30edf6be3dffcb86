package mail

import (
	"context"
	"errors"
	"fmt"

	"missive/appliance/kernel"
	"missive/appliance/store"
)

// The administrator's mail settings beyond adding them: removing an
// address, a mailbox or a routing rule, and the hooks through which the
// web UI and the API ask the mail bridge (which appliance does not import)
// to try a mailbox or the relay, or to print a paper acknowledgement.

const (
	KindMailAddressRemove kernel.Kind = "mail.address.remove"
	KindMailboxRemove     kernel.Kind = "mail.mailbox.remove"
	KindMailRuleRemove    kernel.Kind = "mail.rule.remove"
)

type MailAddressRemove struct {
	Address string `json:"address"`
}

type MailboxRemove struct {
	ID string `json:"id"`
}

type MailRuleRemove struct {
	ID string `json:"id"`
}

// registerMailAdmin registers the apply function of each kind below with r
// (Register calls it).
func registerMailAdmin(r *kernel.Registry) {
	kernel.Handle(r, KindMailAddressRemove, applyMailAddressRemove)
	kernel.Handle(r, KindMailboxRemove, applyMailboxRemove)
	kernel.Handle(r, KindMailRuleRemove, applyMailRuleRemove)
}

func applyMailAddressRemove(a *kernel.Ctx, p *MailAddressRemove) (any, error) {
	if err := a.Tx.DeleteMailAddress(a.Cmd.Tenant, p.Address); err != nil {
		return nil, err
	}
	a.Summary = "Adresse de réception « " + p.Address + " » retirée"
	return nil, nil
}

func applyMailboxRemove(a *kernel.Ctx, p *MailboxRemove) (any, error) {
	if err := a.Tx.DeleteMailbox(a.Cmd.Tenant, p.ID); err != nil {
		return nil, err
	}
	a.Summary = "Boîte aux lettres retirée"
	return nil, nil
}

func applyMailRuleRemove(a *kernel.Ctx, p *MailRuleRemove) (any, error) {
	if err := a.Tx.DeleteMailRule(a.Cmd.Tenant, p.ID); err != nil {
		return nil, err
	}
	a.Summary = "Règle de routage du courrier électronique retirée"
	return nil, nil
}

// RemoveMailAddress stops an address delivering to the tenant: the SMTP
// listener refuses it from then on.
func (f *Mail) RemoveMailAddress(ctx context.Context, a *kernel.Actor, addr string) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	m, err := f.k.Reader().MailAddress(ctx, addr)
	if err != nil || m.TenantID != a.TenantID() {
		return fmt.Errorf("%w: adresse %s", kernel.ErrNotFound, addr)
	}
	_, err = f.k.Propose(ctx, KindMailAddressRemove, a.TenantID(), a.ID(), MailAddressRemove{Address: m.Address})
	return err
}

// Mailbox returns one of the tenant's mailboxes (admin only).
func (f *Mail) Mailbox(ctx context.Context, a *kernel.Actor, id string) (*store.Mailbox, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	m, err := f.k.Reader().Mailbox(ctx, id)
	if err != nil || m.TenantID != a.TenantID() {
		// Another tenant's mailbox is not there, as far as this admin knows.
		return nil, fmt.Errorf("%w: boîte aux lettres %s", kernel.ErrNotFound, id)
	}
	return m, nil
}

// RemoveMailbox stops polling a mailbox; its messages stay where they are.
func (f *Mail) RemoveMailbox(ctx context.Context, a *kernel.Actor, id string) error {
	m, err := f.Mailbox(ctx, a, id)
	if err != nil {
		return err
	}
	_, err = f.k.Propose(ctx, KindMailboxRemove, a.TenantID(), a.ID(), MailboxRemove{ID: m.ID})
	return err
}

// RemoveMailRule removes a routing rule.
func (f *Mail) RemoveMailRule(ctx context.Context, a *kernel.Actor, id string) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	rules, err := f.k.Reader().MailRules(ctx, a.TenantID())
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.ID == id {
			_, err = f.k.Propose(ctx, KindMailRuleRemove, a.TenantID(), a.ID(), MailRuleRemove{ID: id})
			return err
		}
	}
	return fmt.Errorf("%w: règle %s", kernel.ErrNotFound, id)
}

// MailTestResult is the outcome of "Tester la connexion", worded for the
// administrator.
type MailTestResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// MailBridge is what the web UI and the API ask of the mail bridge. It is
// nil where no bridge runs (tests of the web UI alone): the buttons then
// say so.
type MailBridge interface {
	// TestMailbox logs in to a saved mailbox and selects its folder.
	TestMailbox(ctx context.Context, a *kernel.Actor, id string) (MailTestResult, error)
	// TestRelay connects to the tenant's relay, STARTTLS and AUTH as set.
	TestRelay(ctx context.Context, a *kernel.Actor) (MailTestResult, error)
	// TryMailbox tests mailbox settings as typed, saving nothing
	// (Service.MailboxToTry); id, if set, names the saved mailbox whose
	// password an empty one stands for.
	TryMailbox(ctx context.Context, a *kernel.Actor, id string, in MailboxInput) (MailTestResult, error)
	// TryRelay tests relay settings as typed, saving nothing
	// (Service.MailRelayToTry).
	TryRelay(ctx context.Context, a *kernel.Actor, in MailRelayInput) (MailTestResult, error)
	// CheckTemplate reports a template that does not render.
	CheckTemplate(subject, body string) error
	// DefaultTemplate is the wording used until the tenant words its own.
	DefaultTemplate(mode string) (subject, body string)
	// PostalAck makes the acknowledgement of a letter as a PDF to print and
	// post, attached to the letter.
	PostalAck(ctx context.Context, a *kernel.Actor, letterID string) (*PostalAckResult, error)
	// AutoPostalAck makes it at registration when it is due: an incoming
	// letter whose sender has a postal address but no e-mail, of a doctype
	// acknowledged automatically; nil when none is due.
	AutoPostalAck(ctx context.Context, a *kernel.Actor, letterID string) (*PostalAckResult, error)
}

// errNoStoredPassword is the password field's error when a test of typed
// settings has no password to use.
const errNoStoredPassword = "obligatoire : le mot de passe enregistré ne sert qu'au même identifiant sur le même serveur (même port, même sécurité)"

// MailboxToTry checks mailbox settings typed in a form and returns the
// mailbox a "Tester la connexion" dials, saving nothing. A typed password
// is sealed as if it were saved, so that it is opened only to dial. An
// empty one takes the stored password of the saved mailbox id (or, when
// id is empty, of a saved mailbox) of the same user on the same host: a
// stored password is never sent to another server.
func (f *Mail) MailboxToTry(ctx context.Context, a *kernel.Actor, id string, in MailboxInput) (*store.Mailbox, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	var saved []store.Mailbox
	if id != "" {
		m, err := f.Mailbox(ctx, a, id)
		if err != nil {
			return nil, err
		}
		saved = []store.Mailbox{*m}
	}
	errs := checkMailbox(&in)
	kernel.CheckLen(errs, "password", in.Password, 8192, false)
	secret := f.k.Secrets.Seal("mailbox", in.Password)
	if in.Password == "" && errs["username"] == "" && errs["host"] == "" {
		if id == "" {
			ms, err := f.k.Reader().Mailboxes(ctx, a.TenantID())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			saved = ms
		}
		for _, m := range saved {
			if m.Username == in.Username && sameServer(m.Host, m.Port, m.Security, in.Host, in.Port, in.Security) && m.Secret != "" {
				secret = m.Secret
				break
			}
		}
		if secret == "" {
			errs["password"] = errNoStoredPassword
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	return &store.Mailbox{ID: id, TenantID: a.TenantID(), Host: in.Host, Port: in.Port, Security: in.Security, Auth: in.Auth,
		Username: in.Username, Secret: secret, Folder: in.Folder, DoneFolder: in.DoneFolder}, nil
}

// MailRelayToTry checks relay settings typed in a form and returns the
// relay a "Tester la connexion" dials, saving nothing; an empty password
// takes the stored one when the user and the host are the saved ones.
func (f *Mail) MailRelayToTry(ctx context.Context, a *kernel.Actor, in MailRelayInput) (*store.MailRelay, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := checkMailRelay(&in)
	secret := f.k.Secrets.Seal("relay", in.Password)
	if in.Password == "" && in.Username != "" && errs["host"] == "" {
		old, err := f.k.Reader().MailRelay(ctx, a.TenantID())
		switch {
		case err == nil && old.Username == in.Username && sameServer(old.Host, old.Port, old.Security, in.Host, in.Port, in.Security) && old.Secret != "":
			secret = old.Secret
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		default:
			errs["password"] = errNoStoredPassword
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	return &store.MailRelay{TenantID: a.TenantID(), Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username,
		Secret: secret, FromAddress: in.FromAddress, FromName: in.FromName}, nil
}

// PostalAckResult names the PDF document attached to the letter.
type PostalAckResult struct {
	DocumentID string `json:"document_id"`
	Name       string `json:"name"`
}

// ErrNoMailBridge answers a test asked of a node without a mail bridge.
var ErrNoMailBridge = fmt.Errorf("%w: le module de courrier électronique ne fonctionne pas sur ce serveur", kernel.ErrUnavailable)

// MailTemplates lists the tenant's worded templates.
func (f *Mail) MailTemplates(ctx context.Context, a *kernel.Actor) ([]store.MailTemplate, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	return f.k.Reader().MailTemplates(ctx, a.TenantID())
}

// mailAckPolicies is for MailSettings.
func (f *Mail) mailAckPolicies(ctx context.Context, tenant string) ([]store.MailAckPolicy, error) {
	ps, err := f.k.Reader().MailAckPolicies(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		return []store.MailAckPolicy{}, nil
	}
	return ps, err
}
