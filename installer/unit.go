package installer

import (
	"fmt"
	"regexp"
	"strings"

	"missive/systemd"
)

// Unit is the packaged unit file with ExecStart and ReadWritePaths set to
// where this installation put the binary, its configuration and its data.
func Unit(bin, configPath, dataDir string) (string, error) {
	for _, p := range []string{bin, configPath, dataDir} {
		if p == "" || p[0] != '/' || strings.ContainsAny(p, " \t\n\"'\\%$;") {
			return "", fmt.Errorf("chemin %q: un chemin absolu sans espace ni caractère spécial est attendu pour le service", p)
		}
	}
	u := systemd.Unit
	u = replaceLine(u, "ExecStart=", fmt.Sprintf("ExecStart=%s serve --config %s", bin, configPath))
	u = replaceLine(u, "ReadWritePaths=", "ReadWritePaths="+dataDir)
	return u, nil
}

func replaceLine(s, prefix, line string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(prefix) + `.*$`)
	return re.ReplaceAllLiteralString(s, line)
}
