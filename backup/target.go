package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"
)

// Target is where a repository lives: a local or mounted directory, a
// WebDAV folder or an SFTP folder. Names are slash-separated and relative
// to the target's root ("data/3fa9…", "snapshots/20260316-023000-ab12").
type Target interface {
	// Put stores data under name atomically: a reader sees the former
	// content or the whole new one, never a part (temporary name, then
	// rename). Missing folders are created.
	Put(ctx context.Context, name string, data []byte) error
	// Get reads a whole file; a missing one is an error matching
	// fs.ErrNotExist.
	Get(ctx context.Context, name string) ([]byte, error)
	// List lists the files directly under dir; a missing dir is empty.
	List(ctx context.Context, dir string) ([]Entry, error)
	// Delete removes a file; a missing one is not an error.
	Delete(ctx context.Context, name string) error
	Close() error
	// String is the target's address without any secret.
	String() string
}

// Entry is a file of a target.
type Entry struct {
	Name string // base name
	Size int64
}

// ErrFull means the target has no room left (disk full, quota reached).
var ErrFull = errors.New("la cible de sauvegarde est pleine (disque ou quota)")

// TargetSpec says how to reach a target. Its URL is one of
//
//	file:///srv/sauvegardes/missive
//	webdav+https://missive@cloud.ville.fr/remote.php/dav/files/missive/Sauvegardes
//	webdav+http://missive@127.0.0.1:8081/sauvegardes
//	sftp://sauvegarde@nas.interco.fr:22/missive
type TargetSpec struct {
	URL string
	// Password of the WebDAV account, or of the SSH account when it
	// has no key.
	Password string
	// KeyFile is the SSH private key of an sftp:// target.
	KeyFile string
	// KnownHosts is the known_hosts file that must hold the SFTP
	// server's host key: a server that is not in it is refused.
	KnownHosts string
}

// ParseTarget checks a target URL and says what kind it is.
func ParseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("adresse de cible %q illisible: %w", Redact(raw), err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("cible %q: attendu file:///chemin/absolu (trois barres obliques)", raw)
		}
		if !path.IsAbs(u.Path) || u.Path == "/" {
			return nil, fmt.Errorf("cible %q: un dossier absolu est attendu, ex. file:///srv/sauvegardes/missive", raw)
		}
	case "webdav+http", "webdav+https":
		if u.Host == "" {
			return nil, fmt.Errorf("cible %q: serveur WebDAV manquant, ex. webdav+https://compte@cloud.ville.fr/remote.php/dav/files/compte/Sauvegardes", Redact(raw))
		}
	case "sftp":
		if u.Host == "" || u.User == nil || u.User.Username() == "" {
			return nil, fmt.Errorf("cible %q: attendu sftp://compte@serveur:port/dossier", Redact(raw))
		}
	default:
		return nil, fmt.Errorf("cible %q: type inconnu; attendu file:///…, webdav+https://…, webdav+http://… ou sftp://…", Redact(raw))
	}
	if _, has := u.User.Password(); has {
		return nil, fmt.Errorf("cible %q: pas de mot de passe dans l'adresse; donnez-le avec --target-password-stdin ou password_file dans la configuration", Redact(raw))
	}
	return u, nil
}

// OpenTarget connects to a target.
func OpenTarget(ctx context.Context, spec TargetSpec) (Target, error) {
	u, err := ParseTarget(spec.URL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "file":
		return openFileTarget(u.Path)
	case "webdav+http", "webdav+https":
		return openWebDAV(ctx, u, spec)
	default:
		return openSFTP(ctx, u, spec)
	}
}

// Redact hides a password an address might carry before it reaches a
// message or a log.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// cleanDir is cleanName for a folder, "" being the root.
func cleanDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	return cleanName(dir)
}

// cleanName refuses names that would leave the target's root.
func cleanName(name string) (string, error) {
	c := path.Clean("/" + name)[1:]
	if c == "" || c != name || strings.HasPrefix(c, "..") {
		return "", fmt.Errorf("nom de fichier de sauvegarde invalide %q", name)
	}
	return c, nil
}
