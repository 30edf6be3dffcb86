package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCLIDocsUpToDate fails when docs/cli.md no longer matches the help
// texts: regenerate it with `go run ./cmd/missive help --markdown > docs/cli.md`.
func TestCLIDocsUpToDate(t *testing.T) {
	t.Parallel()
	var want bytes.Buffer
	markdown(&want)
	got, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("docs/cli.md est périmé: lancez « go run ./cmd/missive help --markdown > docs/cli.md »")
	}
}
