package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/appliance/workdays"
	"net/http"
	"net/mail"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Rules every feature applies the same way: the checks of a letter an
// actor acts on, of a field's length, of a date; the reading of a letter
// inside Apply.

// ValidDate accepts a Civil date of a plausible year: 9999-12-31 is a
// date, but its due date would be of year 10014, which no column orders
// nor any form shows.
func ValidDate(s string) bool {
	t, err := time.Parse(domain.DateLayout, s)
	return err == nil && t.Year() >= MinYear && t.Year() <= MaxYear
}

const MinYear, MaxYear = 1900, 2999

func (s *Kernel) Calendar(t *domain.Tenant) workdays.Calendar {
	return workdays.Calendar{AlsaceMoselle: t.AlsaceMoselle}
}

// ErrTooLarge is returned for an upload over the configured limit.
var ErrTooLarge = errors.New("document trop volumineux")

// SafeName keeps a file name that is safe on every file system and in a URL
// path segment: no directories, no control characters.
func SafeName(n string) string {
	n = strings.ReplaceAll(n, "\\", "/")
	n = path.Base(n)
	if n == "." || n == "/" || n == ".." {
		return ""
	}
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/:*?"<>|`, r) {
			return '_'
		}
		return r
	}, n)
	for utf8.RuneCountInString(n) > 200 {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	return strings.TrimSpace(n)
}

func Sniff(name string, head []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		return t
	}
	return http.DetectContentType(head)
}

// LetterToAct reads a letter in the actor's perimeter and checks that they
// may act on it: not read-only, and admin, mail room, assignee or member of
// the letter's entity. A letter outside the perimeter is "not found".
func (s *Kernel) LetterToAct(ctx context.Context, a *Actor, id string) (*domain.Letter, error) {
	l, err := s.Reader().Letter(ctx, a.Perimeter, id)
	if err != nil {
		return nil, err
	}
	if err := CanWrite(a); err != nil {
		return nil, err
	}
	switch {
	case a.Role() == domain.RoleAdmin, a.Role() == domain.RoleMailroom, l.AssigneeID == a.ID(), a.InEntity(l.EntityID):
		return l, nil
	}
	return nil, fmt.Errorf("%w: vous n'êtes ni destinataire ni membre de l'entité de ce courrier", ErrForbidden)
}

// LetterForUpdate reads a letter of the command's tenant, whatever the
// perimeter: the service already checked the actor's rights.
func LetterForUpdate(a *Ctx, id string) (*domain.Letter, error) {
	l, err := a.Tx.Letter(a.Ctx, store.Perimeter{TenantID: a.Cmd.Tenant, All: true}, id)
	if err != nil {
		return nil, err
	}
	a.LetterID = l.ID
	return l, nil
}

func CheckOpen(l *domain.Letter) error {
	if l.Status == domain.StatusClosed {
		return fmt.Errorf("%w: le courrier %s est clos", ErrConflict, l.Number)
	}
	return nil
}

func CheckLen(errs FieldErrors, field, v string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(v) == "":
		errs[field] = "obligatoire"
	case utf8.RuneCountInString(v) > max:
		errs[field] = fmt.Sprintf("%d caractères au plus", max)
	case !utf8.ValidString(v):
		errs[field] = "texte invalide (UTF-8 attendu)"
	case strings.ContainsRune(v, 0):
		// PostgreSQL refuses NUL in text: refuse it on every dialect.
		errs[field] = "texte invalide (caractère nul)"
	}
}

func CheckEmail(errs FieldErrors, field, v string) {
	if v == "" {
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v {
		errs[field] = "adresse e-mail invalide"
	}
}

// IsNotFound keeps call sites short.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Civil writes a Civil date as history summaries do: JJ/MM/AAAA.
func Civil(d string) string {
	t, err := time.Parse(domain.DateLayout, d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}

// Redact keeps secrets' hashes out of the history payload.
func Redact(p any) []byte {
	b, _ := json.Marshal(p)
	return b
}
