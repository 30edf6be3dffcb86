package domain

// BasketRow is one stored basket of a role.
type BasketRow struct {
	ID      string
	Label   string
	Filter  string // JSON of appliance.BasketFilter
	Actions string // space-separated
}

// SavedSearch is a search a user named, stored as the search page's query
// string.
type SavedSearch struct {
	ID        string `json:"id"`
	TenantID  string `json:"-"`
	UserID    string `json:"-"`
	Name      string `json:"name"`
	Query     string `json:"query"`
	CreatedAt string `json:"created_at"`
}
