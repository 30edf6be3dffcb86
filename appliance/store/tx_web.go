package store

import "missive/appliance/domain"

// Writes of the web UI's tables, for the Applier alone.

func (t OrgTx) InsertWebKey(tenant, secret, at string) error {
	return t.exec(`INSERT INTO web_keys (tenant_id, secret, created_at) VALUES (?, ?, ?)`, tenant, secret, at)
}

// SetSessionEpoch records a user's new session epoch.
func (t OrgTx) SetSessionEpoch(tenant, userID string, epoch int64, at string) error {
	if err := t.exec(`DELETE FROM web_session_epochs WHERE user_id = ?`, userID); err != nil {
		return err
	}
	return t.exec(`INSERT INTO web_session_epochs (user_id, tenant_id, epoch, updated_at) VALUES (?, ?, ?, ?)`, userID, tenant, epoch, at)
}

// ReplaceBaskets replaces a role's baskets with these, in this order.
func (t PrefsTx) ReplaceBaskets(tenant, role string, bs []domain.BasketRow, at string) error {
	if err := t.exec(`DELETE FROM web_baskets WHERE tenant_id = ? AND role = ?`, tenant, role); err != nil {
		return err
	}
	for i, b := range bs {
		if err := t.exec(`INSERT INTO web_baskets (tenant_id, role, id, position, label, filter, actions, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			tenant, role, b.ID, i, b.Label, b.Filter, b.Actions, at); err != nil {
			return err
		}
	}
	return nil
}

// SaveSearch stores a saved search, replacing the user's one of that name.
func (t PrefsTx) SaveSearch(s *domain.SavedSearch) error {
	if err := t.exec(`DELETE FROM web_saved_searches WHERE user_id = ? AND name = ?`, s.UserID, s.Name); err != nil {
		return err
	}
	return t.exec(`INSERT INTO web_saved_searches (id, tenant_id, user_id, name, query, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		s.ID, s.TenantID, s.UserID, s.Name, s.Query, s.CreatedAt)
}

func (t PrefsTx) DeleteSearch(tenant, userID, id string) error {
	return t.exec(`DELETE FROM web_saved_searches WHERE tenant_id = ? AND user_id = ? AND id = ?`, tenant, userID, id)
}

func (t PrefsTx) InsertFollow(tenant, userID, letterID, at string) error {
	return t.exec(`INSERT INTO web_follows (user_id, letter_id, tenant_id, created_at) VALUES (?, ?, ?, ?)`, userID, letterID, tenant, at)
}

func (t PrefsTx) DeleteFollow(userID, letterID string) error {
	return t.exec(`DELETE FROM web_follows WHERE user_id = ? AND letter_id = ?`, userID, letterID)
}
