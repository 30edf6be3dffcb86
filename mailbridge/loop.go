package mailbridge

import (
	"net/mail"
	"regexp"
	"strings"
)

// Envelope is what the transport says about a message: the SMTP MAIL FROM
// (NullSender for "<>") and where it came from. A message read from an
// IMAP folder has no envelope; its Return-Path header stands in for it.
type Envelope struct {
	From       string
	NullSender bool
	Source     string // "smtp" or "imap:<mailbox id>"
}

// noAckReason says why a message must get no automatic answer (RFC 3834,
// section 2), or "" when it may get one. ours reports whether an address is
// one of Missive's own.
func noAckReason(m *Message, env Envelope, ours func(string) bool) string {
	h := m.Header
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return "message automatique (Auto-Submitted: " + v + ")"
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "bulk", "junk", "list":
		return "envoi en nombre (Precedence: " + p + ")"
	}
	if h.Has("List-Id") {
		return "liste de diffusion (List-Id)"
	}
	// Older and non-standard markers of vacation replies (vacation(1),
	// some webmails and ticket systems): any value but "no".
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder"} {
		if v := strings.ToLower(strings.TrimSpace(h.Get(k))); h.Has(k) && !strings.HasPrefix(v, "no") {
			return "réponse automatique (" + k + ")"
		}
	}
	// Microsoft's own marker of automatic mail (out-of-office, rules).
	if v := strings.ToLower(h.Get("X-Auto-Response-Suppress")); strings.Contains(v, "all") || strings.Contains(v, "autoreply") || strings.Contains(v, "oof") {
		return "réponses automatiques refusées (X-Auto-Response-Suppress)"
	}
	if env.NullSender || (m.HasReturnPath && m.ReturnPath == "") {
		return "expéditeur nul (<>): avis de non-distribution ou message automatique"
	}
	if m.Report != nil {
		return "avis de remise (multipart/report)"
	}
	for _, a := range []string{m.FromAddr, env.From, m.ReturnPath} {
		if a == "" {
			continue
		}
		local, _, _ := strings.Cut(strings.ToLower(a), "@")
		switch local {
		case "mailer-daemon", "postmaster", "noreply", "no-reply", "ne-pas-repondre", "nepasrepondre":
			return "expéditeur automatique (" + a + ")"
		}
		if ours(a) {
			return "message venant d'une adresse de Missive (" + a + ")"
		}
	}
	if m.FromAddr == "" || !validAddress(m.FromAddr) {
		return "pas d'adresse d'expéditeur lisible"
	}
	return ""
}

// validAddress says whether a is a plain address an acknowledgement may
// go to: one net/mail reads back as itself, without space, control
// character or encoded word (net/mail takes "=?utf-8?q?x@y.z?=" for an
// address), whose domain is a host name.
func validAddress(a string) bool {
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || strings.ContainsAny(a, " \t\r\n\x00<>\"") || strings.Contains(a, "=?") {
		return false
	}
	_, domain, _ := strings.Cut(a, "@")
	return hostRe.MatchString(domain)
}

var hostRe = regexp.MustCompile(`^(?i:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)(?:\.(?i:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?))+$`)

// isBounce says whether a message is a delivery failure report.
func isBounce(m *Message, env Envelope) bool {
	if m.Report != nil {
		return true
	}
	local, _, _ := strings.Cut(m.FromAddr, "@")
	nullSender := env.NullSender || (m.HasReturnPath && m.ReturnPath == "")
	return nullSender && (local == "mailer-daemon" || local == "postmaster")
}
