package drafts

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// requireSoffice fails, never skips, when LibreOffice is missing: it is a
// peer of `make test` (make deps installs it).
func requireSoffice(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("soffice"); err != nil {
		t.Fatalf("LibreOffice is required by this test (apt-get install libreoffice-writer-nogui python3-uno): %v", err)
	}
}

func TestToPDF(t *testing.T) {
	t.Parallel()
	requireSoffice(t)
	c := NewConverter(nil, 2)
	for name, tpl := range map[string][]byte{"odt": DefaultTemplate(), "docx": docx(t)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			draft, format, err := Merge(tpl, testFields().Values())
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			pdf, err := c.ToPDF(context.Background(), draft, DraftName("2026/A/000001", format.Ext()))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s → PDF: %d bytes in %s", name, len(pdf), time.Since(start).Round(time.Millisecond))
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 1000 {
				t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 40)])
			}
		})
	}
}

func TestToPDFWithoutLibreOffice(t *testing.T) {
	t.Parallel()
	c := NewConverter(nil, 1)
	c.Soffice = "soffice-not-installed-here"
	_, err := c.ToPDF(context.Background(), DefaultTemplate(), "x.odt")
	if !errors.Is(err, ErrNoOffice) {
		t.Fatalf("err = %v, want ErrNoOffice", err)
	}
}

func TestToPDFRefusesGarbage(t *testing.T) {
	t.Parallel()
	requireSoffice(t)
	c := NewConverter(nil, 1)
	c.Timeout = time.Minute
	if pdf, err := c.ToPDF(context.Background(), []byte("\x00\x01 pas un document"), "x.odt"); err == nil && !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("garbage gave %q without an error", pdf)
	}
}
