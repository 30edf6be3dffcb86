// Package dav owns the WebDAV side of the appliance: the spaces of the
// share (a user's working folder, a letter's folder), their nodes and dead
// properties, class 2 locks, and the restoring of a document's old
// version. It holds the commands dav.* and document.restore, their apply
// functions and the Share methods the share (webdav/share), the web UI
// and the API call through the facade. Letters' documents belong to the
// letters code: the Share reaches them through Hooks and ApplyHooks, and
// the letters code asks DavDocumentLocked, wired by the facade as its
// document guard, before it writes a version outside the share.
package dav

import (
	"context"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

// Share is the WebDAV feature of one appliance.
type Share struct {
	k *kernel.Kernel
	h Hooks
}

// Hooks are what the Share needs from the letters code, which it does not
// import.
type Hooks struct {
	// Document reads a document whose letter the actor sees: a version is
	// restored by document alone (RestoreDocumentVersion), and the letters
	// code owns the rule of who sees a document.
	Document func(ctx context.Context, a *kernel.Actor, id string) (*domain.Document, error)
}

// New makes the Share of the kernel k.
func New(k *kernel.Kernel, h Hooks) *Share { return &Share{k: k, h: h} }

// ApplyHooks are what the apply functions need from the letters code.
type ApplyHooks struct {
	// Attach adds a document, or a version of one, to a letter inside the
	// command's transaction: a file saved in a letter's folder and a
	// restored version are documents of the letter like an upload, written
	// by the same code.
	Attach func(a *kernel.Ctx, d *kernel.LetterAttach) (*domain.Document, error)
}
