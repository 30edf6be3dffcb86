package share

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/webdav"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// Kinds of the first path segment under a tenant.
const (
	kindUser = iota + 1
	kindLetter
	kindTemplates
)

// reqState is one request's view of the share: who asks, the spaces it
// touched (read once per request) and the lock tokens it presented.
type reqState struct {
	h      *Handler
	ctx    context.Context
	method string
	actor  *appliance.Actor
	tenant string
	tokens []string
	// length and bodyErr describe a PUT's content as received.
	length  int64
	bodyErr error
	// status replaces x/net/webdav's error status (see statusWriter).
	status  int
	targets map[string]*target
	views   map[string]*view
}

// target is a resolved first segment: a space, or the templates folder.
type target struct {
	kind   int
	t      *appliance.DavTarget
	letter *domain.Letter
	canW   bool
	err    error
}

// split cuts a share name "/seg/rest" into its first segment and the path
// inside that space ("/" for the space's root). The tenant's root is "".
func split(name string) (string, string) {
	name = path.Clean("/" + name)
	if name == "/" {
		return "", "/"
	}
	seg, rest, _ := strings.Cut(name[1:], "/")
	return seg, "/" + rest
}

// target resolves and remembers a first segment.
func (st *reqState) target(seg string) *target {
	if t, ok := st.targets[seg]; ok {
		return t
	}
	t := &target{}
	switch {
	case seg == TemplatesFolder:
		t.kind = kindTemplates
	case strings.HasPrefix(seg, "~"):
		t.kind = kindUser
		t.t, t.err = st.h.svc.DavUserSpace(st.actor, seg[1:])
		t.canW = t.err == nil && st.actor.Role() != domain.RoleElected
	default:
		t.kind = kindLetter
		t.t, t.letter, t.err = st.h.svc.DavLetterSpace(st.ctx, st.actor, seg, false)
		if t.err == nil {
			_, _, werr := st.h.svc.DavLetterSpace(st.ctx, st.actor, seg, true)
			t.canW = werr == nil
		}
	}
	st.targets[seg] = t
	return t
}

// check says whether the actor may read (or write) the space named seg:
// 0 when allowed, else the status and message to answer.
func (st *reqState) check(seg string, write bool) (int, string) {
	if seg == "" {
		if write {
			return http.StatusForbidden, "la racine du partage est en lecture seule"
		}
		return 0, ""
	}
	t := st.target(seg)
	switch {
	case t.err != nil && errors.Is(t.err, appliance.ErrNotFound):
		return http.StatusNotFound, "dossier introuvable"
	case t.err != nil && appliance.IsUnavailable(t.err):
		return http.StatusServiceUnavailable, "service momentanément indisponible : " + appliance.UnavailableReason(t.err) + " ; réessayez"
	case t.err != nil:
		return statusOf(t.err), "accès refusé"
	case t.kind == kindTemplates && write:
		return http.StatusForbidden, "le dossier des modèles est en lecture seule"
	case write && !t.canW && t.kind != kindTemplates:
		return http.StatusForbidden, "vous ne pouvez pas modifier ce dossier"
	}
	return 0, ""
}

// fail records the status a Service error means and returns an error that
// x/net/webdav understands (not-exist for ErrNotFound).
func (st *reqState) fail(err error) error {
	st.status = statusOf(err)
	if st.status == http.StatusNotFound {
		return fmt.Errorf("%w: %v", os.ErrNotExist, err)
	}
	return err
}

// deny refuses a change to a read-only place.
func (st *reqState) deny() error {
	st.status = http.StatusForbidden
	return os.ErrPermission
}

// entry is a file or folder of a space as the share shows it.
type entry struct {
	path  string
	dir   bool
	size  int64
	mod   time.Time
	sha   string
	mime  string
	docID string
	loose bool // a letter's document without a node
	props []domain.DavProp
	// lazyProps: props were not read (a space's root found without its view).
	lazyProps bool
}

func (e *entry) name() string { return path.Base(e.path) }

// view is a whole space, read once for the request.
type view struct {
	entries  map[string]*entry
	children map[string][]*entry
}

