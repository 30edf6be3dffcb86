package mailbridge

import (
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
	if m.FromAddr == "" || !strings.Contains(m.FromAddr, "@") {
		return "pas d'adresse d'expéditeur"
	}
	return ""
}

// isBounce says whether a message is a delivery failure report.
func isBounce(m *Message, env Envelope) bool {
	if m.Report != nil {
		return true
	}
	local, _, _ := strings.Cut(m.FromAddr, "@")
	nullSender := env.NullSender || (m.HasReturnPath && m.ReturnPath == "")
	return nullSender && (local == "mailer-daemon" || local == "postmaster")
}
