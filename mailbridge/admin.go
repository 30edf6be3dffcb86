package mailbridge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"

	"missive/appliance"
	"missive/appliance/domain"
)

// The bridge's answers to the administrator: "Tester la connexion" for a
// mailbox and for the relay, worded in French for someone who knows the
// town's mail server but not Missive's insides, and the templates' defaults.

var _ appliance.MailBridge = (*Bridge)(nil)

// A stage says how far a connection got, so that a failure can be
// explained: an unreachable server, a TLS problem, a refused password and
// a missing folder call for different fixes.
type stage int

const (
	stageConnect stage = iota
	stageTLS
	stageSecret
	stageAuth
	stageSelect
)

type stageError struct {
	stage stage
	err   error
}

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// testTimeout bounds one "Tester la connexion": the administrator waits
// in front of the page.
const testTimeout = 20 * time.Second

// TestMailbox logs in to a saved mailbox, selects its source folder and
// looks for its done folder, sending and moving nothing; TryMailbox does
// the same with settings typed in a form.
func (b *Bridge) TestMailbox(ctx context.Context, a *appliance.Actor, id string) (appliance.MailTestResult, error) {
	mb, err := b.svc.Mailbox(ctx, a, id)
	if err != nil {
		return appliance.MailTestResult{}, err
	}
	return b.testMailbox(ctx, mb, "saved")
}

// TryMailbox tests mailbox settings typed in a form, saving nothing.
func (b *Bridge) TryMailbox(ctx context.Context, a *appliance.Actor, id string, in appliance.MailboxInput) (appliance.MailTestResult, error) {
	mb, err := b.svc.MailboxToTry(ctx, a, id, in)
	if err != nil {
		return appliance.MailTestResult{}, err
	}
	return b.testMailbox(ctx, mb, "typed")
}

