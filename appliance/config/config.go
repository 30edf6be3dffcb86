// Package config owns Missive's configuration file: its fields and their
// documentation, parsing that reports every error at once, and the commented
// example printed by `missive config describe`.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is missive.toml. Every field documents itself with its doc tag.
type Config struct {
	Data        string `toml:"data" doc:"Dossier des données: base SQLite, journal raft, documents (blobs), socket de contrôle."`
	Listen      string `toml:"listen" doc:"Adresse d'écoute HTTP de l'interface, de l'API et du partage WebDAV, ex. 127.0.0.1:8080 ou :443."`
	DB          string `toml:"db" doc:"Base PostgreSQL (postgres://utilisateur:motdepasse@hôte:5432/base). Vide: SQLite embarqué dans le dossier des données."`
	BaseURL     string `toml:"base_url" doc:"Adresse publique de Missive, utilisée dans les liens des e-mails, ex. https://courrier.ville.fr. Vide: déduite de listen."`
	TenantName  string `toml:"tenant_name" doc:"Nom de la commune créée au premier démarrage."`
	MaxUploadMB int    `toml:"max_upload_mb" doc:"Taille maximale d'un document déposé, en mégaoctets (1 à 2048)."`
	LogLevel    string `toml:"log_level" doc:"Niveau des journaux: debug, info, warn ou error."`
}

// Default is the configuration of a first run in ./data.
func Default() Config {
	return Config{
		Data:        "data",
		Listen:      "127.0.0.1:8080",
		TenantName:  "Ma commune",
		MaxUploadMB: 50,
		LogLevel:    "info",
	}
}

// Load reads a file over the defaults and validates the result. A missing
// file is an error; the caller decides whether a file is needed at all.
func Load(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("lire la configuration: %w", err)
	}
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, fmt.Errorf("%s: clé inconnue %q (voir `missive config describe`)", path, k.String()))
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	return c, errors.Join(errs...)
}

// Validate reports every invalid field at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, msg string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(msg, args...)))
	}
	if strings.TrimSpace(c.Data) == "" {
		bad("data", "obligatoire")
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		bad("listen", "adresse invalide %q: attendu hôte:port, ex. 127.0.0.1:8080", c.Listen)
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		bad("db", "attendu postgres://… ou vide pour SQLite")
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		bad("base_url", "doit commencer par https:// (ou http://)")
	}
	if c.MaxUploadMB < 1 || c.MaxUploadMB > 2048 {
		bad("max_upload_mb", "entre 1 et 2048, pas %d", c.MaxUploadMB)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", "debug, info, warn ou error, pas %q", c.LogLevel)
	}
	return errors.Join(errs...)
}

// Describe writes a commented example configuration with the defaults.
func Describe(w io.Writer) error {
	d := Default()
	v := reflect.ValueOf(d)
	t := v.Type()
	fmt.Fprintln(w, "# missive.toml — configuration de Missive.")
	fmt.Fprintln(w, "# Chaque clé est facultative; la valeur indiquée est celle par défaut.")
	fmt.Fprintln(w, "# Vérifiez un fichier avec: missive config test --config missive.toml")
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fmt.Fprintln(w)
		for _, line := range wrap(f.Tag.Get("doc"), 76) {
			fmt.Fprintln(w, "# "+line)
		}
		var buf strings.Builder
		if err := toml.NewEncoder(&buf).Encode(map[string]any{f.Tag.Get("toml"): v.Field(i).Interface()}); err != nil {
			return err
		}
		fmt.Fprint(w, buf.String())
	}
	return nil
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
