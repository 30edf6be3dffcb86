package workdays

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	national = Calendar{}
	alsace   = Calendar{AlsaceMoselle: true}
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEaster(t *testing.T) {
	t.Parallel()
	want := map[int]string{
		1818: "1818-03-22", 1900: "1900-04-15", 1943: "1943-04-25",
		2000: "2000-04-23", 2001: "2001-04-15", 2002: "2002-03-31", 2003: "2003-04-20",
		2004: "2004-04-11", 2005: "2005-03-27", 2006: "2006-04-16", 2007: "2007-04-08",
		2008: "2008-03-23", 2009: "2009-04-12", 2010: "2010-04-04", 2011: "2011-04-24",
		2012: "2012-04-08", 2013: "2013-03-31", 2014: "2014-04-20", 2015: "2015-04-05",
		2016: "2016-03-27", 2017: "2017-04-16", 2018: "2018-04-01", 2019: "2019-04-21",
		2020: "2020-04-12", 2021: "2021-04-04", 2022: "2022-04-17", 2023: "2023-04-09",
		2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28",
		2028: "2028-04-16", 2029: "2029-04-01", 2030: "2030-04-21", 2031: "2031-04-13",
		2032: "2032-03-28", 2033: "2033-04-17", 2034: "2034-04-09", 2035: "2035-03-25",
		2038: "2038-04-25", 2200: "2200-04-06", 2285: "2285-03-22",
	}
	for year, w := range want {
		if got := Easter(year); !got.Equal(date(w)) || got.Location() != time.UTC || got.Weekday() != time.Sunday {
			t.Errorf("Easter(%d) = %v, want %s (a Sunday, UTC)", year, got, w)
		}
	}
}

// The folding of years <= 0 relies on Easter repeating every easterCycle years.
func TestEasterCycle(t *testing.T) {
	t.Parallel()
	for _, y := range []int{1, 1583, 2026, 2038, 4099, 123457} {
		m1, d1 := easter(y)
		m2, d2 := easter(y + easterCycle)
		if m1 != m2 || d1 != d2 {
			t.Errorf("easter(%d) = %d-%d, easter(%d) = %d-%d", y, m1, d1, y+easterCycle, m2, d2)
		}
	}
	for _, y := range []int{0, -1, -2026, -easterCycle, -3 * easterCycle} {
		if got := Easter(y); got.Weekday() != time.Sunday {
			t.Errorf("Easter(%d) = %v, not a Sunday", y, got)
		}
	}
}

