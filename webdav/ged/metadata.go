package ged

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"missive/appliance/domain"
)

// Metadata is what metadata.json says of an exported letter. Its field names
// follow the French archival vocabulary of SEDA (the standard for exchanging
// records with an archive service) so that an archivist or a GED import rule
// can map them without a dictionary; it is not a full SEDA message.
type Metadata struct {
	Identifiant           string `json:"identifiant"`
	NumeroChrono          string `json:"numero_chrono"`
	Objet                 string `json:"objet"`
	Categorie             string `json:"categorie"`
	Canal                 string `json:"canal"`
	Commune               string `json:"commune"`
	ServiceProducteur     string `json:"service_producteur"`
	CodeServiceProducteur string `json:"code_service_producteur"`
	Expediteur            string `json:"expediteur"`
	Destinataire          string `json:"destinataire"`
	TypeDeCourrier        string `json:"type_de_courrier"`
	DateCourrier          string `json:"date_courrier"`
	DateArrivee           string `json:"date_arrivee"`
	DateEnregistrement    string `json:"date_enregistrement"`
	DateLimite            string `json:"date_limite"`
	DateCloture           string `json:"date_cloture"`
	Confidentiel          bool   `json:"confidentiel"`
	// The archival retention of the letter's doctype (see retention), empty
	// when the letter has no doctype or its doctype does not set it.
	DUA              string     `json:"dua"`                // durée d'utilité administrative, an ISO 8601 duration as SEDA's Rule: "P10Y"
	DUALibelle       string     `json:"dua_libelle"`        // "10 ans à compter de la clôture du courrier"
	DUADateDepart    string     `json:"dua_date_depart"`    // SEDA's StartDate: the closing date, YYYY-MM-DD, Paris time
	SortFinal        string     `json:"sort_final"`         // conserver, detruire or trier (SEDA's FinalAction: Keep, Destroy; tri in French practice)
	SortFinalLibelle string     `json:"sort_final_libelle"` // "Conservation définitive", "Destruction", "Tri"
	DateExport       string     `json:"date_export"`
	Fichiers         []FileMeta `json:"fichiers"`
}

// FileMeta describes one exported file.
type FileMeta struct {
	Nom       string    `json:"nom"`
	Role      string    `json:"role"` // document_principal or reponse
	Version   int       `json:"version"`
	Taille    int64     `json:"taille"`
	TypeMIME  string    `json:"type_mime"`
	Empreinte Empreinte `json:"empreinte"`
}

// Empreinte is a file's digest, as SEDA's MessageDigest: algorithm and value.
type Empreinte struct {
	Algorithme string `json:"algorithme"`
	Valeur     string `json:"valeur"`
}

var categories = map[domain.Category]string{domain.Incoming: "arrivée", domain.Outgoing: "départ", domain.Internal: "interne"}

var channels = map[domain.Channel]string{domain.ChannelPaper: "papier", domain.ChannelEmail: "courriel", domain.ChannelWeb: "formulaire web"}

var dispositions = map[domain.Disposition]string{domain.DispositionKeep: "Conservation définitive", domain.DispositionDestroy: "Destruction", domain.DispositionSort: "Tri"}

// retention fills the DUA and the sort final from the letter's doctype. The
// DUA runs from the letter's closing (domain.RetentionStart): closedAt, an
// instant in domain.TimeLayout, empty while the letter is open.
func (m *Metadata) retention(d *domain.Doctype, closedAt string) {
	if d.RetentionYears > 0 {
		unit := "ans"
		if d.RetentionYears == 1 {
			unit = "an"
		}
		m.DUA = "P" + strconv.Itoa(d.RetentionYears) + "Y"
		// "à la clôture du courrier" → "10 ans à compter de la clôture du courrier"
		m.DUALibelle = strconv.Itoa(d.RetentionYears) + " " + unit + " à compter de " + strings.TrimPrefix(domain.RetentionStart, "à ")
		if t, err := time.Parse(domain.TimeLayout, closedAt); err == nil {
			m.DUADateDepart = t.In(domain.Paris).Format(domain.DateLayout)
		}
	}
	if l, ok := dispositions[d.FinalDisposition]; ok {
		m.SortFinal, m.SortFinalLibelle = string(d.FinalDisposition), l
	}
}

// JSON is metadata.json: indented UTF-8, for people as much as programs.
func (m *Metadata) JSON() []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}

var csvHeader = []string{"identifiant", "numero_chrono", "objet", "categorie", "canal", "commune", "service_producteur", "code_service_producteur",
	"expediteur", "destinataire", "type_de_courrier", "date_courrier", "date_arrivee", "date_enregistrement", "date_limite", "date_cloture",
	"confidentiel", "dua", "dua_libelle", "dua_date_depart", "sort_final", "sort_final_libelle", "date_export", "fichier", "role", "version", "taille", "type_mime", "empreinte_sha256"}

// CSV is metadata.csv (RFC 4180, comma-separated, UTF-8): one row per
// exported file with the letter's fields repeated, so that it opens as one
// flat table in a spreadsheet or an import tool; a letter without files
// still has one row.
func (m *Metadata) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(csvHeader)
	letter := []string{m.Identifiant, m.NumeroChrono, m.Objet, m.Categorie, m.Canal, m.Commune, m.ServiceProducteur, m.CodeServiceProducteur,
		m.Expediteur, m.Destinataire, m.TypeDeCourrier, m.DateCourrier, m.DateArrivee, m.DateEnregistrement, m.DateLimite, m.DateCloture,
		strconv.FormatBool(m.Confidentiel), m.DUA, m.DUALibelle, m.DUADateDepart, m.SortFinal, m.SortFinalLibelle, m.DateExport}
	files := m.Fichiers
	if len(files) == 0 {
		files = []FileMeta{{}}
	}
	for _, f := range files {
		row := append(append([]string{}, letter...), f.Nom, f.Role, "", "", f.TypeMIME, f.Empreinte.Valeur)
		if f.Nom != "" {
			row[len(letter)+2] = strconv.Itoa(f.Version)
			row[len(letter)+3] = strconv.FormatInt(f.Taille, 10)
		}
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}
