package ged

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"

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
	// DUA (durée d'utilité administrative) and SortFinal (conserver,
	// détruire, trier) are empty while doctypes do not carry them.
	DUA        string     `json:"dua"`
	SortFinal  string     `json:"sort_final"`
	DateExport string     `json:"date_export"`
	Fichiers   []FileMeta `json:"fichiers"`
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

// JSON is metadata.json: indented UTF-8, for people as much as programs.
func (m *Metadata) JSON() []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}

var csvHeader = []string{"identifiant", "numero_chrono", "objet", "categorie", "canal", "commune", "service_producteur", "code_service_producteur",
	"expediteur", "destinataire", "type_de_courrier", "date_courrier", "date_arrivee", "date_enregistrement", "date_limite", "date_cloture",
	"confidentiel", "dua", "sort_final", "date_export", "fichier", "role", "version", "taille", "type_mime", "empreinte_sha256"}

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
		strconv.FormatBool(m.Confidentiel), m.DUA, m.SortFinal, m.DateExport}
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
