package installer

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"time"

	"missive/appliance/config"
)

// PackagedConfig is the /etc/missive/missive.toml the .deb and .rpm ship:
// enough to start on loopback, and replaced by quickstart.
//
//go:embed missive.toml
var PackagedConfig []byte

// ConfigFile is the missive.toml quickstart writes: every key with its
// documentation and the value chosen, so the file explains itself.
func ConfigFile(c config.Config, at time.Time, command string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# missive.toml — écrit par « %s »\n# le %s.\n", command, at.Format("02/01/2006 à 15:04"))
	fmt.Fprintln(&b, "# Chaque clé est documentée; après une modification:")
	fmt.Fprintln(&b, "#   missive config test --config CE_FICHIER && systemctl restart missive")
	if err := config.Document(&b, c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ErrConfigExists means a configuration other than the packaged default
// is in place: Missive was already set up there.
var ErrConfigExists = errors.New("configuration déjà en place")

// CheckConfigReplaceable accepts an absent file or the untouched packaged
// one, and refuses to overwrite anything else.
func CheckConfigReplaceable(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if bytes.Equal(b, PackagedConfig) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrConfigExists, path)
}

// CheckDataDirFresh accepts an absent or empty data dir (the package makes
// an empty one) and refuses one that already holds data.
func CheckDataDirFresh(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != "quickstart.log" {
			return fmt.Errorf("le dossier de données %s n'est pas vide (%s)", dir, e.Name())
		}
	}
	return nil
}
