// Package replies owns the answers to letters: the reply templates an
// administrator uploads, the draft merged from the best template for a
// letter, the final answer in PDF (LibreOffice), and the OnlyOffice
// editor's signed configuration for a document. The files themselves are
// handled by appliance/drafts and appliance/docserver; here are the rules
// and the Commands.
package replies

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Replies is the answers' side of the appliance. The facade embeds it, so
// that its methods are the Service's and svc.Office is its converter.
type Replies struct {
	k *kernel.Kernel
	h Hooks
	// Office converts final answers to PDF with LibreOffice; tests point
	// it at a missing soffice.
	Office *drafts.Converter
}

// Hooks are what replies takes from the letters code, which stays in the
// facade's package: replies imports no other feature.
type Hooks struct {
	// Document reads a document through its letter's perimeter: the
	// OnlyOffice editor opens only what the actor sees.
	Document func(ctx context.Context, a *kernel.Actor, id string) (*domain.Document, error)
	// AttachDocument proposes the letters' command that adds a document,
	// or a version of one, to a letter: the final answer is one.
	AttachDocument func(ctx context.Context, a *kernel.Actor, p kernel.LetterAttach) (*domain.Document, error)
	// ServiceInCharge resolves, among a tenant's entities, the service
	// that answers a letter and how the public reaches it (the mail room
	// when entityID is ""): the organisation's rule, which drafts print.
	ServiceInCharge func(t *domain.Tenant, ents []domain.Entity, entityID string) ServiceContact
}

// ServiceContact is the service in charge as a draft prints it.
type ServiceContact struct{ Name, Address, Phone, Email string }

// New makes the replies of an appliance, with one LibreOffice conversion
// at a time.
func New(k *kernel.Kernel, h Hooks) *Replies {
	return &Replies{k: k, h: h, Office: drafts.NewConverter(k.Log, 1)}
}

// DefaultTemplateID names the built-in template in lists and requests.
const DefaultTemplateID = "default"

// TemplateInput is an uploaded template.
type TemplateInput struct {
	Name      string
	EntityID  string
	DoctypeID string
	FileName  string
	Body      io.Reader
}

// DraftTemplates lists the tenant's templates, newest first (anyone who may
// write: the letter page offers them).
func (s *Replies) DraftTemplates(ctx context.Context, a *kernel.Actor) ([]store.DraftTemplate, error) {
	if err := kernel.CanWrite(a); err != nil {
		return nil, err
	}
	return s.k.Reader().DraftTemplates(ctx, a.TenantID())
}

// AddDraftTemplate checks an uploaded ODT or DOCX, stores it as a blob and
// records it (admin only).
func (s *Replies) AddDraftTemplate(ctx context.Context, a *kernel.Actor, in TemplateInput) (*store.DraftTemplate, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	fileName := kernel.SafeName(in.FileName)
	if in.Name == "" {
		in.Name = strings.TrimSuffix(fileName, "."+extOf(fileName))
	}
	kernel.CheckLen(errs, "name", in.Name, 200, true)
	r := s.k.Reader()
	if in.EntityID != "" {
		if _, err := r.Entity(ctx, a.TenantID(), in.EntityID); err != nil {
			errs["entity_id"] = "entité inconnue"
		}
	}
	if in.DoctypeID != "" {
		if _, err := r.Doctype(ctx, a.TenantID(), in.DoctypeID); err != nil {
			errs["doctype_id"] = "type de courrier inconnu"
		}
	}
	if in.Body == nil || fileName == "" {
		errs["file"] = "choisissez un fichier ODT ou DOCX"
		return nil, errs
	}
	b, err := io.ReadAll(io.LimitReader(in.Body, drafts.MaxTemplateSize+1))
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", fileName, err)
	}
	if len(b) > drafts.MaxTemplateSize {
		errs["file"] = fmt.Sprintf("modèle de plus de %d Mo", drafts.MaxTemplateSize>>20)
		return nil, errs
	}
	format, err := drafts.Detect(b)
	if err != nil {
		errs["file"] = err.Error()
		return nil, errs
	}
	// A trial merge proves the template opens and every part is readable
	// before it is offered to agents.
	if _, _, err := drafts.Merge(b, drafts.Values{}); err != nil {
		errs["file"] = err.Error()
		return nil, errs
	}
	fields, err := drafts.Placeholders(b)
	if err != nil {
		errs["file"] = err.Error()
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	sum, size, err := s.k.Blobs().Put(bytes.NewReader(b), 0)
	if err != nil {
		return nil, fmt.Errorf("store template %s: %w", fileName, err)
	}
	v, err := s.k.Propose(ctx, KindDraftTemplateAdd, a.TenantID(), a.ID(), DraftTemplateAdd{
		ID: kernel.NewID(), Name: in.Name, Format: string(format), EntityID: in.EntityID, DoctypeID: in.DoctypeID,
		FileName: fileName, SHA256: sum, Size: size, Fields: strings.Join(fields, " "),
	})
	if err != nil {
		return nil, fmt.Errorf("add template %s: %w", in.Name, err)
	}
	t := v.(*store.DraftTemplate)
	s.k.Log.Info("draft template added", "tenant", a.TenantID(), "template", t.ID, "name", t.Name, "format", t.Format, "actor", a.User.Login)
	return t, nil
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// DeleteDraftTemplate removes a template (admin only); drafts made from it
// are untouched.
func (s *Replies) DeleteDraftTemplate(ctx context.Context, a *kernel.Actor, id string) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	if _, err := s.k.Reader().DraftTemplate(ctx, a.TenantID(), id); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindDraftTemplateDelete, a.TenantID(), a.ID(), DraftTemplateDelete{ID: id})
	return err
}

