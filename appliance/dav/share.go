package dav

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// DavTarget is one space of the WebDAV share resolved for an actor: their
// working folder or the folder of a letter they may act on.
type DavTarget struct {
	Space    string // "u:<user id>" or "l:<letter id>"
	LetterID string
	// Prefix is the space root's name in the tenant's share, the root of its
	// lock names: "/~login" or "/2026-A-000001".
	Prefix string
}

// Name is the share name of a path of the space, as locks know it.
func (t *DavTarget) Name(p string) string {
	if p == "/" {
		return t.Prefix
	}
	return t.Prefix + p
}

// DavLetterFolder is the share's folder name of a registration number.
func DavLetterFolder(number string) string { return strings.ReplaceAll(number, "/", "-") }

// DavUserSpace is the actor's own working folder; another user's is
// forbidden.
func (s *Share) DavUserSpace(a *kernel.Actor, login string) (*DavTarget, error) {
	if login != a.User.Login {
		return nil, fmt.Errorf("%w: dossier de travail d'un autre utilisateur", kernel.ErrForbidden)
	}
	return &DavTarget{Space: "u:" + a.ID(), Prefix: "/~" + login}, nil
}

// DavLetterSpace resolves a letter's folder ("2026-A-000001"). A letter
// outside the perimeter is ErrNotFound; write also requires that the actor
// may act on it (ErrForbidden otherwise).
func (s *Share) DavLetterSpace(ctx context.Context, a *kernel.Actor, folder string, write bool) (*DavTarget, *domain.Letter, error) {
	number := strings.ReplaceAll(folder, "-", "/")
	l, err := s.k.Reader().LetterByNumber(ctx, a.Perimeter, number)
	if err != nil {
		return nil, nil, err
	}
	if write {
		if l, err = s.k.LetterToAct(ctx, a, l.ID); err != nil {
			return nil, nil, err
		}
	}
	return &DavTarget{Space: "l:" + l.ID, LetterID: l.ID, Prefix: "/" + folder}, l, nil
}

// davCheck re-checks, at write time, that the actor may write the space.
func (s *Share) davCheck(ctx context.Context, a *kernel.Actor, t *DavTarget) error {
	if t.LetterID != "" {
		if t.Space != "l:"+t.LetterID {
			return fmt.Errorf("%w: espace %s", kernel.ErrInvalid, t.Space)
		}
		_, err := s.k.LetterToAct(ctx, a, t.LetterID)
		return err
	}
	if t.Space != "u:"+a.ID() {
		return fmt.Errorf("%w: dossier de travail d'un autre utilisateur", kernel.ErrForbidden)
	}
	return nil
}

// DavListing is a space's content: its nodes and, in a letter's space, the
// letter's documents (by id) and those shown without a node (Loose: not
// placed by the share and not removed from the folder).
type DavListing struct {
	Nodes []store.DavNode
	Docs  map[string]*domain.Document
	Loose []*domain.Document
	Props map[string][]store.DavProp
	// Paths maps a document shown in the folder to its path there.
	Paths map[string]string
}

// DavList reads a whole space in two queries, so that a PROPFIND of a
// folder of a thousand documents costs the same as one of ten.
func (s *Share) DavList(ctx context.Context, t *DavTarget) (*DavListing, error) {
	r := s.k.Reader()
	nodes, err := r.DavSpace(ctx, t.Space)
	if err != nil {
		return nil, err
	}
	props, err := r.DavSpaceProps(ctx, t.Space)
	if err != nil {
		return nil, err
	}
	out := &DavListing{Nodes: nodes, Docs: map[string]*domain.Document{}, Props: props}
	if t.LetterID == "" {
		return out, nil
	}
	docs, err := r.Documents(ctx, t.LetterID)
	if err != nil {
		return nil, err
	}
	hidden, err := r.DavHidden(ctx, t.Space)
	if err != nil {
		return nil, err
	}
	placed := map[string]bool{}
	for _, n := range nodes {
		if n.DocumentID != "" {
			placed[n.DocumentID] = true
		}
	}
	out.Paths = map[string]string{}
	taken := map[string]bool{}
	for _, n := range nodes {
		taken[n.Path] = true
		if n.DocumentID != "" {
			out.Paths[n.DocumentID] = n.Path
		}
	}
	for i := range docs {
		d := &docs[i]
		out.Docs[d.ID] = d
		if placed[d.ID] || hidden[d.ID] {
			continue
		}
		// A document without a node shows at the top under its safe name;
		// a clash gets the start of its id, so every name is stable.
		name := kernel.SafeName(d.Name)
		if name == "" {
			name = d.ID
		}
		p := "/" + name
		if taken[p] {
			ext := path.Ext(name)
			p = "/" + strings.TrimSuffix(name, ext) + " (" + d.ID[:min(8, len(d.ID))] + ")" + ext
		}
		if taken[p] {
			continue
		}
		taken[p] = true
		out.Paths[d.ID] = p
		out.Loose = append(out.Loose, d)
	}
	return out, nil
}

