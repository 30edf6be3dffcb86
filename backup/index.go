package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// The index says where each chunk lives. It is the union of the files of
// index/, each written by one run (or rewritten by prune) after the packs
// it lists were stored: a chunk is known only once its pack is on the
// target.

type indexFile struct {
	Version int         `json:"version"`
	Packs   []indexPack `json:"packs"`
	Blobs   []indexBlob `json:"blobs,omitempty"`
}

type indexPack struct {
	Name   string        `json:"name"`
	Size   int64         `json:"size"`
	Kind   string        `json:"kind"`
	Chunks []indexRecord `json:"chunks"`
}

// indexRecord is [id, offset, stored length, raw length, compression].
type indexRecord [5]any

type indexBlob struct {
	SHA256 string   `json:"sha256"`
	Size   int64    `json:"size"`
	Chunks []string `json:"chunks"`
}

// chunkLoc is a chunk's place: its pack and record.
type chunkLoc struct {
	pack int32
	rec  record
}

type packInfo struct {
	name string
	size int64
	kind string
}

// blobInfo is a document cut into several chunks.
type blobInfo struct {
	size   int64
	chunks []ID
}

// Index is the repository's index in memory.
type Index struct {
	mu     sync.Mutex
	packs  []packInfo
	packOf map[string]int32
	chunks map[ID]chunkLoc
	blobs  map[ID]blobInfo
	// files are the index files loaded or written, by name.
	files []string
}

func newIndex() *Index {
	return &Index{packOf: map[string]int32{}, chunks: map[ID]chunkLoc{}, blobs: map[ID]blobInfo{}}
}

// loadIndex reads every file of index/.
func (r *Repo) loadIndex(ctx context.Context) (*Index, error) {
	idx := newIndex()
	files, err := r.t.List(ctx, indexDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.t, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		if err := r.loadIndexFile(ctx, idx, f.Name); err != nil {
			return nil, err
		}
	}
	return idx, nil
}

func (r *Repo) loadIndexFile(ctx context.Context, idx *Index, name string) error {
	b, err := r.get(ctx, indexDir+"/"+name)
	if err != nil {
		return err
	}
	if b, err = zdec.DecodeAll(b, nil); err != nil {
		return &DamageError{File: indexDir + "/" + name, Reason: "illisible: " + err.Error()}
	}
	var f indexFile
	if err := json.Unmarshal(b, &f); err != nil {
		return &DamageError{File: indexDir + "/" + name, Reason: "illisible: " + err.Error()}
	}
	if err := idx.merge(&f); err != nil {
		return &DamageError{File: indexDir + "/" + name, Reason: err.Error()}
	}
	idx.files = append(idx.files, name)
	return nil
}

func (idx *Index) merge(f *indexFile) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	for _, p := range f.Packs {
		recs := make([]record, 0, len(p.Chunks))
		for _, c := range p.Chunks {
			rec, err := c.record()
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		idx.addPackLocked(packInfo{name: p.Name, size: p.Size, kind: p.Kind}, recs)
	}
	for _, b := range f.Blobs {
		id, err := parseID(b.SHA256)
		if err != nil {
			return err
		}
		bi := blobInfo{size: b.Size}
		for _, c := range b.Chunks {
			cid, err := parseID(c)
			if err != nil {
				return err
			}
			bi.chunks = append(bi.chunks, cid)
		}
		idx.blobs[id] = bi
	}
	return nil
}

func (c indexRecord) record() (record, error) {
	s, ok := c[0].(string)
	if !ok {
		return record{}, fmt.Errorf("entrée d'index invalide")
	}
	id, err := parseID(s)
	if err != nil {
		return record{}, err
	}
	var n [4]uint32
	for i := range n {
		f, ok := c[i+1].(float64)
		if !ok || f < 0 || f > 1<<32-1 {
			return record{}, fmt.Errorf("entrée d'index invalide pour %s", shortID(s))
		}
		n[i] = uint32(f)
	}
	return record{ID: id, Off: n[0], Stored: n[1], Raw: n[2], Comp: uint8(n[3])}, nil
}

func (idx *Index) addPackLocked(p packInfo, recs []record) {
	i, ok := idx.packOf[p.name]
	if !ok {
		i = int32(len(idx.packs))
		idx.packs = append(idx.packs, p)
		idx.packOf[p.name] = i
	}
	for _, rec := range recs {
		if _, dup := idx.chunks[rec.ID]; !dup {
			idx.chunks[rec.ID] = chunkLoc{pack: i, rec: rec}
		}
	}
}

// hasChunk says whether a chunk is stored.
func (idx *Index) hasChunk(id ID) bool {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	_, ok := idx.chunks[id]
	return ok
}

// blob returns the chunks and size of a stored document, if every chunk
// of it is stored.
func (idx *Index) blob(sum ID) ([]ID, int64, bool) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if bi, ok := idx.blobs[sum]; ok {
		for _, c := range bi.chunks {
			if _, ok := idx.chunks[c]; !ok {
				return nil, 0, false
			}
		}
		return bi.chunks, bi.size, true
	}
	if loc, ok := idx.chunks[sum]; ok {
		return []ID{sum}, int64(loc.rec.Raw), true
	}
	return nil, 0, false
}

func (idx *Index) lookup(id ID) (chunkLoc, packInfo, bool) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	loc, ok := idx.chunks[id]
	if !ok {
		return chunkLoc{}, packInfo{}, false
	}
	return loc, idx.packs[loc.pack], true
}

func (idx *Index) pack(name string) (packInfo, bool) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	i, ok := idx.packOf[name]
	if !ok {
		return packInfo{}, false
	}
	return idx.packs[i], true
}

// encodeIndex builds an index file from packs and multi-chunk blobs.
func encodeIndex(packs []indexPack, blobs []indexBlob) ([]byte, string, error) {
	b, err := json.Marshal(indexFile{Version: 1, Packs: packs, Blobs: blobs})
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return compress(b), hex.EncodeToString(sum[:]), nil
}

func toIndexPack(p packInfo, recs []record) indexPack {
	ip := indexPack{Name: p.name, Size: p.size, Kind: p.kind, Chunks: make([]indexRecord, len(recs))}
	for i, r := range recs {
		ip.Chunks[i] = indexRecord{r.ID.String(), r.Off, r.Stored, r.Raw, r.Comp}
	}
	return ip
}

// saveIndex writes an index file, adds it to idx, and returns its size.
func (r *Repo) saveIndex(ctx context.Context, idx *Index, packs []indexPack, blobs []indexBlob) (int64, error) {
	name, n, err := r.writeIndex(ctx, packs, blobs)
	if err != nil {
		return 0, err
	}
	idx.mu.Lock()
	idx.files = append(idx.files, name)
	idx.mu.Unlock()
	return n, nil
}

func (r *Repo) writeIndex(ctx context.Context, packs []indexPack, blobs []indexBlob) (string, int64, error) {
	b, name, err := encodeIndex(packs, blobs)
	if err != nil {
		return "", 0, err
	}
	sealed, err := r.seal(b)
	if err != nil {
		return "", 0, err
	}
	if err := r.t.Put(ctx, indexDir+"/"+name, sealed); err != nil {
		return "", 0, fmt.Errorf("%s: %w", r.t, err)
	}
	return name, int64(len(sealed)), nil
}
