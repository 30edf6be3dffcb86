package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"missive/appliance"
	"missive/appliance/control"
	"missive/appliance/store"
)

// checkpointEvery is how often the leader signs the history's head into
// the raft log.
const checkpointEvery = time.Hour

func runHistoryCheckpoint(c *cli) error {
	c.dataFlags()
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(control.Request{Op: "history.checkpoint"})
}

func runHistoryVerify(c *cli) error {
	c.dataFlags()
	asJSON := c.fs.Bool("json", false, "sortie JSON, avec l'index raft appliqué et l'empreinte SHA-256 de l'état (applied_index, state_sha256): deux nœuds au même index ont la même empreinte")
	if err := c.parse(false); err != nil {
		return err
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if cfg.DB == "" {
		if err := mustExist(cfg.Data); err != nil {
			return err
		}
	}
	st, err := store.Open(ctx, cfg.DB, cfg.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	opt, err := verifyOptions(cfg.Data)
	if err != nil {
		return err
	}
	var state *stateDigest
	if *asJSON {
		state = &stateDigest{}
	}
	res, err := verifyStore(ctx, st, opt, state)
	if err != nil {
		return err
	}
	if !res.OK() {
		if res.BadSeq != 0 {
			return &exitError{1, fmt.Sprintf("historique altéré: entrée n° %d: %s (%d entrées lues)", res.BadSeq, res.Reason, res.Entries)}
		}
		return &exitError{1, fmt.Sprintf("historique altéré: %s (%d entrées lues)", res.Reason, res.Entries)}
	}
	if *asJSON {
		return printVerifiedJSON(c.stdout, res, state)
	}
	printVerified(c.stdout, res, cfg.Data)
	return nil
}

// verifyOptions reads what history verify needs from the data dir, never
// creating anything: the signing key (nil when secrets.key is absent) and
// the entry from which the history is signed.
func verifyOptions(data string) (appliance.VerifyOptions, error) {
	var opt appliance.VerifyOptions
	box, err := appliance.ReadSecretBox(data)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return opt, err
	default:
		if opt.Key, err = box.Derive(appliance.HistoryKeyLabel); err != nil {
			return opt, err
		}
	}
	opt.SignedFrom, err = appliance.ReadSigningAnchor(data)
	return opt, err
}

// stateDigest names the replicated state of a node at one point of the
// log: the SHA-256 of its logical snapshot stream (the one raft snapshots
// and backups carry, without the node's own tables) and the raft index
// it was taken at. Nodes that applied the same entries have the same
// digest at the same index, whatever their history of restarts and
// snapshot installs.
type stateDigest struct {
	AppliedIndex uint64
	SHA256       string
}

// verifyStore verifies one consistent view of the store: the server may be
// applying commands meanwhile. With state non-nil, it also fills in the
// digest of that same view.
func verifyStore(ctx context.Context, st *store.Store, opt appliance.VerifyOptions, state *stateDigest) (appliance.VerifyResult, error) {
	sn, err := st.BeginSnapshot(ctx)
	if err != nil {
		return appliance.VerifyResult{}, err
	}
	defer sn.Release()
	res, err := appliance.VerifyHistory(ctx, sn.Reader(), opt)
	if err != nil || state == nil {
		return res, err
	}
	if state.AppliedIndex, err = sn.AppliedIndex(); err != nil {
		return res, fmt.Errorf("read applied index: %w", err)
	}
	h := sha256.New()
	if err := sn.Stream(h); err != nil {
		return res, fmt.Errorf("digest the state: %w", err)
	}
	state.SHA256 = hex.EncodeToString(h.Sum(nil))
	return res, nil
}

// printVerifiedJSON is history verify --json, for scripts and for
// comparing the nodes of a cluster.
func printVerifiedJSON(w io.Writer, res appliance.VerifyResult, state *stateDigest) error {
	out := struct {
		Entries        int64  `json:"entries"`
		FirstSigned    int64  `json:"first_signed"`
		SigsChecked    bool   `json:"signatures_checked"`
		Checkpoints    int    `json:"checkpoints"`
		LastCheckpoint int64  `json:"last_checkpoint"`
		Letters        int64  `json:"letters"`
		Uncovered      int64  `json:"letters_unverifiable"`
		AppliedIndex   uint64 `json:"applied_index"`
		StateSHA256    string `json:"state_sha256"`
	}{res.Entries, res.FirstSigned, res.SigsChecked, res.Checkpoints, res.LastCheckpoint, res.Letters, res.Uncovered, state.AppliedIndex, state.SHA256}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func printVerified(w io.Writer, res appliance.VerifyResult, data string) {
	fmt.Fprintf(w, "Historique intègre: %d entrées, chaîne SHA-256 vérifiée.\n", res.Entries)
	switch {
	case res.FirstSigned == 0:
		fmt.Fprintln(w, "Aucune entrée signée: l'historique a été écrit avant sa signature; seule la chaîne SHA-256 le protège.")
	case res.FirstSigned == 1:
		fmt.Fprintf(w, "Entrées 1 à %d signées (HMAC, clé tirée de secrets.key).\n", res.Entries)
	default:
		fmt.Fprintf(w, "Entrées 1 à %d écrites avant la signature de l'historique: seule la chaîne SHA-256 les protège. Entrées %d à %d signées (HMAC, clé tirée de secrets.key).\n",
			res.FirstSigned-1, res.FirstSigned, res.Entries)
	}
	if res.FirstSigned != 0 && !res.SigsChecked {
		fmt.Fprintf(w, "Signatures NON vérifiées: %s absent.\n", filepath.Join(data, appliance.SecretKeyFile))
	}
	if res.Checkpoints == 0 {
		fmt.Fprintln(w, "Aucun point de contrôle signé.")
	} else {
		fmt.Fprintf(w, "%d points de contrôle signés, le dernier pour l'entrée n° %d (%s).\n", res.Checkpoints, res.LastCheckpoint, res.LastCheckpointAt)
	}
	fmt.Fprintf(w, "%d courriers conformes à leur dernière entrée d'historique", res.Letters-res.Uncovered)
	if res.Uncovered > 0 {
		fmt.Fprintf(w, "; %d modifiés pour la dernière fois avant l'empreinte des courriers, non vérifiables", res.Uncovered)
	}
	fmt.Fprintln(w, ".")
}

// verifyAtStart checks the history once the server runs, and warns in the
// log when it does not verify: an administrator reading the log at start
// learns it without running history verify.
func verifyAtStart(ctx context.Context, n *node, data string, log *slog.Logger) {
	opt, err := verifyOptions(data)
	if err == nil {
		var res appliance.VerifyResult
		if res, err = verifyStore(ctx, n.store, opt, nil); err == nil {
			if !res.OK() {
				log.Warn("history verification failed: the database was changed outside Missive; run missive history verify",
					"seq", res.BadSeq, "letter", res.BadLetter, "reason", res.Reason)
				return
			}
			log.Info("history verified", "entries", res.Entries, "signed_from", res.FirstSigned, "checkpoints", res.Checkpoints, "letters", res.Letters)
			return
		}
	}
	if ctx.Err() == nil {
		log.Warn("history verification could not run", "err", err)
	}
}