func TestHolidays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year int
		cal  Calendar
		want []string
	}{
		{2024, national, []string{
			"2024-01-01 Jour de l'an", "2024-04-01 Lundi de Pâques", "2024-05-01 Fête du Travail",
			"2024-05-08 Victoire 1945", "2024-05-09 Ascension", "2024-05-20 Lundi de Pentecôte",
			"2024-07-14 Fête nationale", "2024-08-15 Assomption", "2024-11-01 Toussaint",
			"2024-11-11 Armistice 1918", "2024-12-25 Noël",
		}},
		{2025, national, []string{
			"2025-01-01 Jour de l'an", "2025-04-21 Lundi de Pâques", "2025-05-01 Fête du Travail",
			"2025-05-08 Victoire 1945", "2025-05-29 Ascension", "2025-06-09 Lundi de Pentecôte",
			"2025-07-14 Fête nationale", "2025-08-15 Assomption", "2025-11-01 Toussaint",
			"2025-11-11 Armistice 1918", "2025-12-25 Noël",
		}},
		{2026, national, []string{
			"2026-01-01 Jour de l'an", "2026-04-06 Lundi de Pâques", "2026-05-01 Fête du Travail",
			"2026-05-08 Victoire 1945", "2026-05-14 Ascension", "2026-05-25 Lundi de Pentecôte",
			"2026-07-14 Fête nationale", "2026-08-15 Assomption", "2026-11-01 Toussaint",
			"2026-11-11 Armistice 1918", "2026-12-25 Noël",
		}},
		{2027, national, []string{
			"2027-01-01 Jour de l'an", "2027-03-29 Lundi de Pâques", "2027-05-01 Fête du Travail",
			"2027-05-06 Ascension", "2027-05-08 Victoire 1945", "2027-05-17 Lundi de Pentecôte",
			"2027-07-14 Fête nationale", "2027-08-15 Assomption", "2027-11-01 Toussaint",
			"2027-11-11 Armistice 1918", "2027-12-25 Noël",
		}},
		{2026, alsace, []string{
			"2026-01-01 Jour de l'an", "2026-04-03 Vendredi saint", "2026-04-06 Lundi de Pâques",
			"2026-05-01 Fête du Travail", "2026-05-08 Victoire 1945", "2026-05-14 Ascension",
			"2026-05-25 Lundi de Pentecôte", "2026-07-14 Fête nationale", "2026-08-15 Assomption",
			"2026-11-01 Toussaint", "2026-11-11 Armistice 1918", "2026-12-25 Noël",
			"2026-12-26 Saint-Étienne",
		}},
		// Ascension falls on 1 May: both holidays are kept, fixed one first.
		{2008, national, []string{
			"2008-01-01 Jour de l'an", "2008-03-24 Lundi de Pâques", "2008-05-01 Fête du Travail",
			"2008-05-01 Ascension", "2008-05-08 Victoire 1945", "2008-05-12 Lundi de Pentecôte",
			"2008-07-14 Fête nationale", "2008-08-15 Assomption", "2008-11-01 Toussaint",
			"2008-11-11 Armistice 1918", "2008-12-25 Noël",
		}},
		// Leap year with an early Easter: Good Friday in March.
		{2024, alsace, []string{
			"2024-01-01 Jour de l'an", "2024-03-29 Vendredi saint", "2024-04-01 Lundi de Pâques",
			"2024-05-01 Fête du Travail", "2024-05-08 Victoire 1945", "2024-05-09 Ascension",
			"2024-05-20 Lundi de Pentecôte", "2024-07-14 Fête nationale", "2024-08-15 Assomption",
			"2024-11-01 Toussaint", "2024-11-11 Armistice 1918", "2024-12-25 Noël",
			"2024-12-26 Saint-Étienne",
		}},
	}
	for _, tt := range tests {
		got := tt.cal.Holidays(tt.year)
		if len(got) != len(tt.want) {
			t.Errorf("%+v.Holidays(%d): got %d holidays, want %d: %v", tt.cal, tt.year, len(got), len(tt.want), got)
			continue
		}
		for i, h := range got {
			if s := h.Date.Format(time.DateOnly) + " " + h.Name; s != tt.want[i] || h.Date.Location() != time.UTC {
				t.Errorf("%+v.Holidays(%d)[%d] = %q (%v), want %q", tt.cal, tt.year, i, s, h.Date, tt.want[i])
			}
		}
	}
}

