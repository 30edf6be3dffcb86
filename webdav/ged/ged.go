// Package ged exports closed letters to a tenant's GED (Nextcloud, Alfresco:
// any WebDAV folder) with github.com/studio-b12/gowebdav. It owns the
// exporter: it takes due rows of the durable queue (ged_exports), uploads
// the letter's main documents, its answer and metadata.json/metadata.csv
// into <year>/<number-with-dashes>/ under the tenant's folder, and commits
// each outcome through appliance.Service. It writes only through commands.
//
// Invariants:
//   - An export row exists iff it was committed: closing a letter queues it
//     in the same command (QueueOnClose in package appliance/ged, the
//     letters' "on close" hook), so a crash never loses one.
//   - Effects run on the leader only, one export at a time, and each outcome
//     is committed before the next export starts. A crash between the upload
//     and the commit uploads again: every file goes to the same path and is
//     overwritten, so a re-upload is harmless (idempotent).
//   - The metadata files are uploaded last: their presence in the GED means
//     that the documents they describe are complete.
//   - A failed attempt is retried with backoff (RetryBase doubling to
//     RetryMax) up to MaxAttempts, then the export is "failed" and shown on
//     the letter; setting the target again queues failed exports anew, so a
//     wrong password loses nothing.
package ged

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/studio-b12/gowebdav"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/store"
)

// Options tunes the exporter; the zero value of a field means its default.
type Options struct {
	// RetryBase is the first retry delay; it doubles up to RetryMax.
	// MaxAttempts attempts later, the export is failed.
	RetryBase   time.Duration
	RetryMax    time.Duration
	MaxAttempts int
	// Interval is how often the queue is looked at without a kick.
	Interval time.Duration
	// Timeout bounds one HTTP request to the GED.
	Timeout time.Duration
	// Transport reaches the GED (nil: a clone of http.DefaultTransport),
	// e.g. to trust an intercommunal CA.
	Transport http.RoundTripper
	// Leader says whether this node runs the effects; nil means always.
	Leader func() bool
	// LeaderChanged, when set, returns a channel closed at the next change
	// of leadership: exports resume on a new leader at once.
	LeaderChanged func() <-chan struct{}
}

func (o *Options) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.RetryBase, time.Minute)
	def(&o.RetryMax, 6*time.Hour)
	def(&o.Interval, 5*time.Second)
	def(&o.Timeout, 10*time.Minute)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if o.Leader == nil {
		o.Leader = func() bool { return true }
	}
}

// service is what the exporter needs of the appliance: it works for no
// user, so it reads through System() (the export queue, the letters and
// their files) and records each outcome with a command. *appliance.Service
// implements it.
type service interface {
	System() appliance.SystemReader
	OpenSecret(purpose, stored string) (string, error)
	RecordGEDExportResult(ctx context.Context, tenant string, res appliance.GEDExportResult) error
}

var _ service = (*appliance.Service)(nil)

// Exporter is the GED exporter of one node.
type Exporter struct {
	svc service
	// now is the Service's clock, which tests replace.
	now  func() time.Time
	log  *slog.Logger
	opt  Options
	kick chan struct{}
}

// New builds an exporter; Run starts it.
func New(svc *appliance.Service, log *slog.Logger, opt Options) *Exporter {
	opt.defaults()
	return &Exporter{svc: svc, now: func() time.Time { return svc.Now() }, log: log, opt: opt, kick: make(chan struct{}, 1)}
}

