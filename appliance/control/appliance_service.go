package control

import (
	"context"
	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
	"time"
)

// service is what the control package uses of the appliance: the facade's methods
// and nothing else. It is listed here so that a reader sees which, and so
// that the store, reached only inside the appliance, stays out of reach.
type service interface {
	AddMailAddress(ctx context.Context, a *appliance.Actor, in appliance.MailAddressInput) (*store.MailAddress, error)
	AddMailRule(ctx context.Context, a *appliance.Actor, in appliance.MailRuleInput) (*store.MailRule, error)
	AddMailbox(ctx context.Context, a *appliance.Actor, in appliance.MailboxInput) (*store.Mailbox, error)
	Checkpoint(ctx context.Context) (seq int64, made bool, err error)
	Clock() time.Time
	CreateUser(ctx context.Context, a *appliance.Actor, in appliance.UserInput) (*domain.User, error)
	DavBreakLock(ctx context.Context, a *appliance.Actor, token string) error
	DavLocks(ctx context.Context, tenant string) ([]store.DavLock, error)
	Doctypes(ctx context.Context, a *appliance.Actor) ([]domain.Doctype, error)
	EntityByCode(ctx context.Context, a *appliance.Actor, code string) (*domain.Entity, error)
	ExportLetter(ctx context.Context, a *appliance.Actor, id string) (*store.GEDExport, error)
	GEDTarget(ctx context.Context, a *appliance.Actor) (*store.GEDTarget, error)
	IssueToken(ctx context.Context, a *appliance.Actor, in appliance.TokenInput) (string, *domain.Token, error)
	LetterByNumber(ctx context.Context, a *appliance.Actor, number string) (*domain.Letter, error)
	MailSettings(ctx context.Context, a *appliance.Actor) (*appliance.MailSettings, error)
	RevokeToken(ctx context.Context, a *appliance.Actor, id string) (*domain.Token, error)
	SetGEDTarget(ctx context.Context, a *appliance.Actor, in appliance.GEDTargetInput) (*store.GEDTarget, error)
	SetMailAckPolicy(ctx context.Context, a *appliance.Actor, doctypeID string, policy string) error
	SetMailRelay(ctx context.Context, a *appliance.Actor, in appliance.MailRelayInput) (*store.MailRelay, error)
	SetOnlyOffice(ctx context.Context, a *appliance.Actor, in appliance.OnlyOfficeInput) (*store.OnlyOfficeServer, error)
	SetPassword(ctx context.Context, a *appliance.Actor, userID string, password string) error
	SystemActor(ctx context.Context, tenant string) (*appliance.Actor, error)
	Tenant(ctx context.Context, a *appliance.Actor) (*domain.Tenant, error)
	Tokens(ctx context.Context, a *appliance.Actor, userID string) ([]domain.Token, error)
	UpdateTenant(ctx context.Context, a *appliance.Actor, in appliance.TenantInput) (*domain.Tenant, error)
	UserByLogin(ctx context.Context, a *appliance.Actor, login string) (*domain.User, error)
	Users(ctx context.Context, a *appliance.Actor) ([]domain.User, error)
}
