package control

import (
	"context"
	"fmt"
	"strings"

	"missive/appliance"
)

// DAVRequest carries the WebDAV share's operations (missive dav …).
type DAVRequest struct {
	// Token or Path (a name in the tenant's share, "/2026-A-000001/reponse.odt")
	// picks the lock to break.
	Token string `json:"token,omitempty"`
	Path  string `json:"path,omitempty"`
}

// runDAV lists the share's locks (dav.locks) or breaks one (dav.unlock).
func runDAV(ctx context.Context, svc service, sys *appliance.Actor, req Request) (string, error) {
	d := req.DAV
	if d == nil {
		d = &DAVRequest{}
	}
	locks, err := svc.DavLocks(ctx, sys.TenantID())
	if err != nil {
		return "", err
	}
	switch req.Op {
	case "dav.locks":
		var b strings.Builder
		for _, l := range locks {
			exp := l.ExpiresAt
			if exp == "" {
				exp = "jamais"
			}
			fmt.Fprintf(&b, "%s\t%s\tpar %s\tjusqu'à %s\n", l.Root, l.Token, l.UserID, exp)
		}
		if b.Len() == 0 {
			return "Aucun verrou.\n", nil
		}
		return b.String(), nil
	case "dav.unlock":
		if (d.Token == "") == (d.Path == "") {
			return "", fmt.Errorf("%w: --token ou --path, l'un des deux", appliance.ErrInvalid)
		}
		var broken []string
		for _, l := range locks {
			if l.Token == d.Token || (d.Path != "" && l.Root == "/"+strings.TrimPrefix(d.Path, "/")) {
				if err := svc.DavBreakLock(ctx, sys, l.Token); err != nil {
					return "", err
				}
				broken = append(broken, l.Root)
			}
		}
		if len(broken) == 0 {
			return "", fmt.Errorf("aucun verrou actif: %w", appliance.ErrNotFound)
		}
		return "Verrou levé: " + strings.Join(broken, ", ") + "\n", nil
	}
	return "", fmt.Errorf("%w: opération %q inconnue", appliance.ErrInvalid, req.Op)
}
