package appliance

import "missive/appliance/certs"

// The TLS storage's names tlsconf and the tests use.
type (
	TLSPut    = certs.TLSPut
	TLSDelete = certs.TLSDelete
	TLSLock   = certs.TLSLock
	TLSUnlock = certs.TLSUnlock
)

const (
	KindTLSPut       = certs.KindTLSPut
	KindTLSDelete    = certs.KindTLSDelete
	KindTLSLock      = certs.KindTLSLock
	KindTLSUnlock    = certs.KindTLSUnlock
	TLSSecretPurpose = certs.TLSSecretPurpose
)

// ErrTLSLockHeld means another owner holds a live TLS lock.
var ErrTLSLockHeld = certs.ErrTLSLockHeld
