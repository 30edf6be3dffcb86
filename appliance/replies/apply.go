package replies

import (
	"fmt"

	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// ApplyHooks are what the replies' apply code takes from the letters'.
type ApplyHooks struct {
	// Attach adds a document, or a version of one, to a letter: a draft
	// is an ordinary document of its letter, written as letters writes
	// every document.
	Attach func(a *kernel.Ctx, p *kernel.LetterAttach) (*domain.Document, error)
}

// Register returns the function that registers the apply function of each
// kind below with a registry.
func Register(h ApplyHooks) func(*kernel.Registry) {
	return func(r *kernel.Registry) {
		kernel.Handle(r, KindDraftTemplateAdd, applyDraftTemplateAdd)
		kernel.Handle(r, KindDraftTemplateDelete, applyDraftTemplateDelete)
		kernel.Handle(r, KindLetterDraft, func(a *kernel.Ctx, p *LetterDraft) (any, error) { return applyLetterDraft(a, p, h) })
	}
}

// DraftExistsError means the letter has its reply draft already:
// DocumentID is that draft.
type DraftExistsError struct{ DocumentID, Name string }

func (e *DraftExistsError) Error() string {
	return "le courrier a déjà son projet de réponse " + e.Name
}
func (e *DraftExistsError) Is(target error) bool { return target == kernel.ErrConflict }

func applyLetterDraft(a *kernel.Ctx, p *LetterDraft, h ApplyHooks) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := kernel.CheckOpen(l); err != nil {
		return nil, err
	}
	if !p.NewDoc || p.Role != string(domain.DocDraft) || (p.Name != drafts.DraftName(l.Number, drafts.ODT.Ext()) && p.Name != drafts.DraftName(l.Number, drafts.DOCX.Ext())) {
		return nil, fmt.Errorf("%w: projet de réponse mal formé", kernel.ErrInvalid)
	}
	// Checked here, in log order: two agents (or one double click) may
	// stamp a draft for the letter at once; the first applied wins.
	docs, err := a.Tx.Documents(a.Ctx, l.ID)
	if err != nil {
		return nil, err
	}
	if d := replyDraft(docs, l.Number); d != nil {
		return nil, &DraftExistsError{DocumentID: d.ID, Name: d.Name}
	}
	d, err := h.Attach(a, &p.LetterAttach)
	if err != nil {
		return nil, err
	}
	a.Summary = "Projet de réponse « " + d.Name + " » créé depuis le modèle « " + p.Template + " »"
	// The whole answer, path and template included: what an idempotency
	// key records is what the agent is told.
	return &Draft{Document: d, Created: true, Template: p.Template, Path: drafts.DAVPath(a.Cmd.Tenant, l.Number, d.Name)}, nil
}

func applyDraftTemplateAdd(a *kernel.Ctx, p *DraftTemplateAdd) (any, error) {
	if p.Format != "odt" && p.Format != "docx" {
		return nil, fmt.Errorf("%w: format de modèle %q inconnu (odt ou docx)", kernel.ErrInvalid, p.Format)
	}
	if !blob.ValidHash(p.SHA256) || p.Name == "" || p.ID == "" {
		return nil, fmt.Errorf("%w: modèle incomplet", kernel.ErrInvalid)
	}
	if p.EntityID != "" {
		if _, err := a.Tx.Entity(a.Ctx, a.Cmd.Tenant, p.EntityID); err != nil {
			return nil, err
		}
	}
	if p.DoctypeID != "" {
		if _, err := a.Tx.Doctype(a.Ctx, a.Cmd.Tenant, p.DoctypeID); err != nil {
			return nil, err
		}
	}
	t := &store.DraftTemplate{ID: p.ID, TenantID: a.Cmd.Tenant, Name: p.Name, Format: p.Format, EntityID: p.EntityID, DoctypeID: p.DoctypeID,
		FileName: p.FileName, SHA256: p.SHA256, Size: p.Size, Fields: p.Fields, CreatedAt: a.At, CreatedBy: a.Cmd.Actor}
	if err := kernel.Conflict(a.Tx.InsertDraftTemplate(t), "le modèle "+p.ID+" existe déjà"); err != nil {
		return nil, err
	}
	a.Summary = "Modèle de réponse « " + p.Name + " » ajouté"
	return t, nil
}

func applyDraftTemplateDelete(a *kernel.Ctx, p *DraftTemplateDelete) (any, error) {
	t, err := a.Tx.DraftTemplate(a.Ctx, a.Cmd.Tenant, p.ID)
	if err != nil {
		return nil, err
	}
	// The file stays in the blob store: drafts made from it do not
	// reference it, and blobs are immutable and shared.
	if err := a.Tx.DeleteDraftTemplate(a.Cmd.Tenant, p.ID); err != nil {
		return nil, err
	}
	a.Summary = "Modèle de réponse « " + t.Name + " » supprimé"
	return nil, nil
}
