package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"missive/appliance/config"
)

func FuzzConfigLoad(f *testing.F) {
	var described strings.Builder
	if err := config.Describe(&described); err != nil {
		f.Fatal(err)
	}
	// The commented example must itself be a valid configuration.
	path := filepath.Join(f.TempDir(), "missive.toml")
	if err := os.WriteFile(path, []byte(described.String()), 0o600); err != nil {
		f.Fatal(err)
	}
	if _, err := config.Load(path); err != nil {
		f.Fatalf("described configuration does not load: %v", err)
	}
	for _, s := range []string{
		described.String(),
		"data = \"/var/lib/missive\"\nlisten = \":443\"\nbase_url = \"https://courrier.ville-exemple.fr\"\ntenant_name = \"Commune de Saint-Étienne-de-Crossey\"\nmax_upload_mb = 200\nlog_level = \"warn\"\n",
		"db = \"postgres://missive:s3cr3t@db.interne:5432/missive\"\r\nlisten = \"127.0.0.1:8080\"\r\n",
		"\ufefftenant_name = 'Mairie d''Annecy'\n",
		"tenant_name = \"\"\"Ville\nde Lyon\"\"\"\n",
		"listen = \"8080\"\nmax_upload_mb = 0\nlog_level = \"trace\"\ndata = \" \"\ndb = \"mysql://x\"\nbase_url = \"courrier.fr\"\n",
		"langue = \"fr\"\n[mail]\nrelay = \"smtp.ville.fr\"\n",
		"max_upload_mb = \"50\"\n",
		"max_upload_mb = 99999999999999999999\n",
		"listen = [\"127.0.0.1:8080\"]\n",
		"data = \"data\"\ndata = \"autre\"\n",
		"[[data]]\n", "= 1\n", "data = \"\x00\"\n", "\x00\xff", "# seulement un commentaire 🎉\n", "",
	} {
		f.Add(s)
	}
	file, err := os.Create(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { file.Close() })
	f.Fuzz(func(t *testing.T, content string) {
		// One file rewritten in place: truncating it to zero or a directory
		// per input costs a hundred times the parse on some disks.
		if _, err := file.WriteAt([]byte(content), 0); err != nil {
			t.Fatal(err)
		}
		if err := file.Truncate(int64(len(content))); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(path)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("empty error message for %q", content)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted an invalid configuration: %v", err)
		}
	})
}