func TestIsHoliday(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CEST", 2*3600)
	}
	tests := []struct {
		d        time.Time
		cal      Calendar
		name     string
		holiday  bool
		workable bool
	}{
		{date("2026-04-03"), national, "", false, true},
		{date("2026-04-03"), alsace, "Vendredi saint", true, false},
		{date("2026-04-06"), national, "Lundi de Pâques", true, false},
		{date("2026-12-26"), national, "", false, false}, // Saturday
		{date("2026-12-26"), alsace, "Saint-Étienne", true, false},
		{date("2025-12-26"), alsace, "Saint-Étienne", true, false},
		{date("2025-12-26"), national, "", false, true},
		{date("2008-05-01"), national, "Fête du Travail", true, false},
		{date("2026-11-01"), national, "Toussaint", true, false}, // Sunday
		{date("2026-11-02"), national, "", false, true},
		// Only the input's own calendar date matters, not the UTC instant.
		{time.Date(2026, 7, 14, 23, 30, 0, 0, paris), national, "Fête nationale", true, false},
		{time.Date(2026, 7, 14, 0, 30, 0, 0, paris), national, "Fête nationale", true, false},
		{time.Date(2026, 7, 13, 23, 0, 0, 0, time.FixedZone("Tahiti", -10*3600)), national, "", false, true},
	}
	for _, tt := range tests {
		name, ok := tt.cal.IsHoliday(tt.d)
		if name != tt.name || ok != tt.holiday {
			t.Errorf("%+v.IsHoliday(%v) = %q, %v; want %q, %v", tt.cal, tt.d, name, ok, tt.name, tt.holiday)
		}
		if got := tt.cal.IsWorkingDay(tt.d); got != tt.workable {
			t.Errorf("%+v.IsWorkingDay(%v) = %v, want %v", tt.cal, tt.d, got, tt.workable)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from     string
		n        int
		national string
		alsace   string
	}{
		{"Thu before Good Friday 2026", "2026-04-02", 1, "2026-04-03", "2026-04-07"},
		{"Good Friday 2026 arrival", "2026-04-03", 1, "2026-04-07", "2026-04-07"},
		{"Thu before Good Friday 2024 (leap)", "2024-03-28", 1, "2024-03-29", "2024-04-02"},
		{"across Easter 2024", "2024-03-27", 3, "2024-04-02", "2024-04-03"},
		{"Easter Sunday n=0", "2026-04-05", 0, "2026-04-07", "2026-04-07"},
		{"Saturday n=0", "2026-04-04", 0, "2026-04-07", "2026-04-07"},
		{"working day n=0", "2026-05-13", 0, "2026-05-13", "2026-05-13"},
		{"Ascension n=0", "2026-05-14", 0, "2026-05-15", "2026-05-15"},
		{"Ascension bridge 2026", "2026-05-13", 1, "2026-05-15", "2026-05-15"},
		{"Ascension bridge 2026 +2", "2026-05-13", 2, "2026-05-18", "2026-05-18"},
		{"Ascension 2025 then weekend", "2025-05-28", 2, "2025-06-02", "2025-06-02"},
		{"Whit Monday 2025", "2025-06-06", 1, "2025-06-10", "2025-06-10"},
		{"May 2024: 1, 8, 9 May", "2024-04-30", 5, "2024-05-10", "2024-05-10"},
		{"May 2024 bridge", "2024-05-07", 1, "2024-05-10", "2024-05-10"},
		{"14 July 2025 is a Monday", "2025-07-11", 1, "2025-07-15", "2025-07-15"},
		{"14 July 2026 is a Tuesday", "2026-07-13", 1, "2026-07-15", "2026-07-15"},
		{"Christmas 2025", "2025-12-24", 1, "2025-12-26", "2025-12-29"},
		{"Christmas 2025 +3", "2025-12-24", 3, "2025-12-30", "2025-12-31"},
		{"New Year 2026", "2025-12-31", 1, "2026-01-02", "2026-01-02"},
		{"Christmas 2026, 26 is Saturday", "2026-12-24", 1, "2026-12-28", "2026-12-28"},
		{"Friday arrival, Monday due", "2026-03-13", 1, "2026-03-16", "2026-03-16"},
		{"two months", "2026-01-05", 40, "2026-03-02", "2026-03-02"},
		{"two months across Easter 2026", "2026-03-02", 40, "2026-04-28", "2026-04-29"},
		{"back over Easter 2026", "2026-04-07", -1, "2026-04-03", "2026-04-02"},
		{"back over New Year 2027", "2027-01-04", -1, "2026-12-31", "2026-12-31"},
		{"back over Christmas 2025", "2025-12-29", -2, "2025-12-24", "2025-12-23"},
		{"back from a Sunday", "2026-03-15", -1, "2026-03-13", "2026-03-13"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			cal  Calendar
			want string
		}{{national, tt.national}, {alsace, tt.alsace}} {
			got := c.cal.AddWorkingDays(date(tt.from), tt.n)
			if !got.Equal(date(c.want)) || got.Location() != time.UTC {
				t.Errorf("%s: %+v.AddWorkingDays(%s, %d) = %v, want %s", tt.name, c.cal, tt.from, tt.n, got, c.want)
			}
		}
	}
}