// DraftTemplateFile opens a template's file; id "default" is the built-in one.
func (s *Replies) DraftTemplateFile(ctx context.Context, a *kernel.Actor, id string) (*store.DraftTemplate, []byte, error) {
	if err := kernel.CanWrite(a); err != nil {
		return nil, nil, err
	}
	if id == DefaultTemplateID {
		b := drafts.DefaultTemplate()
		return &store.DraftTemplate{ID: DefaultTemplateID, Name: drafts.DefaultName, Format: string(drafts.ODT), FileName: "modele-reponse.odt", Size: int64(len(b))}, b, nil
	}
	t, err := s.k.Reader().DraftTemplate(ctx, a.TenantID(), id)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.readBlob(t.SHA256, drafts.MaxTemplateSize)
	if err != nil {
		return nil, nil, fmt.Errorf("open template %s: %w", t.Name, err)
	}
	return t, b, nil
}

func (s *Replies) readBlob(sum string, limit int64) ([]byte, error) {
	f, err := s.k.Blobs().Open(sum)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s dépasse %d octets", kernel.ErrTooLarge, sum, limit)
	}
	return b, nil
}

// bestTemplate picks the template for a letter: for its entity and doctype,
// else for its entity, else for its doctype, else the tenant's general one,
// else nil (the built-in template). Among equals the newest wins.
func bestTemplate(ts []store.DraftTemplate, l *domain.Letter) *store.DraftTemplate {
	var best *store.DraftTemplate
	bestScore := 0
	for i := range ts {
		t := &ts[i]
		if (t.EntityID != "" && t.EntityID != l.EntityID) || (t.DoctypeID != "" && t.DoctypeID != l.DoctypeID) {
			continue
		}
		score := 1
		switch {
		case t.EntityID != "" && t.DoctypeID != "":
			score = 4
		case t.EntityID != "":
			score = 3
		case t.DoctypeID != "":
			score = 2
		}
		// ts is newest first: a strict > keeps the newest of a rank.
		if score > bestScore {
			best, bestScore = t, score
		}
	}
	return best
}

// Draft is the outcome of CreateDraft.
type Draft struct {
	Document *domain.Document `json:"document"`
	// Created is false when the letter already had its draft: it is
	// returned as it is, never replaced, since an agent may be editing it.
	Created  bool   `json:"created"`
	Template string `json:"template" doc:"Nom du modèle utilisé"`
	// Path is the draft's path on the WebDAV share.
	Path string `json:"path" doc:"Chemin du projet sur le partage WebDAV: /dav/<commune>/<numéro>/<fichier>"`
}

// isReplyFile says whether a document is the letter's reply draft or final
// answer of this extension (".odt", ".pdf"…): drafts are named after the
// letter, reponse-2026-A-000001.odt.
func isReplyFile(d *domain.Document, number, ext string) bool {
	return d.Role == domain.DocDraft && d.Name == drafts.DraftName(number, ext)
}

func replyDraft(docs []domain.Document, number string) *domain.Document {
	var found *domain.Document
	for i := range docs {
		d := &docs[i]
		if isReplyFile(d, number, drafts.ODT.Ext()) || isReplyFile(d, number, drafts.DOCX.Ext()) {
			found = d // documents are oldest first: keep the newest
		}
	}
	return found
}

// ReplyDocuments finds, among a letter's documents, its reply draft and
// the final answer made from it.
func ReplyDocuments(docs []domain.Document, number string) (draft, final *domain.Document) {
	draft = replyDraft(docs, number)
	for i := range docs {
		if isReplyFile(&docs[i], number, ".pdf") {
			final = &docs[i]
		}
	}
	return draft, final
}

