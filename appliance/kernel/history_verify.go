package kernel

import (
	"context"
	"encoding/json"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// VerifyOptions says what a verification can check beyond the chain.
type VerifyOptions struct {
	// Key is the history signing key (secrets.key, HistoryKeyLabel); nil
	// when the data dir's key is not at hand: signatures are then only
	// counted, not checked.
	Key []byte
	// SignedFrom is the entry from which the data dir's server signs
	// (ReadSigningAnchor, outside the database); 0 when unknown. From
	// there, an entry without a signature has had it removed.
	SignedFrom int64
}

// VerifyResult tells how a verification went.
type VerifyResult struct {
	Entries int64
	// BadSeq is the first entry that does not verify (0 when all do).
	BadSeq int64
	// BadLetter names a letter whose row no longer matches the history.
	BadLetter string
	Reason    string
	// FirstSigned is the first signed entry (0: none); every later one is
	// signed too, or the verification fails. SigsChecked says whether the
	// key was at hand to check them.
	FirstSigned int64
	SigsChecked bool
	// Checkpoints counts the signed checkpoints; LastCheckpoint is the
	// newest one's entry and LastCheckpointAt its time.
	Checkpoints      int
	LastCheckpoint   int64
	LastCheckpointAt string
	// Letters is the number of letter rows compared with their newest
	// entry; Uncovered those whose newest entry predates the digests.
	Letters, Uncovered int64
}

// OK says whether nothing was found wrong.
func (r VerifyResult) OK() bool { return r.BadSeq == 0 && r.BadLetter == "" }

func (r *VerifyResult) fail(seq int64, reason string, args ...any) {
	if r.OK() {
		r.BadSeq, r.Reason = seq, fmt.Sprintf(reason, args...)
	}
}

// VerifyHistory walks the whole chain in order and stops at the first entry
// whose hash, signature, link to its predecessor or sequence is wrong, or
// at a chain whose end does not match the head recorded with the last
// apply; then checks every checkpoint against the entry it names, and every
// letter row against the digest its newest entry recorded. Give it a
// reader of one consistent view (store.Snapshot.Reader) when the server
// may be applying meanwhile. Without options, signatures are counted but
// not checked.
func VerifyHistory(ctx context.Context, r store.Reader, opts ...VerifyOptions) (VerifyResult, error) {
	var opt VerifyOptions
	if len(opts) > 0 {
		opt = opts[0]
	}
	res := VerifyResult{SigsChecked: opt.Key != nil}
	var cps []domain.HistoryEntry
	prev := ""
	var prevSeq int64
	err := r.EachHistory(ctx, func(h *domain.HistoryEntry) bool {
		res.Entries++
		switch {
		case h.Seq != prevSeq+1:
			res.fail(h.Seq, "numéro %d attendu après %d (entrée supprimée ou insérée)", prevSeq+1, prevSeq)
		case h.PrevHash != prev:
			res.fail(h.Seq, "le lien vers l'entrée précédente ne correspond pas")
		case HashEntry(h) != h.Hash:
			res.fail(h.Seq, "l'empreinte SHA-256 ne correspond pas au contenu (entrée modifiée)")
		case h.Sig != "" && opt.Key != nil && !validSig(opt.Key, h.Hash, h.Sig):
			res.fail(h.Seq, "la signature ne correspond pas (entrée réécrite sans la clé de signature)")
		case h.Sig == "" && res.FirstSigned != 0:
			res.fail(h.Seq, "entrée non signée après l'entrée signée n° %d (signature retirée)", res.FirstSigned)
		case h.Sig == "" && opt.SignedFrom != 0 && h.Seq >= opt.SignedFrom:
			res.fail(h.Seq, "entrée non signée alors que ce serveur signe l'historique depuis l'entrée n° %d (signature retirée)", opt.SignedFrom)
		}
		if h.Sig != "" && res.FirstSigned == 0 {
			res.FirstSigned = h.Seq
		}
		if h.Kind == string(KindHistoryCheckpoint) {
			cps = append(cps, *h)
		}
		prev, prevSeq = h.Hash, h.Seq
		return res.OK()
	})
	if err != nil || !res.OK() {
		return res, err
	}
	head, err := r.Meta(ctx, "history_head")
	if err != nil {
		return res, err
	}
	if head != prev {
		res.fail(prevSeq+1, "la fin de la chaîne ne correspond pas à la tête enregistrée (entrées finales supprimées)")
		return res, nil
	}
	if err := verifyCheckpoints(ctx, r, opt, cps, &res); err != nil || !res.OK() {
		return res, err
	}
	return res, verifyLetters(ctx, r, &res)
}

// verifyCheckpoints checks each checkpoint's signature and that the entry
// it names still has the hash it recorded.
func verifyCheckpoints(ctx context.Context, r store.Reader, opt VerifyOptions, cps []domain.HistoryEntry, res *VerifyResult) error {
	for _, c := range cps {
		var p HistoryCheckpoint
		if err := json.Unmarshal([]byte(c.Payload), &p); err != nil {
			res.fail(c.Seq, "point de contrôle illisible: %v", err)
			return nil
		}
		if opt.Key != nil && !validSig(opt.Key, checkpointText(p.Seq, p.Head), p.Sig) {
			res.fail(c.Seq, "la signature du point de contrôle ne correspond pas")
			return nil
		}
		h, err := r.HistoryHash(ctx, p.Seq)
		if err != nil {
			return err
		}
		if h != p.Head {
			res.fail(p.Seq, "l'entrée ne correspond plus au point de contrôle signé n° %d (historique réécrit)", c.Seq)
			return nil
		}
		res.Checkpoints++
		res.LastCheckpoint, res.LastCheckpointAt = p.Seq, c.At
	}
	return nil
}

// verifyLetters compares every letter row with the digest its newest
// history entry recorded: a row changed, inserted or deleted outside the
// log no longer matches.
func verifyLetters(ctx context.Context, r store.Reader, res *VerifyResult) error {
	err := r.EachLetterRow(ctx, func(l *store.LetterRow) bool {
		res.Letters++
		switch {
		case l.LatestSeq == 0:
			res.BadLetter, res.Reason = l.Number, fmt.Sprintf("le courrier %s (%s) n'a aucune entrée d'historique: ajouté hors du journal", l.Number, l.ID)
		case l.Latest == "":
			res.Uncovered++
		case l.Latest == "-" || LetterDigest(l) != l.Latest:
			res.BadSeq, res.BadLetter = l.LatestSeq, l.Number
			res.Reason = fmt.Sprintf("le courrier %s (%s) a été modifié hors du journal: il ne correspond plus à son entrée d'historique n° %d", l.Number, l.ID, l.LatestSeq)
		}
		return res.OK()
	})
	if err != nil || !res.OK() {
		return err
	}
	gone, err := r.GoneLetters(ctx)
	if err != nil {
		return err
	}
	for _, g := range gone {
		if g.Digest != "" && g.Digest != "-" {
			res.BadSeq, res.BadLetter = g.Seq, g.ID
			res.Reason = fmt.Sprintf("le courrier %s a été supprimé hors du journal (son entrée d'historique n° %d le décrit)", g.ID, g.Seq)
			return nil
		}
	}
	return nil
}
