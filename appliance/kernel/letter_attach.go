package kernel

// LetterAttach adds a document, or a new version of one when DocumentID
// names an existing document of the letter. It is the letters' payload,
// kept here because other features' payloads carry it (a reply draft, a
// mail's documents, a save on the share) and no feature imports another.
type LetterAttach struct {
	LetterID   string `json:"letter_id"`
	DocumentID string `json:"document_id"`
	NewDoc     bool   `json:"new_doc"`
	Role       string `json:"role"`
	Name       string `json:"name"`
	SHA256     string `json:"sha256"`
	Size       int64  `json:"size"`
	MIME       string `json:"mime"`
}
