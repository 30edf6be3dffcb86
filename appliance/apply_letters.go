package appliance

import (
	"errors"
	"fmt"
	"strings"

	"missive/appliance/domain"
	"missive/appliance/store"
)

func copiesOf(ps []CopyPayload) []domain.Copy {
	out := make([]domain.Copy, len(ps))
	for i, c := range ps {
		out[i] = domain.Copy{Kind: c.Kind, Ref: c.Ref}
	}
	return out
}

func applyLetterRegister(a *applyCtx, p *LetterRegister) (any, error) {
	last, err := a.tx.LastNum(a.ctx, a.cmd.Tenant, domain.Category(p.Category), p.Year)
	if err != nil {
		return nil, err
	}
	// The number was stamped before proposing; this check is what makes the
	// sequence gap-free and duplicate-free whatever happened in between.
	if p.Num != last+1 {
		return nil, fmt.Errorf("%w: %s (dernier: %d)", errNumberTaken, p.Number, last)
	}
	senderID := p.SenderID
	if p.NewSender != nil {
		// Two letters from the same new address may race: the first one
		// creates the contact, the second one uses it.
		existing, err := a.tx.ContactByEmail(a.ctx, a.cmd.Tenant, p.NewSender.Email)
		switch {
		case p.NewSender.Email != "" && err == nil:
			senderID = existing.ID
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		default:
			if err := a.tx.InsertContact(a.cmd.Tenant, contactFrom(p.NewSender, a.at)); err != nil {
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
		Channel: domain.Channel(p.Channel), Copies: copiesOf(p.Copies), CreatedAt: a.at, CreatedBy: a.cmd.Actor, UpdatedAt: a.at,
	}
	if err := conflict(a.tx.InsertLetter(a.cmd.Tenant, p.Year, p.Num, l), "numéro "+p.Number+" déjà attribué"); err != nil {
		return nil, err
	}
	for i := range p.Documents {
		d := p.Documents[i]
		d.LetterID = l.ID
		if _, err := attach(a, &d); err != nil {
			return nil, err
		}
	}
	if err := a.tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	a.letterID = l.ID
	a.summary = "Courrier " + l.Number + " enregistré : « " + l.Subject + " »"
	a.payload = registerHistory(p)
	// Read back with its display fields (sender, entity…): this is what the
	// registrant is answered, and what an idempotency key records.
	return letterForUpdate(a, l.ID)
}

// letterForUpdate reads a letter of the command's tenant, whatever the
// perimeter: the service already checked the actor's rights.
func letterForUpdate(a *applyCtx, id string) (*domain.Letter, error) {
	l, err := a.tx.Letter(a.ctx, store.Perimeter{TenantID: a.cmd.Tenant, All: true}, id)
	if err != nil {
		return nil, err
	}
	a.letterID = l.ID
	return l, nil
}

func open(l *domain.Letter) error {
	if l.Status == domain.StatusClosed {
		return fmt.Errorf("%w: le courrier %s est clos", ErrConflict, l.Number)
	}
	return nil
}

func applyLetterQualify(a *applyCtx, p *LetterQualify) (any, error) {
	l, err := letterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := open(l); err != nil {
		return nil, err
	}
	l.Subject, l.Body, l.LetterDate, l.Priority = p.Subject, p.Body, p.LetterDate, domain.Priority(p.Priority)
	l.SenderID, l.RecipientID, l.EntityID, l.AssigneeID = p.SenderID, p.RecipientID, p.EntityID, p.AssigneeID
	l.DoctypeID, l.DueDate, l.Confidential, l.Copies = p.DoctypeID, p.DueDate, p.Confidential, copiesOf(p.Copies)
	if l.EntityID != "" || l.AssigneeID != "" {
		l.Status = domain.StatusInProgress
	}
	l.UpdatedAt = a.at
	if err := a.tx.UpdateLetter(l); err != nil {
		return nil, err
	}
	if err := a.tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	a.summary = "Courrier qualifié"
	a.payload = qualifyHistory(p)
	return l, nil
}

func addNote(a *applyCtx, letterID, noteID, text string, entities []string) error {
	if text == "" {
		return nil
	}
	return a.tx.InsertNote(a.cmd.Tenant, &domain.Note{ID: noteID, LetterID: letterID, AuthorID: a.cmd.Actor, Text: text, Entities: entities, CreatedAt: a.at})
}

func applyLetterRedirect(a *applyCtx, p *LetterRedirect) (any, error) {
	l, err := letterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := open(l); err != nil {
		return nil, err
	}
	var to []string
	if p.EntityID != "" {
		e, err := a.tx.Entity(a.ctx, a.cmd.Tenant, p.EntityID)
		if err != nil {
			return nil, err
		}
		l.EntityID = e.ID
		to = append(to, "l'entité « "+e.Name+" »")
	}
	l.AssigneeID = p.AssigneeID
	if p.AssigneeID != "" {
		u, err := a.tx.User(a.ctx, a.cmd.Tenant, p.AssigneeID)
		if err != nil {
			return nil, err
		}
		to = append(to, "« "+u.Name+" »")
	}
	l.Status = domain.StatusInProgress
	l.UpdatedAt = a.at
	if err := saveWithNote(a, l, p.NoteID, p.Note); err != nil {
		return nil, err
	}
	a.summary = "Redirigé vers " + strings.Join(to, ", ")
	return l, nil
}

func applyLetterNote(a *applyCtx, p *LetterNote) (any, error) {
	l, err := letterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	for _, e := range p.Entities {
		if _, err := a.tx.Entity(a.ctx, a.cmd.Tenant, e); err != nil {
			return nil, err
		}
	}
	n := &domain.Note{ID: p.NoteID, LetterID: l.ID, AuthorID: a.cmd.Actor, Text: p.Text, Entities: p.Entities, CreatedAt: a.at}
	if err := a.tx.InsertNote(a.cmd.Tenant, n); err != nil {
		return nil, err
	}
	if err := a.tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	a.summary = "Note ajoutée"
	if len(p.Entities) > 0 {
		a.summary = "Note restreinte ajoutée"
		// The text of a restricted note stays out of the shared history.
		a.payload = redact(LetterNote{LetterID: p.LetterID, NoteID: p.NoteID, Entities: p.Entities})
	}
	return n, nil
}

func attach(a *applyCtx, p *LetterAttach) (*domain.Document, error) {
	v := &domain.Version{Version: 1, SHA256: p.SHA256, Size: p.Size, MIME: p.MIME, CreatedAt: a.at, CreatedBy: a.cmd.Actor}
	if p.NewDoc {
		d := &domain.Document{ID: p.DocumentID, LetterID: p.LetterID, Role: domain.DocRole(p.Role), Name: p.Name, CreatedAt: a.at, CreatedBy: a.cmd.Actor}
		if err := a.tx.InsertDocument(a.cmd.Tenant, d); err != nil {
			return nil, err
		}
		if err := a.tx.InsertVersion(d.ID, v); err != nil {
			return nil, err
		}
		d.Versions = []domain.Version{*v}
		return d, nil
	}
	d, err := a.tx.Document(a.ctx, a.cmd.Tenant, p.DocumentID)
	if err != nil {
		return nil, err
	}
	if d.LetterID != p.LetterID {
		return nil, fmt.Errorf("document %s: %w", p.DocumentID, ErrNotFound)
	}
	v.Version = d.Versions[len(d.Versions)-1].Version + 1
	if err := a.tx.InsertVersion(d.ID, v); err != nil {
		return nil, err
	}
	d.Versions = append(d.Versions, *v)
	return d, nil
}

func applyLetterAttach(a *applyCtx, p *LetterAttach) (any, error) {
	if _, err := letterForUpdate(a, p.LetterID); err != nil {
		return nil, err
	}
	d, err := attach(a, p)
	if err != nil {
		return nil, err
	}
	a.summary = fmt.Sprintf("Document « %s » ajouté (version %d)", d.Name, d.Versions[len(d.Versions)-1].Version)
	return d, nil
}

func applyLetterLink(a *applyCtx, p *LetterLink) (any, error) {
	other, err := letterForUpdate(a, p.OtherID)
	if err != nil {
		return nil, err
	}
	l, err := letterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if l.ID == other.ID {
		return nil, fmt.Errorf("%w: un courrier ne peut pas être lié à lui-même", ErrInvalid)
	}
	if ok, err := a.tx.LinkExists(a.ctx, l.ID, other.ID); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: les courriers %s et %s sont déjà liés", ErrConflict, l.Number, other.Number)
		}
		return nil, err
	}
	if err := a.tx.InsertLink(l.ID, other.ID, a.at, a.cmd.Actor); err != nil {
		return nil, err
	}
	if err := a.tx.InsertLink(other.ID, l.ID, a.at, a.cmd.Actor); err != nil {
		return nil, err
	}
	a.summary = "Lié au courrier " + other.Number
	return nil, nil
}

