package certs

import (
	"fmt"
	"strings"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Register registers the apply function of each kind of command.go.
func Register(r *kernel.Registry) {
	kernel.Handle(r, KindTLSPut, applyTLSPut)
	kernel.Handle(r, KindTLSDelete, applyTLSDelete)
	kernel.Handle(r, KindTLSLock, applyTLSLock)
	kernel.Handle(r, KindTLSUnlock, applyTLSUnlock)
}

// validTLSKey checks a certmagic key: slash-separated, no empty
// component, no leading or trailing slash.
func validTLSKey(key string) error {
	if key == "" || len(key) > 1024 || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") {
		return fmt.Errorf("%w: clé de stockage TLS %q invalide", kernel.ErrInvalid, key)
	}
	return nil
}

func applyTLSPut(a *kernel.Ctx, p *TLSPut) (any, error) {
	if err := validTLSKey(p.Key); err != nil {
		return nil, err
	}
	// Private keys are among the values: never in clear at rest.
	if p.Value != "" && !kernel.IsSealed(p.Value) || p.Size < 0 {
		return nil, fmt.Errorf("%w: valeur TLS %s non chiffrée", kernel.ErrInvalid, p.Key)
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
		return nil, fmt.Errorf("%w: verrou TLS %q (propriétaire %q, durée %d s) invalide", kernel.ErrInvalid, p.Name, p.Owner, p.TTL)
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
