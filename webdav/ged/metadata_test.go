package ged

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"testing"

	"missive/appliance/domain"
)

// TestMetadataRetention: the DUA and the sort final of metadata.json and
// metadata.csv, from the doctype, counted from the letter's closing.
func TestMetadataRetention(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name                  string
		dt                    domain.Doctype
		closedAt              string
		dua, libelle, depart  string
		sortFinal, sortLibell string
	}{
		{"not set", domain.Doctype{}, "2026-03-16T09:30:00.000Z", "", "", "", "", ""},
		{"ten years, kept", domain.Doctype{RetentionYears: 10, FinalDisposition: domain.DispositionKeep}, "2026-03-16T09:30:00.000Z",
			"P10Y", "10 ans à compter de la clôture du courrier", "2026-03-16", "conserver", "Conservation définitive"},
		{"one year, destroyed", domain.Doctype{RetentionYears: 1, FinalDisposition: domain.DispositionDestroy}, "2026-03-16T09:30:00.000Z",
			"P1Y", "1 an à compter de la clôture du courrier", "2026-03-16", "detruire", "Destruction"},
		// 23:30 UTC on 31 December is already 1 January in Paris.
		{"closed on new year's eve UTC", domain.Doctype{RetentionYears: 5, FinalDisposition: domain.DispositionSort}, "2026-12-31T23:30:00.000Z",
			"P5Y", "5 ans à compter de la clôture du courrier", "2027-01-01", "trier", "Tri"},
		{"open letter", domain.Doctype{RetentionYears: 2}, "", "P2Y", "2 ans à compter de la clôture du courrier", "", "", ""},
		{"sort final alone", domain.Doctype{FinalDisposition: domain.DispositionKeep}, "2026-03-16T09:30:00.000Z", "", "", "", "conserver", "Conservation définitive"},
	} {
		m := &Metadata{NumeroChrono: "2026/A/000001", Fichiers: []FileMeta{}}
		m.retention(&c.dt, c.closedAt)
		if m.DUA != c.dua || m.DUALibelle != c.libelle || m.DUADateDepart != c.depart || m.SortFinal != c.sortFinal || m.SortFinalLibelle != c.sortLibell {
			t.Errorf("%s: dua %q %q from %q, sort final %q %q", c.name, m.DUA, m.DUALibelle, m.DUADateDepart, m.SortFinal, m.SortFinalLibelle)
		}
		var j map[string]any
		if err := json.Unmarshal(m.JSON(), &j); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(m.CSV())).ReadAll()
		if err != nil || len(rows) != 2 || len(rows[0]) != len(rows[1]) {
			t.Fatalf("%s: metadata.csv %q, %v", c.name, rows, err)
		}
		for i, name := range rows[0] {
			if v, ok := j[name].(string); ok && v != rows[1][i] {
				t.Errorf("%s: metadata.csv %s = %q, metadata.json %q", c.name, name, rows[1][i], v)
			}
		}
		for _, name := range []string{"dua", "dua_libelle", "dua_date_depart", "sort_final", "sort_final_libelle"} {
			if _, ok := j[name]; !ok {
				t.Errorf("%s: metadata.json has no %s", c.name, name)
			}
		}
	}
}
