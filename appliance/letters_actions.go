package appliance

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

// RedirectInput sends a letter to another entity and/or user.
type RedirectInput struct {
	EntityID   string `json:"entity_id,omitempty"`
	AssigneeID string `json:"assignee_id,omitempty"`
	Note       string `json:"note,omitempty"`
}

func (s *Service) Redirect(ctx context.Context, a *Actor, id string, in RedirectInput) (*domain.Letter, error) {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if l.Status == domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s est clos", ErrConflict, l.Number)
	}
	errs := FieldErrors{}
	if in.EntityID == "" && in.AssigneeID == "" {
		errs["entity_id"] = "choisissez une entité ou un destinataire"
	}
	kernel.CheckLen(errs, "note", in.Note, 10000, false)
	s.checkRouting(ctx, a, errs, in.EntityID, in.AssigneeID, "", "", nil)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.propose(ctx, KindLetterRedirect, a.TenantID(), a.ID(), LetterRedirect{LetterID: l.ID, EntityID: in.EntityID, AssigneeID: in.AssigneeID, NoteID: NewID(), Note: strings.TrimSpace(in.Note)})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Letter), nil
}

// NoteInput annotates a letter; Entities restricts who may read the note.
type NoteInput struct {
	Text     string   `json:"text"`
	Entities []string `json:"entities,omitempty"`
}

// AddNote is allowed to anyone who sees the letter and may write: copies too.
func (s *Service) AddNote(ctx context.Context, a *Actor, id string, in NoteInput) (*domain.Note, error) {
	l, err := s.reader().Letter(ctx, a.Perimeter, id)
	if err != nil {
		return nil, err
	}
	if err := kernel.CanWrite(a); err != nil {
		return nil, err
	}
	errs := FieldErrors{}
	in.Text = strings.TrimSpace(in.Text)
	kernel.CheckLen(errs, "text", in.Text, 10000, true)
	for _, e := range in.Entities {
		if _, err := s.reader().Entity(ctx, a.TenantID(), e); err != nil {
			errs["entities"] = "entité inconnue"
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.propose(ctx, KindLetterNote, a.TenantID(), a.ID(), LetterNote{LetterID: l.ID, NoteID: NewID(), Text: in.Text, Entities: in.Entities})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Note), nil
}

// Attach adds a document to a letter, or a new version of one of its
// documents when documentID is set.
func (s *Service) Attach(ctx context.Context, a *Actor, id, documentID string, u Upload) (*domain.Document, error) {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	var existing *domain.Document
	if documentID != "" {
		existing, err = s.reader().Document(ctx, a.TenantID(), documentID)
		if err != nil || existing.LetterID != l.ID {
			return nil, fmt.Errorf("document %s: %w", documentID, ErrNotFound)
		}
		u.Name, u.Role = existing.Name, existing.Role
		if err := s.documentGuard(ctx, a.TenantID(), l, existing.ID); err != nil {
			return nil, err
		}
	}
	p, err := s.storeUpload(u, l.ID)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		p.DocumentID, p.NewDoc = existing.ID, false
	}
	v, err := s.propose(ctx, KindLetterAttach, a.TenantID(), a.ID(), p)
	if err != nil {
		return nil, err
	}
	return v.(*domain.Document), nil
}

// OpenDocument returns a document's version content for a reader who sees
// its letter (version 0: the latest).
func (s *Service) OpenDocument(ctx context.Context, a *Actor, documentID string, version int) (*domain.Document, *domain.Version, io.ReadSeekCloser, error) {
	d, err := s.reader().Document(ctx, a.TenantID(), documentID)
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := s.reader().Letter(ctx, a.Perimeter, d.LetterID); err != nil {
		return nil, nil, nil, fmt.Errorf("document %s: %w", documentID, ErrNotFound)
	}
	v := &d.Versions[len(d.Versions)-1]
	if version > 0 {
		if version > len(d.Versions) {
			return nil, nil, nil, fmt.Errorf("version %d: %w", version, ErrNotFound)
		}
		v = &d.Versions[version-1]
	}
	f, err := s.blobs.Open(v.SHA256)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open document %s v%d: %w", d.ID, v.Version, err)
	}
	return d, v, f, nil
}

// Link links two letters the actor sees.
func (s *Service) Link(ctx context.Context, a *Actor, id, otherID string) error {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return err
	}
	other, err := s.reader().Letter(ctx, a.Perimeter, otherID)
	if err != nil {
		return err
	}
	if l.ID == other.ID {
		return FieldErrors{"other_id": "un courrier ne peut pas être lié à lui-même"}
	}
	_, err = s.propose(ctx, KindLetterLink, a.TenantID(), a.ID(), LetterLink{LetterID: l.ID, OtherID: other.ID})
	return err
}

// Close closes a letter, with an optional closing note.
func (s *Service) Close(ctx context.Context, a *Actor, id, note string) (*domain.Letter, error) {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if l.Status == domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s est déjà clos", ErrConflict, l.Number)
	}
	if utf8.RuneCountInString(note) > 10000 {
		return nil, FieldErrors{"note": "10000 caractères au plus"}
	}
	v, err := s.propose(ctx, KindLetterClose, a.TenantID(), a.ID(), LetterClose{LetterID: l.ID, NoteID: NewID(), Note: strings.TrimSpace(note)})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Letter), nil
}

// Reopen reopens a closed letter (admin, mail room, assignee, entity).
func (s *Service) Reopen(ctx context.Context, a *Actor, id, note string) (*domain.Letter, error) {
	l, err := s.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if l.Status != domain.StatusClosed {
		return nil, fmt.Errorf("%w: le courrier %s n'est pas clos", ErrConflict, l.Number)
	}
	if utf8.RuneCountInString(note) > 10000 {
		return nil, FieldErrors{"note": "10000 caractères au plus"}
	}
	v, err := s.propose(ctx, KindLetterReopen, a.TenantID(), a.ID(), LetterReopen{LetterID: l.ID, NoteID: NewID(), Note: strings.TrimSpace(note)})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Letter), nil
}
