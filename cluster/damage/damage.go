// Package damage damages a stopped node's raft files the way a crash, a
// full disk or a failing disk does, for the tests that check such files
// are refused rather than crashed on (cluster, cmd/missive).
package damage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// RaftDB is the raft log of a data dir.
func RaftDB(dataDir string) string { return filepath.Join(dataDir, "raft", "raft.db") }

// layout is what the damages need of a bbolt file.
type layout struct {
	pageSize int64
	// used is the size of the pages in use (bbolt's high water mark).
	used int64
	// leaf is the offset of a leaf page of the log's bucket.
	leaf int64
}

func readLayout(path string) (layout, error) {
	f, err := os.Open(path)
	if err != nil {
		return layout{}, err
	}
	defer f.Close()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		return layout{}, err
	}
	defer db.Close()
	l := layout{pageSize: int64(db.Info().PageSize)}
	err = db.View(func(tx *bbolt.Tx) error {
		l.used = tx.Size()
		b := tx.Bucket([]byte("logs"))
		if b == nil || b.Root() == 0 {
			return errors.New("no logs bucket of its own pages")
		}
		id := int64(b.Root())
		// Down the first child of each branch: a page starts with its
		// id (8 bytes), flags (2: 1 branch, 2 leaf) and count (2), then
		// after 16 bytes its elements, of 16 bytes in a branch, the last
		// 8 of which are the child's page id.
		hdr := make([]byte, 32)
		for range 10 {
			if _, err := f.ReadAt(hdr, id*l.pageSize); err != nil {
				return err
			}
			switch binary.LittleEndian.Uint16(hdr[8:]) {
			case 0x02:
				l.leaf = id * l.pageSize
				return nil
			case 0x01:
				id = int64(binary.LittleEndian.Uint64(hdr[24:]))
			default:
				return fmt.Errorf("page %d is neither branch nor leaf", id)
			}
		}
		return errors.New("no leaf under the logs bucket")
	})
	return l, err
}

// Kind is one way of damaging the raft log.
type Kind string

const (
	// TailCut cuts the last page in use, as a file copied while written.
	TailCut Kind = "fin coupée"
	// OddSize cuts a few bytes off the end.
	OddSize Kind = "quelques octets coupés"
	// Half cuts the pages in use in half.
	Half Kind = "coupé en deux"
	// PageZeroed zeroes a page of log entries, as a lost disk block.
	PageZeroed Kind = "page mise à zéro"
	// BytesFlipped inverts the bytes that locate the entries of a page.
	BytesFlipped Kind = "octets inversés"
	// EntryGarbled overwrites the start of a log entry with bytes no
	// msgpack encoder writes.
	EntryGarbled Kind = "entrée illisible"
	// CommandChanged changes one byte of the last command in the log: the
	// entry still decodes, its command does not.
	CommandChanged Kind = "commande changée"
)

// Kinds is every damage of the raft log.
var Kinds = []Kind{TailCut, OddSize, Half, PageZeroed, BytesFlipped, EntryGarbled, CommandChanged}

// Log damages the raft log of a stopped data dir.
func Log(dataDir string, k Kind) error {
	path := RaftDB(dataDir)
	if k == CommandChanged {
		return changeCommand(path)
	}
	l, err := readLayout(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	switch k {
	case TailCut:
		return os.Truncate(path, l.used-l.pageSize)
	case OddSize:
		return os.Truncate(path, fi.Size()-100)
	case Half:
		return os.Truncate(path, l.used/2/l.pageSize*l.pageSize)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	page := make([]byte, l.pageSize)
	if _, err := f.ReadAt(page, l.leaf); err != nil {
		return err
	}
	switch k {
	case PageZeroed:
		clear(page)
	case BytesFlipped:
		// The leaf's element headers: where each key and value lie.
		count := int(binary.LittleEndian.Uint16(page[10:]))
		for i := 16; i < 16+16*count && i < len(page); i++ {
			page[i] ^= 0xff
		}
	case EntryGarbled:
		// The first element (flags, pos, ksize, vsize): its value lies
		// pos+ksize bytes after the element.
		pos := int(binary.LittleEndian.Uint32(page[16+4:]))
		ksize := int(binary.LittleEndian.Uint32(page[16+8:]))
		v := 16 + pos + ksize
		for i := v; i < v+8 && i < len(page); i++ {
			page[i] = 0xc1
		}
	default:
		return fmt.Errorf("unknown damage %q", k)
	}
	if _, err := f.WriteAt(page, l.leaf); err != nil {
		return err
	}
	return f.Sync()
}

// LatestSnapshot is the directory of the latest raft snapshot of a data dir.
func LatestSnapshot(dataDir string) (string, error) {
	dirs, err := filepath.Glob(filepath.Join(dataDir, "raft", "snapshots", "*-*-*"))
	if err != nil || len(dirs) == 0 {
		return "", fmt.Errorf("no raft snapshot in %s (%v)", dataDir, err)
	}
	// Names are TERM-INDEX-MS: within one term, the longer index is later.
	sort.Slice(dirs, func(i, j int) bool {
		if len(dirs[i]) != len(dirs[j]) {
			return len(dirs[i]) < len(dirs[j])
		}
		return dirs[i] < dirs[j]
	})
	return dirs[len(dirs)-1], nil
}

// Snapshot flips one byte in the middle of the latest snapshot's state;
// it returns the damaged file.
func Snapshot(dataDir string) (string, error) {
	dir, err := LatestSnapshot(dataDir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "state.bin")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", fmt.Errorf("%s is empty", path)
	}
	b[len(b)/2] ^= 0x01
	return path, os.WriteFile(path, b, 0o600)
}

// changeCommand changes the first byte of the last command in the log.
func changeCommand(path string) error {
	logs, err := raftboltdb.NewBoltStore(path)
	if err != nil {
		return err
	}
	defer logs.Close()
	last, err := logs.LastIndex()
	if err != nil {
		return err
	}
	var l raft.Log
	for i := last; i > 0; i-- {
		if err := logs.GetLog(i, &l); err != nil {
			return err
		}
		if l.Type == raft.LogCommand && len(l.Data) > 0 {
			l.Data[0] ^= 0x20
			return logs.StoreLog(&l)
		}
	}
	return errors.New("no command in the log")
}
