package appliance

import (
	"context"

	"missive/appliance/domain"
	"missive/appliance/replies"
)

// Replies (appliance/replies) under the names the outer layers use, and
// the hooks it takes from the letters code still here. Its apply hook
// (attach) is wired in Kinds.
type (
	TemplateInput       = replies.TemplateInput
	Draft               = replies.Draft
	DraftExistsError    = replies.DraftExistsError
	OnlyOfficeEditor    = replies.OnlyOfficeEditor
	LetterDraft         = replies.LetterDraft
	DraftTemplateAdd    = replies.DraftTemplateAdd
	DraftTemplateDelete = replies.DraftTemplateDelete
)

const (
	DefaultTemplateID       = replies.DefaultTemplateID
	KindDraftTemplateAdd    = replies.KindDraftTemplateAdd
	KindDraftTemplateDelete = replies.KindDraftTemplateDelete
	KindLetterDraft         = replies.KindLetterDraft
)

// ReplyDocuments finds, among a letter's documents, its reply draft and
// the final answer made from it.
func ReplyDocuments(docs []domain.Document, number string) (draft, final *domain.Document) {
	return replies.ReplyDocuments(docs, number)
}

func (s *Service) newReplies() *replies.Replies {
	return replies.New(s.k, replies.Hooks{
		Document: s.Document,
		AttachDocument: func(ctx context.Context, a *Actor, p LetterAttach) (*domain.Document, error) {
			v, err := s.propose(ctx, KindLetterAttach, a.TenantID(), a.ID(), p)
			if err != nil {
				return nil, err
			}
			return v.(*domain.Document), nil
		},
		ServiceInCharge: func(t *domain.Tenant, ents []domain.Entity, entityID string) replies.ServiceContact {
			d := serviceInCharge(t, ents, entityID)
			return replies.ServiceContact{Name: d.Name, Address: d.Address, Phone: d.Phone, Email: d.Email}
		},
	})
}
