// Package mail is the appliance's side of e-mail: a tenant's mail
// settings (receiving addresses, outgoing relay, polled mailboxes, routing
// rules, templates, acknowledgement policies), the commands that take a
// message in, record a send's outcome or a notice to the administrator,
// queue an agent's answer, and the e-mails of a letter. The mail bridge
// itself (package mailbridge) speaks SMTP and IMAP and calls these
// through the facade; the letters a message makes or joins are applied
// through ApplyHooks, and the outbox's insert is the kernel's.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Mail is the mail bridge's side of the Service: its settings
// (addresses, relay, mailboxes, routing rules, templates), the outcome of
// a send, notices to the administrator, and the messages of a letter.
// The facade embeds it.
type Mail struct {
	k *kernel.Kernel
	h Hooks
}

// Hooks are what the mail settings need from the letters, which this
// package does not import.
type Hooks struct {
	// CheckRouting checks that an address's or a rule's default entity
	// and doctype are the tenant's (the letters' routing check), adding
	// its complaints to errs.
	CheckRouting func(ctx context.Context, a *kernel.Actor, errs kernel.FieldErrors, entityID, doctypeID string)
}

// New makes the mail feature of one appliance.
func New(k *kernel.Kernel, h Hooks) *Mail { return &Mail{k: k, h: h} }

// MailAddressInput makes an address deliver to the tenant.
type MailAddressInput struct {
	Address   string `json:"address"`
	EntityID  string `json:"entity_id,omitempty" doc:"Entité destinataire par défaut du courrier reçu à cette adresse"`
	DoctypeID string `json:"doctype_id,omitempty" doc:"Type de courrier par défaut"`
}

func (f *Mail) AddMailAddress(ctx context.Context, a *kernel.Actor, in MailAddressInput) (*store.MailAddress, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	in.Address = store.MailKey(in.Address)
	if in.Address == "" {
		errs["address"] = "obligatoire"
	}
	kernel.CheckEmail(errs, "address", in.Address)
	f.h.CheckRouting(ctx, a, errs, in.EntityID, in.DoctypeID)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	if m, err := f.k.Reader().MailAddress(ctx, in.Address); err == nil {
		if m.TenantID == a.TenantID() {
			return nil, fmt.Errorf("%w: l'adresse %s est déjà configurée", kernel.ErrConflict, in.Address)
		}
		return nil, fmt.Errorf("%w: l'adresse %s appartient à une autre commune", kernel.ErrConflict, in.Address)
	}
	v, err := f.k.Propose(ctx, KindMailAddressAdd, a.TenantID(), a.ID(), MailAddressAdd(in))
	if err != nil {
		return nil, err
	}
	return v.(*store.MailAddress), nil
}

// MailRelayInput sets the tenant's outgoing relay.
type MailRelayInput struct {
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security" doc:"starttls, tls (implicite) ou plain"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// KeepPassword keeps the stored password when Password is empty and
	// the user name, host, port and security are unchanged: a form never
	// shows the password back, and a stored password never goes to
	// another server, nor in clear where it went encrypted.
	KeepPassword bool   `json:"keep_password,omitempty" doc:"Garder le mot de passe enregistré quand password est vide (même identifiant, serveur, port et sécurité seulement)"`
	FromAddress  string `json:"from_address,omitempty" doc:"Adresse d'expédition des accusés de réception"`
	FromName     string `json:"from_name,omitempty"`
}

// sameServer says whether a stored password may be used for these
// settings: the same host, port and security. Another host must not
// receive it, nor the same one in clear after STARTTLS was dropped.
func sameServer(oldHost string, oldPort int, oldSecurity, host string, port int, security string) bool {
	return strings.EqualFold(oldHost, host) && oldPort == port && oldSecurity == security
}

func checkHostPort(errs kernel.FieldErrors, host string, port int) {
	if host == "" || strings.ContainsAny(host, " /@") {
		errs["host"] = "nom d'hôte ou adresse IP attendu"
	}
	if port < 1 || port > 65535 {
		errs["port"] = "entre 1 et 65535"
	}
}

// checkMailRelay normalises and checks relay settings, to save them or
// to try them.
func checkMailRelay(in *MailRelayInput) kernel.FieldErrors {
	errs := kernel.FieldErrors{}
	in.Host = strings.TrimSpace(in.Host)
	checkHostPort(errs, in.Host, in.Port)
	if in.Security == "" {
		in.Security = "plain"
	}
	switch in.Security {
	case "starttls", "tls", "plain":
	default:
		errs["security"] = "starttls, tls ou plain"
	}
	if in.Password != "" && in.Username == "" {
		errs["username"] = "obligatoire avec un mot de passe"
	}
	in.FromAddress = store.MailKey(in.FromAddress)
	kernel.CheckEmail(errs, "from_address", in.FromAddress)
	kernel.CheckLen(errs, "from_name", in.FromName, 200, false)
	return errs
}

