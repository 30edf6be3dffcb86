package share

import (
	"context"
	"io"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// service is what the share needs of the appliance: every request is
// authenticated to an *appliance.Actor, and every read and write takes the
// actor or a DavTarget the Service resolved for it (DavUserSpace,
// DavLetterSpace), which carries its perimeter. *appliance.Service
// implements it.
type service interface {
	Authenticate(ctx context.Context, tenant, login, password, addr string) (*appliance.Actor, error)
	AuthenticateToken(ctx context.Context, token string) (*appliance.Actor, error)
	ActorFor(ctx context.Context, tenant, userID string) (*appliance.Actor, error)
	Letters(ctx context.Context, a *appliance.Actor, f store.LetterFilter) ([]domain.Letter, int, error)

	DavUserSpace(a *appliance.Actor, login string) (*appliance.DavTarget, error)
	DavLetterSpace(ctx context.Context, a *appliance.Actor, folder string, write bool) (*appliance.DavTarget, *domain.Letter, error)
	DavList(ctx context.Context, t *appliance.DavTarget) (*appliance.DavListing, error)
	DavNode(ctx context.Context, t *appliance.DavTarget, p string) (*domain.DavNode, []domain.DavProp, error)
	DavProps(ctx context.Context, t *appliance.DavTarget, p string) ([]domain.DavProp, error)
	DavOpen(sum string) (io.ReadSeekCloser, error)
	DavStore(name string, body io.Reader) (*appliance.DavBlob, error)
	DavPut(ctx context.Context, a *appliance.Actor, t *appliance.DavTarget, in appliance.DavPutInput) (*domain.DavNode, error)
	DavMkcol(ctx context.Context, a *appliance.Actor, t *appliance.DavTarget, p string, tokens []string) error
	DavDelete(ctx context.Context, a *appliance.Actor, t *appliance.DavTarget, p string, tokens []string, documentID string) error
	DavMove(ctx context.Context, a *appliance.Actor, t *appliance.DavTarget, from, to string, tokens []string, documentID string) error
	DavPropPatch(ctx context.Context, a *appliance.Actor, t *appliance.DavTarget, p string, props []domain.DavProp, tokens []string, documentID string) error
	DavLock(ctx context.Context, a *appliance.Actor, t *appliance.DavTarget, in appliance.DavLockInput) (*domain.DavLock, error)
	DavRefresh(ctx context.Context, a *appliance.Actor, token string, timeout time.Duration) (*domain.DavLock, error)
	DavUnlock(ctx context.Context, a *appliance.Actor, token string) error
	// DavLocks lists the live locks of the request's tenant, which the lock
	// system checks a path against (x/net/webdav's LockSystem).
	DavLocks(ctx context.Context, tenant string) ([]domain.DavLock, error)
}

var _ service = (*appliance.Service)(nil)