func TestAddWorkingDaysIgnoresClockAndZone(t *testing.T) {
	t.Parallel()
	zones := []*time.Location{time.UTC, time.FixedZone("Tahiti", -10*3600), time.FixedZone("Nouméa", 11*3600)}
	for _, loc := range zones {
		for _, clock := range []int{0, 1, 12, 23} {
			from := time.Date(2026, 4, 2, clock, 59, 59, 999, loc)
			if got := alsace.AddWorkingDays(from, 1); !got.Equal(date("2026-04-07")) || got.Location() != time.UTC {
				t.Errorf("AddWorkingDays(%v, 1) = %v, want 2026-04-07 UTC", from, got)
			}
			to := time.Date(2026, 4, 7, 23-clock, 0, 0, 0, loc)
			if got := alsace.WorkingDaysBetween(from, to); got != 1 {
				t.Errorf("WorkingDaysBetween(%v, %v) = %d, want 1", from, to, got)
			}
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to         string
		national, alsace int
	}{
		{"2026-04-02", "2026-04-02", 0, 0},
		{"2026-04-02", "2026-04-07", 2, 1},
		{"2026-04-07", "2026-04-02", -2, -1},
		{"2026-04-03", "2026-04-05", 0, 0},
		{"2026-04-04", "2026-04-06", 0, 0},
		{"2026-04-04", "2026-04-07", 1, 1},
		{"2025-12-24", "2026-01-02", 5, 4}, // 26, 29, 30, 31 Dec and 2 Jan
		{"2026-01-02", "2025-12-24", -5, -4},
		{"2026-01-01", "2027-01-01", 252, 251},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			cal  Calendar
			want int
		}{{national, tt.national}, {alsace, tt.alsace}} {
			if got := c.cal.WorkingDaysBetween(date(tt.from), date(tt.to)); got != c.want {
				t.Errorf("%+v.WorkingDaysBetween(%s, %s) = %d, want %d", c.cal, tt.from, tt.to, got, c.want)
			}
		}
	}
}