// CreateDraft makes a letter's reply draft from a template (templateID, or
// the best one for the letter when "") and attaches it to the letter as a
// document of role "draft". A letter that has its draft already gets it
// back unchanged (Created false).
func (s *Replies) CreateDraft(ctx context.Context, a *kernel.Actor, letterID, templateID string) (*Draft, error) {
	l, err := s.k.LetterToAct(ctx, a, letterID)
	if err != nil {
		return nil, err
	}
	if l.Status == domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s est clos", kernel.ErrConflict, l.Number)
	}
	r := s.k.Reader()
	docs, err := r.Documents(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	if d := replyDraft(docs, l.Number); d != nil {
		return &Draft{Document: d, Path: drafts.DAVPath(a.TenantID(), l.Number, d.Name)}, nil
	}
	var tpl *store.DraftTemplate
	if templateID != "" && templateID != DefaultTemplateID {
		if tpl, err = r.DraftTemplate(ctx, a.TenantID(), templateID); err != nil {
			return nil, err
		}
	} else if templateID == "" {
		ts, err := r.DraftTemplates(ctx, a.TenantID())
		if err != nil {
			return nil, err
		}
		tpl = bestTemplate(ts, l)
	}
	src, name := drafts.DefaultTemplate(), drafts.DefaultName
	if tpl != nil {
		if src, err = s.readBlob(tpl.SHA256, drafts.MaxTemplateSize); err != nil {
			return nil, fmt.Errorf("open template %s: %w", tpl.Name, err)
		}
		name = tpl.Name
	}
	fields, err := s.draftFields(ctx, a, l)
	if err != nil {
		return nil, err
	}
	out, format, err := drafts.Merge(src, fields.Values())
	if err != nil {
		return nil, fmt.Errorf("merge template %s for %s: %w", name, l.Number, err)
	}
	sum, size, err := s.k.Blobs().Put(bytes.NewReader(out), s.k.MaxUpload)
	if errors.Is(err, blob.ErrTooLarge) {
		return nil, fmt.Errorf("%w: le projet dépasse la taille maximale de %d Mo", kernel.ErrTooLarge, s.k.MaxUpload>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("store draft of %s: %w", l.Number, err)
	}
	file := drafts.DraftName(l.Number, format.Ext())
	v, err := s.k.Propose(ctx, KindLetterDraft, a.TenantID(), a.ID(), LetterDraft{LetterAttach: kernel.LetterAttach{
		LetterID: l.ID, DocumentID: kernel.NewID(), NewDoc: true, Role: string(domain.DocDraft), Name: file, SHA256: sum, Size: size, MIME: format.MIME(),
	}, Template: name})
	var exists *DraftExistsError
	if errors.As(err, &exists) {
		// Someone else's draft was applied first: theirs is the draft.
		d, err := r.Document(ctx, a.TenantID(), exists.DocumentID)
		if err != nil {
			return nil, err
		}
		return &Draft{Document: d, Path: drafts.DAVPath(a.TenantID(), l.Number, d.Name)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("attach draft to %s: %w", l.Number, err)
	}
	s.k.Log.Info("reply draft created", "tenant", a.TenantID(), "letter", l.Number, "template", name, "file", file, "actor", a.User.Login)
	return v.(*Draft), nil
}

// draftFields gathers what a draft says (LetterFields), signed by the agent
// who makes it; a letter not yet given to a service is answered by the
// agent's first entity.
func (s *Replies) draftFields(ctx context.Context, a *kernel.Actor, l *domain.Letter) (drafts.Fields, error) {
	entityID := l.EntityID
	if entityID == "" && len(a.User.Entities) > 0 {
		entityID = a.User.Entities[0].EntityID
	}
	f, err := s.letterFields(ctx, a.TenantID(), l, entityID)
	if err != nil {
		return f, err
	}
	f.User = a.User.Name
	return f, nil
}

// LetterFields gathers what a reply draft or an acknowledgement says of a
// letter: the commune and how it is reached, the correspondent (the
// sender of an incoming letter, the recipient of an outgoing one), the
// letter and its doctype (delay, what silence is worth), the pieces asked
// of an incomplete request, and the service in charge with how the public
// reaches it (CRPA R112-5). l may be a letter being registered, not yet
// stored.
func (s *Replies) LetterFields(ctx context.Context, tenant string, l *domain.Letter) (drafts.Fields, error) {
	return s.letterFields(ctx, tenant, l, l.EntityID)
}

func (s *Replies) letterFields(ctx context.Context, tenant string, l *domain.Letter, entityID string) (drafts.Fields, error) {
	r := s.k.Reader()
	t, err := r.Tenant(ctx, tenant)
	if err != nil {
		return drafts.Fields{}, err
	}
	f := drafts.Fields{
		Tenant: t.Name, TenantAddress: t.Address, TenantPhone: t.Phone, TenantEmail: t.Email, TenantWebsite: t.Website,
		Number: l.Number, Subject: l.Subject, LetterDate: l.LetterDate, ArrivalDate: l.ArrivalDate, DueDate: l.DueDate,
		Today: s.k.Now().In(domain.Paris),
	}
	contactID := l.SenderID
	if l.Category == domain.Outgoing || contactID == "" {
		contactID = l.RecipientID
	}
	if contactID != "" {
		c, err := r.Contact(ctx, tenant, contactID)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return f, err
		}
		if c != nil {
			f.Civility, f.Organization = c.Civility, c.Organization
			f.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
			if f.Name == "" {
				f.Name = c.Organization
			}
			f.Address, f.Postcode, f.City, f.Country = c.Address, c.Postcode, c.City, c.Country
		}
	}
	if l.DoctypeID != "" {
		d, err := r.Doctype(ctx, tenant, l.DoctypeID)
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			return f, err
		}
		if d != nil {
			f.Doctype, f.Delay = d.Label, delayWords(d)
			f.Silence = map[domain.Mode]string{domain.ModeSVA: "acceptation", domain.ModeSVR: "rejet"}[d.Mode]
		}
	}
	if l.ID != "" {
		p, err := r.LetterPieces(ctx, l.ID)
		switch {
		case err == nil:
			f.MissingPieces, f.PiecesDeadline, f.PiecesAskedOn = p.MissingList(), p.Deadline, p.AskedOn
		case !errors.Is(err, kernel.ErrNotFound):
			return f, err
		}
	}
	ents, err := r.Entities(ctx, tenant)
	if err != nil {
		return f, err
	}
	sv := s.h.ServiceInCharge(t, ents, entityID)
	f.Entity, f.ServiceAddress, f.ServicePhone, f.ServiceEmail = sv.Name, sv.Address, sv.Phone, sv.Email
	return f, nil
}

