// Package workdays owns the French legal calendar: public holidays and due dates counted in working days.
package workdays

import "time"

// Calendar says which days are worked. The zero value is the national calendar.
//
// The current rules are applied to every year: historical changes (8 May
// abolished 1959–1981, Whit Monday as "journée de solidarité") are ignored
// because due dates are only ever computed for recent and future letters.
type Calendar struct {
	// AlsaceMoselle adds the two days of local law kept in Bas-Rhin,
	// Haut-Rhin and Moselle: Good Friday (Vendredi saint) and 26 December
	// (Saint-Étienne).
	AlsaceMoselle bool
}

// Holiday is one public holiday. Date is midnight UTC; Name is the French
// name shown to agents.
type Holiday struct {
	Date time.Time
	Name string
}

// maxHolidays bounds the holidays of one year so they fit in a stack array.
const maxHolidays = 13

const secondsPerDay = 24 * 60 * 60

// entry is a holiday as an offset from 1 January, cheap to compare and to
// put in a bitset.
type entry struct {
	yday int
	name string
}

// Easter returns Gregorian Easter Sunday of year at midnight UTC, using the
// anonymous Gregorian (Meeus/Jones/Butcher) algorithm. It is meaningful for
// Gregorian years, 1583 onward.
func Easter(year int) time.Time {
	month, day := easter(year)
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// easterCycle is the period after which Gregorian Easter dates repeat; folding
// years into it keeps the algorithm's truncating divisions valid for years
// <= 0, which time.Time can represent.
const easterCycle = 5_700_000

func easter(y int) (month, day int) {
	if y <= 0 {
		y = y%easterCycle + easterCycle
	}
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	s := h + l - 7*m + 114
	return s / 31, s%31 + 1
}

var daysBeforeMonth = [...]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// yearDay is the 0-based offset of month/day from 1 January, computed by hand
// because time.Date is too slow to call for every holiday of every year a
// long count crosses.
func yearDay(year, month, day int) int {
	yd := daysBeforeMonth[month-1] + day - 1
	if month > 2 && isLeap(year) {
		yd++
	}
	return yd
}

// entries fills buf with the holidays of year, sorted by date. Ascension can
// fall on 1 or 8 May; both holidays are then kept, the fixed one first,
// because the stable insertion sort preserves the order below.
func (c Calendar) entries(year int, buf *[maxHolidays]entry) []entry {
	em, ed := easter(year)
	e := yearDay(year, em, ed)
	list := append(buf[:0],
		entry{yearDay(year, 1, 1), "Jour de l'an"},
		entry{e + 1, "Lundi de Pâques"},
		entry{yearDay(year, 5, 1), "Fête du Travail"},
		entry{yearDay(year, 5, 8), "Victoire 1945"},
		entry{e + 39, "Ascension"},
		entry{e + 50, "Lundi de Pentecôte"},
		entry{yearDay(year, 7, 14), "Fête nationale"},
		entry{yearDay(year, 8, 15), "Assomption"},
		entry{yearDay(year, 11, 1), "Toussaint"},
		entry{yearDay(year, 11, 11), "Armistice 1918"},
		entry{yearDay(year, 12, 25), "Noël"},
	)
	if c.AlsaceMoselle {
		list = append(list,
			entry{e - 2, "Vendredi saint"},
			entry{yearDay(year, 12, 26), "Saint-Étienne"},
		)
	}
	// Insertion sort: stable, allocation-free, and the list is tiny and
	// almost sorted.
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].yday < list[j-1].yday; j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
	return list
}

// Holidays returns the public holidays of year sorted by date. When two
// holidays share a date (Ascension on 1 or 8 May) both are listed.
func (c Calendar) Holidays(year int) []Holiday {
	var buf [maxHolidays]entry
	list := c.entries(year, &buf)
	out := make([]Holiday, len(list))
	for i, e := range list {
		out[i] = Holiday{Date: time.Date(year, time.January, 1+e.yday, 0, 0, 0, 0, time.UTC), Name: e.name}
	}
	return out
}

// IsHoliday reports whether d's calendar date is a public holiday and its
// name. When two holidays coincide the fixed-date one is named.
func (c Calendar) IsHoliday(d time.Time) (string, bool) {
	y, m, day := d.Date()
	yd := yearDay(y, int(m), day)
	var buf [maxHolidays]entry
	for _, e := range c.entries(y, &buf) {
		if e.yday == yd {
			return e.name, true
		}
	}
	return "", false
}

