// Package backups records the outcome of backup runs (made by the backup
// package, outside the appliance) as commands, alerts the administrators
// of a failure once per streak, and computes the backups' health that the
// admin page, `missive doctor` and `missive backup status` show.
package backups

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Backup runs: the backup package (outside the appliance) makes the
// backups; their outcome is state every node shows (admin page, doctor,
// `missive backup status`), so it is recorded like any other change, with
// a command. A failure also queues one e-mail to the administrators of
// each tenant, through the outbox, and only one until a run succeeds.

const KindBackupRun kernel.Kind = "backup.run"

// Backup run statuses.
const (
	BackupOK     = "ok"
	BackupFailed = "failed"
	// BackupLate records that a scheduled backup did not happen.
	BackupLate = "late"
)

// BackupRunRecord is the payload of backup.run.
type BackupRunRecord struct {
	Run store.BackupRun `json:"run"`
	// Alerts are the e-mails to queue if this failure is the first since
	// the last success; Apply decides, so that two nodes racing to record
	// failures still send one.
	Alerts []BackupAlert `json:"alerts,omitempty"`
}

// BackupAlert is one e-mail to the administrators of a tenant.
type BackupAlert struct {
	Tenant string    `json:"tenant"`
	Outbox AlertMail `json:"outbox"`
}

// AlertMail is the outbox entry of one alert. Its JSON is the mail
// feature's OutboxPayload's, field for field, since the backup.run
// commands already in the log carry it so; backups queue it themselves
// (no other feature's code runs in their Apply).
type AlertMail struct {
	ID        string `json:"id"`
	LetterID  string `json:"letter_id"`
	Kind      string `json:"kind"`
	MessageID string `json:"message_id"`
	MailFrom  string `json:"mail_from"`
	RcptTo    string `json:"rcpt_to"`
	Subject   string `json:"subject"`
	Content   string `json:"content"`
	Held      bool   `json:"held,omitempty"`
}

// outboxQueued is the status of an outbox entry waiting to be sent (the
// mail feature's OutboxQueued, a value of the store's outbox table).
const outboxQueued = "queued"

// Runs records backup runs and reads them back.
type Runs struct{ k *kernel.Kernel }

// New makes the backup-runs feature of one appliance.
func New(k *kernel.Kernel) *Runs { return &Runs{k: k} }

// Register registers the apply function of each kind below with r.
func Register(r *kernel.Registry) {
	kernel.Handle(r, KindBackupRun, applyBackupRun)
}

func applyBackupRun(a *kernel.Ctx, p *BackupRunRecord) (any, error) {
	run := p.Run
	switch run.Status {
	case BackupOK, BackupFailed, BackupLate:
	default:
		return nil, fmt.Errorf("%w: statut de sauvegarde %q inconnu", kernel.ErrInvalid, run.Status)
	}
	run.Alerted = false
	if run.Status != BackupOK && len(p.Alerts) > 0 {
		alerted, err := a.Tx.BackupAlertedSinceOK(a.Ctx)
		if err != nil {
			return nil, err
		}
		if !alerted {
			for _, al := range p.Alerts {
				o := al.Outbox
				e := &store.OutboxEntry{ID: o.ID, TenantID: al.Tenant, Kind: o.Kind, MessageID: o.MessageID, MailFrom: o.MailFrom,
					RcptTo: o.RcptTo, Subject: o.Subject, Content: o.Content, Status: outboxQueued, NextTry: a.At, CreatedAt: a.At}
				if err := a.Tx.InsertOutbox(e); err != nil {
					return nil, fmt.Errorf("queue backup alert to %s: %w", o.RcptTo, err)
				}
			}
			run.Alerted = true
		}
	}
	if err := a.Tx.InsertBackupRun(&run); err != nil {
		return nil, kernel.Conflict(err, "exécution de sauvegarde déjà enregistrée")
	}
	// The history keeps what happened, not the e-mails' text.
	a.Payload = kernel.Redact(run)
	switch run.Status {
	case BackupOK:
		a.Summary = "Sauvegarde " + run.BackupID + " vérifiée sur " + run.Target
	case BackupLate:
		a.Summary = "Sauvegarde prévue non faite : " + run.Error
	default:
		a.Summary = "Sauvegarde échouée sur " + run.Target + " : " + run.Error
	}
	return &run, nil
}