// delayWords is a doctype's delay as a letter writes it: "2 mois",
// "15 jours ouvrés", "1 jour calendaire"; "" without a delay.
func delayWords(d *domain.Doctype) string {
	n := d.DelayDays
	if n <= 0 {
		return ""
	}
	switch d.DelayUnit {
	case domain.UnitMonths:
		return fmt.Sprintf("%d mois", n)
	case domain.UnitCalendarDays:
		if n == 1 {
			return "1 jour calendaire"
		}
		return fmt.Sprintf("%d jours calendaires", n)
	}
	if n == 1 {
		return "1 jour ouvré"
	}
	return fmt.Sprintf("%d jours ouvrés", n)
}

// FinalPDF converts the letter's reply draft, as last saved, to PDF with
// LibreOffice and attaches it (reponse-<numéro>.pdf, a new version when it
// exists). drafts.ErrNoOffice says LibreOffice is not installed.
func (s *Replies) FinalPDF(ctx context.Context, a *kernel.Actor, letterID string) (*domain.Document, error) {
	l, err := s.k.LetterToAct(ctx, a, letterID)
	if err != nil {
		return nil, err
	}
	if l.Status == domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s est clos", kernel.ErrConflict, l.Number)
	}
	docs, err := s.k.Reader().Documents(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	d := replyDraft(docs, l.Number)
	if d == nil {
		return nil, fmt.Errorf("%w: le courrier %s n'a pas de projet de réponse; créez-le d'abord", kernel.ErrConflict, l.Number)
	}
	if _, err := s.Office.Available(); err != nil {
		return nil, err
	}
	v := d.Versions[len(d.Versions)-1]
	src, err := s.readBlob(v.SHA256, s.k.MaxUpload)
	if err != nil {
		return nil, fmt.Errorf("open draft %s: %w", d.Name, err)
	}
	pdf, err := s.Office.ToPDF(ctx, src, d.Name)
	if err != nil {
		return nil, err
	}
	sum, size, err := s.k.Blobs().Put(bytes.NewReader(pdf), s.k.MaxUpload)
	if err != nil {
		return nil, fmt.Errorf("store final answer of %s: %w", l.Number, err)
	}
	p := kernel.LetterAttach{LetterID: l.ID, DocumentID: kernel.NewID(), NewDoc: true, Role: string(domain.DocDraft),
		Name: drafts.DraftName(l.Number, ".pdf"), SHA256: sum, Size: size, MIME: "application/pdf"}
	for i := range docs {
		if isReplyFile(&docs[i], l.Number, ".pdf") {
			p.DocumentID, p.NewDoc = docs[i].ID, false
		}
	}
	res, err := s.h.AttachDocument(ctx, a, p)
	if err != nil {
		return nil, fmt.Errorf("attach final answer to %s: %w", l.Number, err)
	}
	s.k.Log.Info("final answer generated", "tenant", a.TenantID(), "letter", l.Number, "draft_version", v.Version, "bytes", size, "actor", a.User.Login)
	return res, nil
}
