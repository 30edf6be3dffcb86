package web

import (
	"io/fs"
	"testing"
)

// Every page of every language parses. Pages are parsed on their first
// use, not when the server is built, so this is where a template that
// does not parse shows.
func TestEveryPageParses(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	p := ParsePages()
	for _, lang := range languages {
		// Every file but the layout and the partials is a page.
		if n := len(p.pages[lang]); n != len(files)-2 {
			t.Errorf("%s: %d pages, want %d", lang, n, len(files)-2)
		}
		for name := range p.pages[lang] {
			if _, err := p.page(lang, name); err != nil {
				t.Errorf("%s: %v", lang, err)
			}
		}
	}
	if _, err := p.page("fr", "nulle-part"); err == nil {
		t.Error("a page that does not exist was found")
	}
}
