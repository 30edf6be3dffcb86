package pdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pdftotext reads a PDF back with poppler, a reader we did not write.
func pdftotext(t *testing.T, doc []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext introuvable: installez le paquet Debian poppler-utils (voir scripts/deps, lancé par make test)")
	}
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

// TestDocumentReadsBack: accents, guillemets, the euro sign and the
// apostrophe survive; a long paragraph wraps and spills onto a second page;
// the cross-reference table points at every object.
func TestDocumentReadsBack(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Le délai court à compter de la réception de votre demande complète. ", 120)
	doc := Document("Accusé de réception", []Line{
		{Text: "Mairie de Bérre-l'Étang", Bold: true},
		{Text: "Mme Élodie Œuvray", Indent: 280},
		{},
		{Text: "Objet : votre demande « élagage » (coût estimé 120 €) — réf. 2026/A/000042", Bold: true},
		{Text: long},
		{Text: "https://exemple.test/" + strings.Repeat("x", 300)},
	})
	text := pdftotext(t, doc)
	for _, want := range []string{"Mairie de Bérre-l'Étang", "Mme Élodie Œuvray", "« élagage »", "120 €", "—", "2026/A/000042", "demande complète."} {
		if !strings.Contains(text, want) {
			t.Errorf("%q missing from:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "\f"); n < 2 {
		t.Errorf("%d pages, want the long text on 2 or more", n)
	}
	// Every xref offset is the start of its object.
	m := regexp.MustCompile(`(?s)xref\n0 (\d+)\n0000000000 65535 f \n(.*?)trailer`).FindSubmatch(doc)
	if m == nil {
		t.Fatal("no xref table")
	}
	for i, line := range strings.Split(strings.TrimSpace(string(m[2])), "\n") {
		off, _ := strconv.Atoi(line[:10])
		if want := strconv.Itoa(i+1) + " 0 obj"; !bytes.HasPrefix(doc[off:], []byte(want)) {
			t.Errorf("xref entry %d points at %q", i+1, doc[off:off+12])
		}
	}
}

func TestWrapFitsTheWidth(t *testing.T) {
	t.Parallel()
	for _, l := range wrap(strings.Repeat("WWWW mmmm ", 40), true, maxWidth) {
		if width(l, true) > maxWidth {
			t.Errorf("line too wide: %q", l)
		}
	}
	if got := wrap("", false, maxWidth); len(got) != 1 || got[0] != "" {
		t.Errorf("empty paragraph: %q", got)
	}
}

func FuzzDocument(f *testing.F) {
	f.Add("Accusé « réception » €", 0)
	f.Add(strings.Repeat("é", 500), 300)
	f.Fuzz(func(t *testing.T, s string, indent int) {
		if indent < 0 || indent > 400 {
			return
		}
		doc := Document(s, []Line{{Text: s, Indent: indent}, {Text: s, Bold: true}})
		if !bytes.HasPrefix(doc, []byte("%PDF-1.4")) || !bytes.HasSuffix(doc, []byte("%%EOF\n")) {
			t.Fatal("malformed document")
		}
	})
}