func parseTime(s string) time.Time {
	t, err := time.Parse(domain.TimeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func newView() *view {
	v := &view{entries: map[string]*entry{}, children: map[string][]*entry{}}
	v.entries["/"] = &entry{path: "/", dir: true}
	return v
}

func (v *view) add(e *entry) {
	v.entries[e.path] = e
	parent := store.DavParent(e.path)
	v.children[parent] = append(v.children[parent], e)
}

func (v *view) sort() {
	for _, c := range v.children {
		sort.Slice(c, func(i, j int) bool { return c[i].path < c[j].path })
	}
}

// view reads a space, or returns the one read earlier in this request.
func (st *reqState) view(t *target) (*view, error) {
	key := "templates"
	if t.t != nil {
		key = t.t.Space
	}
	if v, ok := st.views[key]; ok {
		return v, nil
	}
	v := newView()
	if t.kind == kindTemplates {
		if st.h.Templates != nil {
			ts, err := st.h.Templates.DavTemplates(st.ctx, st.actor)
			if errors.Is(err, appliance.ErrForbidden) {
				// Read-only users (elected officials) see an empty folder.
				ts, err = nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("list templates: %w", err)
			}
			for _, tp := range ts {
				name := appliance.DavSafeName(tp.Name)
				if name == "" || v.entries["/"+name] != nil {
					continue
				}
				v.add(&entry{path: "/" + name, size: tp.Size, sha: tp.SHA256, mod: tp.ModTime, mime: mime.TypeByExtension(path.Ext(name))})
			}
		}
		v.sort()
		st.views[key] = v
		return v, nil
	}
	l, err := st.h.svc.DavList(st.ctx, t.t)
	if err != nil {
		return nil, err
	}
	v.entries["/"].props = l.Props["/"]
	for _, n := range l.Nodes {
		e := &entry{path: n.Path, dir: n.Dir, size: n.Size, sha: n.SHA256, mime: n.MIME, docID: n.DocumentID, mod: parseTime(n.ModifiedAt), props: l.Props[n.Path]}
		if d := l.Docs[n.DocumentID]; d != nil {
			last := d.Versions[len(d.Versions)-1]
			e.size, e.sha, e.mime = last.Size, last.SHA256, last.MIME
			if m := parseTime(last.CreatedAt); m.After(e.mod) {
				e.mod = m
			}
		}
		v.add(e)
	}
	for _, d := range l.Loose {
		p := l.Paths[d.ID]
		last := d.Versions[len(d.Versions)-1]
		v.add(&entry{path: p, size: last.Size, sha: last.SHA256, mime: last.MIME, docID: d.ID, loose: true, mod: parseTime(last.CreatedAt), props: l.Props[p]})
	}
	v.sort()
	st.views[key] = v
	return v, nil
}

// entry finds one path of a space: from the space read earlier in this
// request, or, in a working folder, by a lookup of that path alone.
func (st *reqState) entry(t *target, p string) (*entry, error) {
	key := "templates"
	if t.t != nil {
		key = t.t.Space
	}
	if v, ok := st.views[key]; ok || t.kind != kindUser {
		if !ok {
			var err error
			if v, err = st.view(t); err != nil {
				return nil, err
			}
		}
		return v.entries[p], nil
	}
	n, props, err := st.h.svc.DavNode(st.ctx, t.t, p)
	if err != nil || n == nil {
		return nil, err
	}
	return &entry{path: n.Path, dir: n.Dir, size: n.Size, sha: n.SHA256, mime: n.MIME, mod: parseTime(n.ModifiedAt), props: props}, nil
}

// changed forgets a space after a write, so that the rest of the request
// (a COPY's next file, a LOCK's Stat) sees it.
func (st *reqState) changed(t *target) { delete(st.views, t.t.Space) }

// lookup finds a share name: its target (nil for the tenant's root) and
// entry.
func (st *reqState) lookup(name string) (*target, string, *entry, error) {
	seg, rest := split(name)
	if seg == "" {
		return nil, "/", &entry{path: "/", dir: true}, nil
	}
	t := st.target(seg)
	if t.err != nil {
		if errors.Is(t.err, appliance.ErrNotFound) {
			return nil, "", nil, os.ErrNotExist
		}
		st.status = statusOf(t.err)
		return nil, "", nil, os.ErrPermission
	}
	if rest == "/" && t.kind != kindTemplates {
		// A space's root exists once its target resolved; reading the
		// whole space for it would make a PROPFIND of the tenant's root
		// read every letter. Its properties load on demand (DeadProps).
		if _, ok := st.views[t.t.Space]; !ok {
			mod := time.Now()
			if t.letter != nil {
				mod = parseTime(t.letter.CreatedAt)
			}
			return t, rest, &entry{path: "/", dir: true, mod: mod, lazyProps: true}, nil
		}
	}
	e, err := st.entry(t, rest)
	if err != nil {
		return nil, "", nil, err
	}
	if e == nil {
		return t, rest, nil, os.ErrNotExist
	}
	return t, rest, e, nil
}

// fileSystem is the share as x/net/webdav sees it, for one request.
type fileSystem struct{ st *reqState }

func (f *fileSystem) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	_, _, e, err := f.st.lookup(name)
	if err != nil {
		return nil, err
	}
	return f.info(name, e), nil
}

func (f *fileSystem) info(name string, e *entry) *fileInfo {
	n := path.Base(path.Clean("/" + name))
	return &fileInfo{name: n, e: e}
}

// writable returns the space of a name that may be written, or refuses.
func (f *fileSystem) writable(name string) (*target, string, error) {
	seg, rest := split(name)
	if seg == "" {
		return nil, "", f.st.deny()
	}
	if status, _ := f.st.check(seg, true); status != 0 {
		f.st.status = status
		if status == http.StatusNotFound {
			return nil, "", os.ErrNotExist
		}
		return nil, "", os.ErrPermission
	}
	return f.st.target(seg), rest, nil
}

func (f *fileSystem) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	t, rest, err := f.writable(name)
	if err != nil {
		return err
	}
	if e, err := f.st.entry(t, rest); err != nil {
		return err
	} else if e != nil {
		return os.ErrExist
	}
	if p, err := f.st.entry(t, store.DavParent(rest)); err != nil {
		return err
	} else if p == nil || !p.dir {
		return os.ErrNotExist
	}
	defer f.st.changed(t)
	if err := f.st.h.svc.DavMkcol(ctx, f.st.actor, t.t, rest, f.st.tokens); err != nil {
		return f.st.fail(err)
	}
	return nil
}

