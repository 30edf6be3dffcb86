package web

// The doctypes' archival retention (DUA and sort final) and edit page,
// merged into the catalogue at start-up like i18n_drafts.go's.

func init() {
	for lang, msgs := range doctypeCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}

var doctypeCatalogue = map[string]map[string]string{
	"fr": {
		"field.retention_years":   "Durée d'utilité administrative (DUA), en années",
		"field.final_disposition": "Sort final",
		"doctype.dua":             "DUA",
		"doctype.years":           "%d ans",
		"doctype.duahint":         "À compter de la clôture du courrier. Vide ou 0 : non renseignée. Reprise dans les métadonnées de l'export vers la GED.",
		"doctype.edit":            "Modifier le type « %s »",
		"doctype.back":            "Retour aux types de courrier",
		"disposition.none":        "Non renseigné",
		"disposition.conserver":   "Conservation définitive",
		"disposition.detruire":    "Destruction",
		"disposition.trier":       "Tri",
		"admin.doctypeupdated":    "Type « %s » modifié.",
	},
	"en": {
		"field.retention_years":   "Retention period (DUA), in years",
		"field.final_disposition": "Final disposition",
		"doctype.dua":             "Retention",
		"doctype.years":           "%d years",
		"doctype.duahint":         "From the letter's closing. Empty or 0: not set. Written into the metadata of the export to the document management system.",
		"doctype.edit":            "Edit the type \"%s\"",
		"doctype.back":            "Back to the letter types",
		"disposition.none":        "Not set",
		"disposition.conserver":   "Permanent preservation",
		"disposition.detruire":    "Destruction",
		"disposition.trier":       "Selection (sort)",
		"admin.doctypeupdated":    "Type \"%s\" updated.",
	},
}