// IsWorkingDay reports whether d's calendar date is Monday to Friday and not
// a public holiday.
func (c Calendar) IsWorkingDay(d time.Time) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	_, hol := c.IsHoliday(d)
	return !hol
}

// AddWorkingDays returns the due date of something received on from with a
// delay of n working days, at midnight UTC. Only from's own year, month and
// day matter, whatever its location.
//
// The day from itself is never counted: for n > 0 the result is the n-th
// working day strictly after from, so a letter arriving on a Friday with a
// 1-day delay is due on Monday, or Tuesday when that Monday is a holiday.
// For n < 0 the result is the |n|-th working day strictly before from.
// For n == 0 the result is from when it is a working day, else the next
// working day.
//
// Consequently WorkingDaysBetween(from, AddWorkingDays(from, n)) == n for
// every n > 0, and for n <= 0 when from is a working day.
func (c Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	cur := cursor{cal: c}
	day := dayNumber(from)
	switch {
	case n == 0:
		for !cur.working(day) {
			day++
		}
	case n > 0:
		for n > 0 {
			day++
			if cur.working(day) {
				n--
			}
		}
	default:
		for n < 0 {
			day--
			if cur.working(day) {
				n++
			}
		}
	}
	return fromDayNumber(day)
}

// WorkingDaysBetween returns the number of working days d with from < d <= to
// when to is after from, the negation of WorkingDaysBetween(to, from) when to
// is before from, and 0 on the same date. It backs "J-3" and "retard de 2
// jours" displays: from a working day, the count to a due date equals the
// delay that AddWorkingDays was given.
func (c Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := dayNumber(from), dayNumber(to)
	sign := 1
	if a > b {
		a, b, sign = b, a, -1
	}
	cur := cursor{cal: c}
	count := 0
	for day := a + 1; day <= b; day++ {
		if cur.working(day) {
			count++
		}
	}
	return sign * count
}

// dayNumber counts days since 1970-01-01 for t's own calendar date, so that
// stepping a day is an integer increment instead of a time.Time operation.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
}

func fromDayNumber(day int64) time.Time {
	return time.Unix(day*secondsPerDay, 0).UTC()
}

// cursor caches one year's holidays as a bitset for the duration of a single
// call, so long counts neither allocate nor recompute Easter per day and no
// state is shared between goroutines.
type cursor struct {
	cal    Calendar
	loaded bool
	first  int64 // day number of 1 January of the cached year
	next   int64 // day number of 1 January of the following year
	bits   [6]uint64
}

func (cur *cursor) working(day int64) bool {
	// 1970-01-01 was a Thursday; floor modulo keeps dates before 1970 right.
	switch wd := ((day+int64(time.Thursday))%7 + 7) % 7; time.Weekday(wd) {
	case time.Saturday, time.Sunday:
		return false
	}
	if !cur.loaded || day < cur.first || day >= cur.next {
		cur.load(fromDayNumber(day).Year())
	}
	off := day - cur.first
	return cur.bits[off>>6]&(1<<(off&63)) == 0
}

func (cur *cursor) load(year int) {
	cur.loaded = true
	cur.first = time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
	cur.next = time.Date(year+1, time.January, 1, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
	cur.bits = [6]uint64{}
	var buf [maxHolidays]entry
	for _, e := range cur.cal.entries(year, &buf) {
		cur.bits[e.yday>>6] |= 1 << (e.yday & 63)
	}
}

// AddDays returns the date n calendar days after from, at midnight UTC.
// Only from's own year, month and day matter, whatever its location.
func AddDays(from time.Time, n int) time.Time {
	return fromDayNumber(dayNumber(from) + int64(n))
}

// AddMonths returns the date n months after from, at midnight UTC: the same
// day of the month, or the last day of the month reached when it has no
// such day (31 December + 2 months = 28 February, or 29 in a leap year).
// This is how delays in months are counted in French administrative law;
// the end is not moved off a weekend or a holiday, since the decision born
// of silence arises on that day whatever it is.
func AddMonths(from time.Time, n int) time.Time {
	y, m, d := from.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	if last := daysIn(first.Year(), first.Month()); d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}

// daysIn is the number of days of a month.
func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