func (f *fileSystem) RemoveAll(ctx context.Context, name string) error {
	t, rest, err := f.writable(name)
	if err != nil {
		return err
	}
	if rest == "/" {
		return f.st.deny()
	}
	e, err := f.st.entry(t, rest)
	if err != nil || e == nil {
		return err
	}
	docID := ""
	if e.loose {
		docID = e.docID
	}
	defer f.st.changed(t)
	if err := f.st.h.svc.DavDelete(ctx, f.st.actor, t.t, rest, f.st.tokens, docID); err != nil {
		return f.st.fail(err)
	}
	return nil
}

func (f *fileSystem) Rename(ctx context.Context, oldName, newName string) error {
	t, from, err := f.writable(oldName)
	if err != nil {
		return err
	}
	t2, to, err := f.writable(newName)
	if err != nil {
		return err
	}
	if t2 != t || from == "/" || to == "/" {
		return f.st.deny()
	}
	e, err := f.st.entry(t, from)
	if err != nil {
		return err
	}
	if e == nil {
		return os.ErrNotExist
	}
	if p, err := f.st.entry(t, store.DavParent(to)); err != nil {
		return err
	} else if p == nil || !p.dir {
		f.st.status = http.StatusConflict
		return os.ErrNotExist
	}
	docID := ""
	if e.loose {
		docID = e.docID
	}
	defer f.st.changed(t)
	if err := f.st.h.svc.DavMove(ctx, f.st.actor, t.t, from, to, f.st.tokens, docID); err != nil {
		return f.st.fail(err)
	}
	return nil
}

func (f *fileSystem) OpenFile(ctx context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	if flag&os.O_CREATE != 0 {
		return f.create(ctx, name)
	}
	t, rest, e, err := f.st.lookup(name)
	if err != nil {
		return nil, err
	}
	return &file{fs: f, name: name, t: t, rest: rest, e: e}, nil
}

// create opens a file for writing: the content streams to the blob store
// while the client sends it; Close proposes the command.
func (f *fileSystem) create(ctx context.Context, name string) (webdav.File, error) {
	t, rest, err := f.writable(name)
	if err != nil {
		return nil, err
	}
	if rest == "/" {
		return nil, f.st.deny()
	}
	e, err := f.st.entry(t, rest)
	if err != nil {
		return nil, err
	}
	if e != nil && e.dir {
		f.st.status = http.StatusMethodNotAllowed
		return nil, os.ErrExist
	}
	if p, err := f.st.entry(t, store.DavParent(rest)); err != nil {
		return nil, err
	} else if p == nil || !p.dir {
		return nil, os.ErrNotExist
	}
	pr, pw := io.Pipe()
	w := &writeFile{fs: f, t: t, rest: rest, name: name, pw: pw, done: make(chan struct{})}
	if e != nil && e.loose {
		w.docID = e.docID
	}
	go func() {
		defer close(w.done)
		w.blob, w.err = f.st.h.svc.DavStore(path.Base(rest), pr)
		// Unblock a writer still sending after a refusal (too large).
		pr.CloseWithError(w.err)
	}()
	return w, nil
}

// rootEntries are the folders of a tenant's root: the actor's working
// folder, the templates and one folder per open letter they may act on.
func (st *reqState) rootEntries() ([]*entry, error) {
	now := time.Now()
	es := []*entry{{path: "/~" + st.actor.User.Login, dir: true, mod: now}, {path: "/" + TemplatesFolder, dir: true, mod: now}}
	if st.actor.Role() == domain.RoleElected {
		return es, nil
	}
	ls, _, err := st.h.svc.Letters(st.ctx, st.actor, store.LetterFilter{Sort: "", Desc: true, Limit: maxLetterFolders})
	if err != nil {
		return nil, fmt.Errorf("list letter folders: %w", err)
	}
	a := st.actor
	for _, l := range ls {
		if l.Status == domain.StatusClosed {
			continue
		}
		if !(a.IsAdmin() || a.Role() == domain.RoleMailroom || l.AssigneeID == a.ID() || a.InEntity(l.EntityID)) {
			continue
		}
		folder := appliance.DavLetterFolder(l.Number)
		es = append(es, &entry{path: "/" + folder, dir: true, mod: parseTime(l.CreatedAt)})
		if _, ok := st.targets[folder]; !ok {
			// Listed because the actor may act on it: the PROPFIND that
			// follows need not resolve each folder again.
			lc := l
			st.targets[folder] = &target{kind: kindLetter, letter: &lc, canW: true,
				t: &appliance.DavTarget{Space: "l:" + l.ID, LetterID: l.ID, Prefix: "/" + folder}}
		}
	}
	return es, nil
}
