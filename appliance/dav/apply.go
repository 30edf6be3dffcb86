package dav

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Register returns the function that registers the apply function of each
// kind below with a registry; h is how they reach the letters' documents.
func Register(h ApplyHooks) func(*kernel.Registry) {
	return func(r *kernel.Registry) { register(r, h) }
}

func register(r *kernel.Registry, h ApplyHooks) {
	kernel.Handle(r, KindDavPut, func(a *kernel.Ctx, p *DavPut) (any, error) { return applyDavPut(a, p, h) })
	kernel.Handle(r, KindDavMkcol, applyDavMkcol)
	kernel.Handle(r, KindDavDelete, applyDavDelete)
	kernel.Handle(r, KindDavMove, applyDavMove)
	kernel.Handle(r, KindDavPropPatch, applyDavPropPatch)
	kernel.Handle(r, KindDavLock, applyDavLock)
	kernel.Handle(r, KindDavRefresh, applyDavRefresh)
	kernel.Handle(r, KindDavUnlock, applyDavUnlock)
	kernel.Handle(r, KindDocumentRestore, func(a *kernel.Ctx, p *DocumentRestore) (any, error) { return applyDocumentRestore(a, p, h) })
}

// validDavPath accepts the clean absolute paths the share produces.
func validDavPath(p string) bool {
	return strings.HasPrefix(p, "/") && path.Clean(p) == p && !strings.ContainsAny(p, "\x00\\") && len(p) <= 1024
}

// checkDavLocks refuses the change when a live lock covers one of names
// (or, with tree, a resource under them) and none of the locks on that
// resource was presented: one token of a shared lock is enough.
func checkDavLocks(a *kernel.Ctx, tokens []string, tree bool, names ...string) error {
	locks, err := a.Tx.DavLocks(a.Ctx, a.Cmd.Tenant)
	if err != nil {
		return err
	}
	held := map[string]bool{}
	for _, t := range tokens {
		held[t] = true
	}
	for _, n := range names {
		if n == "" {
			continue
		}
		// Locked resources at or under n, each with whether one of its
		// locks was presented.
		need := map[string]bool{}
		var order []string // lock order, so that every node names the same root
		for i := range locks {
			l := &locks[i]
			if l.Expired(a.At) {
				continue
			}
			key := ""
			switch {
			case l.Covers(n):
				key = n
			case tree && strings.HasPrefix(l.Root, n+"/"):
				key = l.Root
			default:
				continue
			}
			if _, seen := need[key]; !seen {
				order = append(order, key)
			}
			need[key] = need[key] || held[l.Token]
		}
		for _, root := range order {
			if !need[root] {
				return fmt.Errorf("%w: %s", ErrLocked, root)
			}
		}
	}
	return nil
}

// dropDavLocks removes the locks of a resource that was deleted or moved
// away (RFC 4918 §7.5: the lock goes with the resource it named).
func dropDavLocks(a *kernel.Ctx, root string) error {
	locks, err := a.Tx.DavLocks(a.Ctx, a.Cmd.Tenant)
	if err != nil {
		return err
	}
	for _, l := range locks {
		if l.Root == root || strings.HasPrefix(l.Root, root+"/") {
			if err := a.Tx.DeleteDavLock(a.Cmd.Tenant, l.Token); err != nil {
				return err
			}
		}
	}
	return nil
}

// davSpace checks the space of a command: a letter's space names the
// letter, which must exist in the tenant.
func davSpace(a *kernel.Ctx, space, letterID, p string) error {
	if !validDavPath(p) {
		return fmt.Errorf("%w: chemin %q", kernel.ErrInvalid, p)
	}
	switch {
	case strings.HasPrefix(space, "u:") && letterID == "":
		if _, err := a.Tx.User(a.Ctx, a.Cmd.Tenant, strings.TrimPrefix(space, "u:")); err != nil {
			return err
		}
		return nil
	case space == "l:"+letterID && letterID != "":
		_, err := kernel.LetterForUpdate(a, letterID)
		return err
	}
	return fmt.Errorf("%w: espace %q", kernel.ErrInvalid, space)
}

