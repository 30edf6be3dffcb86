package drafts

import (
	"strconv"
	"strings"
	"time"
)

// Fields is what a draft may say about its letter, already resolved to
// text by the caller (names of the contact, the user, the entity).
type Fields struct {
	Tenant string // the town: "Mairie de Saint-Martin"
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
	// Who answers.
	User   string
	Entity string
	Today  time.Time
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
	{"date_arrivee", "Date d'arrivée, en toutes lettres"},
	{"date_limite", "Date limite de traitement, en toutes lettres"},
	{"agent", "Nom de l'agent qui crée le projet"},
	{"entite", "Entité (service) qui traite le courrier"},
	{"commune", "Nom de la collectivité"},
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
	return Values{
		"civilite": civ, "nom": f.Name, "organisme": f.Organization, "adresse": f.Address,
		"code_postal": f.Postcode, "ville": f.City, "adresse_complete": strings.Join(full, "\n"),
		"numero": f.Number, "objet": f.Subject,
		"date_courrier": FrenchDateISO(f.LetterDate), "date_arrivee": FrenchDateISO(f.ArrivalDate), "date_limite": FrenchDateISO(f.DueDate),
		"agent": f.User, "entite": f.Entity, "commune": f.Tenant, "date_du_jour": FrenchDate(f.Today),
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
