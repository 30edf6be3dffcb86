package drafts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrNoOffice means LibreOffice is not installed where Missive runs.
var ErrNoOffice = errors.New("LibreOffice n'est pas installé sur ce serveur : la réponse définitive en PDF ne peut pas être générée. Installez le paquet libreoffice-writer-nogui (apt-get install libreoffice-writer-nogui), puis réessayez")

// Converter turns a finished draft into PDF with LibreOffice headless.
// Each conversion runs in its own temporary directory with its own
// LibreOffice profile: two conversions at once, or a desktop LibreOffice of
// the same account, would otherwise share (and lock) one profile and the
// second would silently do nothing.
type Converter struct {
	// Soffice is the program; "" looks up "soffice" in PATH at each call,
	// so that installing LibreOffice needs no restart of Missive.
	Soffice string
	// Timeout bounds one conversion (default 2 minutes); LibreOffice is
	// killed, with its children, when it is reached.
	Timeout time.Duration
	// sem bounds the conversions running at once: each one is a full
	// LibreOffice process.
	sem chan struct{}
	log *slog.Logger
}

// NewConverter allows at most parallel conversions at once (at least 1).
func NewConverter(log *slog.Logger, parallel int) *Converter {
	if parallel < 1 {
		parallel = 1
	}
	return &Converter{Timeout: 2 * time.Minute, sem: make(chan struct{}, parallel), log: log}
}

// Available says whether LibreOffice can be run, and why not.
func (c *Converter) Available() (string, error) {
	name := c.Soffice
	if name == "" {
		name = "soffice"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNoOffice, err)
	}
	return p, nil
}

// ToPDF converts a document (ODT, DOCX) named name to PDF.
func (c *Converter) ToPDF(ctx context.Context, doc []byte, name string) ([]byte, error) {
	soffice, err := c.Available()
	if err != nil {
		return nil, err
	}
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	dir, err := os.MkdirTemp("", "missive-pdf-")
	if err != nil {
		return nil, fmt.Errorf("convert to pdf: %w", err)
	}
	defer os.RemoveAll(dir)
	ext := strings.ToLower(filepath.Ext(name))
	if ext != ".odt" && ext != ".docx" && ext != ".doc" && ext != ".rtf" {
		ext = ".odt"
	}
	// The input gets a fixed name: the agent's file name is not passed to a
	// command line.
	in := filepath.Join(dir, "document"+ext)
	if err := os.WriteFile(in, doc, 0o600); err != nil {
		return nil, fmt.Errorf("convert to pdf: %w", err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	profile := "file://" + filepath.ToSlash(filepath.Join(dir, "profile"))
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile,
		"--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
		"--convert-to", "pdf:writer_pdf_Export", "--outdir", dir, in)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	// soffice is a shell script that starts soffice.bin: the whole process
	// group goes when the timeout strikes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("convert %s to pdf: LibreOffice n'a pas terminé en %s", name, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("convert %s to pdf: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "document.pdf"))
	if err != nil {
		// soffice exits 0 when it could not read the input: the missing
		// output is the only sign.
		return nil, fmt.Errorf("convert %s to pdf: LibreOffice n'a produit aucun PDF: %s", name, strings.TrimSpace(out.String()))
	}
	if c.log != nil {
		c.log.Info("draft converted to pdf", "name", name, "bytes", len(pdf), "took", time.Since(start).Round(time.Millisecond))
	}
	return pdf, nil
}
