package letters

import (
	"crypto/sha256"
	"encoding/hex"

	"missive/appliance/kernel"
)

// A history entry records what its command changed, but not a second copy
// of a letter's text: the letters table holds the body once, and the entry
// commits to it by its SHA-256 and length, which the entry's hash covers.
// The row the command left is checked against the entry's digest by
// kernel.VerifyHistory (the digest covers the body too), so a body changed
// outside the log is still found. Entries written before keep their
// payload and hash as they were, and a command of an envelope version
// before kernel.VersionBodyDigest is still recorded with its text: what a
// history entry holds follows the command, not the binary applying it.

// bodyDigest stands for a letter's body in a history payload.
type bodyDigest struct {
	SHA256 string `json:"body_sha256"`
	Len    int    `json:"body_len"`
}

func digestBody(body string) bodyDigest {
	sum := sha256.Sum256([]byte(body))
	return bodyDigest{SHA256: hex.EncodeToString(sum[:]), Len: len(body)}
}

// registerEntry is a registration as its history entry records it: the
// shallower Body field hides the payload's (omitted, being empty).
type registerEntry struct {
	*LetterRegister
	Body string `json:"body,omitempty"`
	bodyDigest
}

type qualifyEntry struct {
	*LetterQualify
	Body string `json:"body,omitempty"`
	bodyDigest
}

func registerHistory(p *LetterRegister) []byte {
	return kernel.Redact(registerEntry{LetterRegister: p, bodyDigest: digestBody(p.Body)})
}

func qualifyHistory(p *LetterQualify) []byte {
	return kernel.Redact(qualifyEntry{LetterQualify: p, bodyDigest: digestBody(p.Body)})
}
