package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A session is a signed cookie: tenant, user, issue time, last activity and
// session epoch, with an HMAC-SHA256 under the tenant's key. Nothing is
// written per request; a logout moves the user's epoch on (a command), which
// kills every cookie signed before on every node.
const (
	sessionCookie = "missive_session"
	loginCookie   = "missive_login" // binds the login form's CSRF token
	flashCookie   = "missive_flash"
	langCookie    = "missive_lang"
)

type session struct {
	Tenant string
	User   string
	Issued int64 // unix seconds; absolute expiry counts from here
	Seen   int64 // unix seconds of the last request; idle expiry counts from here
	Epoch  int64
}

var errBadCookie = errors.New("cookie de session invalide")

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// strictB64 refuses the spellings of a value that b64 does not write
// (non-zero trailing bits).
var strictB64 = base64.RawURLEncoding.Strict()

func (ss session) payload() string {
	return strings.Join([]string{"1", ss.Tenant, ss.User, strconv.FormatInt(ss.Issued, 10), strconv.FormatInt(ss.Seen, 10), strconv.FormatInt(ss.Epoch, 10)}, "|")
}

func (ss session) encode(key []byte) string {
	p := ss.payload()
	return b64([]byte(p)) + "." + b64(mac(key, "session", p))
}

// peekSession reads a cookie before its signature is checked: the key to
// check it with is its tenant's.
func peekSession(v string) (session, string, []byte, error) {
	// Only the alphabet encode writes: the decoder would skip a CR or LF,
	// and one cookie must have one spelling.
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return session{}, "", nil, errBadCookie
		}
	}
	p64, sig64, ok := strings.Cut(v, ".")
	if !ok {
		return session{}, "", nil, errBadCookie
	}
	p, err1 := strictB64.DecodeString(p64)
	sig, err2 := strictB64.DecodeString(sig64)
	if err1 != nil || err2 != nil {
		return session{}, "", nil, errBadCookie
	}
	f := strings.Split(string(p), "|")
	if len(f) != 6 || f[0] != "1" || f[1] == "" || f[2] == "" {
		return session{}, "", nil, errBadCookie
	}
	ss := session{Tenant: f[1], User: f[2]}
	var e1, e2, e3 error
	ss.Issued, e1 = strconv.ParseInt(f[3], 10, 64)
	ss.Seen, e2 = strconv.ParseInt(f[4], 10, 64)
	ss.Epoch, e3 = strconv.ParseInt(f[5], 10, 64)
	if e1 != nil || e2 != nil || e3 != nil {
		return session{}, "", nil, errBadCookie
	}
	return ss, string(p), sig, nil
}

func verifySession(v string, key func(tenant string) ([]byte, error)) (session, error) {
	ss, p, sig, err := peekSession(v)
	if err != nil {
		return ss, err
	}
	k, err := key(ss.Tenant)
	if err != nil {
		return ss, err
	}
	if !hmac.Equal(sig, mac(k, "session", p)) {
		return ss, errBadCookie
	}
	return ss, nil
}

// csrfToken is derived from the session: it changes at each login and dies
// with the session, and needs no storage.
func csrfToken(key []byte, ss session) string {
	return b64(mac(key, "csrf", ss.Tenant, ss.User, strconv.FormatInt(ss.Issued, 10), strconv.FormatInt(ss.Epoch, 10)))
}

// loginToken protects the login form itself (login CSRF) by binding it to
// a random cookie the form's page set.
func loginToken(key []byte, nonce string) string {
	return b64(mac(key, "login", nonce))
}

func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return b64(b)
}

// sameOrigin checks a state-changing request's Origin (or, without one, its
// Referer) against the host it was sent to. A request with neither passes
// here: the CSRF token still has to match.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && o != "null" && u.Host == r.Host
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		return err == nil && u.Host == r.Host
	}
	return true
}

// localPath keeps a "next" parameter that stays on this site: an absolute
// path, not "//host" nor "/\host" that browsers read as another host.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

func waitText(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	if s < 120 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min", (s+59)/60)
}