// DavDocumentURLs gives the share path (/dav/<tenant>/<folder>/<file>,
// escaped) of each document of a letter the actor sees, as its folder shows
// it, and the folder's own path.
func (s *Share) DavDocumentURLs(ctx context.Context, a *kernel.Actor, letterID string) (string, map[string]string, error) {
	l, err := s.k.Reader().Letter(ctx, a.Perimeter, letterID)
	if err != nil {
		return "", nil, err
	}
	folder := "/dav/" + url.PathEscape(a.TenantID()) + "/" + url.PathEscape(DavLetterFolder(l.Number)) + "/"
	ls, err := s.DavList(ctx, &DavTarget{Space: "l:" + l.ID, LetterID: l.ID, Prefix: "/" + DavLetterFolder(l.Number)})
	if err != nil {
		return "", nil, err
	}
	out := map[string]string{}
	for id, p := range ls.Paths {
		u := &url.URL{Path: folder + strings.TrimPrefix(p, "/")}
		out[id] = u.EscapedPath()
	}
	return folder, out, nil
}

// DavSafeName is a document name as a file name of the share: no
// directories, no control or reserved characters.
func DavSafeName(n string) string { return kernel.SafeName(n) }

// DavProps reads a node's dead properties.
func (s *Share) DavProps(ctx context.Context, t *DavTarget, p string) ([]store.DavProp, error) {
	return s.k.Reader().DavProps(ctx, t.Space, p)
}

// DavOpen opens the content of a blob.
func (s *Share) DavOpen(sum string) (io.ReadSeekCloser, error) {
	f, err := s.k.Blobs().Open(sum)
	if err != nil {
		return nil, fmt.Errorf("open dav content: %w", err)
	}
	return f, nil
}

// DavBlob is content stored in the blob store, ready to be referenced.
type DavBlob struct {
	SHA256 string
	Size   int64
	MIME   string
}

// DavStore puts content in the blob store, before any command refers to it.
// Content over MaxUpload is refused with kernel.ErrTooLarge and nothing is kept.
func (s *Share) DavStore(name string, body io.Reader) (*DavBlob, error) {
	br := bufio.NewReaderSize(body, 512)
	head, _ := br.Peek(512)
	sum, size, err := s.k.Blobs().Put(br, s.k.MaxUpload)
	if errors.Is(err, blob.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %s dépasse la taille maximale de %d Mo", kernel.ErrTooLarge, name, s.k.MaxUpload>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("dav put %s: %w", name, err)
	}
	return &DavBlob{SHA256: sum, Size: size, MIME: kernel.Sniff(name, head)}, nil
}

// DavPutInput is one file written to the share.
type DavPutInput struct {
	Path   string
	Blob   *DavBlob // from DavStore
	Tokens []string
	Props  []store.DavProp
	// DocumentID is the letter's document shown at Path without a node.
	DocumentID string
}

// DavPut proposes writing a stored blob at a path of the space.
func (s *Share) DavPut(ctx context.Context, a *kernel.Actor, t *DavTarget, in DavPutInput) (*store.DavNode, error) {
	if err := s.davCheck(ctx, a, t); err != nil {
		return nil, err
	}
	if in.Blob == nil || !blob.ValidHash(in.Blob.SHA256) {
		return nil, fmt.Errorf("%w: contenu manquant", kernel.ErrInvalid)
	}
	name := kernel.SafeName(path.Base(in.Path))
	if name == "" {
		name = "document"
	}
	p := DavPut{Space: t.Space, Path: in.Path, Name: name, SHA256: in.Blob.SHA256, Size: in.Blob.Size, MIME: in.Blob.MIME,
		Tokens: in.Tokens, Props: in.Props, LetterID: t.LetterID, LockRoot: t.Name(in.Path)}
	if t.LetterID != "" {
		p.DocumentID, p.NewDoc = in.DocumentID, in.DocumentID == ""
		if p.NewDoc {
			p.DocumentID = kernel.NewID()
		}
	}
	v, err := s.k.Propose(ctx, KindDavPut, a.TenantID(), a.ID(), p)
	if err != nil {
		return nil, err
	}
	return v.(*store.DavNode), nil
}

