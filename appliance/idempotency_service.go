package appliance

import (
	"context"

	"missive/appliance/store"
)

// IdemRecord returns what the actor's key made, or ErrNotFound when the key
// is new or older than IdemWindow.
func (s *Service) IdemRecord(ctx context.Context, a *Actor, key string) (*store.IdemRecord, error) {
	return s.k.IdemRecord(ctx, a, key)
}