// TestAddWorkingDaysProperties checks the fast bitset path against a slow
// walk built on the public IsWorkingDay.
func TestAddWorkingDaysProperties(t *testing.T) {
	t.Parallel()
	const maxN = 60
	rng := rand.New(rand.NewPCG(2026, 4))
	start := date("1990-01-01")
	for i := 0; i < 2000; i++ {
		from := start.AddDate(0, 0, rng.IntN(365*70))
		for _, cal := range []Calendar{national, alsace} {
			// after[k-1] and before[k-1] are the k-th working days strictly
			// after and before from.
			var after, before []time.Time
			for d := from.AddDate(0, 0, 1); len(after) < maxN; d = d.AddDate(0, 0, 1) {
				if cal.IsWorkingDay(d) {
					after = append(after, d)
				}
			}
			for d := from.AddDate(0, 0, -1); len(before) < maxN; d = d.AddDate(0, 0, -1) {
				if cal.IsWorkingDay(d) {
					before = append(before, d)
				}
			}
			fromWorks := cal.IsWorkingDay(from)

			got0 := cal.AddWorkingDays(from, 0)
			want0 := from
			if !fromWorks {
				want0 = after[0]
			}
			if !got0.Equal(want0) {
				t.Fatalf("%+v.AddWorkingDays(%s, 0) = %s, want %s", cal, from.Format(time.DateOnly), got0.Format(time.DateOnly), want0.Format(time.DateOnly))
			}
			if fromWorks && cal.WorkingDaysBetween(from, got0) != 0 {
				t.Fatalf("%+v: WorkingDaysBetween(%s, itself) != 0", cal, from)
			}
			for n := 1; n <= maxN; n++ {
				fwd := cal.AddWorkingDays(from, n)
				if !fwd.Equal(after[n-1]) || !cal.IsWorkingDay(fwd) || !fwd.After(from) {
					t.Fatalf("%+v.AddWorkingDays(%s, %d) = %s, want working day %s", cal, from.Format(time.DateOnly), n, fwd.Format(time.DateOnly), after[n-1].Format(time.DateOnly))
				}
				if got := cal.WorkingDaysBetween(from, fwd); got != n {
					t.Fatalf("%+v.WorkingDaysBetween(%s, %s) = %d, want %d", cal, from.Format(time.DateOnly), fwd.Format(time.DateOnly), got, n)
				}
				if got := cal.WorkingDaysBetween(fwd, from); got != -n {
					t.Fatalf("%+v.WorkingDaysBetween(%s, %s) = %d, want %d", cal, fwd.Format(time.DateOnly), from.Format(time.DateOnly), got, -n)
				}
				back := cal.AddWorkingDays(from, -n)
				if !back.Equal(before[n-1]) || !back.Before(from) {
					t.Fatalf("%+v.AddWorkingDays(%s, %d) = %s, want %s", cal, from.Format(time.DateOnly), -n, back.Format(time.DateOnly), before[n-1].Format(time.DateOnly))
				}
				if fromWorks {
					if got := cal.WorkingDaysBetween(from, back); got != -n {
						t.Fatalf("%+v.WorkingDaysBetween(%s, %s) = %d, want %d", cal, from.Format(time.DateOnly), back.Format(time.DateOnly), got, -n)
					}
				}
			}
		}
	}
}

// Not parallel: AllocsPerRun counts every allocation of the process, and
// parallel tests only resume once the sequential ones are done.
func TestAddWorkingDaysNoAllocs(t *testing.T) {
	from := date("2026-03-02")
	allocs := testing.AllocsPerRun(100, func() {
		alsace.AddWorkingDays(from, 2000)
		alsace.WorkingDaysBetween(from, date("2034-03-02"))
		alsace.IsWorkingDay(from)
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per run, want 0", allocs)
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	from := date("2026-03-02")
	for _, n := range []int{1, 30, 2000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				alsace.AddWorkingDays(from, n)
			}
		})
	}
}

func FuzzAddWorkingDays(f *testing.F) {
	f.Add(2026, 4, 2, 1, true)
	f.Add(2025, 12, 24, 3, false)
	f.Add(2027, 1, 4, -1, false)
	f.Add(1900, 1, 1, -2000, true)
	f.Add(2200, 12, 31, 2000, false)
	f.Add(2008, 5, 1, 0, false)
	f.Fuzz(func(t *testing.T, year, month, day, n int, am bool) {
		year = 1900 + mod(year, 301)
		n = mod(n, 4001) - 2000
		// time.Date normalises out-of-range months and days.
		from := time.Date(year, time.Month(mod(month, 24)-5), mod(day, 80)-10, 0, 0, 0, 0, time.UTC)
		cal := Calendar{AlsaceMoselle: am}
		got := cal.AddWorkingDays(from, n)
		if !cal.IsWorkingDay(got) {
			t.Fatalf("AddWorkingDays(%v, %d) = %v, not a working day", from, n, got)
		}
		if got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 || got.Second() != 0 || got.Nanosecond() != 0 {
			t.Fatalf("AddWorkingDays(%v, %d) = %v, not midnight UTC", from, n, got)
		}
		switch {
		case n > 0 && !got.After(from), n < 0 && !got.Before(from), n == 0 && got.Before(from):
			t.Fatalf("AddWorkingDays(%v, %d) = %v, wrong direction", from, n, got)
		}
		between := cal.WorkingDaysBetween(from, got)
		if n > 0 && between != n {
			t.Fatalf("WorkingDaysBetween(%v, %v) = %d, want %d", from, got, between, n)
		}
		if cal.IsWorkingDay(from) {
			if between != n {
				t.Fatalf("WorkingDaysBetween(%v, %v) = %d, want %d", from, got, between, n)
			}
			if back := cal.AddWorkingDays(got, -n); !back.Equal(from) {
				t.Fatalf("AddWorkingDays(AddWorkingDays(%v, %d), %d) = %v", from, n, -n, back)
			}
		}
		if rev := cal.WorkingDaysBetween(got, from); rev != -between {
			t.Fatalf("WorkingDaysBetween not antisymmetric: %d vs %d", rev, between)
		}
	})
}

