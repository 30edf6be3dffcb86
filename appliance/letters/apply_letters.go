package letters

import (
	"errors"
	"fmt"
	"strings"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

func copiesOf(ps []CopyPayload) []domain.Copy {
	out := make([]domain.Copy, len(ps))
	for i, c := range ps {
		out[i] = domain.Copy{Kind: c.Kind, Ref: c.Ref}
	}
	return out
}

func ApplyRegister(a *kernel.Ctx, p *LetterRegister) (any, error) {
	last, err := a.Tx.LastNum(a.Ctx, a.Cmd.Tenant, domain.Category(p.Category), p.Year)
	if err != nil {
		return nil, err
	}
	// The number was stamped before proposing; this check is what makes the
	// sequence gap-free and duplicate-free whatever happened in between.
	if p.Num != last+1 {
		return nil, fmt.Errorf("%w: %s (dernier: %d)", kernel.ErrNumberTaken, p.Number, last)
	}
	senderID := p.SenderID
	if p.NewSender != nil {
		// Two letters from the same new address may race: the first one
		// creates the contact, the second one uses it.
		existing, err := a.Tx.ContactByEmail(a.Ctx, a.Cmd.Tenant, p.NewSender.Email)
		switch {
		case p.NewSender.Email != "" && err == nil:
			senderID = existing.ID
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		default:
			if err := a.Tx.InsertContact(a.Cmd.Tenant, kernel.ContactFrom(p.NewSender, a.At)); err != nil {
				return nil, fmt.Errorf("create sender: %w", err)
			}
			senderID = p.NewSender.ID
		}
	}
	l := &domain.Letter{
		ID: p.ID, Number: p.Number, Category: domain.Category(p.Category), Subject: p.Subject, Body: p.Body,
		LetterDate: p.LetterDate, ArrivalDate: p.ArrivalDate, Priority: domain.Priority(p.Priority),
		SenderID: senderID, RecipientID: p.RecipientID, EntityID: p.EntityID, AssigneeID: p.AssigneeID,
		DoctypeID: p.DoctypeID, DueDate: p.DueDate, Status: domain.Status(p.Status), Confidential: p.Confidential,
		Channel: domain.Channel(p.Channel), Copies: copiesOf(p.Copies), CreatedAt: a.At, CreatedBy: a.Cmd.Actor, UpdatedAt: a.At,
	}
	if err := kernel.Conflict(a.Tx.InsertLetter(a.Cmd.Tenant, p.Year, p.Num, l), "numéro "+p.Number+" déjà attribué"); err != nil {
		return nil, err
	}
	for i := range p.Documents {
		d := p.Documents[i]
		d.LetterID = l.ID
		if _, err := Attach(a, &d); err != nil {
			return nil, err
		}
	}
	if err := a.Tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	a.LetterID = l.ID
	a.Summary = "Courrier " + l.Number + " enregistré : « " + l.Subject + " »"
	if a.Cmd.V >= kernel.VersionBodyDigest {
		a.Payload = registerHistory(p)
	}
	// Read back with its display fields (sender, entity…): this is what the
	// registrant is answered, and what an idempotency key records.
	return kernel.LetterForUpdate(a, l.ID)
}

func applyLetterQualify(a *kernel.Ctx, p *LetterQualify) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := kernel.CheckOpen(l); err != nil {
		return nil, err
	}
	l.Subject, l.Body, l.LetterDate, l.Priority = p.Subject, p.Body, p.LetterDate, domain.Priority(p.Priority)
	l.SenderID, l.RecipientID, l.EntityID, l.AssigneeID = p.SenderID, p.RecipientID, p.EntityID, p.AssigneeID
	l.DoctypeID, l.DueDate, l.Confidential, l.Copies = p.DoctypeID, p.DueDate, p.Confidential, copiesOf(p.Copies)
	if l.EntityID != "" || l.AssigneeID != "" {
		l.Status = domain.StatusInProgress
	}
	l.UpdatedAt = a.At
	if err := a.Tx.UpdateLetter(l); err != nil {
		return nil, err
	}
	if err := a.Tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	a.Summary = "Courrier qualifié"
	if a.Cmd.V >= kernel.VersionBodyDigest {
		a.Payload = qualifyHistory(p)
	}
	return l, nil
}

