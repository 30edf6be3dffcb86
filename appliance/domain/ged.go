package domain

// GEDTarget is the WebDAV folder a tenant's letters are exported to.
type GEDTarget struct {
	TenantID string `json:"tenant_id"`
	URL      string `json:"url"`
	Username string `json:"username,omitempty"`
	Secret   string `json:"-"`
	// OnClose: closing a letter queues its export.
	OnClose   bool   `json:"on_close"`
	UpdatedAt string `json:"updated_at"`
}

// GEDExport is one export of a letter, queued until it is done or failed.
type GEDExport struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	LetterID  string `json:"letter_id"`
	Reason    string `json:"reason"` // close or manual
	Status    string `json:"status"` // queued, done or failed
	Attempts  int    `json:"attempts"`
	NextTry   string `json:"next_try,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// Location is the URL of the letter's folder in the GED.
	Location string `json:"location,omitempty"`
	// Files is the JSON list of what was uploaded, with SHA-256 sums.
	Files     string `json:"files,omitempty"`
	CreatedAt string `json:"created_at"`
	DoneAt    string `json:"done_at,omitempty"`
}

// OnlyOfficeServer is the Document Server a tenant edits documents with.
type OnlyOfficeServer struct {
	TenantID  string `json:"tenant_id"`
	URL       string `json:"url"`
	Secret    string `json:"-"`
	UpdatedAt string `json:"updated_at"`
}