// DavMkcol makes a collection.
func (s *Share) DavMkcol(ctx context.Context, a *kernel.Actor, t *DavTarget, p string, tokens []string) error {
	if err := s.davCheck(ctx, a, t); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindDavMkcol, a.TenantID(), a.ID(), DavMkcol{Space: t.Space, Path: p, Tokens: tokens, LetterID: t.LetterID, LockRoot: t.Name(p)})
	return err
}

// DavDelete removes a resource; documents stay on the letter.
func (s *Share) DavDelete(ctx context.Context, a *kernel.Actor, t *DavTarget, p string, tokens []string, documentID string) error {
	if err := s.davCheck(ctx, a, t); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindDavDelete, a.TenantID(), a.ID(), DavDelete{Space: t.Space, Path: p, Tokens: tokens, LetterID: t.LetterID, DocumentID: documentID, LockRoot: t.Name(p)})
	return err
}

// DavMove renames a resource inside its space.
func (s *Share) DavMove(ctx context.Context, a *kernel.Actor, t *DavTarget, from, to string, tokens []string, documentID string) error {
	if err := s.davCheck(ctx, a, t); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindDavMove, a.TenantID(), a.ID(), DavMove{Space: t.Space, From: from, To: to, Tokens: tokens,
		LetterID: t.LetterID, DocumentID: documentID, LockFrom: t.Name(from), LockTo: t.Name(to)})
	return err
}

// DavPropPatch sets and removes (Remove) dead properties, in order.
func (s *Share) DavPropPatch(ctx context.Context, a *kernel.Actor, t *DavTarget, p string, props []store.DavProp, tokens []string, documentID string) error {
	if err := s.davCheck(ctx, a, t); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindDavPropPatch, a.TenantID(), a.ID(), DavPropPatch{Space: t.Space, Path: p, Props: props, Tokens: tokens,
		LetterID: t.LetterID, DocumentID: documentID, LockRoot: t.Name(p)})
	return err
}

// DavMaxLock bounds a lock's timeout: a client that asks for more, or for
// none, gets this, so that a lock left by a crashed editor lapses.
const DavMaxLock = 24 * time.Hour

// DavLockInput is a LOCK request on a resource of a space.
type DavLockInput struct {
	Path      string
	ZeroDepth bool
	Shared    bool
	OwnerXML  string
	Timeout   time.Duration // < 0: infinite, capped to DavMaxLock
}

// DavLock takes a write lock (exclusive unless Shared).
func (s *Share) DavLock(ctx context.Context, a *kernel.Actor, t *DavTarget, in DavLockInput) (*store.DavLock, error) {
	if err := s.davCheck(ctx, a, t); err != nil {
		return nil, err
	}
	if len(in.OwnerXML) > 16<<10 {
		return nil, fmt.Errorf("%w: propriétaire du verrou trop long", kernel.ErrInvalid)
	}
	v, err := s.k.Propose(ctx, KindDavLock, a.TenantID(), a.ID(), DavLock{Token: newLockToken(), Root: t.Name(in.Path),
		ZeroDepth: in.ZeroDepth, Shared: in.Shared, OwnerXML: in.OwnerXML, TimeoutS: lockSeconds(in.Timeout), LetterID: t.LetterID})
	if err != nil {
		return nil, err
	}
	return v.(*store.DavLock), nil
}

func lockSeconds(d time.Duration) int64 {
	if d < 0 || d > DavMaxLock {
		d = DavMaxLock
	}
	if d < time.Second {
		d = time.Second
	}
	return int64(d / time.Second)
}

// newLockToken is an absolute URI, unique across nodes (RFC 4918 §6.5).
func newLockToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// davLockInReach reads a lock by its token and checks that its resource is
// one the actor may write: their own working folder, or the folder of a
// letter they may act on. Outside that, the lock does not exist for them:
// holding a token (copied, guessed from a log) does not reveal the path
// and owner of a lock in a folder they cannot see, nor release it.
func (s *Share) davLockInReach(ctx context.Context, a *kernel.Actor, token string) (*store.DavLock, error) {
	l, err := s.k.Reader().DavLock(ctx, a.TenantID(), token)
	if err != nil {
		return nil, err
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(l.Root, "/"), "/")
	if login, ok := strings.CutPrefix(seg, "~"); ok {
		_, err = s.DavUserSpace(a, login)
	} else {
		_, _, err = s.DavLetterSpace(ctx, a, seg, true)
	}
	if err != nil {
		return nil, fmt.Errorf("verrou %s: %w", token, kernel.ErrNotFound)
	}
	return l, nil
}