// testMailbox tries mb; settings says whether they are the saved ones or
// typed ones, for the log (which never holds the password).
func (b *Bridge) testMailbox(ctx context.Context, mb *domain.Mailbox, settings string) (appliance.MailTestResult, error) {
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	addr := appliance.HostPort(mb.Host, mb.Port)
	log := b.log.With("tenant", mb.TenantID, "mailbox", mb.Username+"@"+addr, "settings", settings)
	c, err := b.dialIMAP(ctx, *mb, nil)
	if err != nil {
		log.Info("mailbox test failed", "err", err)
		return appliance.MailTestResult{Message: explain(addr, mb.Username, err)}, nil
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	sel, err := c.Select(mb.Folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		log.Info("mailbox test failed", "err", err)
		return appliance.MailTestResult{Message: fmt.Sprintf("Identifiant accepté par %s, mais le dossier « %s » ne s'ouvre pas : %s. Vérifiez son nom exact (majuscules, dossier parent : « INBOX/Courrier » ou « INBOX.Courrier » selon le serveur).",
			addr, mb.Folder, serverText(err))}, nil
	}
	msg := fmt.Sprintf("Connexion réussie à %s (%s) : identifiant %s accepté, dossier « %s » ouvert (%d message(s) en attente).",
		addr, securityLabel(mb.Security), mb.Username, mb.Folder, sel.NumMessages)
	if _, err := c.Status(mb.DoneFolder, &imap.StatusOptions{NumMessages: true}).Wait(); err != nil {
		msg += fmt.Sprintf(" Le dossier « %s » n'existe pas encore : Missive le créera au premier relevé.", mb.DoneFolder)
	} else {
		msg += fmt.Sprintf(" Les messages enregistrés iront dans « %s ».", mb.DoneFolder)
	}
	if !c.Caps().Has(imap.CapIdle) {
		msg += " Le serveur n'offre pas IDLE : la boîte sera relevée à intervalles réguliers."
	}
	c.Logout().Wait()
	log.Info("mailbox test succeeded", "messages", sel.NumMessages)
	return appliance.MailTestResult{OK: true, Message: msg}, nil
}

// TestRelay connects to the tenant's relay, with STARTTLS and AUTH as set,
// and says QUIT without sending anything.
func (b *Bridge) TestRelay(ctx context.Context, a *appliance.Actor) (appliance.MailTestResult, error) {
	settings, err := b.svc.MailSettings(ctx, a)
	if err != nil {
		return appliance.MailTestResult{}, err
	}
	if settings.Relay == nil {
		return appliance.MailTestResult{Message: "Aucun relais SMTP sortant n'est configuré : renseignez-le d'abord."}, nil
	}
	return b.testRelay(ctx, settings.Relay, "saved")
}

// TryRelay tests relay settings typed in a form, saving nothing.
func (b *Bridge) TryRelay(ctx context.Context, a *appliance.Actor, in appliance.MailRelayInput) (appliance.MailTestResult, error) {
	relay, err := b.svc.MailRelayToTry(ctx, a, in)
	if err != nil {
		return appliance.MailTestResult{}, err
	}
	return b.testRelay(ctx, relay, "typed")
}

// testRelay tries relay, saved or typed settings (for the log).
func (b *Bridge) testRelay(ctx context.Context, relay *domain.MailRelay, settings string) (appliance.MailTestResult, error) {
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	addr := appliance.HostPort(relay.Host, relay.Port)
	log := b.log.With("tenant", relay.TenantID, "relay", addr, "settings", settings)
	c, err := b.dialRelay(ctx, relay)
	if err != nil {
		log.Info("relay test failed", "err", err)
		return appliance.MailTestResult{Message: explain(addr, relay.Username, err)}, nil
	}
	defer c.Close()
	parts := []string{"Connexion réussie au relais " + addr}
	if st, ok := c.TLSConnectionState(); ok {
		how := "TLS"
		if relay.Security == "starttls" {
			how = "STARTTLS"
		}
		parts = append(parts, fmt.Sprintf("%s établi (%s)", how, tls.VersionName(st.Version)))
	} else {
		parts = append(parts, "sans chiffrement (à réserver à un relais du réseau local)")
	}
	if relay.Username != "" {
		parts = append(parts, "authentification acceptée pour "+relay.Username)
	} else {
		parts = append(parts, "sans authentification")
	}
	c.Quit()
	log.Info("relay test succeeded")
	return appliance.MailTestResult{OK: true, Message: strings.Join(parts, ", ") + ". Aucun message n'a été envoyé."}, nil
}

// CheckTemplate reports a template that does not render.
func (b *Bridge) CheckTemplate(subject, body string) error { return CheckTemplate(subject, body) }

// DefaultTemplate is the wording used until the tenant words its own.
func (b *Bridge) DefaultTemplate(mode string) (string, string) {
	t := defaultTemplates[mode]
	return t[0], t[1]
}

func securityLabel(s string) string {
	switch s {
	case "tls":
		return "TLS implicite"
	case "starttls":
		return "STARTTLS"
	}
	return "sans chiffrement"
}

// explain words a failed connection for the administrator.
func explain(addr, user string, err error) string {
	var se *stageError
	st := stageConnect
	if errors.As(err, &se) {
		st = se.stage
	}
	if st <= stageTLS && isTLSError(err) {
		st = stageTLS
	}
	switch st {
	case stageTLS:
		return fmt.Sprintf("Échec du chiffrement TLS avec %s : %s. Vérifiez le mode de sécurité (TLS implicite sur les ports 993 et 465, STARTTLS sur 143 et 587) et que le certificat du serveur est valide pour ce nom.",
			addr, rootCause(err))
	case stageSecret:
		return "Le mot de passe enregistré ne peut pas être déchiffré sur ce serveur (fichier " + appliance.SecretKeyFile + " absent ou différent) : saisissez-le à nouveau."
	case stageAuth:
		return fmt.Sprintf("Le serveur %s est joignable mais refuse l'identifiant « %s » ou son mot de passe : %s.", addr, user, serverText(err))
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("Nom d'hôte inconnu : %s. Vérifiez l'orthographe du serveur et le DNS de la machine.", dnsErr.Name)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("Le serveur %s ne répond pas (délai dépassé) : vérifiez l'adresse, le port et le pare-feu.", addr)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		why := rootCause(err)
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			why = "connexion refusée (aucun service sur ce port)"
		case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
			why = "hôte injoignable"
		}
		return fmt.Sprintf("Impossible de joindre %s : %s. Vérifiez l'adresse, le port et le pare-feu.", addr, why)
	}
	return fmt.Sprintf("Échec de la connexion à %s : %s.", addr, rootCause(err))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isTLSError(err error) bool {
	var (
		rh  tls.RecordHeaderError
		ae  tls.AlertError
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		inv x509.CertificateInvalidError
	)
	return errors.As(err, &rh) || errors.As(err, &ae) || errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &inv) ||
		strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "STARTTLS")
}

// serverText is what the server said, when it said something.
func serverText(err error) string {
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Text != "" {
		return "« " + ie.Text + " »"
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return fmt.Sprintf("« %d %s »", se.Code, se.Message)
	}
	return rootCause(err)
}

// rootCause is the innermost error's text: the layers above it repeat
// the address the message already gives.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
