package ged

import "missive/appliance/kernel"

// Commands of the GED export and of the OnlyOffice settings. They are
// registered in apply.go.
const (
	KindGEDTargetSet    kernel.Kind = "ged.target.set"
	KindGEDExportQueue  kernel.Kind = "ged.export.queue"
	KindGEDExportResult kernel.Kind = "ged.export.result"
	KindOnlyOfficeSet   kernel.Kind = "onlyoffice.set"
)

// GEDTargetSet carries the GED account's password: like a relay's, it must
// be replayed to the server, so it cannot be hashed. Apply keeps it out of
// the history entry.
type GEDTargetSet struct {
	URL      string `json:"url"`
	Username string `json:"username"`
	Secret   string `json:"secret"`
	OnClose  bool   `json:"on_close"`
}

// GEDExportQueue asks for a letter's export (on demand: closing a letter
// queues one by itself, see QueueOnClose).
type GEDExportQueue struct {
	ID       string `json:"id"`
	LetterID string `json:"letter_id"`
	Reason   string `json:"reason"`
}

// GEDExportResult records the outcome of one export attempt.
type GEDExportResult struct {
	ID       string `json:"id"`
	Status   string `json:"status"` // done, queued (retry later) or failed
	Attempts int    `json:"attempts"`
	NextTry  string `json:"next_try"`
	Error    string `json:"error"`
	Location string `json:"location"`
	Files    string `json:"files"`
}

// OnlyOfficeSet carries the JWT secret shared with the Document Server; it
// signs and verifies, so it is kept as given, and out of the history.
type OnlyOfficeSet struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}
