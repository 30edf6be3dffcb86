package web

// The commune's and the entities' pages, merged into the catalogue at
// start-up like i18n_doctypes.go's.

func init() {
	for lang, msgs := range communeCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}

var communeCatalogue = map[string]map[string]string{
	"fr": {
		"commune.title":       "Commune",
		"commune.intro":       "Le nom et les coordonnées de la commune figurent sur les accusés de réception (mentions de l'article R. 112-5 du code des relations entre le public et l'administration) et les projets de réponse. Un service sans coordonnées propres donne celles de la commune.",
		"commune.name":        "Nom de la commune",
		"commune.namehint":    "Tel que l'écrivent les courriers, ex. « Ville de Saint-Martin ».",
		"commune.website":     "Site internet",
		"commune.alsace":      "Jours fériés d'Alsace-Moselle (Vendredi saint, 26 décembre)",
		"commune.alsacehint":  "Comptés dans les dates limites calculées à partir de maintenant ; celles des courriers déjà enregistrés ne changent pas.",
		"commune.saved":       "Commune enregistrée.",
		"contact.address":     "Adresse postale",
		"contact.addresshint": "Une ligne par ligne d'adresse, ex. « 1 place de la Mairie » puis « 67000 Saint-Martin ».",
		"contact.phone":       "Téléphone",
		"contact.email":       "Adresse électronique",
		"contact.inherits":    "Vide : « %s », de l'entité parente ou de la commune.",
		"contact.none":        "Vide : ni l'entité parente ni la commune n'en ont ; l'accusé de réception n'en donnera pas.",
		"entity.intro":        "Les coordonnées du service figurent sur les accusés de réception des courriers qu'il traite. Un champ vide reprend celui de l'entité parente, puis de la commune.",
		"entity.contacthint":  "Coordonnées du service, pour les accusés de réception ; vides, celles de l'entité parente, puis de la commune.",
		"entity.edit":         "Modifier l'entité « %s »",
		"entity.saved":        "Entité « %s » enregistrée.",
		"entity.back":         "Retour à l'organigramme",
	},
	"en": {
		"commune.title":       "Municipality",
		"commune.intro":       "The municipality's name and contact details appear on acknowledgements (the mentions of article R. 112-5 of the code des relations entre le public et l'administration) and reply drafts. A service without its own details gives the municipality's.",
		"commune.name":        "Name of the municipality",
		"commune.namehint":    "As its letters write it, e.g. \"Ville de Saint-Martin\".",
		"commune.website":     "Website",
		"commune.alsace":      "Alsace-Moselle public holidays (Good Friday, 26 December)",
		"commune.alsacehint":  "Counted in the due dates computed from now on; those of letters already registered do not change.",
		"commune.saved":       "Municipality saved.",
		"contact.address":     "Postal address",
		"contact.addresshint": "One line per address line, e.g. \"1 place de la Mairie\" then \"67000 Saint-Martin\".",
		"contact.phone":       "Phone",
		"contact.email":       "E-mail address",
		"contact.inherits":    "Empty: \"%s\", from the parent entity or the municipality.",
		"contact.none":        "Empty: neither the parent entity nor the municipality has one; the acknowledgement will give none.",
		"entity.intro":        "The service's contact details appear on the acknowledgements of the letters it handles. An empty field takes the parent entity's, then the municipality's.",
		"entity.contacthint":  "The service's contact details, for acknowledgements; empty, the parent entity's, then the municipality's.",
		"entity.edit":         "Edit the entity \"%s\"",
		"entity.saved":        "Entity \"%s\" saved.",
		"entity.back":         "Back to the organisation chart",
	},
}
