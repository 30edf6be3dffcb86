package kernel

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// The history is tamper-evident in three ways, each closing what the one
// before leaves open (DESIGN.md of appliance/store):
//  1. a SHA-256 chain: each entry's hash covers its content and the previous
//     hash, so an entry changed, removed or inserted breaks the chain;
//  2. a signature: each entry's hash is signed with an HMAC key derived from
//     secrets.key, which is not in the database, so that rewriting an entry
//     and recomputing every later hash, which anyone with write access to
//     the database can do, leaves signatures that do not match;
//  3. a digest of the letter row each entry's command left, covered by the
//     hash, so that a letter changed in the letters table without a command
//     no longer matches its newest entry.
// Signed checkpoints (history.checkpoint commands, proposed by the leader)
// put the head of the chain in the raft log, hence in every node's store,
// every raft snapshot and every backup.

// canonical is the encoding a history hash covers: every field but the hash
// and the signature, in a fixed order (struct order), so any reader can
// recompute it. Digest is omitted when empty, so that entries written before
// it existed hash as they did.
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
	Digest   string `json:"digest,omitempty"`
}

// HashEntry is SHA-256 over the previous hash and the canonical encoding.
func HashEntry(h *domain.HistoryEntry) string {
	b, _ := json.Marshal(canonical{h.Seq, h.TenantID, h.At, h.ActorID, h.Kind, h.LetterID, h.Summary, h.Payload, h.PrevHash, h.Digest})
	sum := sha256.Sum256(append([]byte(h.PrevHash), b...))
	return hex.EncodeToString(sum[:])
}

// HistoryKeyLabel names the history signing key derived from secrets.key.
const HistoryKeyLabel = "history-signing"

// SignHistory is the signature of a history hash (or of a checkpoint).
func SignHistory(key []byte, what string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("missive history\x00" + what))
	return hex.EncodeToString(m.Sum(nil))
}

func validSig(key []byte, what, sig string) bool {
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	got, _ := hex.DecodeString(SignHistory(key, what))
	return hmac.Equal(got, want)
}

// LetterDigest is the SHA-256 of a letter row in canonical form (copies
// sorted, so that the database's order does not matter).
func LetterDigest(row *store.LetterRow) string {
	x := *row
	x.Copies = append([]store.CopyRow{}, row.Copies...)
	sort.Slice(x.Copies, func(i, j int) bool {
		if x.Copies[i].Kind != x.Copies[j].Kind {
			return x.Copies[i].Kind < x.Copies[j].Kind
		}
		return x.Copies[i].Ref < x.Copies[j].Ref
	})
	b, _ := json.Marshal(x)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// letterDigest is what a history entry records of its letter: the digest
// of the row, "-" when there is none.
func letterDigest(a *Ctx) (string, error) {
	if a.LetterID == "" {
		return "", nil
	}
	row, err := a.Tx.LetterRow(a.Ctx, a.LetterID)
	if errors.Is(err, store.ErrNotFound) {
		return "-", nil
	}
	if err != nil {
		return "", fmt.Errorf("read letter %s for its history entry: %w", a.LetterID, err)
	}
	return LetterDigest(row), nil
}

func appendHistory(a *Ctx) error {
	seq, prev, err := a.Tx.LastHistory(a.Ctx)
	if err != nil {
		return fmt.Errorf("read history head: %w", err)
	}
	digest, err := letterDigest(a)
	if err != nil {
		return err
	}
	h := &domain.HistoryEntry{
		Seq: seq + 1, TenantID: a.Cmd.Tenant, At: a.At, ActorID: a.Cmd.Actor, Kind: string(a.Cmd.Kind),
		LetterID: a.LetterID, Summary: a.Summary, Payload: string(a.Payload), PrevHash: prev, Digest: digest,
	}
	h.Hash = HashEntry(h)
	if a.key != nil {
		h.Sig = SignHistory(a.key, h.Hash)
	}
	if err := a.Tx.InsertHistory(h); err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	return a.Tx.SetMeta("history_head", h.Hash)
}
