package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"testing"
)

// FuzzParsePack feeds pack readers bytes a target could hold: packs are
// authenticated before they are parsed, but a parser must still never
// panic nor hand over a chunk whose hash is wrong.
func FuzzParsePack(f *testing.F) {
	p := newPackBuilder("data", 1<<10)
	for _, s := range []string{"", "courrier", string(bytes.Repeat([]byte("élagage des platanes "), 500))} {
		b := []byte(s)
		p.add(sha256.Sum256(b), b, compress(b))
	}
	f.Add(p.buf.Bytes())
	f.Add([]byte(packMagic))
	f.Add([]byte(packMagic + "\x00\x01"))
	f.Fuzz(func(t *testing.T, plain []byte) {
		parsePack(plain, func(rec record, data []byte) error {
			if sha256.Sum256(data) != rec.ID {
				t.Fatalf("chunk %x handed over with the wrong hash", rec.ID[:6])
			}
			return nil
		})
	})
}

// FuzzIndexFile checks that an index file's content is either refused or
// merged, never a panic.
func FuzzIndexFile(f *testing.F) {
	ip := toIndexPack(packInfo{name: "ab", size: 10, kind: "data"}, []record{{ID: sha256.Sum256(nil), Off: 8, Stored: 2, Raw: 2}})
	b, _ := json.Marshal(indexFile{Version: 1, Packs: []indexPack{ip}, Blobs: []indexBlob{{SHA256: ip.Chunks[0][0].(string), Size: 2, Chunks: []string{ip.Chunks[0][0].(string)}}}})
	f.Add(b)
	f.Add([]byte(`{"packs":[{"chunks":[[1,2,3,4,5]]}]}`))
	f.Add([]byte(`{"packs":[{"chunks":[["zz",-1,1e40,"x",null]]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fi indexFile
		if json.Unmarshal(b, &fi) != nil {
			return
		}
		newIndex().merge(&fi)
	})
}
