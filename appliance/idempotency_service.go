package appliance

import (
	"context"
	"fmt"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// IdemRecord returns what the actor's key made, or ErrNotFound when the key
// is new or older than IdemWindow.
func (s *Service) IdemRecord(ctx context.Context, a *Actor, key string) (*store.IdemRecord, error) {
	rec, err := s.reader().IdemRecord(ctx, a.TenantID(), a.ID(), key)
	if err != nil {
		return nil, err
	}
	if rec.CreatedAt < s.Now().Add(-IdemWindow).UTC().Format(domain.TimeLayout) {
		return nil, fmt.Errorf("clé d'idempotence %s: expirée: %w", key, ErrNotFound)
	}
	return rec, nil
}