func AddNote(a *kernel.Ctx, letterID, noteID, text string, entities []string) error {
	if text == "" {
		return nil
	}
	return a.Tx.InsertNote(a.Cmd.Tenant, &domain.Note{ID: noteID, LetterID: letterID, AuthorID: a.Cmd.Actor, Text: text, Entities: entities, CreatedAt: a.At})
}

func applyLetterRedirect(a *kernel.Ctx, p *LetterRedirect) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := kernel.CheckOpen(l); err != nil {
		return nil, err
	}
	var to []string
	if p.EntityID != "" {
		e, err := a.Tx.Entity(a.Ctx, a.Cmd.Tenant, p.EntityID)
		if err != nil {
			return nil, err
		}
		l.EntityID = e.ID
		to = append(to, "l'entité « "+e.Name+" »")
	}
	l.AssigneeID = p.AssigneeID
	if p.AssigneeID != "" {
		u, err := a.Tx.User(a.Ctx, a.Cmd.Tenant, p.AssigneeID)
		if err != nil {
			return nil, err
		}
		to = append(to, "« "+u.Name+" »")
	}
	l.Status = domain.StatusInProgress
	l.UpdatedAt = a.At
	if err := saveWithNote(a, l, p.NoteID, p.Note); err != nil {
		return nil, err
	}
	a.Summary = "Redirigé vers " + strings.Join(to, ", ")
	return l, nil
}

func applyLetterNote(a *kernel.Ctx, p *LetterNote) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	for _, e := range p.Entities {
		if _, err := a.Tx.Entity(a.Ctx, a.Cmd.Tenant, e); err != nil {
			return nil, err
		}
	}
	n := &domain.Note{ID: p.NoteID, LetterID: l.ID, AuthorID: a.Cmd.Actor, Text: p.Text, Entities: p.Entities, CreatedAt: a.At}
	if err := a.Tx.InsertNote(a.Cmd.Tenant, n); err != nil {
		return nil, err
	}
	if err := a.Tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	a.Summary = "Note ajoutée"
	if len(p.Entities) > 0 {
		a.Summary = "Note restreinte ajoutée"
		// The text of a restricted note stays out of the shared history.
		a.Payload = kernel.Redact(LetterNote{LetterID: p.LetterID, NoteID: p.NoteID, Entities: p.Entities})
	}
	return n, nil
}

// LetterAttach adds a document, or a new version of one: the payload
// lives in the kernel because other features' payloads carry it.
type LetterAttach = kernel.LetterAttach

func Attach(a *kernel.Ctx, p *LetterAttach) (*domain.Document, error) {
	v := &domain.Version{Version: 1, SHA256: p.SHA256, Size: p.Size, MIME: p.MIME, CreatedAt: a.At, CreatedBy: a.Cmd.Actor}
	if p.NewDoc {
		d := &domain.Document{ID: p.DocumentID, LetterID: p.LetterID, Role: domain.DocRole(p.Role), Name: p.Name, CreatedAt: a.At, CreatedBy: a.Cmd.Actor}
		if err := a.Tx.InsertDocument(a.Cmd.Tenant, d); err != nil {
			return nil, err
		}
		if err := a.Tx.InsertVersion(d.ID, v); err != nil {
			return nil, err
		}
		d.Versions = []domain.Version{*v}
		return d, nil
	}
	d, err := a.Tx.Document(a.Ctx, a.Cmd.Tenant, p.DocumentID)
	if err != nil {
		return nil, err
	}
	if d.LetterID != p.LetterID {
		return nil, fmt.Errorf("document %s: %w", p.DocumentID, kernel.ErrNotFound)
	}
	v.Version = d.Versions[len(d.Versions)-1].Version + 1
	if err := a.Tx.InsertVersion(d.ID, v); err != nil {
		return nil, err
	}
	d.Versions = append(d.Versions, *v)
	return d, nil
}

