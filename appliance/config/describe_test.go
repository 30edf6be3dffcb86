package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// Every key documents itself: `missive config describe` prints each with
// its doc string and default, the limits of the README's security section
// included, and the example it prints loads back as the defaults.
func TestDescribeDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := Describe(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkDescribed(t, out, reflect.TypeOf(Config{}), "")
	for _, k := range []string{"login_max_failures", "smtp_max_connections", "mail_intake_mb", "mail_max_parts", "mail_acks_per_hour", "http_body_min_rate_kb"} {
		if !strings.Contains(out, k) {
			t.Errorf("describe lacks the limit %s", k)
		}
	}
	c, err := parse(t, out)
	if err != nil || !reflect.DeepEqual(c, Default()) {
		t.Fatalf("the described file does not load back as the defaults: %v\n%+v", err, c)
	}
}

func parse(t *testing.T, s string) (Config, error) {
	t.Helper()
	p := t.TempDir() + "/missive.toml"
	if err := writeFile(p, s); err != nil {
		t.Fatal(err)
	}
	return Load(p)
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }

// checkDescribed checks every key of one table: a documented `key = `
// line, a `[table]` for a sub-table, a commented `[[list]]` example for a
// list of tables, each of whose keys is documented too.
func checkDescribed(t *testing.T, out string, ty reflect.Type, prefix string) {
	t.Helper()
	for i := 0; i < ty.NumField(); i++ {
		f := ty.Field(i)
		key, doc := f.Tag.Get("toml"), f.Tag.Get("doc")
		if key == "" || len(doc) < 20 {
			t.Errorf("field %s: toml %q, doc %q", f.Name, key, doc)
		}
		switch {
		case f.Type.Kind() == reflect.Struct:
			if !strings.Contains(out, "\n["+prefix+key+"]\n") {
				t.Errorf("describe lacks the table [%s%s]", prefix, key)
			}
			checkDescribed(t, out, f.Type, prefix+key+".")
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			if !strings.Contains(out, "[["+prefix+key+"]]") {
				t.Errorf("describe lacks an example of [[%s%s]]", prefix, key)
			}
			checkDescribed(t, out, f.Type.Elem(), prefix+key+".")
		case prefix == "":
			if !strings.Contains(out, "\n"+key+" = ") {
				t.Errorf("describe lacks %s", key)
			}
		default:
			if !strings.Contains(out, key+" = ") {
				t.Errorf("describe lacks %s%s", prefix, key)
			}
		}
	}
}
