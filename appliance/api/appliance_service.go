package api

import (
	"context"
	"io"
	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// service is what the api package uses of the appliance: the facade's methods
// and nothing else. It is listed here so that a reader sees which, and so
// that the store, reached only inside the appliance, stays out of reach.
type service interface {
	AddMailAddress(ctx context.Context, a *appliance.Actor, in appliance.MailAddressInput) (*store.MailAddress, error)
	AddMailRule(ctx context.Context, a *appliance.Actor, in appliance.MailRuleInput) (*store.MailRule, error)
	AddMailbox(ctx context.Context, a *appliance.Actor, in appliance.MailboxInput) (*store.Mailbox, error)
	AddNote(ctx context.Context, a *appliance.Actor, id string, in appliance.NoteInput) (*domain.Note, error)
	AnswerByMail(ctx context.Context, a *appliance.Actor, letterID string, in appliance.MailAnswerInput) (*store.OutboxEntry, error)
	Attach(ctx context.Context, a *appliance.Actor, id string, documentID string, u appliance.Upload) (*domain.Document, error)
	AuthenticateToken(ctx context.Context, token string) (*appliance.Actor, error)
	ChangePassword(ctx context.Context, a *appliance.Actor, current string, password string, confirm string, addr string) (int64, error)
	Close(ctx context.Context, a *appliance.Actor, id string, note string) (*domain.Letter, error)
	Contact(ctx context.Context, a *appliance.Actor, id string) (*domain.Contact, error)
	Contacts(ctx context.Context, a *appliance.Actor, q string, limit int, offset int) ([]domain.Contact, error)
	CreateContact(ctx context.Context, a *appliance.Actor, in appliance.ContactInput) (*domain.Contact, error)
	CreateDoctype(ctx context.Context, a *appliance.Actor, in appliance.DoctypeInput) (*domain.Doctype, error)
	CreateDraft(ctx context.Context, a *appliance.Actor, letterID string, templateID string) (*appliance.Draft, error)
	CreateEntity(ctx context.Context, a *appliance.Actor, in appliance.EntityInput) (*domain.Entity, error)
	CreateUser(ctx context.Context, a *appliance.Actor, in appliance.UserInput) (*domain.User, error)
	DavAdminLocks(ctx context.Context, a *appliance.Actor) ([]store.DavLock, error)
	DavBreakLock(ctx context.Context, a *appliance.Actor, token string) error
	Doctype(ctx context.Context, a *appliance.Actor, id string) (*domain.Doctype, error)
	Doctypes(ctx context.Context, a *appliance.Actor) ([]domain.Doctype, error)
	Document(ctx context.Context, a *appliance.Actor, id string) (*domain.Document, error)
	Entities(ctx context.Context, a *appliance.Actor) ([]domain.Entity, error)
	ExportLetter(ctx context.Context, a *appliance.Actor, id string) (*store.GEDExport, error)
	FinalPDF(ctx context.Context, a *appliance.Actor, letterID string) (*domain.Document, error)
	IdemRecord(ctx context.Context, a *appliance.Actor, key string) (*store.IdemRecord, error)
	IssueToken(ctx context.Context, a *appliance.Actor, in appliance.TokenInput) (string, *domain.Token, error)
	LetterExports(ctx context.Context, a *appliance.Actor, id string) ([]store.GEDExport, error)
	LetterMessages(ctx context.Context, a *appliance.Actor, letterID string) ([]appliance.MailMessage, error)
	Letters(ctx context.Context, a *appliance.Actor, f store.LetterFilter) ([]domain.Letter, int, error)
	Link(ctx context.Context, a *appliance.Actor, id string, otherID string) error
	MailSettings(ctx context.Context, a *appliance.Actor) (*appliance.MailSettings, error)
	MailTemplates(ctx context.Context, a *appliance.Actor) ([]store.MailTemplate, error)
	MarkIncomplete(ctx context.Context, a *appliance.Actor, id string, in appliance.IncompleteInput) (*appliance.IncompleteResult, error)
	OnlyOfficeEditor(ctx context.Context, a *appliance.Actor, documentID string, baseURL string) (*appliance.OnlyOfficeEditor, error)
	OpenDocument(ctx context.Context, a *appliance.Actor, documentID string, version int) (*domain.Document, *domain.Version, io.ReadSeekCloser, error)
	PiecesReceived(ctx context.Context, a *appliance.Actor, id string, in appliance.PiecesInput) (*domain.Letter, error)
	Qualify(ctx context.Context, a *appliance.Actor, id string, in appliance.QualifyInput) (*domain.Letter, error)
	ReadConsistent(ctx context.Context) error
	Ready(ctx context.Context) error
	Redirect(ctx context.Context, a *appliance.Actor, id string, in appliance.RedirectInput) (*domain.Letter, error)
	RegisterLetter(ctx context.Context, a *appliance.Actor, in appliance.RegisterInput, uploads ...appliance.Upload) (*domain.Letter, error)
	RemoveMailAddress(ctx context.Context, a *appliance.Actor, addr string) error
	RemoveMailRule(ctx context.Context, a *appliance.Actor, id string) error
	RemoveMailbox(ctx context.Context, a *appliance.Actor, id string) error
	Reopen(ctx context.Context, a *appliance.Actor, id string, note string) (*domain.Letter, error)
	RestoreDocumentVersion(ctx context.Context, a *appliance.Actor, documentID string, version int) (*domain.Document, error)
	RevokeToken(ctx context.Context, a *appliance.Actor, id string) (*domain.Token, error)
	SetMailAckPolicy(ctx context.Context, a *appliance.Actor, doctypeID string, policy string) error
	SetMailRelay(ctx context.Context, a *appliance.Actor, in appliance.MailRelayInput) (*store.MailRelay, error)
	SetMailTemplate(ctx context.Context, a *appliance.Actor, in appliance.MailTemplateInput, check func(subject string, body string) error) (*store.MailTemplate, error)
	SetPassword(ctx context.Context, a *appliance.Actor, userID string, password string) error
	Tenant(ctx context.Context, a *appliance.Actor) (*domain.Tenant, error)
	TenantHistory(ctx context.Context, a *appliance.Actor, limit int, offset int) ([]domain.HistoryEntry, error)
	Tokens(ctx context.Context, a *appliance.Actor, userID string) ([]domain.Token, error)
	UpdateDoctype(ctx context.Context, a *appliance.Actor, id string, in appliance.DoctypeInput) (*domain.Doctype, error)
	UpdateEntity(ctx context.Context, a *appliance.Actor, id string, in appliance.EntityInput) (*domain.Entity, error)
	UpdateTenant(ctx context.Context, a *appliance.Actor, in appliance.TenantInput) (*domain.Tenant, error)
	UpdateUser(ctx context.Context, a *appliance.Actor, userID string, in appliance.UserInput) (*domain.User, error)
	UploadLimit() int64
	Users(ctx context.Context, a *appliance.Actor) ([]domain.User, error)
	View(ctx context.Context, a *appliance.Actor, id string) (*appliance.LetterView, error)
}
