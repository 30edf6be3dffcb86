package installer

import "golang.org/x/sys/unix"

// checkClock asks the kernel whether NTP keeps the clock synchronised:
// certificates, registration dates and legal deadlines depend on it.
func (d *doctor) checkClock() {
	var t unix.Timex
	state, err := unix.Adjtimex(&t)
	switch {
	case err != nil:
		d.warn("", "Horloge non vérifiée: %v.", err)
	case state == unix.TIME_ERROR || t.Status&unix.STA_UNSYNC != 0:
		d.warn("activez la synchronisation: apt install systemd-timesyncd (ou chrony), puis timedatectl", "Horloge non synchronisée par NTP: dates d'arrivée, délais et certificats en dépendent.")
	default:
		d.ok("Horloge synchronisée (erreur estimée %d µs).", t.Esterror)
	}
}
