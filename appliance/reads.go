package appliance

import (
	"context"
	"fmt"

	"missive/appliance/domain"
)

// Reads by a natural key that the outer layers make for a user (the CLI
// acting as administrator, the demo seeder): scoped to the actor's tenant,
// and, for a contact, to what the actor may see.

// EntityByCode finds an entity of the actor's tenant by its code; every
// user of a tenant sees its entity tree.
func (s *Service) EntityByCode(ctx context.Context, a *Actor, code string) (*domain.Entity, error) {
	return s.reader().EntityByCode(ctx, a.TenantID(), code)
}

// ContactByEmail finds a contact of the actor's tenant by its address, if
// the actor may see it (a confidential letter's sender is hidden from those
// who do not see the letter, as in Contact).
func (s *Service) ContactByEmail(ctx context.Context, a *Actor, email string) (*domain.Contact, error) {
	c, err := s.reader().ContactByEmail(ctx, a.TenantID(), email)
	if err != nil {
		return nil, err
	}
	if !a.Perimeter.All {
		if c, err = s.reader().ContactIn(ctx, a.Perimeter, c.ID); err != nil {
			return nil, fmt.Errorf("contact %s: %w", email, err)
		}
	}
	return c, nil
}
