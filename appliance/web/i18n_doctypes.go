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
		"field.retention_years":       "Durée d'utilité administrative (DUA), en années",
		"field.final_disposition":     "Sort final",
		"doctype.dua":                 "DUA",
		"doctype.years":               "%d ans",
		"doctype.duahint":             "À compter de la clôture du courrier. Vide ou 0 : non renseignée. Reprise dans les métadonnées de l'export vers la GED.",
		"doctype.edit":                "Modifier le type « %s »",
		"doctype.back":                "Retour aux types de courrier",
		"disposition.none":            "Non renseigné",
		"disposition.conserver":       "Conservation définitive",
		"disposition.detruire":        "Destruction",
		"disposition.trier":           "Tri",
		"admin.doctypeupdated":        "Type « %s » modifié.",
		"field.delay_unit":            "Unité du délai",
		"letter.implicit.sva":         "Acceptation implicite le",
		"letter.implicit.svr":         "Rejet implicite le",
		"unit.working_days":           "jours ouvrés",
		"unit.calendar_days":          "jours calendaires",
		"unit.months":                 "mois",
		"doctype.delay.working_days":  "%d j ouvrés",
		"doctype.delay.calendar_days": "%d j calendaires",
		"doctype.delay.months":        "%d mois",
		"doctype.delayhint":           "Vide pour un type SVA ou SVR : deux mois, le délai de droit commun au terme duquel le silence vaut décision (art. L. 231-1 et L. 231-4 du CRPA). Un délai en mois finit le même jour du mois, ou le dernier jour d'un mois plus court ; la date limite des SVA et SVR est celle où naît la décision implicite.",
	},
	"en": {
		"field.retention_years":       "Retention period (DUA), in years",
		"field.final_disposition":     "Final disposition",
		"doctype.dua":                 "Retention",
		"doctype.years":               "%d years",
		"doctype.duahint":             "From the letter's closing. Empty or 0: not set. Written into the metadata of the export to the document management system.",
		"doctype.edit":                "Edit the type \"%s\"",
		"doctype.back":                "Back to the letter types",
		"disposition.none":            "Not set",
		"disposition.conserver":       "Permanent preservation",
		"disposition.detruire":        "Destruction",
		"disposition.trier":           "Selection (sort)",
		"admin.doctypeupdated":        "Type \"%s\" updated.",
		"field.delay_unit":            "Delay unit",
		"letter.implicit.sva":         "Implicit acceptance on",
		"letter.implicit.svr":         "Implicit refusal on",
		"unit.working_days":           "working days",
		"unit.calendar_days":          "calendar days",
		"unit.months":                 "months",
		"doctype.delay.working_days":  "%d working days",
		"doctype.delay.calendar_days": "%d calendar days",
		"doctype.delay.months":        "%d months",
		"doctype.delayhint":           "Empty for an SVA or SVR type: two months, the general delay after which silence is worth a decision (CRPA L231-1 and L231-4). A delay in months ends on the same day of the month, or on the last day of a shorter month; the due date of SVA and SVR types is the day the implicit decision arises.",
	},
}