// RecordBackupRun records a run's outcome (system only: the backup
// scheduler or the CLI). A failure carries the alert e-mails, queued if no
// failure has alerted since the last success.
func (s *Runs) RecordBackupRun(ctx context.Context, run store.BackupRun) error {
	if run.ID == "" {
		run.ID = kernel.NewID()
	}
	p := BackupRunRecord{Run: run}
	if run.Status != BackupOK {
		alerted, err := s.k.Reader().BackupAlertedSinceOK(ctx)
		if err != nil {
			return err
		}
		if !alerted {
			if p.Alerts, err = s.backupAlerts(ctx, run); err != nil {
				return err
			}
		}
	}
	_, err := s.k.Propose(ctx, KindBackupRun, "default", kernel.SystemActor, p)
	return err
}

// backupAlerts composes the e-mail of a failure for the administrators of
// every tenant that can send mail (a relay or a receiving address to send
// from).
func (s *Runs) backupAlerts(ctx context.Context, run store.BackupRun) ([]BackupAlert, error) {
	r := s.k.Reader()
	tenants, err := r.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []BackupAlert
	for _, t := range tenants {
		from := ""
		if relay, err := r.MailRelay(ctx, t.ID); err == nil {
			from = relay.FromAddress
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if from == "" {
			if as, err := r.MailAddresses(ctx, t.ID); err == nil && len(as) > 0 {
				from = as[0].Address
			}
		}
		if from == "" {
			continue
		}
		users, err := r.Users(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Role != domain.RoleAdmin || u.Disabled || u.Email == "" {
				continue
			}
			id := kernel.NewID()
			_, host, _ := strings.Cut(from, "@")
			o := AlertMail{ID: id, Kind: "alert", MessageID: "backup." + id + "@" + host, MailFrom: from, RcptTo: u.Email}
			o.Subject, o.Content = backupAlertMail(t.Name, from, u.Email, o.MessageID, run, s.k.Now())
			out = append(out, BackupAlert{Tenant: t.ID, Outbox: o})
		}
	}
	return out, nil
}

func backupAlertMail(commune, from, to, messageID string, run store.BackupRun, now time.Time) (subject, content string) {
	subject = "Missive : la sauvegarde a échoué"
	what := "La sauvegarde de Missive vers " + run.Target + " a échoué le " + frenchTime(run.FinishedAt) + " :\n\n  " + run.Error
	if run.Status == BackupLate {
		subject = "Missive : la sauvegarde n'a pas été faite"
		what = "La sauvegarde automatique de Missive n'a pas été faite : " + run.Error
	}
	body := "Bonjour,\n\n" + what + "\n\n" +
		"Tant qu'aucune sauvegarde ne réussit, les courriers enregistrés depuis la dernière\n" +
		"sauvegarde réussie seraient perdus avec le serveur. Sur le serveur :\n\n" +
		"  missive backup status      (état des sauvegardes)\n" +
		"  missive backup run         (sauvegarder maintenant)\n\n" +
		"ou la page Administration › Sauvegardes. Ce message n'est envoyé qu'une fois\n" +
		"jusqu'à la prochaine sauvegarde réussie.\n\n-- \nMissive, " + commune + "\n"
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <%s>\r\n", mime.QEncoding.Encode("utf-8", "Missive "+commune), from)
	fmt.Fprintf(&b, "To: <%s>\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s>\r\n", messageID)
	b.WriteString("Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	w.Close()
	b.Write(qp.Bytes())
	return subject, b.String()
}

func frenchTime(s string) string {
	t, err := time.Parse(domain.TimeLayout, s)
	if err != nil {
		return s
	}
	return t.In(domain.Paris).Format("02/01/2006 à 15:04")
}

// BackupRuns lists the latest runs (administrators).
func (s *Runs) BackupRuns(ctx context.Context, a *kernel.Actor, limit int) ([]store.BackupRun, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	return s.k.Reader().BackupRuns(ctx, limit)
}
