package appliance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// canonical is the encoding a history hash covers: every field but the hash,
// in a fixed order (struct order), so any reader can recompute it.
type canonical struct {
	Seq      int64  `json:"seq"`
	TenantID string `json:"tenant_id"`
	At       string `json:"at"`
	ActorID  string `json:"actor_id"`
	Kind     string `json:"kind"`
	LetterID string `json:"letter_id"`
	Summary  string `json:"summary"`
	Payload  string `json:"payload"`
	PrevHash string `json:"prev_hash"`
}

// HashEntry is SHA-256 over the previous hash and the canonical encoding.
func HashEntry(h *domain.HistoryEntry) string {
	b, _ := json.Marshal(canonical{h.Seq, h.TenantID, h.At, h.ActorID, h.Kind, h.LetterID, h.Summary, h.Payload, h.PrevHash})
	sum := sha256.Sum256(append([]byte(h.PrevHash), b...))
	return hex.EncodeToString(sum[:])
}

// VerifyResult tells how a verification went.
type VerifyResult struct {
	Entries int64
	// BadSeq is the first entry that does not verify (0 when all do).
	BadSeq int64
	Reason string
}

// VerifyHistory walks the whole chain in order and stops at the first entry
// whose hash, link to its predecessor or sequence is wrong, or at a chain
// whose end does not match the head recorded with the last apply.
func VerifyHistory(ctx context.Context, r store.Reader) (VerifyResult, error) {
	var res VerifyResult
	prev := ""
	var prevSeq int64
	err := r.EachHistory(ctx, func(h *domain.HistoryEntry) bool {
		res.Entries++
		switch {
		case h.Seq != prevSeq+1:
			res.BadSeq, res.Reason = h.Seq, fmt.Sprintf("numéro %d attendu après %d (entrée supprimée ou insérée)", prevSeq+1, prevSeq)
		case h.PrevHash != prev:
			res.BadSeq, res.Reason = h.Seq, "le lien vers l'entrée précédente ne correspond pas"
		case HashEntry(h) != h.Hash:
			res.BadSeq, res.Reason = h.Seq, "l'empreinte SHA-256 ne correspond pas au contenu (entrée modifiée)"
		}
		prev, prevSeq = h.Hash, h.Seq
		return res.BadSeq == 0
	})
	if err != nil || res.BadSeq != 0 {
		return res, err
	}
	head, err := r.Meta(ctx, "history_head")
	if err != nil {
		return res, err
	}
	if head != prev {
		res.BadSeq, res.Reason = prevSeq+1, "la fin de la chaîne ne correspond pas à la tête enregistrée (entrées finales supprimées)"
	}
	return res, nil
}
