package store

import (
	"bytes"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// delayUnitSchema is the migration that gave doctypes' delays a unit.
const delayUnitSchema = 9

// seedOldDoctypes writes, in a store at the schema before delay units,
// what older builds left: the seeded SVA and SVR doctypes at 40 working
// days, and doctypes whose delay an administrator chose.
func seedOldDoctypes(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO tenants (id, name, alsace_moselle, created_at) VALUES ('default', 'Ma commune', 0, '2026-01-05T08:00:00.000Z')`,
		`INSERT INTO doctypes (id, tenant_id, code, label, delay_days, remind_before, remind_after, mode, created_at) VALUES
			('d1', 'default', 'DEMANDE-SVA', 'Demande d''autorisation (silence vaut acceptation)', 40, 10, 0, 'sva', '2026-01-05T08:00:00.000Z'),
			('d2', 'default', 'DEMANDE-SVR', 'Demande (silence vaut rejet)', 40, 10, 0, 'svr', '2026-01-05T08:00:00.000Z'),
			('d3', 'default', 'PERMIS', 'Permis de construire', 30, 5, 0, 'sva', '2026-01-05T08:00:00.000Z'),
			('d4', 'default', 'COURRIER', 'Courrier simple', 40, 3, 5, 'normal', '2026-01-05T08:00:00.000Z')`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// delays reads every doctype's delay as "CODE=N unit".
func delays(t *testing.T, s *Store) string {
	t.Helper()
	ds, err := s.Reader().Doctypes(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Code+"="+strconv.Itoa(d.DelayDays)+" "+string(d.DelayUnit))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// wantDelays is every doctype of seedOldDoctypes once upgraded.
const wantDelays = "COURRIER=40 working_days, DEMANDE-SVA=2 months, DEMANDE-SVR=2 months, PERMIS=30 working_days"

// TestMigrationSetsSilenceDelaysInMonths: upgrading a store converts the
// SVA and SVR doctypes left at the seeded 40 working days to two calendar
// months, leaves every other delay as it was, and says which doctypes it
// changed in the log, one line each.
func TestMigrationSetsSilenceDelaysInMonths(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		ctx := t.Context()
		old, err := open(ctx, dsn, dir, delayUnitSchema-1)
		if err != nil {
			t.Fatal(err)
		}
		if old.SchemaVersion != delayUnitSchema-1 {
			t.Fatalf("old store at schema %d", old.SchemaVersion)
		}
		seedOldDoctypes(t, old)
		old.Close()

		var logs bytes.Buffer
		s, err := Open(ctx, dsn, dir, WithLog(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := delays(t, s); got != wantDelays {
			t.Errorf("after the upgrade: %s\nwant %s", got, wantDelays)
		}
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("log lines: %q, want one per converted doctype", lines)
		}
		for i, code := range []string{"DEMANDE-SVA", "DEMANDE-SVR"} {
			for _, want := range []string{"doctype delay changed from 40 working days to 2 calendar months", "migration=0009_delay_unit.sql", "tenant=default", "doctype=" + code} {
				if !strings.Contains(lines[i], want) {
					t.Errorf("log line %q lacks %q", lines[i], want)
				}
			}
		}
		s.Close()

		// Opening again changes and says nothing.
		logs.Reset()
		s, err = Open(ctx, dsn, dir, WithLog(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		if logs.Len() != 0 || delays(t, s) != wantDelays {
			t.Errorf("second open logged %q, delays %s", logs.String(), delays(t, s))
		}
	})
}

// oldSnapshot is what a build before delay units streamed: schema 8, the
// doctypes' columns of then, the doctypes of seedOldDoctypes.
const oldSnapshot = `{"format":"missive-snapshot","version":1,"schema":8}
{"table":"tenants","columns":["id","name","alsace_moselle","created_at"]}
["default","Ma commune",0,"2026-01-05T08:00:00.000Z"]
{"table":"doctypes","columns":["id","tenant_id","code","label","delay_days","remind_before","remind_after","mode","retention_years","final_disposition","created_at"]}
["d1","default","DEMANDE-SVA","Demande d'autorisation (silence vaut acceptation)",40,10,0,"sva",0,"","2026-01-05T08:00:00.000Z"]
["d2","default","DEMANDE-SVR","Demande (silence vaut rejet)",40,10,0,"svr",0,"","2026-01-05T08:00:00.000Z"]
["d3","default","PERMIS","Permis de construire",30,5,0,"sva",0,"","2026-01-05T08:00:00.000Z"]
["d4","default","COURRIER","Courrier simple",40,3,5,"normal",0,"","2026-01-05T08:00:00.000Z"]
{"end":true,"rows":5}
`

// TestSnapshotBeforeDelayUnitsLoadsUpgraded: a snapshot written before
// delay units (an old backup, a raft snapshot of an older node) loads as
// the migration would have left its rows.
func TestSnapshotBeforeDelayUnitsLoadsUpgraded(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		ctx := t.Context()
		var logs bytes.Buffer
		s, err := Open(ctx, dsn, dir, WithLog(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Load(ctx, strings.NewReader(oldSnapshot)); err != nil {
			t.Fatal(err)
		}
		if got := delays(t, s); got != wantDelays {
			t.Errorf("loaded: %s\nwant %s", got, wantDelays)
		}
		if n := strings.Count(logs.String(), "snapshot=0009_delay_unit.sql"); n != 2 {
			t.Errorf("log of the load: %q, want two lines", logs.String())
		}
		// A snapshot of the current schema is loaded as it is: a delay in
		// working days set after the upgrade stays.
		if _, err := s.db.ExecContext(ctx, `UPDATE doctypes SET delay_days = 40, delay_unit = 'working_days' WHERE code = 'DEMANDE-SVA'`); err != nil {
			t.Fatal(err)
		}
		var snap bytes.Buffer
		if err := s.Dump(ctx, &snap); err != nil {
			t.Fatal(err)
		}
		if err := s.Load(ctx, bytes.NewReader(snap.Bytes())); err != nil {
			t.Fatal(err)
		}
		if got := delays(t, s); !strings.Contains(got, "DEMANDE-SVA=40 working_days") {
			t.Errorf("a current snapshot was changed on load: %s", got)
		}
	})
}

// TestMigrationSections: a migration's data and report sections are cut
// where their markers stand.
func TestMigrationSections(t *testing.T) {
	t.Parallel()
	m := parseMigration(9, "0009_x.sql", "ALTER TABLE a ADD b;\n-- missive:data\nUPDATE a SET b = 1;\n-- missive:report rows changed\nSELECT id FROM a;\n")
	if m.sql != "ALTER TABLE a ADD b;\n-- missive:data\nUPDATE a SET b = 1;\n" || m.data != "-- missive:data\nUPDATE a SET b = 1;\n" ||
		m.message != "rows changed" || m.report != "SELECT id FROM a;" {
		t.Fatalf("parsed %+v", m)
	}
	if m := parseMigration(8, "0008_y.sql", "CREATE INDEX i ON a (b);\n"); m.data != "" || m.report != "" || m.sql != "CREATE INDEX i ON a (b);\n" {
		t.Fatalf("plain migration parsed %+v", m)
	}
}

// The one migration tree: a common file, or one file per dialect, never
// both, never one dialect alone, versions following each other.
func TestReadMigrationsTree(t *testing.T) {
	for _, d := range dialects {
		ms, err := readMigrations(migrations, "migrations", d)
		if err != nil || len(ms) < 16 {
			t.Fatalf("%s: %d migrations, %v", d, len(ms), err)
		}
		if ms[0].name != "0001_baseline.sql" {
			t.Fatalf("%s: recorded name %q", d, ms[0].name)
		}
	}
	bad := map[string]fstest.MapFS{
		"one dialect alone":   {"m/0001_a.sql": {}, "m/0002_b.sqlite.sql": {}},
		"common and dialect":  {"m/0001_a.sql": {}, "m/0001_a.sqlite.sql": {}, "m/0001_a.postgres.sql": {}},
		"a gap":               {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"two names, one slot": {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	}
	for why, fsys := range bad {
		if _, err := readMigrations(fsys, "m", "sqlite"); err == nil {
			t.Errorf("%s: accepted", why)
		}
	}
	ms, err := readMigrations(fstest.MapFS{"m/0001_a.sqlite.sql": {Data: []byte("S")}, "m/0001_a.postgres.sql": {Data: []byte("P")}}, "m", "postgres")
	if err != nil || len(ms) != 1 || ms[0].sql != "P" || ms[0].name != "0001_a.sql" {
		t.Fatalf("postgres picks %+v, %v", ms, err)
	}
}
