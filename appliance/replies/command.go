package replies

import "missive/appliance/kernel"

// Commands of reply drafts and their templates. They are registered in
// apply.go. A draft made from a template is an ordinary document of
// its letter (role "draft"): the share, versions and locks treat it like any
// other; its own command lets Apply refuse a second draft for the letter,
// whichever node stamped it.
const (
	KindDraftTemplateAdd    kernel.Kind = "draft.template.add"
	KindDraftTemplateDelete kernel.Kind = "draft.template.delete"
	KindLetterDraft         kernel.Kind = "letter.draft"
)

// LetterDraft attaches a letter's reply draft, merged from Template (a
// name, for the history).
type LetterDraft struct {
	kernel.LetterAttach
	Template string `json:"template"`
}

// DraftTemplateAdd records an uploaded template whose file is already in
// the blob store under SHA256.
type DraftTemplateAdd struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Format    string `json:"format"`
	EntityID  string `json:"entity_id"`
	DoctypeID string `json:"doctype_id"`
	FileName  string `json:"file_name"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Fields    string `json:"fields"`
}

type DraftTemplateDelete struct {
	ID string `json:"id"`
}
