package cluster

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// The raft log is a bbolt file that bbolt maps in memory and trusts: a
// file cut short makes the first read past its end a SIGBUS, a zeroed or
// scrambled page an index out of range, a damaged entry a msgpack panic,
// each in whichever goroutine reads it first, often raft's own, after
// "Missive est prêt". So the whole file is checked before raft opens it:
// the header and meta pages by hand (nothing mapped yet), then bbolt's
// own consistency check and a decode of every entry, with faults turned
// into panics and panics into a refusal that names the file.

// bbolt's on-disk layout (go.etcd.io/bbolt, db.go and page.go): a page
// header of 16 bytes, then in pages 0 and 1 a meta of which the valid one
// with the higher transaction id is current.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	// Offsets in a meta page.
	metaMagic    = boltPageHeader
	metaVersion  = metaMagic + 4
	metaPageSize = metaVersion + 4
	metaRoot     = metaPageSize + 8
	metaFreelist = metaRoot + 16
	metaPgid     = metaFreelist + 8
	metaTxid     = metaPgid + 8
	metaChecksum = metaTxid + 8
	metaEnd      = metaChecksum + 8
)

type boltMeta struct {
	pageSize                 uint32
	root, freelist, pgid, tx uint64
}

// readBoltMeta reads the meta of the page at off, nil if it is not a
// valid one.
func readBoltMeta(f *os.File, off int64) *boltMeta {
	b := make([]byte, metaEnd)
	if _, err := f.ReadAt(b, off); err != nil {
		return nil
	}
	le := binary.LittleEndian
	if le.Uint32(b[metaMagic:]) != boltMagic || le.Uint32(b[metaVersion:]) != boltVersion {
		return nil
	}
	h := fnv.New64a()
	h.Write(b[metaMagic:metaChecksum])
	if h.Sum64() != le.Uint64(b[metaChecksum:]) {
		return nil
	}
	return &boltMeta{pageSize: le.Uint32(b[metaPageSize:]), root: le.Uint64(b[metaRoot:]), freelist: le.Uint64(b[metaFreelist:]), pgid: le.Uint64(b[metaPgid:]), tx: le.Uint64(b[metaTxid:])}
}

// checkBoltHeader checks, without mapping it, that the file is as long as
// its current meta says: bbolt grows it by whole pages, and a page it
// uses beyond the end of the file is a SIGBUS when read.
func checkBoltHeader(f *os.File, size int64) (*boltMeta, string) {
	m := readBoltMeta(f, 0)
	ps := int64(os.Getpagesize())
	if m != nil {
		ps = int64(m.pageSize)
	}
	if m1 := readBoltMeta(f, ps); m1 != nil && (m == nil || m1.tx > m.tx) {
		m = m1
	}
	switch {
	case m == nil:
		return nil, "en-tête endommagé (aucune des deux pages de métadonnées n'est valide)"
	case m.pageSize < 1024 || m.pageSize > 1<<16:
		return nil, fmt.Sprintf("en-tête incohérent (pages de %d octets)", m.pageSize)
	case size%int64(m.pageSize) != 0:
		return nil, fmt.Sprintf("fichier tronqué (%d octets, pas un nombre entier de pages de %d octets)", size, m.pageSize)
	case int64(m.pgid)*int64(m.pageSize) > size:
		return nil, fmt.Sprintf("fichier tronqué (%d octets, il en faut au moins %d)", size, int64(m.pgid)*int64(m.pageSize))
	case m.root >= m.pgid || m.freelist != boltNoFreelist && m.freelist >= m.pgid:
		return nil, "en-tête incohérent (pages hors du fichier)"
	}
	return m, ""
}

// checkRaftLog checks DATA/raft/raft.db, and says what is wrong with it
// in French, "" if nothing is. A file that is missing or empty is no
// damage: checkAgreement tells whether that is a problem.
func checkRaftLog(path string) (problem string) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Size() == 0 {
		return ""
	}
	if err != nil {
		return fmt.Sprintf("illisible: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("illisible: %v", err)
	}
	defer f.Close()
	m, p := checkBoltHeader(f, fi.Size())
	if p != "" {
		return p
	}
	if err := walkBolt(f, m); err != nil {
		return fmt.Sprintf("pages endommagées (%v)", err)
	}
	// From here on the file is mapped: a fault reading it panics in this
	// goroutine instead of killing the process, and a panic is damage.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			problem = fmt.Sprintf("contenu endommagé (%v)", r)
		}
	}()
	if p := checkLog(path); p != "" {
		return p
	}
	return checkRaftEntries(path)
}

// checkLog opens the log with bbolt, once its pages are known whole, to
// check its keys.
func checkLog(path string) string {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Sprintf("illisible par bbolt (%v)", err)
	}
	defer db.Close()
	var p string
	db.View(func(tx *bbolt.Tx) error {
		p = checkLogKeys(tx)
		return nil
	})
	return p
}

