package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// ID names a chunk: the SHA-256 of its plain bytes. A document small
// enough to be one chunk has its own name as id.
type ID [32]byte

func (id ID) String() string { return hex.EncodeToString(id[:]) }

func parseID(s string) (ID, error) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("identifiant de morceau invalide %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// A pack is one sealed file of data/: the magic, then records
//
//	id (32 bytes) · raw length (uvarint) · stored length (uvarint) · compression (1 byte) · stored bytes
//
// sealed as a whole with age to the repository key, and named by the
// SHA-256 of the sealed bytes. The pack describes itself: the index is a
// copy of its records' places, so a lost index can be rebuilt from packs.
const packMagic = "MSVPACK1"

// maxChunk bounds a chunk's size whatever a pack says (the chunker cuts
// at 4 MiB).
const maxChunk = 64 << 20

const (
	compNone = 0
	compZstd = 1
)

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
)

// record is one chunk's place in a pack's plain bytes.
type record struct {
	ID     ID
	Off    uint32 // of the stored bytes
	Stored uint32
	Raw    uint32
	Comp   uint8
}

// packBuilder collects records until the pack is big enough to send.
type packBuilder struct {
	kind    string // "meta" (database, lists, keys) or "data" (documents)
	buf     *bytes.Buffer
	records []record
}

// packBufs recycles packs' buffers, plain and sealed: a fresh 20 MiB
// buffer per pack, zeroed by the runtime, was a quarter of a run's CPU.
var packBufs sync.Pool

func getBuf() *bytes.Buffer {
	if b, ok := packBufs.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func newPackBuilder(kind string, size int) *packBuilder {
	p := &packBuilder{kind: kind, buf: getBuf()}
	p.buf.Grow(size + size/4)
	p.buf.WriteString(packMagic)
	return p
}

// release gives the pack's buffer back once the pack is sealed.
func (p *packBuilder) release() {
	packBufs.Put(p.buf)
	p.buf = nil
}

// add compresses data when that pays and appends it.
func (p *packBuilder) add(id ID, data []byte, z []byte) {
	comp, stored := uint8(compNone), data
	// Scans and PDFs are compressed already: keep them as they are unless
	// zstd saves a few percent.
	if z != nil && len(z) < len(data)-len(data)/32 {
		comp, stored = compZstd, z
	}
	var hdr [32 + 2*binary.MaxVarintLen64 + 1]byte
	copy(hdr[:], id[:])
	n := 32
	n += binary.PutUvarint(hdr[n:], uint64(len(data)))
	n += binary.PutUvarint(hdr[n:], uint64(len(stored)))
	hdr[n] = comp
	n++
	p.buf.Write(hdr[:n])
	p.records = append(p.records, record{ID: id, Off: uint32(p.buf.Len()), Stored: uint32(len(stored)), Raw: uint32(len(data)), Comp: comp})
	p.buf.Write(stored)
}

func (p *packBuilder) len() int { return p.buf.Len() }

// compress is zstd at its fastest: backups are I/O bound, and most bytes
// (scans) do not compress anyway.
func compress(data []byte) []byte {
	return zenc.EncodeAll(data, make([]byte, 0, len(data)/2))
}

// parsePack reads the records of a pack's plain bytes and checks each
// chunk against its id. fn sees each chunk's plain bytes, valid until it
// returns.
func parsePack(plain []byte, fn func(rec record, data []byte) error) error {
	if !bytes.HasPrefix(plain, []byte(packMagic)) {
		return errors.New("en-tête de pack inconnu")
	}
	off := len(packMagic)
	for off < len(plain) {
		if len(plain)-off < 32 {
			return errors.New("pack tronqué")
		}
		var rec record
		copy(rec.ID[:], plain[off:off+32])
		off += 32
		raw, n := binary.Uvarint(plain[off:])
		if n <= 0 {
			return errors.New("pack tronqué")
		}
		off += n
		stored, n := binary.Uvarint(plain[off:])
		if n <= 0 || raw > maxChunk || stored > uint64(len(plain)) || off+n+1+int(stored) > len(plain) {
			return errors.New("pack tronqué")
		}
		off += n
		rec.Comp = plain[off]
		off++
		rec.Off, rec.Stored, rec.Raw = uint32(off), uint32(stored), uint32(raw)
		data, err := chunkData(rec, plain[off:off+int(stored)])
		if err != nil {
			return err
		}
		if err := fn(rec, data); err != nil {
			return err
		}
		off += int(stored)
	}
	return nil
}

// chunkData decompresses a record and checks its hash.
func chunkData(rec record, stored []byte) ([]byte, error) {
	data := stored
	switch rec.Comp {
	case compNone:
	case compZstd:
		if rec.Raw > maxChunk {
			return nil, fmt.Errorf("morceau %s: taille %d impossible", shortID(rec.ID.String()), rec.Raw)
		}
		var err error
		if data, err = zdec.DecodeAll(stored, make([]byte, 0, rec.Raw)); err != nil {
			return nil, fmt.Errorf("morceau %s: décompression impossible: %w", shortID(rec.ID.String()), err)
		}
	default:
		return nil, fmt.Errorf("morceau %s: compression %d inconnue", shortID(rec.ID.String()), rec.Comp)
	}
	if uint32(len(data)) != rec.Raw || sha256.Sum256(data) != rec.ID {
		return nil, fmt.Errorf("morceau %s: contenu altéré (empreinte différente)", shortID(rec.ID.String()))
	}
	return data, nil
}
