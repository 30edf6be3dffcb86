package drafts

import (
	"strconv"
	"strings"
	"time"
)

// Fields is what a draft, or an acknowledgement, may say about its letter,
// already resolved to text by the caller (names of the contact, the user,
// the entity). The e-mail and paper acknowledgements use the same names
// (mailbridge), so that a town words both with one vocabulary.
type Fields struct {
	Tenant string // the town: "Ville de Saint-Martin"
	// How the town is reached.
	TenantAddress string // lines
	TenantPhone   string
	TenantEmail   string
	TenantWebsite string
	// The correspondent (the letter's sender).
	Civility     string
	Name         string // first and last name, or the organisation
	Organization string
	Address      string // street lines, possibly several
	Postcode     string
	City         string
	Country      string
	// The letter. Dates are civil dates, AAAA-MM-JJ, as stored.
	Number      string
	Subject     string
	LetterDate  string
	ArrivalDate string
	DueDate     string
	// Its doctype: label, delay in words ("2 mois"), and what silence is
	// worth: "acceptation", "rejet" or "".
	Doctype string
	Delay   string
	Silence string
	// The pieces asked of an incomplete request, by when, since when.
	MissingPieces  []string
	PiecesDeadline string
	PiecesAskedOn  string
	// Who answers: the agent, and the service in charge with how the
	// public reaches it.
	User           string
	Entity         string
	ServiceAddress string // lines
	ServicePhone   string
	ServiceEmail   string
	Today          time.Time
}

// Field documents one placeholder for the admin page.
type Field struct {
	Name, Label string
}

// FieldList is every placeholder a template may use, in the order the
// admin page lists them.
var FieldList = []Field{
	{"civilite", "Civilité du correspondant (« Madame, Monsieur » si inconnue)"},
	{"nom", "Nom du correspondant (prénom et nom, ou organisme)"},
	{"organisme", "Organisme du correspondant"},
	{"adresse", "Adresse (rue) du correspondant"},
	{"code_postal", "Code postal"},
	{"ville", "Ville"},
	{"adresse_complete", "Adresse complète sur plusieurs lignes (rue, code postal et ville, pays)"},
	{"numero", "Numéro chrono du courrier, ex. 2026/A/000123"},
	{"objet", "Objet du courrier"},
	{"date_courrier", "Date du courrier, en toutes lettres"},
	{"date_arrivee", "Date de réception (d'arrivée), en toutes lettres"},
	{"date_limite", "Date limite de traitement, en toutes lettres; pour une demande SVA ou SVR, date de la décision implicite"},
	{"type_courrier", "Type de courrier"},
	{"delai", "Délai du type de courrier, ex. « 2 mois », « 15 jours ouvrés »"},
	{"silence_vaut", "Ce que vaut le silence de l'administration : « acceptation » (SVA), « rejet » (SVR) ou vide"},
	{"pieces_manquantes", "Pièces et informations manquantes d'une demande incomplète, une par ligne"},
	{"date_limite_pieces", "Date limite pour produire les pièces manquantes, en toutes lettres"},
	{"date_demande_pieces", "Date de la demande de pièces, en toutes lettres"},
	{"agent", "Nom de l'agent qui crée le projet"},
	{"entite", "Service chargé du dossier (entité du courrier)"},
	{"service_adresse", "Adresse postale du service, sur plusieurs lignes (sinon celle de l'entité parente, puis de la commune)"},
	{"service_telephone", "Téléphone du service (sinon celui de l'entité parente, puis de la commune)"},
	{"service_courriel", "Adresse électronique du service (sinon celle de l'entité parente, puis de la commune)"},
	{"commune", "Nom de la collectivité"},
	{"commune_adresse", "Adresse postale de la collectivité, sur plusieurs lignes"},
	{"commune_telephone", "Téléphone de la collectivité"},
	{"commune_courriel", "Adresse électronique de la collectivité"},
	{"commune_site", "Site internet de la collectivité"},
	{"date_du_jour", "Date du jour, ex. 1er mars 2026"},
}

// Values turns fields into placeholder values. Every listed placeholder gets
// a value, empty when unknown, so that no {{…}} of ours is left in a draft.
func (f Fields) Values() Values {
	civ := strings.TrimSpace(f.Civility)
	if civ == "" {
		civ = "Madame, Monsieur"
	}
	full := []string{}
	if s := strings.TrimSpace(f.Address); s != "" {
		full = append(full, s)
	}
	if s := strings.TrimSpace(strings.TrimSpace(f.Postcode) + " " + strings.TrimSpace(f.City)); s != "" {
		full = append(full, s)
	}
	if s := strings.TrimSpace(f.Country); s != "" && !strings.EqualFold(s, "France") {
		full = append(full, strings.ToUpper(s))
	}
	pieces := make([]string, len(f.MissingPieces))
	for i, p := range f.MissingPieces {
		pieces[i] = "- " + p
	}
	return Values{
		"civilite": civ, "nom": f.Name, "organisme": f.Organization, "adresse": f.Address,
		"code_postal": f.Postcode, "ville": f.City, "adresse_complete": strings.Join(full, "\n"),
		"numero": f.Number, "objet": f.Subject,
		"date_courrier": FrenchDateISO(f.LetterDate), "date_arrivee": FrenchDateISO(f.ArrivalDate), "date_limite": FrenchDateISO(f.DueDate),
		"type_courrier": f.Doctype, "delai": f.Delay, "silence_vaut": f.Silence,
		"pieces_manquantes": strings.Join(pieces, "\n"), "date_limite_pieces": FrenchDateISO(f.PiecesDeadline), "date_demande_pieces": FrenchDateISO(f.PiecesAskedOn),
		"agent": f.User, "entite": f.Entity, "service_adresse": f.ServiceAddress, "service_telephone": f.ServicePhone, "service_courriel": f.ServiceEmail,
		"commune": f.Tenant, "commune_adresse": f.TenantAddress, "commune_telephone": f.TenantPhone, "commune_courriel": f.TenantEmail,
		"commune_site": f.TenantWebsite, "date_du_jour": FrenchDate(f.Today),
	}
}

var months = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// FrenchDate writes a date as a French letter does: "1er mars 2026",
// "23 novembre 2026". The zero time is "".
func FrenchDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return day + " " + months[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// FrenchDateISO is FrenchDate of a civil date AAAA-MM-JJ; anything else is
// returned as it is.
func FrenchDateISO(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return FrenchDate(t)
}
