package appliance

import (
	"context"
	"missive/appliance/domain"
)

// IdemRecord returns what the actor's key made, or ErrNotFound when the key
// is new or older than IdemWindow.
func (s *Service) IdemRecord(ctx context.Context, a *Actor, key string) (*domain.IdemRecord, error) {
	return s.k.IdemRecord(ctx, a, key)
}