func (f *Mail) SetMailRelay(ctx context.Context, a *kernel.Actor, in MailRelayInput) (*store.MailRelay, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	if err := checkMailRelay(&in).OrNil(); err != nil {
		return nil, err
	}
	secret := f.k.Secrets.Seal("relay", in.Password)
	if in.Password == "" && in.KeepPassword && in.Username != "" {
		if old, err := f.k.Reader().MailRelay(ctx, a.TenantID()); err == nil && old.Username == in.Username &&
			sameServer(old.Host, old.Port, old.Security, in.Host, in.Port, in.Security) {
			secret = old.Secret
		}
	}
	v, err := f.k.Propose(ctx, KindMailRelaySet, a.TenantID(), a.ID(), MailRelaySet{Host: in.Host, Port: in.Port, Security: in.Security,
		Username: in.Username, Secret: secret, FromAddress: in.FromAddress, FromName: in.FromName})
	if err != nil {
		return nil, err
	}
	return v.(*store.MailRelay), nil
}

// MailboxInput adds an IMAP mailbox to poll.
type MailboxInput struct {
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Security   string `json:"security" doc:"tls (implicite, 993), starttls ou plain"`
	Auth       string `json:"auth,omitempty" doc:"password (défaut) ou xoauth2 (Exchange Online: le mot de passe est alors le jeton OAuth)"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	Folder     string `json:"folder" doc:"Dossier relevé, ex. INBOX"`
	DoneFolder string `json:"done_folder" doc:"Dossier où ranger les messages enregistrés, ex. Traités"`
}

// checkMailbox normalises and checks a mailbox's settings but its
// password, to save them or to try them.
func checkMailbox(in *MailboxInput) kernel.FieldErrors {
	errs := kernel.FieldErrors{}
	in.Host = strings.TrimSpace(in.Host)
	checkHostPort(errs, in.Host, in.Port)
	if in.Security == "" {
		in.Security = "tls"
	}
	switch in.Security {
	case "starttls", "tls", "plain":
	default:
		errs["security"] = "tls, starttls ou plain"
	}
	if in.Auth == "" {
		in.Auth = "password"
	}
	if in.Auth != "password" && in.Auth != "xoauth2" {
		errs["auth"] = "password ou xoauth2"
	}
	kernel.CheckLen(errs, "username", in.Username, 300, true)
	if in.Folder == "" {
		in.Folder = "INBOX"
	}
	kernel.CheckLen(errs, "folder", in.Folder, 300, true)
	kernel.CheckLen(errs, "done_folder", in.DoneFolder, 300, true)
	if in.Folder == in.DoneFolder {
		errs["done_folder"] = "doit différer du dossier relevé"
	}
	return errs
}

func (f *Mail) AddMailbox(ctx context.Context, a *kernel.Actor, in MailboxInput) (*store.Mailbox, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := checkMailbox(&in)
	kernel.CheckLen(errs, "password", in.Password, 8192, true)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := f.k.Propose(ctx, KindMailboxAdd, a.TenantID(), a.ID(), MailboxAdd{ID: kernel.NewID(), Host: in.Host, Port: in.Port, Security: in.Security,
		Auth: in.Auth, Username: in.Username, Secret: f.k.Secrets.Seal("mailbox", in.Password), Folder: in.Folder, DoneFolder: in.DoneFolder})
	if err != nil {
		return nil, err
	}
	return v.(*store.Mailbox), nil
}

// MailRuleInput routes mail: to an address, or containing one of the
// keywords (comma-separated, in the subject or the text), goes to an entity
// with a doctype. Rules are tried by position; the first match wins.
type MailRuleInput struct {
	Position  int    `json:"position"`
	Recipient string `json:"recipient,omitempty"`
	Keywords  string `json:"keywords,omitempty"`
	EntityID  string `json:"entity_id,omitempty"`
	DoctypeID string `json:"doctype_id,omitempty"`
}

func (f *Mail) AddMailRule(ctx context.Context, a *kernel.Actor, in MailRuleInput) (*store.MailRule, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	if in.Recipient == "" && strings.TrimSpace(in.Keywords) == "" {
		errs["keywords"] = "une adresse destinataire ou des mots-clés sont obligatoires"
	}
	if in.EntityID == "" && in.DoctypeID == "" {
		errs["entity_id"] = "une entité ou un type de courrier est obligatoire"
	}
	kernel.CheckEmail(errs, "recipient", store.MailKey(in.Recipient))
	kernel.CheckLen(errs, "keywords", in.Keywords, 1000, false)
	f.h.CheckRouting(ctx, a, errs, in.EntityID, in.DoctypeID)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := f.k.Propose(ctx, KindMailRuleAdd, a.TenantID(), a.ID(), MailRuleAdd{ID: kernel.NewID(), Position: in.Position, Recipient: store.MailKey(in.Recipient),
		Keywords: strings.TrimSpace(in.Keywords), EntityID: in.EntityID, DoctypeID: in.DoctypeID})
	if err != nil {
		return nil, err
	}
	return v.(*store.MailRule), nil
}

// MailTemplateModes are the kinds of outgoing mail a tenant may word.
var MailTemplateModes = []string{"normal", "sva", "svr", "incomplete", "notice"}

// MailTemplateInput words one kind of outgoing mail (Go text/template).
type MailTemplateInput struct {
	Mode    string `json:"mode" doc:"normal, sva, svr (accusés de réception) ou notice (avis à l'agent)"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// SetMailTemplate stores a template; check, when given, reports a template
// that does not render (the bridge owns the template language).
func (f *Mail) SetMailTemplate(ctx context.Context, a *kernel.Actor, in MailTemplateInput, check func(subject, body string) error) (*store.MailTemplate, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	known := false
	for _, m := range MailTemplateModes {
		known = known || m == in.Mode
	}
	if !known {
		errs["mode"] = strings.Join(MailTemplateModes, ", ")
	}
	kernel.CheckLen(errs, "subject", in.Subject, 500, true)
	kernel.CheckLen(errs, "body", in.Body, 100000, true)
	if check != nil && len(errs) == 0 {
		if err := check(in.Subject, in.Body); err != nil {
			errs["body"] = "modèle invalide: " + err.Error()
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := f.k.Propose(ctx, KindMailTemplateSet, a.TenantID(), a.ID(), MailTemplateSet(in))
	if err != nil {
		return nil, err
	}
	return v.(*store.MailTemplate), nil
}

// MailSettings is a tenant's mail configuration, secrets left out.
type MailSettings struct {
	Addresses []store.MailAddress `json:"addresses"`
	Relay     *store.MailRelay    `json:"relay,omitempty"`
	Mailboxes []store.Mailbox     `json:"mailboxes"`
	Rules     []store.MailRule    `json:"rules"`
	Notices   []store.MailNotice  `json:"notices"`
	// Templates are those the tenant worded; the others use the defaults.
	Templates   []store.MailTemplate  `json:"templates"`
	AckPolicies []store.MailAckPolicy `json:"ack_policies"`
}

func (f *Mail) MailSettings(ctx context.Context, a *kernel.Actor) (*MailSettings, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	r, t := f.k.Reader(), a.TenantID()
	var out MailSettings
	var err error
	if out.Addresses, err = r.MailAddresses(ctx, t); err != nil {
		return nil, err
	}
	if out.Relay, err = r.MailRelay(ctx, t); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if out.Mailboxes, err = r.Mailboxes(ctx, t); err != nil {
		return nil, err
	}
	if out.Rules, err = r.MailRules(ctx, t); err != nil {
		return nil, err
	}
	if out.Notices, err = r.MailNotices(ctx, t, 50); err != nil {
		return nil, err
	}
	if out.Templates, err = r.MailTemplates(ctx, t); err != nil {
		return nil, err
	}
	if out.AckPolicies, err = f.mailAckPolicies(ctx, t); err != nil {
		return nil, err
	}
	return &out, nil
}

// RecordOutboxResult records the outcome of a send attempt (system only).
func (f *Mail) RecordOutboxResult(ctx context.Context, tenant string, r MailOutboxResult) error {
	_, err := f.k.Propose(ctx, KindMailOutboxDone, tenant, kernel.SystemActor, r)
	return err
}

// AddMailNotice records something the tenant's administrator must see,
// once per key.
func (f *Mail) AddMailNotice(ctx context.Context, tenant, key, text string) error {
	if ok, err := f.k.Reader().MailNoticeExists(ctx, tenant, key); err != nil || ok {
		return err
	}
	_, err := f.k.Propose(ctx, KindMailNotice, tenant, kernel.SystemActor, MailNoticeAdd{ID: kernel.NewID(), Key: key, Text: text})
	if errors.Is(err, kernel.ErrConflict) {
		return nil
	}
	return err
}

// HostPort joins a host and port for dialing.
func HostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// SetMailAckPolicy says when letters of a doctype (doctypeID "" for the
// tenant's default) are acknowledged: auto, qualified or never.
func (f *Mail) SetMailAckPolicy(ctx context.Context, a *kernel.Actor, doctypeID, policy string) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	errs := kernel.FieldErrors{}
	switch policy {
	case AckAuto, AckQualified, AckNever:
	default:
		errs["policy"] = "auto, qualified ou never"
	}
	if doctypeID != "" {
		if _, err := f.k.Reader().Doctype(ctx, a.TenantID(), doctypeID); err != nil {
			errs["doctype_id"] = "type de courrier inconnu"
		}
	}
	if err := errs.OrNil(); err != nil {
		return err
	}
	_, err := f.k.Propose(ctx, KindMailAckPolicySet, a.TenantID(), a.ID(), MailAckPolicySet{DoctypeID: doctypeID, Policy: policy})
	return err
}

// ReleaseMailAck queues a held acknowledgement with its text (system only).
func (f *Mail) ReleaseMailAck(ctx context.Context, tenant string, r MailAckRelease) error {
	_, err := f.k.Propose(ctx, KindMailAckRelease, tenant, kernel.SystemActor, r)
	return err
}
