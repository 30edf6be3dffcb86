package backup

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"missive/appliance/domain"
)

// Retention says which backups to keep: the latest of each of the last
// Daily days, Weekly weeks and Monthly months that have one (Paris time).
// The newest backup is always kept.
type Retention struct {
	Daily, Weekly, Monthly int
}

// Keep returns the ids of the backups the policy keeps.
func (p Retention) Keep(ms []*Manifest) map[string]bool {
	keep := map[string]bool{}
	if len(ms) == 0 {
		return keep
	}
	sorted := append([]*Manifest(nil), ms...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Time.After(sorted[j].Time) })
	keep[sorted[0].ID] = true
	bucket := func(n int, key func(time.Time) string) {
		seen := map[string]bool{}
		for _, m := range sorted {
			if len(seen) >= n {
				return
			}
			k := key(m.Time.In(domain.Paris))
			if !seen[k] {
				seen[k] = true
				keep[m.ID] = true
			}
		}
	}
	bucket(p.Daily, func(t time.Time) string { return t.Format("2006-01-02") })
	bucket(p.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-%02d", y, w) })
	bucket(p.Monthly, func(t time.Time) string { return t.Format("2006-01") })
	return keep
}

// PruneResult says what prune removed.
type PruneResult struct {
	Kept, Removed []string // backup ids
	PacksRemoved  int
	BytesFreed    int64
}

// Prune forgets the backups the policy does not keep and deletes the packs
// no kept backup needs. Every step leaves a valid repository (see
// DESIGN.md): new index first, kept manifests rewritten to rely on it,
// forgotten manifests removed, then old index files, then unused packs.
// A pack any kept backup uses is kept whole.
func Prune(ctx context.Context, r *Repo, p Retention, dryRun bool, opts Options) (*PruneResult, error) {
	if p.Daily+p.Weekly+p.Monthly <= 0 {
		return nil, errors.New("garder au moins une sauvegarde (--keep-daily, --keep-weekly ou --keep-monthly)")
	}
	unlock, err := r.lock(ctx, true)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ms, damaged, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	if len(damaged) > 0 {
		return nil, fmt.Errorf("nettoyage refusé tant que des sauvegardes sont illisibles (missive backup verify): %w", errors.Join(damaged...))
	}
	idx, err := r.loadIndex(ctx)
	if err != nil {
		return nil, err
	}
	keep := p.Keep(ms)
	res := &PruneResult{}
	var kept []*Manifest
	for _, m := range ms {
		if keep[m.ID] {
			kept = append(kept, m)
			res.Kept = append(res.Kept, m.ID)
		} else {
			res.Removed = append(res.Removed, m.ID)
		}
	}
	usedPacks, err := packsNeeded(ctx, r, idx, kept)
	if err != nil {
		return nil, err
	}
	onTarget, err := packSizes(ctx, r)
	if err != nil {
		return nil, err
	}
	var unused []string
	for name, size := range onTarget {
		if !usedPacks[name] {
			unused = append(unused, name)
			res.BytesFreed += size
		}
	}
	res.PacksRemoved = len(unused)
	if dryRun || (len(res.Removed) == 0 && len(unused) == 0) {
		return res, nil
	}
	if err := rewriteAndDelete(ctx, r, idx, usedPacks, kept, res.Removed, unused); err != nil {
		return nil, err
	}
	opts.log().Info("backup pruned", "target", r.t.String(), "kept", len(res.Kept), "removed", len(res.Removed), "packs", len(unused), "freed", res.BytesFreed)
	return res, nil
}

// packsNeeded lists the packs holding a chunk that a kept backup needs:
// its database stream, its blob list, its keys and every document it
// references.
func packsNeeded(ctx context.Context, r *Repo, idx *Index, kept []*Manifest) (map[string]bool, error) {
	fe := &fetcher{r: r, idx: idx}
	used := map[string]bool{}
	use := func(id ID) error {
		_, pk, ok := idx.lookup(id)
		if !ok {
			return fmt.Errorf("morceau %s introuvable: lancez missive backup verify", shortID(id.String()))
		}
		used[pk.name] = true
		return nil
	}
	for _, m := range kept {
		files := []File{m.DB, m.Blobs}
		for _, k := range m.Keys {
			files = append(files, k.File)
		}
		for _, f := range files {
			ids, err := chunkIDs(f)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				if err := use(id); err != nil {
					return nil, err
				}
			}
		}
		refs, err := readBlobList(ctx, fe, m)
		if err != nil {
			return nil, err
		}
		for _, b := range refs {
			cs, _, ok := idx.blob(b.sum)
			if !ok {
				return nil, fmt.Errorf("document %s de la sauvegarde %s introuvable: lancez missive backup verify", shortID(b.sum.String()), m.ID)
			}
			for _, c := range cs {
				if err := use(c); err != nil {
					return nil, err
				}
			}
		}
	}
	return used, nil
}

// rewriteAndDelete writes the new index first, then deletes the removed
// manifests, the old index files and the unused packs: a prune cut short
// leaves packs nobody needs, never a kept backup without its chunks.
func rewriteAndDelete(ctx context.Context, r *Repo, idx *Index, used map[string]bool, kept []*Manifest, removed, unused []string) error {
	old := append([]string(nil), idx.files...)
	name, err := rewriteIndex(ctx, r, idx, used, kept)
	if err != nil {
		return err
	}
	for _, id := range removed {
		if err := r.t.Delete(ctx, snapshotsDir+"/"+id); err != nil {
			return err
		}
	}
	for _, f := range old {
		if f == name {
			continue
		}
		if err := r.t.Delete(ctx, indexDir+"/"+f); err != nil {
			return err
		}
	}
	sort.Strings(unused)
	for _, name := range unused {
		if err := r.t.Delete(ctx, dataDir+"/"+name); err != nil {
			return err
		}
	}
	return nil
}

// rewriteIndex writes one index file listing the used packs and the
// documents they hold, and points the kept manifests to it.
func rewriteIndex(ctx context.Context, r *Repo, idx *Index, used map[string]bool, kept []*Manifest) (string, error) {
	recs := map[int32][]record{}
	for _, loc := range idx.chunks {
		if used[idx.packs[loc.pack].name] {
			recs[loc.pack] = append(recs[loc.pack], loc.rec)
		}
	}
	var packs []indexPack
	for i, rs := range recs {
		sort.Slice(rs, func(a, b int) bool { return rs[a].Off < rs[b].Off })
		packs = append(packs, toIndexPack(idx.packs[i], rs))
	}
	sort.Slice(packs, func(a, b int) bool { return packs[a].Name < packs[b].Name })
	var blobs []indexBlob
	for sum, bi := range idx.blobs {
		ok := true
		for _, c := range bi.chunks {
			loc, found := idx.chunks[c]
			if !found || !used[idx.packs[loc.pack].name] {
				ok = false
				break
			}
		}
		if ok {
			b := indexBlob{SHA256: sum.String(), Size: bi.size}
			for _, c := range bi.chunks {
				b.Chunks = append(b.Chunks, c.String())
			}
			blobs = append(blobs, b)
		}
	}
	sort.Slice(blobs, func(a, b int) bool { return blobs[a].SHA256 < blobs[b].SHA256 })
	name, _, err := r.writeIndex(ctx, packs, blobs)
	if err != nil {
		return "", err
	}
	for _, m := range kept {
		m.Index = []string{name}
		if err := r.saveManifest(ctx, m); err != nil {
			return "", err
		}
	}
	return name, nil
}
