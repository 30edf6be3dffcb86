package web

import (
	"context"
	"io"
	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
	"time"
)

// service is what the web package uses of the appliance: the facade's methods
// and nothing else. It is listed here so that a reader sees which, and so
// that the store, reached only inside the appliance, stays out of reach.
type service interface {
	ActorFor(ctx context.Context, tenant string, userID string) (*appliance.Actor, error)
	AddDraftTemplate(ctx context.Context, a *appliance.Actor, in appliance.TemplateInput) (*store.DraftTemplate, error)
	AddMailAddress(ctx context.Context, a *appliance.Actor, in appliance.MailAddressInput) (*store.MailAddress, error)
	AddMailRule(ctx context.Context, a *appliance.Actor, in appliance.MailRuleInput) (*store.MailRule, error)
	AddMailbox(ctx context.Context, a *appliance.Actor, in appliance.MailboxInput) (*store.Mailbox, error)
	AddNote(ctx context.Context, a *appliance.Actor, id string, in appliance.NoteInput) (*domain.Note, error)
	AnswerByMail(ctx context.Context, a *appliance.Actor, letterID string, in appliance.MailAnswerInput) (*store.OutboxEntry, error)
	ArrivalsPerWeek(ctx context.Context, a *appliance.Actor, n int) ([]appliance.WeekCount, error)
	Attach(ctx context.Context, a *appliance.Actor, id string, documentID string, u appliance.Upload) (*domain.Document, error)
	Authenticate(ctx context.Context, tenant string, login string, password string, addr string) (*appliance.Actor, error)
	BackupRuns(ctx context.Context, a *appliance.Actor, limit int) ([]store.BackupRun, error)
	Basket(ctx context.Context, a *appliance.Actor, id string) (*appliance.BasketDef, error)
	BasketCount(ctx context.Context, a *appliance.Actor, b *appliance.BasketDef, limit int) (int, error)
	BasketLetters(ctx context.Context, a *appliance.Actor, b *appliance.BasketDef, f store.LetterFilter) ([]domain.Letter, int, error)
	Baskets(ctx context.Context, a *appliance.Actor) ([]appliance.BasketDef, error)
	ChangePassword(ctx context.Context, a *appliance.Actor, current string, password string, confirm string, addr string) (int64, error)
	Clock() time.Time
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
	DavDocumentURLs(ctx context.Context, a *appliance.Actor, letterID string) (string, map[string]string, error)
	DeleteDraftTemplate(ctx context.Context, a *appliance.Actor, id string) error
	DeleteSearch(ctx context.Context, a *appliance.Actor, id string) error
	Doctypes(ctx context.Context, a *appliance.Actor) ([]domain.Doctype, error)
	DraftTemplateFile(ctx context.Context, a *appliance.Actor, id string) (*store.DraftTemplate, []byte, error)
	DraftTemplates(ctx context.Context, a *appliance.Actor) ([]store.DraftTemplate, error)
	DueDate(t *domain.Tenant, d *domain.Doctype, arrival string) string
	Entities(ctx context.Context, a *appliance.Actor) ([]domain.Entity, error)
	ExportLetter(ctx context.Context, a *appliance.Actor, id string) (*store.GEDExport, error)
	FinalPDF(ctx context.Context, a *appliance.Actor, letterID string) (*domain.Document, error)
	Follow(ctx context.Context, a *appliance.Actor, letterID string) error
	Following(ctx context.Context, a *appliance.Actor, letterID string) (bool, error)
	GEDEnabled(ctx context.Context, a *appliance.Actor) (bool, error)
	GEDTarget(ctx context.Context, a *appliance.Actor) (*store.GEDTarget, error)
	IssueToken(ctx context.Context, a *appliance.Actor, in appliance.TokenInput) (string, *domain.Token, error)
	LateLetters(ctx context.Context, a *appliance.Actor, limit int, countLimit int) ([]domain.Letter, int, error)
	Letter(ctx context.Context, a *appliance.Actor, id string) (*domain.Letter, error)
	LetterByNumber(ctx context.Context, a *appliance.Actor, number string) (*domain.Letter, error)
	LetterExports(ctx context.Context, a *appliance.Actor, id string) ([]store.GEDExport, error)
	LetterMessages(ctx context.Context, a *appliance.Actor, letterID string) ([]appliance.MailMessage, error)
	Letters(ctx context.Context, a *appliance.Actor, f store.LetterFilter) ([]domain.Letter, int, error)
	Link(ctx context.Context, a *appliance.Actor, id string, otherID string) error
	MailSettings(ctx context.Context, a *appliance.Actor) (*appliance.MailSettings, error)
	MarkIncomplete(ctx context.Context, a *appliance.Actor, id string, in appliance.IncompleteInput) (*appliance.IncompleteResult, error)
	OnlyOfficeEditor(ctx context.Context, a *appliance.Actor, documentID string, baseURL string) (*appliance.OnlyOfficeEditor, error)
	OnlyOfficeEnabled(ctx context.Context, a *appliance.Actor) (bool, error)
	OnlyOfficeServer(ctx context.Context, tenant string) (*store.OnlyOfficeServer, string, error)
	OpenDocument(ctx context.Context, a *appliance.Actor, documentID string, version int) (*domain.Document, *domain.Version, io.ReadSeekCloser, error)
	PiecesReceived(ctx context.Context, a *appliance.Actor, id string, in appliance.PiecesInput) (*domain.Letter, error)
	Qualify(ctx context.Context, a *appliance.Actor, id string, in appliance.QualifyInput) (*domain.Letter, error)
	ReadConsistent(ctx context.Context) error
	ReadOnlyReason() string
	Redirect(ctx context.Context, a *appliance.Actor, id string, in appliance.RedirectInput) (*domain.Letter, error)
	RegisterLetterOnce(ctx context.Context, a *appliance.Actor, key string, in appliance.RegisterInput, uploads ...appliance.Upload) (l *domain.Letter, dup bool, err error)
	RemoveMailAddress(ctx context.Context, a *appliance.Actor, addr string) error
	RemoveMailRule(ctx context.Context, a *appliance.Actor, id string) error
	RemoveMailbox(ctx context.Context, a *appliance.Actor, id string) error
	Reopen(ctx context.Context, a *appliance.Actor, id string, note string) (*domain.Letter, error)
	RestoreVersion(ctx context.Context, a *appliance.Actor, letterID string, documentID string, version int) (*domain.Document, error)
	RevokeSessions(ctx context.Context, a *appliance.Actor, userID string) (int64, error)
	RevokeToken(ctx context.Context, a *appliance.Actor, id string) (*domain.Token, error)
	RoleBaskets(ctx context.Context, tenant string, role domain.Role) ([]appliance.BasketDef, error)
	SaveSearch(ctx context.Context, a *appliance.Actor, name string, query string) (*store.SavedSearch, error)
	SavedSearches(ctx context.Context, a *appliance.Actor) ([]store.SavedSearch, error)
	ServiceInCharge(ctx context.Context, tenant string, entityID string) (appliance.ServiceDetails, error)
	SessionEpoch(ctx context.Context, userID string) (int64, error)
	SessionKey() ([]byte, error)
	SetBaskets(ctx context.Context, a *appliance.Actor, role domain.Role, bs []appliance.BasketDef) error
	SetGEDTarget(ctx context.Context, a *appliance.Actor, in appliance.GEDTargetInput) (*store.GEDTarget, error)
	SetMailAckPolicy(ctx context.Context, a *appliance.Actor, doctypeID string, policy string) error
	SetMailRelay(ctx context.Context, a *appliance.Actor, in appliance.MailRelayInput) (*store.MailRelay, error)
	SetMailTemplate(ctx context.Context, a *appliance.Actor, in appliance.MailTemplateInput, check func(subject string, body string) error) (*store.MailTemplate, error)
	SetOnlyOffice(ctx context.Context, a *appliance.Actor, in appliance.OnlyOfficeInput) (*store.OnlyOfficeServer, error)
	SetPassword(ctx context.Context, a *appliance.Actor, userID string, password string) error
	Tenant(ctx context.Context, a *appliance.Actor) (*domain.Tenant, error)
	Today() time.Time
	Tokens(ctx context.Context, a *appliance.Actor, userID string) ([]domain.Token, error)
	Unfollow(ctx context.Context, a *appliance.Actor, letterID string) error
	UpdateDoctype(ctx context.Context, a *appliance.Actor, id string, in appliance.DoctypeInput) (*domain.Doctype, error)
	UpdateEntity(ctx context.Context, a *appliance.Actor, id string, in appliance.EntityInput) (*domain.Entity, error)
	UpdateTenant(ctx context.Context, a *appliance.Actor, in appliance.TenantInput) (*domain.Tenant, error)
	UpdateUser(ctx context.Context, a *appliance.Actor, userID string, in appliance.UserInput) (*domain.User, error)
	UploadLimit() int64
	Users(ctx context.Context, a *appliance.Actor) ([]domain.User, error)
	View(ctx context.Context, a *appliance.Actor, id string) (*appliance.LetterView, error)
}
