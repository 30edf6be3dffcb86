package appliance

import (
	"missive/appliance/dav"
)

// The WebDAV feature's names the outer layers and tests use
// (appliance/dav).
type (
	DavTarget       = dav.DavTarget
	DavListing      = dav.DavListing
	DavBlob         = dav.DavBlob
	DavPutInput     = dav.DavPutInput
	DavLockInput    = dav.DavLockInput
	DavPut          = dav.DavPut
	DavMkcol        = dav.DavMkcol
	DavDelete       = dav.DavDelete
	DavMove         = dav.DavMove
	DavPropPatch    = dav.DavPropPatch
	DavLock         = dav.DavLock
	DavRefresh      = dav.DavRefresh
	DavUnlock       = dav.DavUnlock
	DocumentRestore = dav.DocumentRestore
)

const (
	KindDavPut          = dav.KindDavPut
	KindDavMkcol        = dav.KindDavMkcol
	KindDavDelete       = dav.KindDavDelete
	KindDavMove         = dav.KindDavMove
	KindDavPropPatch    = dav.KindDavPropPatch
	KindDavLock         = dav.KindDavLock
	KindDavRefresh      = dav.KindDavRefresh
	KindDavUnlock       = dav.KindDavUnlock
	KindDocumentRestore = dav.KindDocumentRestore
	DavMaxLock          = dav.DavMaxLock
)

var (
	ErrLocked = dav.ErrLocked
)

// wireDav makes the WebDAV feature of s: it reads documents through the
// letters' perimeter rule, and the letters code asks it, as its document
// guard, whether a document is locked in an editor.
func (s *Service) wireDav() {
	s.Share = dav.New(s.k, dav.Hooks{Document: s.Document})
}
