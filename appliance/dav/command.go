package dav

import (
	"errors"

	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Commands of the WebDAV share (package webdav/share) and of document
// versions. A space is a user's working folder ("u:<user id>") or a letter's
// folder ("l:<letter id>"); paths are clean and absolute inside it. Tokens
// are the lock tokens the client presented: Apply refuses a write under a
// lock whose token is not among them, so a lock holds whichever node or site
// applies the write.
const (
	KindDavPut          kernel.Kind = "dav.put"
	KindDavMkcol        kernel.Kind = "dav.mkcol"
	KindDavDelete       kernel.Kind = "dav.delete"
	KindDavMove         kernel.Kind = "dav.move"
	KindDavPropPatch    kernel.Kind = "dav.proppatch"
	KindDavLock         kernel.Kind = "dav.lock"
	KindDavRefresh      kernel.Kind = "dav.refresh"
	KindDavUnlock       kernel.Kind = "dav.unlock"
	KindDocumentRestore kernel.Kind = "document.restore"
)

// ErrLocked means a WebDAV lock held by someone else forbids the change.
var ErrLocked = errors.New("ressource verrouillée")

// DavPut writes a file. In a letter's space the file is a document of the
// letter: a new one (NewDoc) or a new version of DocumentID.
type DavPut struct {
	Space      string          `json:"space"`
	Path       string          `json:"path"`
	Name       string          `json:"name"` // the share's name of the file
	SHA256     string          `json:"sha256"`
	Size       int64           `json:"size"`
	MIME       string          `json:"mime"`
	Tokens     []string        `json:"tokens"`
	Props      []store.DavProp `json:"props"`
	LetterID   string          `json:"letter_id"`
	DocumentID string          `json:"document_id"`
	NewDoc     bool            `json:"new_doc"`
	LockRoot   string          `json:"lock_root"` // the file's name in the tenant's share, for lock checks
}

// DavMkcol makes a collection.
type DavMkcol struct {
	Space    string   `json:"space"`
	Path     string   `json:"path"`
	Tokens   []string `json:"tokens"`
	LetterID string   `json:"letter_id"`
	LockRoot string   `json:"lock_root"`
}

// DavDelete removes a resource and everything under it. DocumentID names a
// letter document shown in the folder without a node of its own. Documents
// leave the folder but stay on the letter with all their versions.
type DavDelete struct {
	Space      string   `json:"space"`
	Path       string   `json:"path"`
	Tokens     []string `json:"tokens"`
	LetterID   string   `json:"letter_id"`
	DocumentID string   `json:"document_id"`
	LockRoot   string   `json:"lock_root"`
}

// DavMove renames a resource inside one space.
type DavMove struct {
	Space      string   `json:"space"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	Tokens     []string `json:"tokens"`
	LetterID   string   `json:"letter_id"`
	DocumentID string   `json:"document_id"`
	LockFrom   string   `json:"lock_from"`
	LockTo     string   `json:"lock_to"`
}

// DavPropPatch sets and removes dead properties, in order.
type DavPropPatch struct {
	Space      string          `json:"space"`
	Path       string          `json:"path"`
	Props      []store.DavProp `json:"props"`
	Tokens     []string        `json:"tokens"`
	LetterID   string          `json:"letter_id"`
	DocumentID string          `json:"document_id"`
	LockRoot   string          `json:"lock_root"`
}

// DavLock takes a write lock, exclusive unless Shared; its expiry is the command's time
// plus TimeoutS (-1: none), so that every node computes the same.
type DavLock struct {
	Token     string `json:"token"`
	Root      string `json:"root"`
	ZeroDepth bool   `json:"zero_depth"`
	Shared    bool   `json:"shared"`
	OwnerXML  string `json:"owner_xml"`
	TimeoutS  int64  `json:"timeout_s"`
	LetterID  string `json:"letter_id"`
}

// DavRefresh extends a lock.
type DavRefresh struct {
	Token    string `json:"token"`
	TimeoutS int64  `json:"timeout_s"`
}

// DavUnlock removes a lock; Break is an administrator breaking someone
// else's lock.
type DavUnlock struct {
	Token string `json:"token"`
	Break bool   `json:"break"`
}

// DocumentRestore makes an old version of a document its newest.
type DocumentRestore struct {
	LetterID   string `json:"letter_id"`
	DocumentID string `json:"document_id"`
	Version    int    `json:"version"`
}