// davNode reads a node; nil when absent.
func davNode(a *kernel.Ctx, space, p string) (*domain.DavNode, error) {
	n, err := a.Tx.DavNode(a.Ctx, space, p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return n, err
}

// davParentDir requires the parent of p to be a collection.
func davParentDir(a *kernel.Ctx, space, p string) error {
	parent := store.DavParent(p)
	if parent == "/" {
		return nil
	}
	n, err := davNode(a, space, parent)
	if err != nil {
		return err
	}
	if n == nil || !n.Dir {
		return fmt.Errorf("%w: le dossier %s n'existe pas", kernel.ErrConflict, parent)
	}
	return nil
}

// putDocumentNode gives a letter's document, shown in its folder without a
// node of its own, a node at path that points at its current version.
func putDocumentNode(a *kernel.Ctx, space, path, letterID, docID string) error {
	d, err := letterDocument(a, letterID, docID)
	if err != nil {
		return err
	}
	v := d.Versions[len(d.Versions)-1]
	return a.Tx.PutDavNode(a.Cmd.Tenant, &domain.DavNode{Space: space, Path: path, SHA256: v.SHA256, Size: v.Size, MIME: v.MIME,
		DocumentID: d.ID, CreatedAt: a.At, ModifiedAt: a.At, ModifiedBy: a.Cmd.Actor})
}

// letterDocument reads a document of the letter.
func letterDocument(a *kernel.Ctx, letterID, id string) (*domain.Document, error) {
	d, err := a.Tx.Document(a.Ctx, a.Cmd.Tenant, id)
	if err != nil {
		return nil, err
	}
	if d.LetterID != letterID {
		return nil, fmt.Errorf("document %s: %w", id, kernel.ErrNotFound)
	}
	return d, nil
}

// draftExt are the office documents an agent edits: saved in a letter's
// folder they are reply drafts, anything else an attachment.
var draftExt = map[string]bool{".odt": true, ".ott": true, ".docx": true, ".doc": true, ".rtf": true, ".fodt": true}

func applyDavPut(a *kernel.Ctx, p *DavPut, h ApplyHooks) (any, error) {
	if err := davSpace(a, p.Space, p.LetterID, p.Path); err != nil {
		return nil, err
	}
	if p.Path == "/" {
		return nil, fmt.Errorf("%w: la racine est un dossier", kernel.ErrConflict)
	}
	if err := checkDavLocks(a, p.Tokens, false, p.LockRoot); err != nil {
		return nil, err
	}
	if err := davParentDir(a, p.Space, p.Path); err != nil {
		return nil, err
	}
	old, err := davNode(a, p.Space, p.Path)
	if err != nil {
		return nil, err
	}
	if old != nil && old.Dir {
		return nil, fmt.Errorf("%w: %s est un dossier", kernel.ErrConflict, p.Path)
	}
	n := &domain.DavNode{Space: p.Space, Path: p.Path, SHA256: p.SHA256, Size: p.Size, MIME: p.MIME, CreatedAt: a.At, ModifiedAt: a.At, ModifiedBy: a.Cmd.Actor}
	if old != nil {
		n.CreatedAt = old.CreatedAt
	}
	a.Summary = "Dossier de travail WebDAV : « " + p.Path + " » enregistré"
	if p.LetterID != "" {
		docID, newDoc := p.DocumentID, p.NewDoc
		if old != nil && old.DocumentID != "" {
			docID, newDoc = old.DocumentID, false
		}
		if docID == "" {
			return nil, fmt.Errorf("%w: document sans identifiant", kernel.ErrInvalid)
		}
		changed := true
		if !newDoc {
			d, err := letterDocument(a, p.LetterID, docID)
			if err != nil {
				return nil, err
			}
			changed = d.Versions[len(d.Versions)-1].SHA256 != p.SHA256
		}
		role := domain.DocAttachment
		if draftExt[strings.ToLower(path.Ext(p.Name))] {
			role = domain.DocDraft
		}
		if changed {
			d, err := h.Attach(a, &kernel.LetterAttach{LetterID: p.LetterID, DocumentID: docID, NewDoc: newDoc, Role: string(role), Name: p.Name, SHA256: p.SHA256, Size: p.Size, MIME: p.MIME})
			if err != nil {
				return nil, err
			}
			a.Summary = fmt.Sprintf("Document « %s » enregistré par WebDAV (version %d)", d.Name, d.Versions[len(d.Versions)-1].Version)
		} else {
			a.Summary = "Document « " + p.Name + " » enregistré par WebDAV sans changement"
		}
		if err := a.Tx.UnhideDavDocument(p.Space, docID); err != nil {
			return nil, err
		}
		n.DocumentID = docID
	}
	if err := a.Tx.PutDavNode(a.Cmd.Tenant, n); err != nil {
		return nil, err
	}
	for _, pr := range p.Props {
		if pr.Name == "" || len(pr.XML) > 64<<10 {
			return nil, fmt.Errorf("%w: propriété %q", kernel.ErrInvalid, pr.Name)
		}
		if err := a.Tx.SetDavProp(p.Space, p.Path, pr); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func applyDavMkcol(a *kernel.Ctx, p *DavMkcol) (any, error) {
	if err := davSpace(a, p.Space, p.LetterID, p.Path); err != nil {
		return nil, err
	}
	if err := checkDavLocks(a, p.Tokens, false, p.LockRoot); err != nil {
		return nil, err
	}
	if err := davParentDir(a, p.Space, p.Path); err != nil {
		return nil, err
	}
	if old, err := davNode(a, p.Space, p.Path); err != nil {
		return nil, err
	} else if old != nil || p.Path == "/" {
		return nil, fmt.Errorf("%w: %s existe déjà", kernel.ErrConflict, p.Path)
	}
	n := &domain.DavNode{Space: p.Space, Path: p.Path, Dir: true, CreatedAt: a.At, ModifiedAt: a.At, ModifiedBy: a.Cmd.Actor}
	if err := a.Tx.PutDavNode(a.Cmd.Tenant, n); err != nil {
		return nil, err
	}
	a.Summary = "WebDAV : dossier « " + p.Path + " » créé"
	return n, nil
}

func applyDavDelete(a *kernel.Ctx, p *DavDelete) (any, error) {
	if err := davSpace(a, p.Space, p.LetterID, p.Path); err != nil {
		return nil, err
	}
	if p.Path == "/" {
		return nil, fmt.Errorf("%w: la racine ne se supprime pas", kernel.ErrForbidden)
	}
	if err := checkDavLocks(a, p.Tokens, true, p.LockRoot); err != nil {
		return nil, err
	}
	old, err := davNode(a, p.Space, p.Path)
	if err != nil {
		return nil, err
	}
	var docs []string
	switch {
	case old != nil:
		if docs, err = a.Tx.DeleteDavTree(p.Space, p.Path); err != nil {
			return nil, err
		}
	case p.LetterID != "" && p.DocumentID != "":
		if _, err := letterDocument(a, p.LetterID, p.DocumentID); err != nil {
			return nil, err
		}
		docs = []string{p.DocumentID}
	default:
		return nil, fmt.Errorf("dav %s: %w", p.Path, kernel.ErrNotFound)
	}
	for _, d := range docs {
		if err := a.Tx.HideDavDocument(p.Space, d, a.At); err != nil {
			return nil, err
		}
	}
	if err := dropDavLocks(a, p.LockRoot); err != nil {
		return nil, err
	}
	a.Summary = "WebDAV : « " + p.Path + " » retiré du dossier"
	if len(docs) > 0 {
		a.Summary += fmt.Sprintf(" (%d document(s) conservé(s) sur le courrier)", len(docs))
	}
	return nil, nil
}

func applyDavMove(a *kernel.Ctx, p *DavMove) (any, error) {
	if err := davSpace(a, p.Space, p.LetterID, p.From); err != nil {
		return nil, err
	}
	if !validDavPath(p.To) || p.From == "/" || p.To == "/" || strings.HasPrefix(p.To, p.From+"/") || p.To == p.From {
		return nil, fmt.Errorf("%w: déplacement de %s vers %s", kernel.ErrForbidden, p.From, p.To)
	}
	if err := checkDavLocks(a, p.Tokens, true, p.LockFrom, p.LockTo); err != nil {
		return nil, err
	}
	if err := davParentDir(a, p.Space, p.To); err != nil {
		return nil, err
	}
	if dst, err := davNode(a, p.Space, p.To); err != nil {
		return nil, err
	} else if dst != nil {
		return nil, fmt.Errorf("%w: %s existe déjà", kernel.ErrConflict, p.To)
	}
	src, err := davNode(a, p.Space, p.From)
	if err != nil {
		return nil, err
	}
	switch {
	case src != nil:
		if err := a.Tx.MoveDavTree(p.Space, p.From, p.To, a.At, a.Cmd.Actor); err != nil {
			return nil, err
		}
	case p.LetterID != "" && p.DocumentID != "":
		if err := putDocumentNode(a, p.Space, p.To, p.LetterID, p.DocumentID); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("dav %s: %w", p.From, kernel.ErrNotFound)
	}
	if err := dropDavLocks(a, p.LockFrom); err != nil {
		return nil, err
	}
	a.Summary = "WebDAV : « " + p.From + " » déplacé vers « " + p.To + " »"
	return nil, nil
}

func applyDavPropPatch(a *kernel.Ctx, p *DavPropPatch) (any, error) {
	if err := davSpace(a, p.Space, p.LetterID, p.Path); err != nil {
		return nil, err
	}
	if err := checkDavLocks(a, p.Tokens, false, p.LockRoot); err != nil {
		return nil, err
	}
	if p.Path != "/" {
		n, err := davNode(a, p.Space, p.Path)
		if err != nil {
			return nil, err
		}
		if n == nil {
			if p.LetterID == "" || p.DocumentID == "" {
				return nil, fmt.Errorf("dav %s: %w", p.Path, kernel.ErrNotFound)
			}
			// A letter's document shown without a node gets one, so that
			// its properties have a place.
			if err := putDocumentNode(a, p.Space, p.Path, p.LetterID, p.DocumentID); err != nil {
				return nil, err
			}
		}
	}
	for _, pr := range p.Props {
		if pr.Name == "" || len(pr.XML) > 64<<10 {
			return nil, fmt.Errorf("%w: propriété %q", kernel.ErrInvalid, pr.Name)
		}
		if err := a.Tx.SetDavProp(p.Space, p.Path, pr); err != nil {
			return nil, err
		}
	}
	a.Summary = "WebDAV : propriétés de « " + p.Path + " » modifiées"
	return nil, nil
}

// davExpiry is the instant a lock taken or refreshed by this command lapses.
func davExpiry(a *kernel.Ctx, timeoutS int64) string {
	if timeoutS < 0 {
		return ""
	}
	return a.Cmd.At.Add(time.Duration(timeoutS) * time.Second).UTC().Format(domain.TimeLayout)
}

func applyDavLock(a *kernel.Ctx, p *DavLock) (any, error) {
	if p.Token == "" || !validDavPath(p.Root) {
		return nil, fmt.Errorf("%w: verrou", kernel.ErrInvalid)
	}
	if p.LetterID != "" {
		if _, err := kernel.LetterForUpdate(a, p.LetterID); err != nil {
			return nil, err
		}
	}
	// Stale locks go first, at the command's instant: every node drops the
	// same ones.
	if err := a.Tx.DeleteExpiredDavLocks(a.Cmd.Tenant, a.At); err != nil {
		return nil, err
	}
	locks, err := a.Tx.DavLocks(a.Ctx, a.Cmd.Tenant)
	if err != nil {
		return nil, err
	}
	for i := range locks {
		l := &locks[i]
		overlap := l.Covers(p.Root) || (!p.ZeroDepth && (p.Root == "/" || strings.HasPrefix(l.Root, p.Root+"/")))
		if overlap && !(l.Shared && p.Shared) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, l.Root)
		}
	}
	l := &domain.DavLock{Token: p.Token, TenantID: a.Cmd.Tenant, Root: p.Root, ZeroDepth: p.ZeroDepth, Shared: p.Shared, OwnerXML: p.OwnerXML,
		UserID: a.Cmd.Actor, TimeoutS: p.TimeoutS, CreatedAt: a.At, ExpiresAt: davExpiry(a, p.TimeoutS)}
	if err := a.Tx.InsertDavLock(l); err != nil {
		return nil, kernel.Conflict(err, "verrou déjà posé")
	}
	a.Summary = "WebDAV : verrou posé sur « " + p.Root + " »"
	return l, nil
}

// liveDavLock reads a lock that has not lapsed at the command's instant.
func liveDavLock(a *kernel.Ctx, token string) (*domain.DavLock, error) {
	l, err := a.Tx.DavLock(a.Ctx, a.Cmd.Tenant, token)
	if err != nil {
		return nil, err
	}
	if l.Expired(a.At) {
		return nil, fmt.Errorf("verrou expiré: %w", kernel.ErrNotFound)
	}
	return l, nil
}

func applyDavRefresh(a *kernel.Ctx, p *DavRefresh) (any, error) {
	l, err := liveDavLock(a, p.Token)
	if err != nil {
		return nil, err
	}
	l.TimeoutS, l.ExpiresAt = p.TimeoutS, davExpiry(a, p.TimeoutS)
	if err := a.Tx.RefreshDavLock(a.Cmd.Tenant, l.Token, l.TimeoutS, l.ExpiresAt); err != nil {
		return nil, err
	}
	a.Summary = "WebDAV : verrou sur « " + l.Root + " » prolongé"
	return l, nil
}

func applyDavUnlock(a *kernel.Ctx, p *DavUnlock) (any, error) {
	l, err := liveDavLock(a, p.Token)
	if err != nil {
		return nil, err
	}
	if err := a.Tx.DeleteDavLock(a.Cmd.Tenant, l.Token); err != nil {
		return nil, err
	}
	a.Summary = "WebDAV : verrou sur « " + l.Root + " » levé"
	if p.Break {
		a.Summary = "WebDAV : verrou sur « " + l.Root + " » cassé par un administrateur"
	}
	return l, nil
}

func applyDocumentRestore(a *kernel.Ctx, p *DocumentRestore, h ApplyHooks) (any, error) {
	if _, err := kernel.LetterForUpdate(a, p.LetterID); err != nil {
		return nil, err
	}
	d, err := letterDocument(a, p.LetterID, p.DocumentID)
	if err != nil {
		return nil, err
	}
	if p.Version < 1 || p.Version > len(d.Versions) {
		return nil, fmt.Errorf("version %d: %w", p.Version, kernel.ErrNotFound)
	}
	old := d.Versions[p.Version-1]
	d, err = h.Attach(a, &kernel.LetterAttach{LetterID: p.LetterID, DocumentID: d.ID, Name: d.Name, SHA256: old.SHA256, Size: old.Size, MIME: old.MIME})
	if err != nil {
		return nil, err
	}
	a.Summary = fmt.Sprintf("Document « %s » : version %d restaurée (version %d)", d.Name, p.Version, d.Versions[len(d.Versions)-1].Version)
	return d, nil
}
