package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Term is one element of a full-text query: a word, or a "quoted phrase",
// optionally a prefix (trailing *), as Maarch users type them.
type Term struct {
	Words  []string
	Prefix bool
}

// maxTerms bounds the work one search box can ask of the database.
const maxTerms = 16

// ParseQuery splits a search box into terms. It never fails: characters that
// are neither letters nor digits separate words, an unclosed quote closes at
// the end, and a lone * is dropped.
func ParseQuery(q string) []Term {
	var out []Term
	rs := []rune(q)
	for i := 0; i < len(rs) && len(out) < maxTerms; {
		switch {
		case rs[i] == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			t := Term{Words: words(string(rs[i+1 : min(j, len(rs))]))}
			i = j + 1
			if i < len(rs) && rs[i] == '*' {
				t.Prefix = true
				i++
			}
			if len(t.Words) > 0 {
				out = append(out, t)
			}
		case unicode.IsSpace(rs[i]):
			i++
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			tok := string(rs[i:j])
			i = j
			prefix := strings.HasSuffix(tok, "*")
			ws := words(tok)
			if len(ws) == 0 {
				continue
			}
			// "l'urbanisme" or "2026/A/12" are phrases of their parts.
			out = append(out, Term{Words: ws, Prefix: prefix})
		}
	}
	return out
}

func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if r := []rune(w); len(r) > 64 {
			// Cut on a rune boundary: PostgreSQL rejects invalid UTF-8.
			w = string(r[:64])
		}
		out = append(out, strings.ToLower(w))
	}
	return out
}

// Fold lowercases and strips diacritics: "Éloïse Œuvre" → "eloise oeuvre".
// PostgreSQL indexes folded text so that no extension is needed.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	// Lowercase first: some capitals lowercase to a letter folded below
	// ("ẞ" → "ß" → "ss"), and Fold must be idempotent.
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'œ' || r == 'Œ':
			b.WriteString("oe")
		case r == 'æ' || r == 'Æ':
			b.WriteString("ae")
		case r == 'ß':
			b.WriteString("ss")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// indexText is what PostgreSQL indexes: folded words separated by spaces,
// split exactly as ParseQuery splits a query. Left to its own parser,
// PostgreSQL would keep "2026/A/000123" or an e-mail address as one token
// that no query word could match.
func indexText(s string) string {
	return strings.Join(words(Fold(s)), " ")
}

// searcher is the dialect's full-text half.
type searcher interface {
	match(terms []Term) (string, []any)
	// searchTenantCol is how a search writes the perimeter's tenant column.
	searchTenantCol() string
	// countFrom is the FROM of a search's count, when the search is the
	// only filter.
	countFrom() string
}

// countFrom reads the matches' perimeter columns from the narrow index of
// migration 0017 rather than from the letters' rows: SQLite's planner
// prefers the rowid, which reads a whole letter per match (a common word's
// count over 100,000 letters: 80 ms → 20 ms).
func (sqliteDialect) countFrom() string { return "letters l INDEXED BY letters_seq_perimeter" }

func (postgresDialect) countFrom() string { return "letters l" }

// searchTenantCol hides the tenant column from SQLite's planner ("+"):
// given an index on it, the planner walks every letter of the tenant and
// probes the matches, where reading the matches from the FTS table and each
// letter by its rowid costs what the search finds (212 ms → a few ms for
// an administrator's search of 100,000 letters).
func (sqliteDialect) searchTenantCol() string { return "+l.tenant_id" }

// PostgreSQL already drives a search from the GIN index.
func (postgresDialect) searchTenantCol() string { return "l.tenant_id" }

func (sqliteDialect) match(terms []Term) (string, []any) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		ws := make([]string, len(t.Words))
		for j, w := range t.Words {
			ws[j] = Fold(w)
		}
		// Words hold only letters and digits, so quoting them is safe.
		parts[i] = `"` + strings.Join(ws, " ") + `"`
		if t.Prefix {
			parts[i] += "*"
		}
	}
	return "l.seq IN (SELECT rowid FROM letters_fts WHERE letters_fts MATCH ?)", []any{strings.Join(parts, " AND ")}
}

func (postgresDialect) match(terms []Term) (string, []any) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		ws := make([]string, len(t.Words))
		for j, w := range t.Words {
			ws[j] = Fold(w)
		}
		if t.Prefix {
			ws[len(ws)-1] += ":*"
		}
		parts[i] = "(" + strings.Join(ws, " <-> ") + ")"
	}
	return "l.tsv @@ to_tsquery('french', ?)", []any{strings.Join(parts, " & ")}
}
