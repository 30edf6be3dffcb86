package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// ErrUnavailable means the database (or the cluster in front of it) cannot
// serve now: the caller may try again later. The appliance aliases it.
var ErrUnavailable = errors.New("service momentanément indisponible")

// IsUnavailable says whether err means the database cannot be reached or
// cannot work now (connection refused or lost, server shutting down, disk
// full, file locked), as opposed to a query it refused: the first is worth
// retrying, the second would fail again the same way.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	// pgconn's connection-level errors (write or read on a dead socket,
	// timeouts) say whether they are safe to retry; a server's refusal of
	// a query (PgError) does not.
	var conn interface{ SafeToRetry() bool }
	if errors.As(err, &conn) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),   // insufficient resources: disk full, out of memory, too many connections
			strings.HasPrefix(pe.Code, "57P0"), // shutting down, cannot connect now
			pe.Code == "58030":                 // I/O error
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6, 7, 8, 10, 13, 14, 15: // BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL
			return true
		}
		return false
	}
	var ne net.Error
	return errors.As(err, &ne)
}
