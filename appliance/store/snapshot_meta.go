package store

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// SnapshotMeta reads the meta table (the first one) of a snapshot stream,
// without reading further: a node compares its store's applied index with
// a snapshot's at every start, and a snapshot is the size of the store.
func SnapshotMeta(r io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	var h snapHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("snapshot: header: %w", err)
	}
	if h.Format != snapshotFormat {
		return nil, fmt.Errorf("snapshot: not a Missive snapshot (format %q)", h.Format)
	}
	if h.Version != snapshotVersion {
		return nil, fmt.Errorf("snapshot: format version %d unknown to this binary (knows %d)", h.Version, snapshotVersion)
	}
	var t snapTable
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("snapshot: first table: %w", err)
	}
	key, value := -1, -1
	for i, c := range t.Columns {
		switch c {
		case "key":
			key = i
		case "value":
			value = i
		}
	}
	if t.Table != "meta" || key < 0 || value < 0 {
		return nil, fmt.Errorf("snapshot: first table %q %v, want meta (key, value)", t.Table, t.Columns)
	}
	meta := map[string]string{}
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("snapshot: meta: %w", err)
		}
		if len(raw) == 0 || raw[0] != '[' {
			// The next table's line: meta is over.
			return meta, nil
		}
		var row []string
		if err := json.Unmarshal(raw, &row); err != nil || len(row) != len(t.Columns) {
			return nil, fmt.Errorf("snapshot: malformed meta row %s", raw)
		}
		meta[row[key]] = row[value]
	}
	return nil, fmt.Errorf("snapshot: truncated after meta")
}
