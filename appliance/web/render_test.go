package web

import (
	"io/fs"
	"testing"
)

// Every page of every language parses. Languages are parsed on their
// first use, not when the server is built, so this is where a template
// that does not parse shows.
func TestEveryPageParses(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	p := ParsePages()
	for _, lang := range languages {
		set, err := p.langs[lang]()
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		// Every file but the layout and the partials is a page.
		if len(set) != len(files)-2 {
			t.Errorf("%s: %d pages parsed, want %d", lang, len(set), len(files)-2)
		}
		if _, err := p.page(lang, "login"); err != nil {
			t.Errorf("%s: %v", lang, err)
		}
	}
}
