package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// Every message a page or a handler asks for exists in French and in
// English, and the two catalogues have the same keys.
func TestCatalogueComplete(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	tmplKey := regexp.MustCompile(`\b(?:t|tf) "([a-z0-9_.]+)"`)
	files, _ := fs.Glob(assets, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(assets, f)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	goKey := regexp.MustCompile(`\b(?:tr|tf)\([a-zA-Z.()]+, "([a-z0-9_.]+)"`)
	gos, _ := filepath.Glob("*.go")
	for _, f := range gos {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			// "basket."+id and the like are prefixes, listed below.
			if !strings.HasSuffix(m[1], ".") {
				used[m[1]] = true
			}
		}
	}
	// Keys built from values: print "status." .Status and the like.
	for _, s := range []domain.Status{domain.StatusNew, domain.StatusInProgress, domain.StatusClosed} {
		used["status."+string(s)] = true
	}
	for _, p := range []string{"low", "normal", "high", "urgent"} {
		used["priority."+p] = true
	}
	for _, c := range []string{"incoming", "outgoing", "internal"} {
		used["category."+c] = true
	}
	for _, c := range []string{"paper", "email", "web"} {
		used["channel."+c] = true
	}
	for _, m := range []string{"normal", "sva", "svr"} {
		used["mode."+m] = true
	}
	used["letter.implicit.sva"], used["letter.implicit.svr"] = true, true
	for _, m := range []string{"normal", "sva", "svr"} {
		used["pieces.effect."+m] = true
	}
	for _, n := range []string{"email", "ack", "paper", "none"} {
		used["pieces.notice."+n] = true
	}
	for _, r := range domain.Roles {
		used["role."+string(r)] = true
	}
	for _, d := range domain.Dispositions {
		used["disposition."+string(d)] = true
	}
	for _, u := range domain.DelayUnits {
		used["doctype.delay."+string(u)] = true
		used["unit."+string(u)] = true
	}
	for _, r := range []string{"main", "attachment", "draft"} {
		used["role."+r] = true
	}
	for _, x := range appliance.Scopes {
		used["scope."+x] = true
	}
	for _, x := range appliance.Actions {
		used["action."+x] = true
	}
	for _, id := range builtinOrder {
		used["basket."+id] = true
	}
	for _, code := range []string{"400", "403", "404", "409", "413", "422", "500", "503"} {
		used["error."+code] = true
	}
	if len(used) < 200 {
		t.Fatalf("only %d keys found: the scan is broken", len(used))
	}
	var missing []string
	for k := range used {
		for _, l := range languages {
			if _, ok := catalogue[l][k]; !ok {
				missing = append(missing, l+":"+k)
			}
		}
	}
	for k := range catalogue["fr"] {
		if _, ok := catalogue["en"][k]; !ok {
			missing = append(missing, "en:"+k)
		}
	}
	for k := range catalogue["en"] {
		if _, ok := catalogue["fr"][k]; !ok {
			missing = append(missing, "fr:"+k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("missing messages: %s", strings.Join(missing, ", "))
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/baskets/mine?page=2": "/baskets/mine?page=2",
		"":                     "/",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"evil":                 "/",
		"/x\r\nSet-Cookie: a":  "/",
		"/letters/01ab":        "/letters/01ab",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for in, want := range map[int]int{0: 4, 3: 4, 5: 5, 7: 10, 11: 20, 45: 50, 51: 100, 100: 100, 230: 500} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", in, got, want)
		}
	}
}
