package appliance

import (
	"context"
	"io"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// SystemReader is the Service's reads for the appliance's own jobs: the
// mail intake (who is this address, which letter does this message
// answer), the outbox sender, the IMAP pollers, the GED exporter and the
// backup schedule. They see the whole tenant, so they are for those jobs
// only, never for a request made by a user: a user's read goes through a
// Service method that takes the *Actor and checks its perimeter.
//
// Each read is named here so that the outer layers reach no more of the
// store than these jobs need, and a reader of a call site sees at once that
// no perimeter applies (svc.System().Letter(…)).
type SystemReader struct{ s *Service }

// System returns the reads of the appliance's own jobs (SystemReader).
func (s *Service) System() SystemReader { return SystemReader{s} }

func (y SystemReader) r() store.Reader { return y.s.reader() }

func wholeTenant(tenant string) store.Perimeter { return store.Perimeter{TenantID: tenant, All: true} }

// Tenant, Entity, User, Contact and Doctype read one row of a tenant.
func (y SystemReader) Tenant(ctx context.Context, tenant string) (*domain.Tenant, error) {
	return y.r().Tenant(ctx, tenant)
}

func (y SystemReader) Entity(ctx context.Context, tenant, id string) (*domain.Entity, error) {
	return y.r().Entity(ctx, tenant, id)
}

func (y SystemReader) User(ctx context.Context, tenant, id string) (*domain.User, error) {
	return y.r().User(ctx, tenant, id)
}

func (y SystemReader) Contact(ctx context.Context, tenant, id string) (*domain.Contact, error) {
	return y.r().Contact(ctx, tenant, id)
}

func (y SystemReader) Doctype(ctx context.Context, tenant, id string) (*domain.Doctype, error) {
	return y.r().Doctype(ctx, tenant, id)
}

// Letter reads any letter of the tenant, confidential or not.
func (y SystemReader) Letter(ctx context.Context, tenant, id string) (*domain.Letter, error) {
	return y.r().Letter(ctx, wholeTenant(tenant), id)
}

// LetterByNumber reads any letter of the tenant by its registration number.
func (y SystemReader) LetterByNumber(ctx context.Context, tenant, number string) (*domain.Letter, error) {
	return y.r().LetterByNumber(ctx, wholeTenant(tenant), number)
}

// Documents lists a letter's documents with their versions.
func (y SystemReader) Documents(ctx context.Context, letterID string) ([]domain.Document, error) {
	return y.r().Documents(ctx, letterID)
}

// LetterPieces is the pieces asked of an incomplete request (store.ErrNotFound: none).
func (y SystemReader) LetterPieces(ctx context.Context, letterID string) (*domain.PiecesRequest, error) {
	return y.r().LetterPieces(ctx, letterID)
}

// OpenBlob opens a stored version by its SHA-256, for the outbox (an
// answer's attachments) and the GED export.
func (y SystemReader) OpenBlob(sum string) (io.ReadCloser, error) {
	return y.s.k.Blobs().Open(sum)
}

// MailAddress finds the tenant receiving at addr, from every tenant's
// addresses (store.ErrNotFound: none).
func (y SystemReader) MailAddress(ctx context.Context, addr string) (*store.MailAddress, error) {
	return y.r().MailAddress(ctx, addr)
}

func (y SystemReader) MailAddresses(ctx context.Context, tenant string) ([]store.MailAddress, error) {
	return y.r().MailAddresses(ctx, tenant)
}

// MailRelay is the tenant's outgoing relay, its password sealed.
func (y SystemReader) MailRelay(ctx context.Context, tenant string) (*store.MailRelay, error) {
	return y.r().MailRelay(ctx, tenant)
}

// Mailboxes lists the IMAP mailboxes to poll (tenant "": every tenant's).
func (y SystemReader) Mailboxes(ctx context.Context, tenant string) ([]store.Mailbox, error) {
	return y.r().Mailboxes(ctx, tenant)
}

func (y SystemReader) MailRules(ctx context.Context, tenant string) ([]store.MailRule, error) {
	return y.r().MailRules(ctx, tenant)
}

// MailTemplate is the tenant's wording of a mode (store.ErrNotFound: the default).
func (y SystemReader) MailTemplate(ctx context.Context, tenant, mode string) (*store.MailTemplate, error) {
	return y.r().MailTemplate(ctx, tenant, mode)
}

func (y SystemReader) MailAckPolicy(ctx context.Context, tenant, doctypeID string) (string, error) {
	return y.r().MailAckPolicy(ctx, tenant, doctypeID)
}

// MailSeen is the message already taken in under key, if any.
func (y SystemReader) MailSeen(ctx context.Context, tenant, key string) (*store.MailSeen, error) {
	return y.r().MailSeen(ctx, tenant, key)
}

func (y SystemReader) MailSeenForLetter(ctx context.Context, letterID string) ([]store.MailSeen, error) {
	return y.r().MailSeenForLetter(ctx, letterID)
}

// OutboxDue lists the messages of every tenant whose sending time has come.
func (y SystemReader) OutboxDue(ctx context.Context, now string, limit int) ([]store.OutboxEntry, error) {
	return y.r().OutboxDue(ctx, now, limit)
}

// OutboxHeld lists the acknowledgements waiting for their letter's qualification.
func (y SystemReader) OutboxHeld(ctx context.Context, limit int) ([]store.OutboxEntry, error) {
	return y.r().OutboxHeld(ctx, limit)
}

func (y SystemReader) OutboxByMessageID(ctx context.Context, tenant, messageID string) (*store.OutboxEntry, error) {
	return y.r().OutboxByMessageID(ctx, tenant, messageID)
}

// CountOutboxTo and CountOutboxSince count the messages of a kind queued
// since a time, to one address or to anyone: the acknowledgement caps.
func (y SystemReader) CountOutboxTo(ctx context.Context, tenant, rcpt, kind, since string) (int, error) {
	return y.r().CountOutboxTo(ctx, tenant, rcpt, kind, since)
}

func (y SystemReader) CountOutboxSince(ctx context.Context, tenant, kind, since string) (int, error) {
	return y.r().CountOutboxSince(ctx, tenant, kind, since)
}

// GEDExportsDue lists the exports of every tenant whose time has come.
func (y SystemReader) GEDExportsDue(ctx context.Context, now string, limit int) ([]store.GEDExport, error) {
	return y.r().GEDExportsDue(ctx, now, limit)
}

// GEDTarget is the tenant's GED, its password sealed.
func (y SystemReader) GEDTarget(ctx context.Context, tenant string) (*store.GEDTarget, error) {
	return y.r().GEDTarget(ctx, tenant)
}

// BackupRuns lists the latest backup runs, newest first.
func (y SystemReader) BackupRuns(ctx context.Context, limit int) ([]store.BackupRun, error) {
	return y.r().BackupRuns(ctx, limit)
}