// DavRefresh extends a lock the actor may write under.
func (s *Share) DavRefresh(ctx context.Context, a *kernel.Actor, token string, timeout time.Duration) (*store.DavLock, error) {
	if _, err := s.davLockInReach(ctx, a, token); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindDavRefresh, a.TenantID(), a.ID(), DavRefresh{Token: token, TimeoutS: lockSeconds(timeout)})
	if err != nil {
		return nil, err
	}
	return v.(*store.DavLock), nil
}

// DavUnlock removes a lock by its token: presenting the token is the proof
// of holding it (RFC 4918 §9.11), in a folder the actor may write.
func (s *Share) DavUnlock(ctx context.Context, a *kernel.Actor, token string) error {
	if _, err := s.davLockInReach(ctx, a, token); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindDavUnlock, a.TenantID(), a.ID(), DavUnlock{Token: token})
	return err
}

// DavBreakLock removes someone else's lock (administrators).
func (s *Share) DavBreakLock(ctx context.Context, a *kernel.Actor, token string) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindDavUnlock, a.TenantID(), a.ID(), DavUnlock{Token: token, Break: true})
	return err
}

// DavLocks lists the live locks of the actor's tenant at this instant.
func (s *Share) DavLocks(ctx context.Context, tenant string) ([]store.DavLock, error) {
	all, err := s.k.Reader().DavLocks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	now := s.k.Now().UTC().Format(domain.TimeLayout)
	out := all[:0]
	for _, l := range all {
		if !l.Expired(now) {
			out = append(out, l)
		}
	}
	return out, nil
}

// RestoreVersion makes an old version of a letter's document its newest.
func (s *Share) RestoreVersion(ctx context.Context, a *kernel.Actor, letterID, documentID string, version int) (*domain.Document, error) {
	l, err := s.k.LetterToAct(ctx, a, letterID)
	if err != nil {
		return nil, err
	}
	if err := s.DavDocumentLocked(ctx, a.TenantID(), l, documentID); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindDocumentRestore, a.TenantID(), a.ID(), DocumentRestore{LetterID: l.ID, DocumentID: documentID, Version: version})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Document), nil
}

// DavNode reads one node of a working folder and its properties, without
// reading the whole space: a GET or PUT of one file costs one lookup.
// (nil, nil, nil) when absent.
func (s *Share) DavNode(ctx context.Context, t *DavTarget, p string) (*store.DavNode, []store.DavProp, error) {
	r := s.k.Reader()
	props, err := r.DavProps(ctx, t.Space, p)
	if err != nil {
		return nil, nil, err
	}
	if p == "/" {
		return &store.DavNode{Space: t.Space, Path: "/", Dir: true}, props, nil
	}
	n, err := r.DavNode(ctx, t.Space, p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return n, props, nil
}

// DavAdminLocks lists the live locks of the actor's tenant (administrators).
func (s *Share) DavAdminLocks(ctx context.Context, a *kernel.Actor) ([]store.DavLock, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	locks, err := s.DavLocks(ctx, a.TenantID())
	if locks == nil && err == nil {
		locks = []store.DavLock{}
	}
	return locks, err
}

// RestoreDocumentVersion is RestoreVersion by document alone.
func (s *Share) RestoreDocumentVersion(ctx context.Context, a *kernel.Actor, documentID string, version int) (*domain.Document, error) {
	d, err := s.h.Document(ctx, a, documentID)
	if err != nil {
		return nil, err
	}
	return s.RestoreVersion(ctx, a, d.LetterID, d.ID, version)
}

// DavDocumentLocked refuses a new version of a letter's document, made
// outside the share (upload, restore), while someone holds a WebDAV lock on
// it: their next save would silently overwrite it. The facade hands it to
// the letters code as its document guard.
func (s *Share) DavDocumentLocked(ctx context.Context, tenant string, l *domain.Letter, documentID string) error {
	locks, err := s.DavLocks(ctx, tenant)
	if err != nil || len(locks) == 0 {
		return err
	}
	t := &DavTarget{Space: "l:" + l.ID, LetterID: l.ID, Prefix: "/" + DavLetterFolder(l.Number)}
	ls, err := s.DavList(ctx, t)
	if err != nil {
		return err
	}
	p, ok := ls.Paths[documentID]
	if !ok {
		return nil
	}
	for _, lk := range locks {
		if lk.Covers(t.Name(p)) {
			return fmt.Errorf("%w: %s est en cours de modification dans un éditeur (verrou WebDAV)", ErrLocked, strings.TrimPrefix(p, "/"))
		}
	}
	return nil
}
