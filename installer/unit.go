package installer

import (
	"fmt"
	"regexp"
	"strings"

	"missive/systemd"
)

// Unit is the packaged unit file with ExecStart and ReadWritePaths set to
// where this installation put the binary, its configuration and its data.
// backupDirs are the folders file:// backups go to: ProtectSystem=strict
// leaves the service only the paths listed writable, and a "-" keeps a NAS
// that is not mounted from stopping the service from starting.
func Unit(bin, configPath, dataDir string, backupDirs ...string) (string, error) {
	for _, p := range append([]string{bin, configPath, dataDir}, backupDirs...) {
		if p == "" || p[0] != '/' || strings.ContainsAny(p, " \t\n\"'\\%$;") {
			return "", fmt.Errorf("chemin %q: un chemin absolu sans espace ni caractère spécial est attendu pour le service", p)
		}
	}
	u := systemd.Unit
	u = replaceLine(u, "ExecStart=", fmt.Sprintf("ExecStart=%s serve --config %s", bin, configPath))
	rw := dataDir
	for _, d := range backupDirs {
		rw += " -" + d
	}
	u = replaceLine(u, "ReadWritePaths=", "ReadWritePaths="+rw)
	return u, nil
}

func replaceLine(s, prefix, line string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(prefix) + `.*$`)
	return re.ReplaceAllLiteralString(s, line)
}
