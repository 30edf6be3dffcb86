package arch

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// forbidden says, for each package and the packages under it, which
// Missive packages (and the ones under them) it may not import. The outer
// layers are peers: none imports another; the appliance knows none of
// them; the store knows only the domain; the domain knows nothing.
var forbidden = map[string][]string{
	"appliance":   {"cluster", "backup", "mailbridge", "webdav", "cmd", "installer", "packaging", "systemd"},
	"cluster":     {"backup", "mailbridge", "webdav", "cmd", "installer"},
	"backup":      {"cluster", "mailbridge", "webdav", "cmd", "installer"},
	"mailbridge":  {"cluster", "backup", "webdav", "cmd", "installer"},
	"webdav":      {"cluster", "backup", "mailbridge", "cmd", "installer"},
	"installer":   {"cmd", "cluster", "backup", "mailbridge", "webdav"},
	"systemd":     {"cmd", "appliance", "installer"},
	"packaging":   {"cmd", "appliance", "installer"},
	"internal":    {"cmd"},
	"cmd/missive": {},
}

// only lists the whole of what a package may import from Missive.
var only = map[string][]string{
	"appliance/kernel": {"appliance/domain", "appliance/store", "appliance/blob", "appliance/authlimit", "appliance/workdays"},
	"appliance/domain": {},
	"appliance/store":  {"appliance/domain", "appliance/store"},
}

func under(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "missive/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		checked++
		pkg := strings.TrimPrefix(p.ImportPath, "missive/")
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, "missive/")
			if !ok {
				continue
			}
			if why := violation(pkg, dep); why != "" {
				t.Errorf("%s imports %s: %s", pkg, dep, why)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("go list gave %d packages: the check saw too little", checked)
	}
}

// features are the packages of the appliance's features. Each reaches
// another only through the hooks the facade (package appliance) wires, and
// only the facade reaches them: the outer layers see the facade's methods.
var features = []string{
	"appliance/dav", "appliance/mail", "appliance/replies", "appliance/ged", "appliance/org",
	"appliance/prefs", "appliance/sites", "appliance/backups", "appliance/certs", "appliance/letters",
}

// layered says why pkg may not import dep across the facade, or "".
func layered(pkg, dep string) string {
	inside := func(p string) bool { return slices.Contains(features, p) || p == "appliance/kernel" }
	switch {
	case slices.Contains(features, pkg) && slices.Contains(features, dep) && pkg != dep:
		return "a feature reaches another only through the facade's hooks"
	case inside(pkg) && dep == "appliance":
		return "the kernel and the features do not know the facade"
	case inside(dep) && !inside(pkg) && pkg != "appliance" && !under(pkg, "appliance/apptest"):
		return "outside the appliance, only the facade is imported"
	}
	return ""
}

// violation says why pkg may not import dep, or "".
func violation(pkg, dep string) string {
	if why := layered(pkg, dep); why != "" {
		return why
	}
	for root, allowed := range only {
		if !under(pkg, root) {
			continue
		}
		for _, a := range allowed {
			if under(dep, a) {
				return ""
			}
		}
		return root + " may import only " + strings.Join(allowed, ", ")
	}
	for root, deny := range forbidden {
		if !under(pkg, root) {
			continue
		}
		for _, d := range deny {
			if under(dep, d) {
				return root + " may not import " + d
			}
		}
	}
	return ""
}

// The rules themselves: a wrong arrow is caught, a right one is not.
func TestViolation(t *testing.T) {
	for _, c := range []struct {
		pkg, dep string
		bad      bool
	}{
		{"appliance/web", "cluster", true},
		{"appliance/store", "appliance", true},
		{"appliance/store/pgtest", "appliance/domain", false},
		{"appliance/domain", "appliance/store", true},
		{"mailbridge", "webdav/share", true},
		{"cluster", "appliance/store", false},
		{"cmd/missive", "cluster", false},
		{"webdav/ged", "appliance", false},
		{"appliance/dav", "appliance/letters", true},
		{"appliance/dav", "appliance", true},
		{"appliance/dav", "appliance/kernel", false},
		{"appliance/kernel", "appliance/dav", true},
		{"appliance/kernel", "appliance", true},
		{"appliance/web", "appliance/kernel", true},
		{"webdav/share", "appliance/dav", true},
		{"appliance", "appliance/dav", false},
		{"appliance", "appliance/kernel", false},
	} {
		if got := violation(c.pkg, c.dep) != ""; got != c.bad {
			t.Errorf("%s → %s: violation %v, want %v", c.pkg, c.dep, got, c.bad)
		}
	}
}
