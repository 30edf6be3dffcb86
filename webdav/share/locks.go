package share

import (
	"errors"
	"net/http"
	"path"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"missive/appliance"
	"missive/appliance/domain"
)

// tempToken marks the locks x/net/webdav takes for the length of one write
// request without an If header: they only check that nobody else holds a
// lock, so they are never proposed (Apply checks locks again anyway).
const tempToken = "missive:request-lock"

// lockSystem is the share's locks for one request. Every lock, refresh and
// unlock is a Command; reads come from the store, expiry judged now.
type lockSystem struct{ st *reqState }

func (l *lockSystem) live() ([]domain.DavLock, error) {
	return l.st.h.svc.DavLocks(l.st.ctx, l.st.tenant)
}

func clean(name string) string { return path.Clean("/" + name) }

// Confirm evaluates one list of an If header (RFC 4918 §10.4): every
// condition must hold for the resource the list names (a state token names
// a live lock on it, an entity tag is its ETag, "Not" inverts), and every
// locked resource among the named ones must be covered by a lock whose
// token the list presents.
func (l *lockSystem) Confirm(_ time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	locks, err := l.live()
	if err != nil {
		return nil, err
	}
	subject := clean(name0)
	if name0 == "" {
		subject = clean(name1)
	}
	presented := map[string]bool{}
	for _, c := range conditions {
		var ok bool
		if c.Token != "" {
			for i := range locks {
				if locks[i].Token == c.Token && locks[i].Covers(subject) {
					ok = true
				}
			}
			if ok && !c.Not {
				presented[c.Token] = true
			}
		} else {
			ok = l.etag(subject) == strings.Trim(strings.TrimPrefix(c.ETag, "W/"), `"`)
		}
		if ok == c.Not {
			return nil, webdav.ErrConfirmationFailed
		}
	}
	for _, name := range []string{name0, name1} {
		if name == "" {
			continue
		}
		name = clean(name)
		locked, held := false, false
		for i := range locks {
			if locks[i].Covers(name) {
				locked = true
				held = held || presented[locks[i].Token]
			}
		}
		if locked && !held {
			return nil, webdav.ErrConfirmationFailed
		}
	}
	for t := range presented {
		l.st.tokens = append(l.st.tokens, t)
	}
	return func() {}, nil
}

// etag is a resource's entity tag without quotes; "" when it has none.
func (l *lockSystem) etag(name string) string {
	_, _, e, err := l.st.lookup(name)
	if err != nil || e.dir || e.sha == "" {
		return ""
	}
	return e.sha[:32]
}

// Create takes a lock. Outside a LOCK request it is x/net/webdav's
// per-request lock: only a check that nobody else holds one.
func (l *lockSystem) Create(_ time.Time, d webdav.LockDetails) (string, error) {
	root := clean(d.Root)
	if l.st.method != "LOCK" {
		locks, err := l.live()
		if err != nil {
			return "", err
		}
		for i := range locks {
			if locks[i].Covers(root) {
				return "", webdav.ErrLocked
			}
		}
		return tempToken, nil
	}
	seg, rest := split(root)
	if seg == "" {
		l.st.status = http.StatusForbidden
		return "", appliance.ErrForbidden
	}
	if status, _ := l.st.check(seg, true); status != 0 {
		l.st.status = status
		return "", appliance.ErrForbidden
	}
	t := l.st.target(seg)
	lk, err := l.st.h.svc.DavLock(l.st.ctx, l.st.actor, t.t, appliance.DavLockInput{Path: rest, ZeroDepth: d.ZeroDepth, OwnerXML: d.OwnerXML, Timeout: d.Duration})
	if errors.Is(err, appliance.ErrLocked) {
		return "", webdav.ErrLocked
	}
	if err != nil {
		return "", l.st.fail(err)
	}
	l.st.tokens = append(l.st.tokens, lk.Token)
	return lk.Token, nil
}

func (l *lockSystem) Refresh(_ time.Time, token string, d time.Duration) (webdav.LockDetails, error) {
	lk, err := l.st.h.svc.DavRefresh(l.st.ctx, l.st.actor, token, d)
	if errors.Is(err, appliance.ErrNotFound) {
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	if err != nil {
		return webdav.LockDetails{}, l.st.fail(err)
	}
	return details(lk), nil
}

func details(lk *domain.DavLock) webdav.LockDetails {
	return webdav.LockDetails{Root: lk.Root, Duration: time.Duration(lk.TimeoutS) * time.Second, OwnerXML: lk.OwnerXML, ZeroDepth: lk.ZeroDepth}
}

func (l *lockSystem) Unlock(_ time.Time, token string) error {
	if token == tempToken {
		return nil
	}
	err := l.st.h.svc.DavUnlock(l.st.ctx, l.st.actor, token)
	if errors.Is(err, appliance.ErrNotFound) {
		return webdav.ErrNoSuchLock
	}
	if err != nil {
		return l.st.fail(err)
	}
	return nil
}
