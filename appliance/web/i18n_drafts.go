package web

// The reply drafts' messages (templates page, the letter page's reply
// section), merged into the catalogue at start-up like i18n_mail.go's.

func init() {
	for lang, msgs := range draftCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}

var draftCatalogue = map[string]map[string]string{
	"fr": {
		"admin.templates":       "Modèles de réponse",
		"admin.templateadded":   "Modèle « %s » ajouté.",
		"admin.templatedeleted": "Modèle « %s » supprimé. Les projets déjà créés avec lui ne changent pas.",
		"templates.lead":        "Un projet de réponse est créé depuis le modèle le plus précis pour le courrier : celui de son entité et de son type, sinon de son entité, sinon de son type, sinon le modèle général de la commune, sinon le modèle par défaut de Missive.",
		"templates.format":      "Format",
		"templates.fields":      "Champs de fusion",
		"templates.added":       "Ajouté le",
		"templates.actions":     "Actions",
		"templates.all":         "Tous",
		"templates.delete":      "Supprimer",
		"templates.deletename":  "Supprimer le modèle %s",
		"templates.defaulthint": "Intégré à Missive, utilisé quand aucun modèle ne convient. Téléchargez-le pour partir d'une base.",
		"templates.new":         "Ajouter un modèle",
		"templates.file":        "Fichier ODT (LibreOffice) ou DOCX (Word)",
		"templates.namehint":    "Par défaut, le nom du fichier.",
		"templates.add":         "Ajouter le modèle",
		"templates.fieldlist":   "Champs de fusion",
		"templates.fieldhint":   "Tapez ces champs tels quels dans le modèle, accolades comprises ; ils sont remplacés à la création du projet. Un champ inconnu reste tel quel dans le projet.",
		"draft.title":           "Projet de réponse",
		"draft.none":            "Aucun projet de réponse.",
		"draft.is":              "Projet : %s (%d version(s)).",
		"draft.open":            "Ouvrir dans LibreOffice",
		"draft.url":             "Adresse WebDAV du projet",
		"draft.urlhint":         "À coller dans LibreOffice (Fichier › Ouvrir un document distant), OnlyOffice Desktop ou un lecteur réseau ; identifiez-vous avec votre identifiant et votre mot de passe Missive.",
		"draft.final":           "Réponse définitive : %s (%d version(s)).",
		"draft.template":        "Modèle",
		"draft.besttemplate":    "Le plus adapté au courrier",
		"draft.defaulttemplate": "Modèle par défaut de Missive",
		"draft.pdfhint":         "Enregistrez et fermez le projet dans LibreOffice avant de générer la réponse définitive.",
		"draft.created":         "Projet de réponse %s créé depuis le modèle « %s ».",
		"draft.exists":          "Le courrier a déjà son projet de réponse : %s.",
		"draft.pdfdone":         "Réponse définitive %s générée (version %d).",
		"draft.nooffice":        "LibreOffice n'est pas installé sur le serveur : la réponse définitive en PDF ne peut pas être générée. Demandez à l'administrateur d'installer le paquet libreoffice-writer-nogui.",
		"action.draft":          "Créer un projet de réponse",
		"action.finalpdf":       "Générer la réponse définitive (PDF)",
	},
	"en": {
		"admin.templates":       "Reply templates",
		"admin.templateadded":   "Template “%s” added.",
		"admin.templatedeleted": "Template “%s” deleted. Drafts already made from it are unchanged.",
		"templates.lead":        "A reply draft is made from the most specific template for the letter: its entity's and doctype's, else its entity's, else its doctype's, else the town's general template, else Missive's default one.",
		"templates.format":      "Format",
		"templates.fields":      "Merge fields",
		"templates.added":       "Added on",
		"templates.actions":     "Actions",
		"templates.all":         "All",
		"templates.delete":      "Delete",
		"templates.deletename":  "Delete template %s",
		"templates.defaulthint": "Built into Missive, used when no template fits. Download it to start from it.",
		"templates.new":         "Add a template",
		"templates.file":        "ODT (LibreOffice) or DOCX (Word) file",
		"templates.namehint":    "The file name by default.",
		"templates.add":         "Add the template",
		"templates.fieldlist":   "Merge fields",
		"templates.fieldhint":   "Type these fields as they are in the template, braces included; they are replaced when the draft is made. An unknown field stays as it is in the draft.",
		"draft.title":           "Reply draft",
		"draft.none":            "No reply draft.",
		"draft.is":              "Draft: %s (%d version(s)).",
		"draft.open":            "Open in LibreOffice",
		"draft.url":             "WebDAV address of the draft",
		"draft.urlhint":         "Paste it in LibreOffice (File › Open Remote), OnlyOffice Desktop or a network drive; log in with your Missive login and password.",
		"draft.final":           "Final answer: %s (%d version(s)).",
		"draft.template":        "Template",
		"draft.besttemplate":    "The best fit for the letter",
		"draft.defaulttemplate": "Missive's default template",
		"draft.pdfhint":         "Save and close the draft in LibreOffice before generating the final answer.",
		"draft.created":         "Reply draft %s made from template “%s”.",
		"draft.exists":          "The letter already has its reply draft: %s.",
		"draft.pdfdone":         "Final answer %s generated (version %d).",
		"draft.nooffice":        "LibreOffice is not installed on the server: the final answer cannot be generated as PDF. Ask the administrator to install the libreoffice-writer-nogui package.",
		"action.draft":          "Create a reply draft",
		"action.finalpdf":       "Generate the final answer (PDF)",
	},
}
