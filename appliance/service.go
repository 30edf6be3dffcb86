package appliance

import (
	"context"
	"log/slog"
	"time"

	"missive/appliance/backups"
	"missive/appliance/blob"
	"missive/appliance/certs"
	"missive/appliance/dav"
	"missive/appliance/domain"
	"missive/appliance/ged"
	"missive/appliance/kernel"
	"missive/appliance/letters"
	"missive/appliance/mail"
	"missive/appliance/org"
	"missive/appliance/prefs"
	"missive/appliance/replies"
	"missive/appliance/sites"
	"missive/appliance/store"
)

// Service is the entry point of every change and every read made on behalf
// of a user: the API, the web UI, the mail bridge, the WebDAV share and the
// CLI all go through it. It embeds the kernel's Settings (Now, Secrets,
// Applier…), which its owner sets after New.
type Service struct {
	*kernel.Settings
	// k holds the store and the blob store: they are read only through
	// the features' methods, the perimeter-aware ones for users, System()
	// for the appliance's own jobs (system.go). Outer layers never reach
	// them.
	k *kernel.Kernel
	*letters.Registrar
	*org.Org
	*prefs.Prefs
	*mail.Mail
	*dav.Share
	*replies.Replies
	*ged.Export
	*sites.Sites
	*backups.Runs
	*certs.Certs
}

// Deps is what an appliance is built on.
type Deps struct {
	Store    *store.Store
	Blobs    *blob.Store
	Proposer Proposer
	Log      *slog.Logger
}

// New wires the kernel and the features into the Service. A hook is a
// closure over s, so that it reaches the feature it names when it runs,
// whichever feature was made first.
func New(d Deps) *Service {
	k := kernel.New(d.Store, d.Blobs, d.Proposer, d.Log)
	s := &Service{Settings: k.Settings, k: k}
	s.Registrar = letters.New(k, letters.Hooks{
		DocumentGuard: func(ctx context.Context, tenant string, l *domain.Letter, documentID string) error {
			return s.DavDocumentLocked(ctx, tenant, l, documentID)
		},
		MailSender: func(ctx context.Context, t *domain.Tenant) (string, string) { return s.MailSender(ctx, t) },
		Forwarded:  forwardedRegistration,
		Decode:     DecodeCommand,
	})
	s.Org = org.New(k)
	s.Prefs = prefs.New(k)
	s.Mail = s.newMail()
	s.wireDav()
	s.Replies = s.newReplies()
	s.Export = ged.New(k)
	s.Sites = sites.New(k)
	s.Runs = backups.New(k)
	s.Certs = certs.New(k)
	return s
}

// NewService is New with its dependencies in order.
func NewService(st *store.Store, blobs *blob.Store, prop Proposer, log *slog.Logger) *Service {
	return New(Deps{Store: st, Blobs: blobs, Proposer: prop, Log: log})
}

// Kinds is every kind this binary applies. It is built once and never
// changed: Apply on every node must see the same table.
var Kinds = kernel.NewRegistry(
	// Closing a letter queues its GED export: the letters' "on close" hook.
	letters.Register(letters.ApplyHooks{OnClose: ged.QueueOnClose}),
	org.Register,
	prefs.Register,
	mail.Register(mailApplyHooks()),
	// A file saved in a letter's folder is attached by the letters' code.
	dav.Register(dav.ApplyHooks{Attach: letters.Attach}),
	// A reply draft is attached as every document is, by letters' code.
	replies.Register(replies.ApplyHooks{Attach: letters.Attach}),
	ged.Register,
	sites.Register,
	backups.Register,
	certs.Register,
)

// NewApplier makes the Applier of this binary's kinds.
func NewApplier(s *store.Store, log *slog.Logger) *Applier { return kernel.NewApplier(s, Kinds, log) }

// DecodeCommand reads a command of this binary's kinds strictly.
func DecodeCommand(b []byte) (*Command, error) { return Kinds.Decode(b) }

func (s *Service) propose(ctx context.Context, kind Kind, tenant, actor string, payload any) (any, error) {
	return s.k.Propose(ctx, kind, tenant, actor, payload)
}
func (s *Service) reader() store.Reader { return s.k.Reader() }

// Ready says whether this node's store serves.
func (s *Service) Ready(ctx context.Context) error { return s.k.Ready(ctx) }

// ActorFor loads a user and computes their perimeter.
func (s *Service) ActorFor(ctx context.Context, tenant, userID string) (*Actor, error) {
	return s.k.ActorFor(ctx, tenant, userID)
}

// SystemActor acts for Missive itself in a tenant (first start, mail intake).
func (s *Service) SystemActor(ctx context.Context, tenant string) (*Actor, error) {
	return s.k.SystemActor(ctx, tenant)
}

// Authenticate checks a login and password from the client address addr.
func (s *Service) Authenticate(ctx context.Context, tenant, login, password, addr string) (*Actor, error) {
	return s.k.Authenticate(ctx, tenant, login, password, addr)
}

// AuthenticateToken resolves a Bearer token.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Actor, error) {
	return s.k.AuthenticateToken(ctx, token)
}

// ReadConsistent waits until this node has applied every write committed
// cluster-wide before the call (?consistency=strong).
func (s *Service) ReadConsistent(ctx context.Context) error { return s.k.ReadConsistent(ctx) }

// Checkpoint proposes a signed checkpoint of the history's head.
func (s *Service) Checkpoint(ctx context.Context) (seq int64, made bool, err error) {
	return s.k.Checkpoint(ctx)
}

// RunCheckpoints proposes checkpoints while this node leads, until ctx ends.
func (s *Service) RunCheckpoints(ctx context.Context, every time.Duration, leader func() bool, changed func() <-chan struct{}) {
	s.k.RunCheckpoints(ctx, every, leader, changed)
}
