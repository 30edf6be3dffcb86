package appliance

import (
	"missive/appliance/dav"
	"missive/appliance/domain"
	"missive/appliance/kernel"
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
	ErrLocked       = dav.ErrLocked
	DavLetterFolder = dav.DavLetterFolder
	DavSafeName     = dav.DavSafeName
)

// davAttach is the WebDAV kinds' way to the letters' documents (Kinds): a
// file saved in a letter's folder, or a restored version, is attached by
// the letters' own apply code.
func davAttach(a *kernel.Ctx, d *dav.Attachment) (*domain.Document, error) {
	return attach(a, &LetterAttach{LetterID: d.LetterID, DocumentID: d.DocumentID, NewDoc: d.NewDoc, Role: string(d.Role),
		Name: d.Name, SHA256: d.SHA256, Size: d.Size, MIME: d.MIME})
}

// wireDav makes the WebDAV feature of s: it reads documents through the
// letters' perimeter rule, and the letters code asks it, as its document
// guard, whether a document is locked in an editor.
func (s *Service) wireDav() {
	s.Share = dav.New(s.k, dav.Hooks{Document: s.Document})
	s.documentGuard = s.DavDocumentLocked
}