func applyLetterAttach(a *kernel.Ctx, p *LetterAttach) (any, error) {
	if _, err := kernel.LetterForUpdate(a, p.LetterID); err != nil {
		return nil, err
	}
	d, err := Attach(a, p)
	if err != nil {
		return nil, err
	}
	a.Summary = fmt.Sprintf("Document « %s » ajouté (version %d)", d.Name, d.Versions[len(d.Versions)-1].Version)
	return d, nil
}

func applyLetterLink(a *kernel.Ctx, p *LetterLink) (any, error) {
	other, err := kernel.LetterForUpdate(a, p.OtherID)
	if err != nil {
		return nil, err
	}
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if l.ID == other.ID {
		return nil, fmt.Errorf("%w: un courrier ne peut pas être lié à lui-même", kernel.ErrInvalid)
	}
	if ok, err := a.Tx.LinkExists(a.Ctx, l.ID, other.ID); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: les courriers %s et %s sont déjà liés", kernel.ErrConflict, l.Number, other.Number)
		}
		return nil, err
	}
	if err := a.Tx.InsertLink(l.ID, other.ID, a.At, a.Cmd.Actor); err != nil {
		return nil, err
	}
	if err := a.Tx.InsertLink(other.ID, l.ID, a.At, a.Cmd.Actor); err != nil {
		return nil, err
	}
	a.Summary = "Lié au courrier " + other.Number
	return nil, nil
}

// ApplyHooks are what the letters' apply code calls in other
// features, inside the same Apply: the facade sets them in Kinds, so that
// letters imports no feature.
type ApplyHooks struct {
	// OnClose runs when a letter is closed: the GED export queues the
	// letter's export there when the tenant asks for it (appliance/ged).
	OnClose func(a *kernel.Ctx, l *domain.Letter) error
}

// Register registers the letters' kinds; the close of a letter calls the
// "on close" hook.
func Register(h ApplyHooks) func(*kernel.Registry) {
	return func(r *kernel.Registry) {
		registerCore(r)
		registerPieces(r)
		registerWeb(r)
		kernel.Handle(r, KindLetterClose, func(a *kernel.Ctx, p *LetterClose) (any, error) { return applyLetterClose(a, p, h) })
	}
}

func applyLetterClose(a *kernel.Ctx, p *LetterClose, h ApplyHooks) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := kernel.CheckOpen(l); err != nil {
		return nil, err
	}
	l.Status, l.ClosedAt, l.UpdatedAt = domain.StatusClosed, a.At, a.At
	if err := saveWithNote(a, l, p.NoteID, p.Note); err != nil {
		return nil, err
	}
	if err := h.OnClose(a, l); err != nil {
		return nil, fmt.Errorf("queue GED export: %w", err)
	}
	a.Summary = "Courrier clos"
	return l, nil
}

func applyLetterReopen(a *kernel.Ctx, p *LetterReopen) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if l.Status != domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s n'est pas clos", kernel.ErrConflict, l.Number)
	}
	l.Status, l.ClosedAt, l.UpdatedAt = domain.StatusInProgress, "", a.At
	if err := saveWithNote(a, l, p.NoteID, p.Note); err != nil {
		return nil, err
	}
	a.Summary = "Courrier rouvert"
	return l, nil
}

// saveWithNote writes a letter an action changed, the action's note if it
// has one, and the letter's search entry: what redirect, close and reopen
// all end with.
func saveWithNote(a *kernel.Ctx, l *domain.Letter, noteID, note string) error {
	if err := a.Tx.UpdateLetter(l); err != nil {
		return err
	}
	if err := AddNote(a, l.ID, noteID, note, nil); err != nil {
		return err
	}
	return a.Tx.IndexLetter(l.ID)
}
