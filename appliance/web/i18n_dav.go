package web

// The WebDAV share's messages on the letter page, merged into the catalogue
// at start-up like i18n_drafts.go's.

func init() {
	for lang, msgs := range davCatalogue {
		for k, v := range msgs {
			catalogue[lang][k] = v
		}
	}
}

var davCatalogue = map[string]map[string]string{
	"fr": {
		"dav.open":       "Ouvrir dans LibreOffice",
		"dav.openname":   "Ouvrir %s dans LibreOffice",
		"dav.folder":     "Adresse WebDAV du dossier du courrier",
		"dav.folderhint": "À copier dans LibreOffice (Fichier › Ouvrir un document distant), OnlyOffice Desktop (Connecter au cloud › WebDAV) ou Nextcloud (Stockage externe › WebDAV). Identifiant et mot de passe Missive, ou un jeton d'API comme mot de passe.",
		"dav.restore":    "Restaurer la version %d",
		"dav.restored":   "Version %d de « %s » restaurée : c'est maintenant la version %d.",
		"dav.badversion": "numéro de version invalide",
	},
	"en": {
		"dav.open":       "Open in LibreOffice",
		"dav.openname":   "Open %s in LibreOffice",
		"dav.folder":     "WebDAV address of the letter's folder",
		"dav.folderhint": "Paste into LibreOffice (File › Open Remote), OnlyOffice Desktop (Connect to cloud › WebDAV) or Nextcloud (External storage › WebDAV). Missive login and password, or an API token as the password.",
		"dav.restore":    "Restore version %d",
		"dav.restored":   "Version %d of “%s” restored: it is now version %d.",
		"dav.badversion": "invalid version number",
	},
}