// checkLogKeys checks that the log's keys are indexes (raft-boltdb: 8
// bytes, big endian) that follow each other, one per entry: the decode
// that follows walks from the first to the last.
func checkLogKeys(tx *bbolt.Tx) string {
	b := tx.Bucket([]byte("logs"))
	if b == nil {
		return ""
	}
	var prev uint64
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 8 {
			return fmt.Sprintf("clé du journal endommagée (%d octets au lieu de 8, après l'entrée %d)", len(k), prev)
		}
		i := binary.BigEndian.Uint64(k)
		if prev != 0 && i != prev+1 {
			return fmt.Sprintf("journal discontinu (entrée %d après l'entrée %d)", i, prev)
		}
		prev = i
	}
	return ""
}

// checkRaftEntries decodes every entry of the log as raft will, and the
// term and vote it recorded: the log runs without a gap from its first
// index to its last, each entry at its own index.
func checkRaftEntries(path string) string {
	logs, err := raftboltdb.New(raftboltdb.Options{Path: path, BoltOptions: &bbolt.Options{ReadOnly: true, Timeout: time.Second}})
	if err != nil {
		return fmt.Sprintf("illisible (%v)", err)
	}
	defer logs.Close()
	for _, k := range []string{"CurrentTerm", "LastVoteTerm"} {
		if _, err := logs.GetUint64([]byte(k)); err != nil && err.Error() != "not found" {
			return fmt.Sprintf("terme raft illisible (%s: %v)", k, err)
		}
	}
	return checkCommands(logs, 0, nil)
}

// snapshotMeta is the part of raft's meta.json that is checked.
type snapshotMeta struct {
	ID    string
	Index uint64
	Term  uint64
	CRC   []byte
}

// checkSnapshots checks raft's snapshots in dir (DATA/raft/snapshots),
// the latest first: its meta.json must read and its state.bin match the
// CRC the meta records. Raft silently ignores a snapshot whose meta does
// not read, and would then use an older one. It returns the damaged file
// and what is wrong with it; a damaged older snapshot, which raft never
// uses once a later one is whole, is only reported through warn.
func checkSnapshots(dir string, snaps raft.SnapshotStore, warn func(file, problem string)) (file, problem string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", ""
		}
		return dir, fmt.Sprintf("illisible: %v", err)
	}
	type named struct {
		name        string
		term, index uint64
	}
	var all []named
	for _, e := range entries {
		if !e.IsDir() || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		// Raft names them TERM-INDEX-MILLISECONDS.
		parts := strings.Split(e.Name(), "-")
		if len(parts) != 3 {
			continue
		}
		term, err1 := strconv.ParseUint(parts[0], 10, 64)
		index, err2 := strconv.ParseUint(parts[1], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		all = append(all, named{e.Name(), term, index})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].term != all[j].term {
			return all[i].term > all[j].term
		}
		if all[i].index != all[j].index {
			return all[i].index > all[j].index
		}
		return all[i].name > all[j].name
	})
	for i, s := range all {
		f, p := checkSnapshot(filepath.Join(dir, s.name), s.name, snaps)
		if p == "" {
			// Raft uses this one; older ones are only kept.
			return "", ""
		}
		if i == 0 {
			return f, p
		}
		warn(f, p)
	}
	return "", ""
}

// checkSnapshot checks one snapshot: its meta, then its state's CRC,
// which raft's Open computes over the whole file.
func checkSnapshot(dir, name string, snaps raft.SnapshotStore) (file, problem string) {
	metaFile := filepath.Join(dir, "meta.json")
	b, err := os.ReadFile(metaFile)
	if err != nil {
		return metaFile, fmt.Sprintf("illisible: %v", err)
	}
	var m snapshotMeta
	if err := json.Unmarshal(b, &m); err != nil || m.ID != name || len(m.CRC) == 0 {
		return metaFile, "métadonnées de l'instantané endommagées"
	}
	_, rc, err := snaps.Open(name)
	if err != nil {
		return filepath.Join(dir, "state.bin"), fmt.Sprintf("instantané endommagé (%v)", err)
	}
	rc.Close()
	return "", ""
}

// checkCommands decodes every entry after snapshot, each at its own
// index, and its command with check (when not nil); it says what is
// wrong with the first that does not decode.
func checkCommands(logs raft.LogStore, snapshot uint64, check func([]byte) error) (problem string) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			problem = fmt.Sprintf("contenu endommagé (%v)", r)
		}
	}()
	first, err := logs.FirstIndex()
	if err != nil {
		return fmt.Sprintf("premier index illisible (%v)", err)
	}
	last, err := logs.LastIndex()
	if err != nil {
		return fmt.Sprintf("dernier index illisible (%v)", err)
	}
	if first == 0 {
		return ""
	}
	var l raft.Log
	for i := max(first, snapshot+1); i <= last; i++ {
		if err := logs.GetLog(i, &l); err != nil {
			return fmt.Sprintf("entrée %d du journal illisible (%v)", i, err)
		}
		if l.Index != i {
			return fmt.Sprintf("entrée %d du journal endommagée (elle se dit l'entrée %d)", i, l.Index)
		}
		if check == nil || l.Type != raft.LogCommand {
			continue
		}
		if err := check(l.Data); err != nil {
			return fmt.Sprintf("la commande de l'entrée %d ne se lit plus (%v)", i, err)
		}
	}
	return ""
}
