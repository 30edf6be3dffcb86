package store

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	w := func(words ...string) Term { return Term{Words: words} }
	p := func(words ...string) Term { return Term{Words: words, Prefix: true} }
	for _, c := range []struct {
		q    string
		want []Term
	}{
		{"", nil},
		{"   \t\n", nil},
		{"élagage", []Term{w("élagage")}},
		{"Élagage PLATANES", []Term{w("élagage"), w("platanes")}},
		{"urba*", []Term{p("urba")}},
		{"urba* permis", []Term{p("urba"), w("permis")}},
		{"*", nil},
		{"* *", nil},
		{"**urba", []Term{w("urba")}},
		{`"permis de construire"`, []Term{w("permis", "de", "construire")}},
		{`"permis de"*`, []Term{p("permis", "de")}},
		{`avant "permis de construire" après`, []Term{w("avant"), w("permis", "de", "construire"), w("après")}},
		{`"non fermé`, []Term{w("non", "fermé")}},
		{`""`, nil},
		{`" , "`, nil},
		{`a"b c"`, []Term{w("a"), w("b", "c")}},
		{"l'urbanisme", []Term{w("l", "urbanisme")}},
		{"2026/A/000123", []Term{w("2026", "a", "000123")}},
		{"jean.dupont@example.fr", []Term{w("jean", "dupont", "example", "fr")}},
		{"AND OR NOT NEAR", []Term{w("and"), w("or"), w("not"), w("near")}},
		{"col:umn ^x -y +z", []Term{w("col", "umn"), w("x"), w("y"), w("z")}},
		{"Œuvre", []Term{w("œuvre")}},
		{"x" + strings.Repeat("y", 100), []Term{w("x" + strings.Repeat("y", 63))}},
		{strings.Repeat("é", 70), []Term{w(strings.Repeat("é", 64))}},
		{strings.Repeat("mot ", 20), func() []Term {
			out := make([]Term, maxTerms)
			for i := range out {
				out[i] = w("mot")
			}
			return out
		}()},
	} {
		got := ParseQuery(c.q)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseQuery(%q) = %#v, want %#v", c.q, got, c.want)
		}
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Éloïse Œuvre":    "eloise oeuvre",
		"ÉLAGAGE":         "elagage",
		"élagage":         "elagage",
		"Ça déçoit":       "ca decoit",
		"Lætitia":         "laetitia",
		"Straße":          "strasse",
		"e\u0301te\u0301": "ete", // decomposed accents
		"2026/A/000123":   "2026/a/000123",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := indexText("Mme Éloïse Lefèvre <eloise.lefevre@example.fr>, 2026/A/000123"); got != "mme eloise lefevre eloise lefevre example fr 2026 a 000123" {
		t.Errorf("indexText = %q", got)
	}
}

// The dialects turn the same terms into their own syntax; words are only
// letters and digits, so nothing a user types reaches the SQL unquoted.
func TestMatchSyntax(t *testing.T) {
	t.Parallel()
	terms := ParseQuery(`Élagage "permis de construire" urba* Œuvre`)
	_, args := sqliteDialect{}.match(terms)
	if got := args[0]; got != `"elagage" AND "permis de construire" AND "urba"* AND "oeuvre"` {
		t.Errorf("sqlite MATCH %q", got)
	}
	_, args = postgresDialect{}.match(terms)
	if got := args[0]; got != `(elagage) & (permis <-> de <-> construire) & (urba:*) & (oeuvre)` {
		t.Errorf("postgres tsquery %q", got)
	}
}
