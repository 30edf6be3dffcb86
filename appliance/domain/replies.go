package domain

// DraftTemplate is an uploaded reply template. EntityID and DoctypeID
// narrow where it applies; empty means every entity or doctype.
type DraftTemplate struct {
	ID        string `json:"id"`
	TenantID  string `json:"-"`
	Name      string `json:"name"`
	Format    string `json:"format" doc:"odt ou docx"`
	EntityID  string `json:"entity_id,omitempty"`
	DoctypeID string `json:"doctype_id,omitempty"`
	FileName  string `json:"file_name"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Fields    string `json:"fields" doc:"Champs de fusion trouvés dans le modèle, séparés par des espaces"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
}
