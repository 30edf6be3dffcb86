package domain

import "strings"

// DavNode is a file or a collection of a space. In a letter's space a file
// is one of the letter's documents (DocumentID): its content is the
// document's latest version, not SHA256.
type DavNode struct {
	Space      string
	Path       string
	Dir        bool
	SHA256     string
	Size       int64
	MIME       string
	DocumentID string
	CreatedAt  string
	ModifiedAt string
	ModifiedBy string
}

// DavProp is a dead property: XML is the property's inner XML, verbatim.
// Remove, in a patch only, removes it.
type DavProp struct {
	NS     string `json:"ns"`
	Name   string `json:"name"`
	Lang   string `json:"lang,omitempty"`
	XML    string `json:"xml"`
	Remove bool   `json:"remove,omitempty"`
}

// DavLock is a lock of the share. Root is the locked resource's name in the
// tenant's share ("/~login/a.odt", "/2026-A-000001/projet.odt").
type DavLock struct {
	Token     string `json:"token"`
	TenantID  string `json:"-"`
	Root      string `json:"root" doc:"Ressource verrouillée dans le partage de la commune: /<dossier>/<fichier>"`
	ZeroDepth bool   `json:"zero_depth"`
	Shared    bool   `json:"shared"`
	OwnerXML  string `json:"owner_xml" doc:"Propriétaire déclaré par le client WebDAV (XML)"`
	UserID    string `json:"user_id"`
	TimeoutS  int64  `json:"timeout_s"` // -1: infinite
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at"` // "" when infinite
}

// Covers says whether the lock protects the resource called name.
func (l *DavLock) Covers(name string) bool {
	if l.Root == name {
		return true
	}
	return !l.ZeroDepth && (l.Root == "/" || strings.HasPrefix(name, l.Root+"/"))
}

// Expired says whether the lock has lapsed at instant now (TimeLayout).
func (l *DavLock) Expired(now string) bool { return l.ExpiresAt != "" && l.ExpiresAt <= now }