func mod(a, m int) int {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// TestAddMonths: a delay in months ends on the same day of the month, or
// on the last day of a month that has no such day; leap years count, and
// a weekend or a holiday moves nothing.
func TestAddMonths(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		from string
		n    int
		want string
	}{
		{"the issue's SVA request", "2026-12-15", 2, "2027-02-15"},
		{"31 December, common year", "2026-12-31", 2, "2027-02-28"},
		{"31 December, leap year", "2027-12-31", 2, "2028-02-29"},
		{"30 December, leap year", "2023-12-30", 2, "2024-02-29"},
		{"29 February + 12 months", "2028-02-29", 12, "2029-02-28"},
		{"29 February + 48 months", "2028-02-29", 48, "2032-02-29"},
		{"31 January + 1", "2026-01-31", 1, "2026-02-28"},
		{"31 March + 1: April has 30 days", "2026-03-31", 1, "2026-04-30"},
		{"31 August + 2: October has 31", "2026-08-31", 2, "2026-10-31"},
		{"30 April + 2 ends on the 30th", "2026-04-30", 2, "2026-06-30"},
		{"last day of February stays the 28th", "2026-02-28", 2, "2026-04-28"},
		{"ends on Toussaint, not moved", "2026-09-01", 2, "2026-11-01"},
		{"ends on Christmas, not moved", "2026-10-25", 2, "2026-12-25"},
		{"ends on a Saturday, not moved", "2026-11-02", 2, "2027-01-02"},
		{"across the year", "2026-11-30", 3, "2027-02-28"},
		{"zero months", "2026-05-17", 0, "2026-05-17"},
		{"negative", "2026-03-31", -1, "2026-02-28"},
	} {
		if got := AddMonths(date(tt.from), tt.n).Format(time.DateOnly); got != tt.want {
			t.Errorf("%s: AddMonths(%s, %d) = %s, want %s", tt.name, tt.from, tt.n, got, tt.want)
		}
	}
	// The time of day and the zone of the input are ignored, like
	// AddWorkingDays.
	late := time.Date(2026, 12, 31, 23, 30, 0, 0, time.FixedZone("Paris", 3600))
	if got := AddMonths(late, 2); !got.Equal(date("2027-02-28")) || got.Location() != time.UTC {
		t.Errorf("AddMonths(%v, 2) = %v, want 2027-02-28 UTC", late, got)
	}
}

// TestAddDays: calendar days count every day, across month ends, leap
// days and holidays.
func TestAddDays(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-12-15", 60, "2027-02-13"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2027-02-28", 1, "2027-03-01"},
		{"2026-12-24", 1, "2026-12-25"},
		{"2026-12-31", 1, "2027-01-01"},
		{"2026-03-10", 0, "2026-03-10"},
		{"2026-03-01", -1, "2026-02-28"},
	} {
		if got := AddDays(date(tt.from), tt.n).Format(time.DateOnly); got != tt.want {
			t.Errorf("AddDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}
}
