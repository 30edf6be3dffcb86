package certs

import (
	"context"
	"fmt"
	"missive/appliance/kernel"
	"missive/appliance/store"
	"time"
)

// Certs is the appliance's side of the TLS storage. Its methods are
// system operations, for no user: only tlsconf's replicated Storage calls
// them (a cluster's certificate), never a request of the web UI, the API
// or the CLI.
type Certs struct{ k *kernel.Kernel }

// New makes the TLS storage feature of one appliance.
func New(k *kernel.Kernel) *Certs { return &Certs{k: k} }

func (s *Certs) tlsPropose(ctx context.Context, kind kernel.Kind, p any) error {
	_, err := s.k.Propose(ctx, kind, kernel.ClusterTenant, kernel.SystemActor, p)
	return err
}

// TLSStore stores value at key, sealed with secrets.key.
func (s *Certs) TLSStore(ctx context.Context, key string, value []byte) error {
	if s.k.Secrets == nil {
		return fmt.Errorf("store TLS key %s: %w", key, kernel.ErrSecretKey)
	}
	return s.tlsPropose(ctx, KindTLSPut, TLSPut{Key: key, Value: s.k.Secrets.Seal(TLSSecretPurpose, string(value)), Size: int64(len(value))})
}

// TLSLoad reads the value at key from this node's store; ErrNotFound when
// it is not stored.
func (s *Certs) TLSLoad(ctx context.Context, key string) ([]byte, error) {
	a, err := s.k.Reader().TLSAsset(ctx, key)
	if err != nil {
		return nil, err
	}
	v, err := s.k.Secrets.Open(TLSSecretPurpose, a.Value)
	if err != nil {
		return nil, fmt.Errorf("open TLS key %s: %w", key, err)
	}
	return []byte(v), nil
}

// TLSStat describes the key (without its value); ErrNotFound when it is
// not stored.
func (s *Certs) TLSStat(ctx context.Context, key string) (*store.TLSAsset, error) {
	a, err := s.k.Reader().TLSAsset(ctx, key)
	if err != nil {
		return nil, err
	}
	a.Value = ""
	return a, nil
}

// TLSKeys lists the keys under prefix ("" for all), without values.
func (s *Certs) TLSKeys(ctx context.Context, prefix string) ([]store.TLSAsset, error) {
	return s.k.Reader().TLSAssets(ctx, prefix)
}

// TLSDelete deletes key and every key under it.
func (s *Certs) TLSDelete(ctx context.Context, key string) error {
	return s.tlsPropose(ctx, KindTLSDelete, TLSDelete{Key: key})
}

// TLSLock takes (or extends) the lock name for owner until ttl after the
// command's time; ErrTLSLockHeld while another owner holds it.
func (s *Certs) TLSLock(ctx context.Context, name, owner string, ttl time.Duration) error {
	return s.tlsPropose(ctx, KindTLSLock, TLSLock{Name: name, Owner: owner, TTL: int64((ttl + time.Second - 1) / time.Second)})
}

// TLSUnlock frees the lock name if owner holds it; a lock already free is
// no error.
func (s *Certs) TLSUnlock(ctx context.Context, name, owner string) error {
	return s.tlsPropose(ctx, KindTLSUnlock, TLSUnlock{Name: name, Owner: owner})
}