// Kick wakes the exporter: something was queued.
func (e *Exporter) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Run exports what the queue holds until ctx ends, on the leader only.
func (e *Exporter) Run(ctx context.Context) {
	t := time.NewTicker(e.opt.Interval)
	defer t.Stop()
	for {
		var changed <-chan struct{}
		if e.opt.LeaderChanged != nil {
			changed = e.opt.LeaderChanged()
		}
		if e.opt.Leader() {
			if err := e.ExportDue(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("ged export", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		case <-changed:
		}
	}
}

// ExportDue runs every queued export whose time has come.
func (e *Exporter) ExportDue(ctx context.Context) error {
	r := e.svc.System()
	for ctx.Err() == nil {
		now := e.now().UTC().Format(domain.TimeLayout)
		due, err := r.GEDExportsDue(ctx, now, 20)
		if err != nil {
			return fmt.Errorf("read export queue: %w", err)
		}
		progress := false
		for i := range due {
			x := &due[i]
			target, err := r.GEDTarget(ctx, x.TenantID)
			if err != nil {
				// No target (any more): the export waits for one without
				// burning its attempts.
				continue
			}
			res := e.exportOne(ctx, target, x)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := e.svc.RecordGEDExportResult(ctx, x.TenantID, res); err != nil && !errors.Is(err, appliance.ErrConflict) {
				return fmt.Errorf("record export %s: %w", x.ID, err)
			}
			progress = true
		}
		if !progress {
			return nil
		}
	}
	return ctx.Err()
}

func (e *Exporter) exportOne(ctx context.Context, target *store.GEDTarget, x *store.GEDExport) appliance.GEDExportResult {
	res := appliance.GEDExportResult{ID: x.ID, Attempts: x.Attempts + 1}
	loc, files, err := e.Upload(ctx, target, x.LetterID)
	if err == nil {
		b, _ := json.Marshal(files)
		res.Status, res.Location, res.Files = appliance.GEDDone, loc, string(b)
		e.log.Info("letter exported to GED", "tenant", x.TenantID, "letter", x.LetterID, "export", x.ID, "location", loc, "files", len(files))
		return res
	}
	res.Error = truncate(err.Error(), 500)
	if res.Attempts >= e.opt.MaxAttempts {
		res.Status = appliance.GEDFailed
		e.log.Error("GED export failed", "tenant", x.TenantID, "letter", x.LetterID, "export", x.ID, "attempts", res.Attempts, "err", err)
		return res
	}
	delay := e.opt.RetryBase << (res.Attempts - 1)
	if delay > e.opt.RetryMax || delay <= 0 {
		delay = e.opt.RetryMax
	}
	res.Status = appliance.GEDQueued
	res.NextTry = e.now().Add(delay).UTC().Format(domain.TimeLayout)
	e.log.Warn("GED export deferred", "tenant", x.TenantID, "letter", x.LetterID, "export", x.ID, "attempts", res.Attempts, "retry_in", delay, "err", err)
	return res
}

// File is one uploaded file, as recorded on the export row.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Folder is a letter's folder under the target: <year>/<number-with-dashes>/.
func Folder(number string) string {
	year, _, _ := strings.Cut(number, "/")
	return year + "/" + strings.ReplaceAll(number, "/", "-") + "/"
}

// Upload puts a letter's files into its folder of the target and returns
// the folder's URL and what was uploaded. It changes nothing in Missive.
func (e *Exporter) Upload(ctx context.Context, target *store.GEDTarget, letterID string) (string, []File, error) {
	r := e.svc.System()
	l, err := r.Letter(ctx, target.TenantID, letterID)
	if err != nil {
		return "", nil, err
	}
	docs, err := r.Documents(ctx, l.ID)
	if err != nil {
		return "", nil, fmt.Errorf("documents of %s: %w", l.Number, err)
	}
	meta, err := e.metadata(ctx, target.TenantID, l)
	if err != nil {
		return "", nil, err
	}
	secret, err := e.svc.OpenSecret("ged", target.Secret)
	if err != nil {
		return "", nil, fmt.Errorf("GED password: %w", err)
	}
	c := gowebdav.NewClient(target.URL, target.Username, secret)
	c.SetTimeout(e.opt.Timeout)
	c.SetTransport(ctxTransport{ctx: ctx, base: e.opt.Transport})
	folder := Folder(l.Number)
	if err := c.MkdirAll(folder, 0o755); err != nil {
		return "", nil, explain("create folder "+folder, err)
	}
	used := map[string]bool{"metadata.json": true, "metadata.csv": true}
	var files []File
	for _, p := range pick(docs, l.Number) {
		v := p.doc.Versions[len(p.doc.Versions)-1]
		name := uniqueName(used, p.doc.Name, p.role)
		if err := e.put(c, folder+name, v); err != nil {
			return "", nil, err
		}
		files = append(files, File{Name: name, SHA256: v.SHA256, Size: v.Size})
		meta.Fichiers = append(meta.Fichiers, FileMeta{Nom: name, Role: p.role, Version: v.Version, Taille: v.Size, TypeMIME: v.MIME,
			Empreinte: Empreinte{Algorithme: "SHA-256", Valeur: v.SHA256}})
	}
	meta.DateExport = e.now().UTC().Format(time.RFC3339)
	for _, m := range []struct {
		name string
		body []byte
	}{{"metadata.json", meta.JSON()}, {"metadata.csv", meta.CSV()}} {
		if err := c.Write(folder+m.name, m.body, 0o644); err != nil {
			return "", nil, explain("upload "+folder+m.name, err)
		}
		sum := sha256.Sum256(m.body)
		files = append(files, File{Name: m.name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(m.body))})
	}
	return location(target.URL, folder), files, nil
}

// put uploads one version from the blob store, checking on the way that the
// blob still has the content its name promises.
func (e *Exporter) put(c *gowebdav.Client, p string, v domain.Version) error {
	f, err := e.svc.System().OpenBlob(v.SHA256)
	if err != nil {
		return fmt.Errorf("open blob %s: %w", v.SHA256, err)
	}
	defer f.Close()
	h := sha256.New()
	if err := c.WriteStreamWithLength(p, io.TeeReader(f, h), v.Size, 0o644); err != nil {
		return explain("upload "+p, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != v.SHA256 {
		return fmt.Errorf("upload %s: blob %s read back as %s", p, v.SHA256, got)
	}
	return nil
}

type picked struct {
	doc  *domain.Document
	role string
}

// pick chooses what is exported: every main document, and the answer. The
// answer is the final answer in PDF that the drafts make (a draft named
// reponse-<numéro>.pdf), else a document marked final (role "final" or
// "answer"), else the newest reply draft in PDF, else the newest reply
// draft. Attachments stay in Missive.
func pick(docs []domain.Document, number string) []picked {
	var out []picked
	var named, final, pdf, draft *domain.Document
	newer := func(a, b *domain.Document) bool {
		return b == nil || a.Versions[len(a.Versions)-1].CreatedAt >= b.Versions[len(b.Versions)-1].CreatedAt
	}
	for i := range docs {
		d := &docs[i]
		if len(d.Versions) == 0 {
			continue
		}
		switch d.Role {
		case domain.DocMain:
			out = append(out, picked{d, "document_principal"})
		case "final", "answer":
			if newer(d, final) {
				final = d
			}
		case domain.DocDraft:
			if d.Name == drafts.DraftName(number, ".pdf") {
				named = d
			}
			if d.Versions[len(d.Versions)-1].MIME == "application/pdf" && newer(d, pdf) {
				pdf = d
			}
			if newer(d, draft) {
				draft = d
			}
		}
	}
	for _, d := range []*domain.Document{named, final, pdf, draft} {
		if d != nil {
			return append(out, picked{d, "reponse"})
		}
	}
	return out
}

// uniqueName keeps a document's name in the folder unless it is taken (two
// documents of one name, or "metadata.json"), then prefixes its role.
func uniqueName(used map[string]bool, name, role string) string {
	if name == "" {
		name = "document"
	}
	n := name
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%s-%d-%s", role, i-1, name)
	}
	used[n] = true
	return n
}

func (e *Exporter) metadata(ctx context.Context, tenant string, l *domain.Letter) (*Metadata, error) {
	r := e.svc.System()
	m := &Metadata{Identifiant: l.ID, NumeroChrono: l.Number, Objet: l.Subject, Categorie: categories[l.Category], Canal: channels[l.Channel],
		ServiceProducteur: l.EntityName, Expediteur: l.SenderName, Destinataire: l.RecipientName, TypeDeCourrier: l.DoctypeLabel,
		DateCourrier: l.LetterDate, DateArrivee: l.ArrivalDate, DateEnregistrement: l.CreatedAt, DateLimite: l.DueDate, DateCloture: l.ClosedAt,
		Confidentiel: l.Confidential, Fichiers: []FileMeta{}}
	t, err := r.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	m.Commune = t.Name
	if l.DoctypeID != "" {
		dt, err := r.Doctype(ctx, tenant, l.DoctypeID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			m.retention(dt, l.ClosedAt)
		}
	}
	if l.EntityID != "" {
		ent, err := r.Entity(ctx, tenant, l.EntityID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			m.ServiceProducteur, m.CodeServiceProducteur = ent.Name, ent.Code
		}
	}
	return m, nil
}

// location is the folder's URL, with its segments escaped.
func location(base, folder string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base + folder
	}
	u.Path = path.Join(u.Path, folder) + "/"
	u.RawPath = ""
	return u.String()
}

// explain turns a WebDAV status into words an administrator can act on.
func explain(what string, err error) error {
	switch {
	case gowebdav.IsErrCode(err, http.StatusUnauthorized), gowebdav.IsErrCode(err, http.StatusForbidden):
		return fmt.Errorf("%s: accès refusé par la GED: vérifiez l'identifiant et le mot de passe (missive ged set): %w", what, err)
	case gowebdav.IsErrCode(err, http.StatusNotFound), gowebdav.IsErrCode(err, http.StatusConflict):
		return fmt.Errorf("%s: dossier introuvable dans la GED: vérifiez l'adresse (missive ged set): %w", what, err)
	case gowebdav.IsErrCode(err, http.StatusInsufficientStorage):
		return fmt.Errorf("%s: la GED est pleine (quota): %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ctxTransport ends the exporter's requests with its context: gowebdav
// takes none, and a shutdown must not wait for a slow GED.
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