func applyLetterClose(a *applyCtx, p *LetterClose) (any, error) {
	l, err := letterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if err := open(l); err != nil {
		return nil, err
	}
	l.Status, l.ClosedAt, l.UpdatedAt = domain.StatusClosed, a.at, a.at
	if err := saveWithNote(a, l, p.NoteID, p.Note); err != nil {
		return nil, err
	}
	if err := queueExportOnClose(a, l); err != nil {
		return nil, fmt.Errorf("queue GED export: %w", err)
	}
	a.summary = "Courrier clos"
	return l, nil
}

func applyLetterReopen(a *applyCtx, p *LetterReopen) (any, error) {
	l, err := letterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	if l.Status != domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s n'est pas clos", ErrConflict, l.Number)
	}
	l.Status, l.ClosedAt, l.UpdatedAt = domain.StatusInProgress, "", a.at
	if err := saveWithNote(a, l, p.NoteID, p.Note); err != nil {
		return nil, err
	}
	a.summary = "Courrier rouvert"
	return l, nil
}

// saveWithNote writes a letter an action changed, the action's note if it
// has one, and the letter's search entry: what redirect, close and reopen
// all end with.
func saveWithNote(a *applyCtx, l *domain.Letter, noteID, note string) error {
	if err := a.tx.UpdateLetter(l); err != nil {
		return err
	}
	if err := addNote(a, l.ID, noteID, note, nil); err != nil {
		return err
	}
	return a.tx.IndexLetter(l.ID)
}
