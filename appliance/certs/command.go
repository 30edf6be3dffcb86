// Package certs keeps what certmagic stores for the site's certificate
// (certificates, keys, the ACME account) and its locks in the replicated
// store, through commands, so that the nodes of a cluster share one
// certificate and make one ACME order per name between them. tlsconf's
// replicated Storage is its only caller, through the facade.
package certs

import (
	"fmt"
	"missive/appliance/kernel"
)

// Commands of the TLS storage: what certmagic keeps for the site's
// certificate (certificates, keys, the ACME account) and its locks, in the
// replicated store, so that the nodes of a cluster share one certificate
// and make one ACME order per name between them. They are system commands
// (no user, SystemActor), of no commune (kernel.ClusterTenant), proposed only by
// the Service's TLS* methods that tlsconf's replicated Storage calls.
// Registered in apply.go.
const (
	// KindTLSPut stores a key's value (sealed with secrets.key).
	KindTLSPut kernel.Kind = "tls.put"
	// KindTLSDelete deletes a key and every key under it.
	KindTLSDelete kernel.Kind = "tls.delete"
	// KindTLSLock takes a lock for its owner until the command's time plus
	// its lifetime: granted when free, expired at the command's time, or
	// held by the same owner (which extends it).
	KindTLSLock kernel.Kind = "tls.lock"
	// KindTLSUnlock frees a lock, only for its owner.
	KindTLSUnlock kernel.Kind = "tls.unlock"
)

type TLSPut struct {
	Key string `json:"key"`
	// Value is sealed (purpose TLSSecretPurpose); Size is the clear value's.
	Value string `json:"value,omitempty"`
	Size  int64  `json:"size"`
}

type TLSDelete struct {
	Key string `json:"key"`
}

type TLSLock struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
	// TTL is the lock's lifetime in seconds from the command's time.
	TTL int64 `json:"ttl_s"`
}

type TLSUnlock struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
}

// TLSSecretPurpose binds sealed TLS values to their use.
const TLSSecretPurpose = "tls"

// ErrTLSLockHeld means another owner holds a live TLS lock: ask again
// later.
var ErrTLSLockHeld = fmt.Errorf("%w: verrou TLS tenu par un autre nœud", kernel.ErrConflict)

// errTLSNotOwner means an Unlock came from someone who does not hold the
// lock (its own expired and another owner took it).
var errTLSNotOwner = fmt.Errorf("%w: verrou TLS tenu par un autre propriétaire", kernel.ErrConflict)
