package cluster

import (
	"encoding/binary"
	"fmt"
	"os"
)

// boltWalk checks the pages of a bbolt file the way bbolt's own Tx.Check
// does, but by reading them, not through the map, and in this goroutine:
// Tx.Check runs in a goroutine of its own, where an element pointing
// outside its page panics out of reach of any recover. Every page reached
// from the root lies inside the file, once, with a known type and elements
// inside it; the free list names pages inside the file that no bucket
// uses.
type boltWalk struct {
	f    *os.File
	ps   uint64
	hwm  uint64
	seen map[uint64]bool
}

const (
	boltBranch   = 0x01
	boltLeaf     = 0x02
	boltFreelist = 0x10
	// A leaf element whose value is a bucket: its header (root page,
	// sequence), then, when root is 0, the bucket's one leaf inline.
	boltBucketFlag   = 0x01
	boltBucketHeader = 16
	boltNoFreelist   = ^uint64(0)
)

func walkBolt(f *os.File, m *boltMeta) error {
	w := &boltWalk{f: f, ps: uint64(m.pageSize), hwm: m.pgid, seen: map[uint64]bool{0: true, 1: true}}
	if err := w.tree(m.root); err != nil {
		return err
	}
	return w.freelist(m.freelist)
}

// page reads page id with its overflow pages.
func (w *boltWalk) page(id uint64) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, fmt.Errorf("page %d hors du fichier (%d pages)", id, w.hwm)
	}
	hdr := make([]byte, boltPageHeader)
	if _, err := w.f.ReadAt(hdr, int64(id*w.ps)); err != nil {
		return nil, fmt.Errorf("page %d illisible: %v", id, err)
	}
	le := binary.LittleEndian
	if got := le.Uint64(hdr); got != id {
		return nil, fmt.Errorf("page %d porte l'en-tête de la page %d", id, got)
	}
	overflow := uint64(le.Uint32(hdr[12:]))
	if id+overflow >= w.hwm {
		return nil, fmt.Errorf("page %d déborde du fichier", id)
	}
	for i := id; i <= id+overflow; i++ {
		if w.seen[i] {
			return nil, fmt.Errorf("page %d utilisée deux fois", i)
		}
		w.seen[i] = true
	}
	b := make([]byte, (1+overflow)*w.ps)
	if _, err := w.f.ReadAt(b, int64(id*w.ps)); err != nil {
		return nil, fmt.Errorf("page %d illisible: %v", id, err)
	}
	return b, nil
}

// tree checks the pages of a bucket from its root page.
func (w *boltWalk) tree(id uint64) error {
	p, err := w.page(id)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	count := int(le.Uint16(p[10:]))
	if boltPageHeader+16*count > len(p) {
		return fmt.Errorf("page %d: %d éléments ne tiennent pas dans la page", id, count)
	}
	switch le.Uint16(p[8:]) {
	case boltBranch:
		for i := range count {
			e := boltPageHeader + 16*i
			pos, ksize := int(le.Uint32(p[e:])), int(le.Uint32(p[e+4:]))
			if e+pos+ksize > len(p) {
				return fmt.Errorf("page %d: élément %d hors de la page", id, i)
			}
			if err := w.tree(le.Uint64(p[e+8:])); err != nil {
				return err
			}
		}
		return nil
	case boltLeaf:
		return w.leaf(p, id)
	}
	return fmt.Errorf("page %d de type inconnu (%#x)", id, le.Uint16(p[8:]))
}

// leaf checks a leaf's elements, and the buckets they hold; p is the
// page, or an inline bucket's page within its parent's value.
func (w *boltWalk) leaf(p []byte, id uint64) error {
	le := binary.LittleEndian
	if len(p) < boltPageHeader {
		return fmt.Errorf("page %d: sous-compartiment tronqué", id)
	}
	count := int(le.Uint16(p[10:]))
	if boltPageHeader+16*count > len(p) {
		return fmt.Errorf("page %d: %d éléments ne tiennent pas dans la page", id, count)
	}
	for i := range count {
		e := boltPageHeader + 16*i
		flags, pos := le.Uint32(p[e:]), int(le.Uint32(p[e+4:]))
		ksize, vsize := int(le.Uint32(p[e+8:])), int(le.Uint32(p[e+12:]))
		start := e + pos
		if pos < 0 || ksize < 0 || vsize < 0 || start+ksize+vsize > len(p) || start+ksize+vsize < start {
			return fmt.Errorf("page %d: élément %d hors de la page", id, i)
		}
		if flags&boltBucketFlag == 0 {
			continue
		}
		v := p[start+ksize : start+ksize+vsize]
		if len(v) < boltBucketHeader {
			return fmt.Errorf("page %d: compartiment %d tronqué", id, i)
		}
		if root := le.Uint64(v); root != 0 {
			if err := w.tree(root); err != nil {
				return err
			}
		} else if err := w.leaf(v[boltBucketHeader:], id); err != nil {
			return err
		}
	}
	return nil
}

// freelist checks the free list: pages inside the file that no bucket
// uses (bbolt would hand them out again, over live data).
func (w *boltWalk) freelist(id uint64) error {
	if id == boltNoFreelist {
		return nil
	}
	p, err := w.page(id)
	if err != nil {
		return fmt.Errorf("liste des pages libres: %v", err)
	}
	le := binary.LittleEndian
	if le.Uint16(p[8:]) != boltFreelist {
		return fmt.Errorf("page %d: la liste des pages libres n'en est pas une", id)
	}
	start, count := boltPageHeader, uint64(le.Uint16(p[10:]))
	if count == 0xFFFF {
		count = le.Uint64(p[start:])
		start += 8
	}
	if count > uint64(len(p)-start)/8 {
		return fmt.Errorf("page %d: liste des pages libres plus longue que sa page", id)
	}
	for i := range count {
		free := le.Uint64(p[start+int(i)*8:])
		if free < 2 || free >= w.hwm {
			return fmt.Errorf("page libre %d hors du fichier", free)
		}
		if w.seen[free] {
			return fmt.Errorf("page %d à la fois libre et utilisée", free)
		}
		w.seen[free] = true
	}
	return nil
}
