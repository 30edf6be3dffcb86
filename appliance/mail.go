package appliance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// The mail bridge's side of the Service: its settings (addresses, relay,
// mailboxes, routing rules, templates), the intake of one message, the
// outcome of a send, notices to the administrator, and the messages of a
// letter. The bridge itself (package mailbridge) reads the store directly.

// MailAddressInput makes an address deliver to the tenant.
type MailAddressInput struct {
	Address   string `json:"address"`
	EntityID  string `json:"entity_id,omitempty" doc:"Entité destinataire par défaut du courrier reçu à cette adresse"`
	DoctypeID string `json:"doctype_id,omitempty" doc:"Type de courrier par défaut"`
}

func (s *Service) AddMailAddress(ctx context.Context, a *Actor, in MailAddressInput) (*store.MailAddress, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := FieldErrors{}
	in.Address = store.MailKey(in.Address)
	if in.Address == "" {
		errs["address"] = "obligatoire"
	}
	kernel.CheckEmail(errs, "address", in.Address)
	s.checkRouting(ctx, a, errs, in.EntityID, "", in.DoctypeID, "", nil)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	if m, err := s.reader().MailAddress(ctx, in.Address); err == nil {
		if m.TenantID == a.TenantID() {
			return nil, fmt.Errorf("%w: l'adresse %s est déjà configurée", ErrConflict, in.Address)
		}
		return nil, fmt.Errorf("%w: l'adresse %s appartient à une autre commune", ErrConflict, in.Address)
	}
	v, err := s.propose(ctx, KindMailAddressAdd, a.TenantID(), a.ID(), MailAddressAdd(in))
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

func checkHostPort(errs FieldErrors, host string, port int) {
	if host == "" || strings.ContainsAny(host, " /@") {
		errs["host"] = "nom d'hôte ou adresse IP attendu"
	}
	if port < 1 || port > 65535 {
		errs["port"] = "entre 1 et 65535"
	}
}

// checkMailRelay normalises and checks relay settings, to save them or
// to try them.
func checkMailRelay(in *MailRelayInput) FieldErrors {
	errs := FieldErrors{}
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

func (s *Service) SetMailRelay(ctx context.Context, a *Actor, in MailRelayInput) (*store.MailRelay, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	if err := checkMailRelay(&in).OrNil(); err != nil {
		return nil, err
	}
	secret := s.Secrets.Seal("relay", in.Password)
	if in.Password == "" && in.KeepPassword && in.Username != "" {
		if old, err := s.reader().MailRelay(ctx, a.TenantID()); err == nil && old.Username == in.Username &&
			sameServer(old.Host, old.Port, old.Security, in.Host, in.Port, in.Security) {
			secret = old.Secret
		}
	}
	v, err := s.propose(ctx, KindMailRelaySet, a.TenantID(), a.ID(), MailRelaySet{Host: in.Host, Port: in.Port, Security: in.Security,
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
func checkMailbox(in *MailboxInput) FieldErrors {
	errs := FieldErrors{}
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

func (s *Service) AddMailbox(ctx context.Context, a *Actor, in MailboxInput) (*store.Mailbox, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := checkMailbox(&in)
	kernel.CheckLen(errs, "password", in.Password, 8192, true)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.propose(ctx, KindMailboxAdd, a.TenantID(), a.ID(), MailboxAdd{ID: NewID(), Host: in.Host, Port: in.Port, Security: in.Security,
		Auth: in.Auth, Username: in.Username, Secret: s.Secrets.Seal("mailbox", in.Password), Folder: in.Folder, DoneFolder: in.DoneFolder})
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

func (s *Service) AddMailRule(ctx context.Context, a *Actor, in MailRuleInput) (*store.MailRule, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := FieldErrors{}
	if in.Recipient == "" && strings.TrimSpace(in.Keywords) == "" {
		errs["keywords"] = "une adresse destinataire ou des mots-clés sont obligatoires"
	}
	if in.EntityID == "" && in.DoctypeID == "" {
		errs["entity_id"] = "une entité ou un type de courrier est obligatoire"
	}
	kernel.CheckEmail(errs, "recipient", store.MailKey(in.Recipient))
	kernel.CheckLen(errs, "keywords", in.Keywords, 1000, false)
	s.checkRouting(ctx, a, errs, in.EntityID, "", in.DoctypeID, "", nil)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.propose(ctx, KindMailRuleAdd, a.TenantID(), a.ID(), MailRuleAdd{ID: NewID(), Position: in.Position, Recipient: store.MailKey(in.Recipient),
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
func (s *Service) SetMailTemplate(ctx context.Context, a *Actor, in MailTemplateInput, check func(subject, body string) error) (*store.MailTemplate, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := FieldErrors{}
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
	v, err := s.propose(ctx, KindMailTemplateSet, a.TenantID(), a.ID(), MailTemplateSet(in))
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

func (s *Service) MailSettings(ctx context.Context, a *Actor) (*MailSettings, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	r, t := s.reader(), a.TenantID()
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
	if out.AckPolicies, err = s.mailAckPolicies(ctx, t); err != nil {
		return nil, err
	}
	return &out, nil
}

// MailIntakeInput is one message taken in by the bridge for a tenant.
type MailIntakeInput struct {
	Key, MessageID, Kind, Source string
	FromAddress, Subject, NoAck  string
	// Register makes a new letter; LetterID joins an existing one.
	Register *RegisterInput
	LetterID string
	Note     string
	BounceOf string
	Reason   string
	// Outbox renders the messages to queue once the letter is stamped (p is
	// nil when joining a letter). It may be called more than once if the
	// registration number has to be stamped again.
	Outbox func(p *LetterRegister) ([]OutboxPayload, error)
}

// MailIntakeResult says what a message became.
type MailIntakeResult struct {
	Letter *domain.Letter
	// Duplicate: the message had been taken in before (LetterID is what it
	// became then).
	Duplicate bool
	LetterID  string
}

// IntakeMail takes one message in, exactly once per tenant and key: the
// key is recorded in the same command as the letter, and Apply refuses a
// key already recorded.
func (s *Service) IntakeMail(ctx context.Context, a *Actor, in MailIntakeInput, uploads ...Upload) (*MailIntakeResult, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	if in.Key == "" || in.Kind == "" {
		return nil, fmt.Errorf("%w: clé et nature du message obligatoires", ErrInvalid)
	}
	if seen, err := s.reader().MailSeen(ctx, a.TenantID(), in.Key); err == nil {
		return &MailIntakeResult{Duplicate: true, LetterID: seen.LetterID}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	base := MailIntake{Key: in.Key, MessageID: in.MessageID, Kind: in.Kind, Source: in.Source, FromAddress: in.FromAddress,
		Subject: in.Subject, NoAck: in.NoAck, BounceOf: in.BounceOf, Reason: in.Reason, Note: in.Note}
	if in.Note != "" {
		base.NoteID = NewID()
	}
	seen := func(err error) (*MailIntakeResult, error) {
		var se *MailSeenError
		if errors.As(err, &se) {
			return &MailIntakeResult{Duplicate: true, LetterID: se.LetterID}, nil
		}
		return nil, err
	}
	if in.Register != nil {
		reg := *in.Register
		reg.Channel = domain.ChannelEmail
		reg.wrap = func(p *LetterRegister) (Kind, any, error) {
			m := base
			m.Letter = p
			if in.Outbox != nil {
				var err error
				if m.Outbox, err = in.Outbox(p); err != nil {
					return "", nil, err
				}
			}
			return KindMailIntake, m, nil
		}
		l, err := s.RegisterLetter(ctx, a, reg, uploads...)
		if err != nil {
			return seen(err)
		}
		return &MailIntakeResult{Letter: l, LetterID: l.ID}, nil
	}
	if in.LetterID != "" {
		for _, u := range uploads {
			d, err := s.storeUpload(u, in.LetterID)
			if err != nil {
				return nil, err
			}
			base.Documents = append(base.Documents, *d)
		}
		base.LetterID = in.LetterID
	}
	if in.Outbox != nil {
		var err error
		if base.Outbox, err = in.Outbox(nil); err != nil {
			return nil, err
		}
	}
	v, err := s.propose(ctx, KindMailIntake, a.TenantID(), a.ID(), base)
	if err != nil {
		return seen(err)
	}
	res := &MailIntakeResult{LetterID: in.LetterID}
	if l, ok := v.(*domain.Letter); ok && l != nil {
		res.Letter = l
	}
	return res, nil
}

// RecordOutboxResult records the outcome of a send attempt (system only).
func (s *Service) RecordOutboxResult(ctx context.Context, tenant string, r MailOutboxResult) error {
	_, err := s.propose(ctx, KindMailOutboxDone, tenant, SystemActor, r)
	return err
}

// AddMailNotice records something the tenant's administrator must see,
// once per key.
func (s *Service) AddMailNotice(ctx context.Context, tenant, key, text string) error {
	if ok, err := s.reader().MailNoticeExists(ctx, tenant, key); err != nil || ok {
		return err
	}
	_, err := s.propose(ctx, KindMailNotice, tenant, SystemActor, MailNoticeAdd{ID: NewID(), Key: key, Text: text})
	if errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// HostPort joins a host and port for dialing.
func HostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// SetMailAckPolicy says when letters of a doctype (doctypeID "" for the
// tenant's default) are acknowledged: auto, qualified or never.
func (s *Service) SetMailAckPolicy(ctx context.Context, a *Actor, doctypeID, policy string) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	errs := FieldErrors{}
	switch policy {
	case AckAuto, AckQualified, AckNever:
	default:
		errs["policy"] = "auto, qualified ou never"
	}
	if doctypeID != "" {
		if _, err := s.reader().Doctype(ctx, a.TenantID(), doctypeID); err != nil {
			errs["doctype_id"] = "type de courrier inconnu"
		}
	}
	if err := errs.OrNil(); err != nil {
		return err
	}
	_, err := s.propose(ctx, KindMailAckPolicySet, a.TenantID(), a.ID(), MailAckPolicySet{DoctypeID: doctypeID, Policy: policy})
	return err
}

// ReleaseMailAck queues a held acknowledgement with its text (system only).
func (s *Service) ReleaseMailAck(ctx context.Context, tenant string, r MailAckRelease) error {
	_, err := s.propose(ctx, KindMailAckRelease, tenant, SystemActor, r)
	return err
}
