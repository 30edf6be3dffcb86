package appliance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// registerTLS registers the apply function of each kind of command_tls.go.
func registerTLS(r *kernel.Registry) {
	kernel.Handle(r, KindTLSPut, applyTLSPut)
	kernel.Handle(r, KindTLSDelete, applyTLSDelete)
	kernel.Handle(r, KindTLSLock, applyTLSLock)
	kernel.Handle(r, KindTLSUnlock, applyTLSUnlock)
}

// validTLSKey checks a certmagic key: slash-separated, no empty
// component, no leading or trailing slash.
func validTLSKey(key string) error {
	if key == "" || len(key) > 1024 || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") {
		return fmt.Errorf("%w: clé de stockage TLS %q invalide", ErrInvalid, key)
	}
	return nil
}

func applyTLSPut(a *kernel.Ctx, p *TLSPut) (any, error) {
	if err := validTLSKey(p.Key); err != nil {
		return nil, err
	}
	// Private keys are among the values: never in clear at rest.
	if p.Value != "" && !IsSealed(p.Value) || p.Size < 0 {
		return nil, fmt.Errorf("%w: valeur TLS %s non chiffrée", ErrInvalid, p.Key)
	}
	if err := a.Tx.PutTLSAsset(&store.TLSAsset{Key: p.Key, Value: p.Value, Size: p.Size, ModifiedAt: a.At}); err != nil {
		return nil, fmt.Errorf("store TLS key %s: %w", p.Key, err)
	}
	// The history says which key changed, not its (sealed) content.
	a.Payload = kernel.Redact(TLSPut{Key: p.Key, Size: p.Size})
	a.Summary = "Stockage TLS : " + p.Key + " enregistré"
	return nil, nil
}

func applyTLSDelete(a *kernel.Ctx, p *TLSDelete) (any, error) {
	if err := validTLSKey(p.Key); err != nil {
		return nil, err
	}
	n, err := a.Tx.DeleteTLSAssets(p.Key)
	if err != nil {
		return nil, fmt.Errorf("delete TLS key %s: %w", p.Key, err)
	}
	a.Summary = fmt.Sprintf("Stockage TLS : %s supprimé (%d éléments)", p.Key, n)
	return nil, nil
}

// maxTLSLockTTL bounds a lock's lifetime: a node that dies holding one
// blocks the others at most this long.
const maxTLSLockTTL = 24 * 60 * 60

// applyTLSLock grants the lock when it is free, held by the same owner
// (extended), or expired at the command's time: never the wall clock, so
// that every node decides the same.
func applyTLSLock(a *kernel.Ctx, p *TLSLock) (any, error) {
	if p.Name == "" || p.Owner == "" || p.TTL < 1 || p.TTL > maxTLSLockTTL {
		return nil, fmt.Errorf("%w: verrou TLS %q (propriétaire %q, durée %d s) invalide", ErrInvalid, p.Name, p.Owner, p.TTL)
	}
	held, err := a.Tx.TLSLock(a.Ctx, p.Name)
	if err != nil {
		return nil, fmt.Errorf("read TLS lock %s: %w", p.Name, err)
	}
	if held != nil && held.Owner != p.Owner && a.At < held.ExpiresAt {
		return nil, fmt.Errorf("%w (%s, par %s jusqu'au %s)", ErrTLSLockHeld, p.Name, held.Owner, held.ExpiresAt)
	}
	expires := a.Cmd.At.UTC().Add(time.Duration(p.TTL) * time.Second).Format(domain.TimeLayout)
	if err := a.Tx.SetTLSLock(&store.TLSLock{Name: p.Name, Owner: p.Owner, ExpiresAt: expires}); err != nil {
		return nil, fmt.Errorf("take TLS lock %s: %w", p.Name, err)
	}
	a.Summary = "Verrou TLS " + p.Name + " pris par " + p.Owner + " jusqu'au " + expires
	return nil, nil
}

// applyTLSUnlock frees the lock for its owner only: an owner whose lock
// expired and was taken by another must not free the other's.
func applyTLSUnlock(a *kernel.Ctx, p *TLSUnlock) (any, error) {
	held, err := a.Tx.TLSLock(a.Ctx, p.Name)
	if err != nil {
		return nil, fmt.Errorf("read TLS lock %s: %w", p.Name, err)
	}
	if held == nil {
		a.Summary = "Verrou TLS " + p.Name + " déjà libre"
		return nil, nil
	}
	if held.Owner != p.Owner {
		return nil, fmt.Errorf("%w (%s, par %s et non %s)", errTLSNotOwner, p.Name, held.Owner, p.Owner)
	}
	if err := a.Tx.DeleteTLSLock(p.Name); err != nil {
		return nil, fmt.Errorf("free TLS lock %s: %w", p.Name, err)
	}
	a.Summary = "Verrou TLS " + p.Name + " libéré par " + p.Owner
	return nil, nil
}

// The Service's side of the TLS storage. These are system operations, for
// no user: only tlsconf's replicated Storage calls them (a cluster's
// certificate), never a request of the web UI, the API or the CLI.

func (s *Service) tlsPropose(ctx context.Context, kind Kind, p any) error {
	_, err := s.propose(ctx, kind, ClusterTenant, SystemActor, p)
	return err
}

// TLSStore stores value at key, sealed with secrets.key.
func (s *Service) TLSStore(ctx context.Context, key string, value []byte) error {
	if s.Secrets == nil {
		return fmt.Errorf("store TLS key %s: %w", key, ErrSecretKey)
	}
	return s.tlsPropose(ctx, KindTLSPut, TLSPut{Key: key, Value: s.Secrets.Seal(TLSSecretPurpose, string(value)), Size: int64(len(value))})
}

// TLSLoad reads the value at key from this node's store; ErrNotFound when
// it is not stored.
func (s *Service) TLSLoad(ctx context.Context, key string) ([]byte, error) {
	a, err := s.reader().TLSAsset(ctx, key)
	if err != nil {
		return nil, err
	}
	v, err := s.Secrets.Open(TLSSecretPurpose, a.Value)
	if err != nil {
		return nil, fmt.Errorf("open TLS key %s: %w", key, err)
	}
	return []byte(v), nil
}

// TLSStat describes the key (without its value); ErrNotFound when it is
// not stored.
func (s *Service) TLSStat(ctx context.Context, key string) (*store.TLSAsset, error) {
	a, err := s.reader().TLSAsset(ctx, key)
	if err != nil {
		return nil, err
	}
	a.Value = ""
	return a, nil
}

// TLSKeys lists the keys under prefix ("" for all), without values.
func (s *Service) TLSKeys(ctx context.Context, prefix string) ([]store.TLSAsset, error) {
	return s.reader().TLSAssets(ctx, prefix)
}

// TLSDelete deletes key and every key under it.
func (s *Service) TLSDelete(ctx context.Context, key string) error {
	return s.tlsPropose(ctx, KindTLSDelete, TLSDelete{Key: key})
}

// TLSLock takes (or extends) the lock name for owner until ttl after the
// command's time; ErrTLSLockHeld while another owner holds it.
func (s *Service) TLSLock(ctx context.Context, name, owner string, ttl time.Duration) error {
	return s.tlsPropose(ctx, KindTLSLock, TLSLock{Name: name, Owner: owner, TTL: int64((ttl + time.Second - 1) / time.Second)})
}

// TLSUnlock frees the lock name if owner holds it; a lock already free is
// no error.
func (s *Service) TLSUnlock(ctx context.Context, name, owner string) error {
	return s.tlsPropose(ctx, KindTLSUnlock, TLSUnlock{Name: name, Owner: owner})
}
