package store

import (
	"context"
	"fmt"
	"strconv"
)

// A column named sha256 references a blob of DATA/blobs, in every table:
// documents' versions, the WebDAV tree, draft templates, and whatever table
// comes next. A backup holds the blobs its database references, so the rule
// is read from the schema rather than from a list that could forget a table.
const blobColumn = "sha256"

// AppliedIndex is the raft index the snapshot was taken at.
func (sn *Snapshot) AppliedIndex() (uint64, error) {
	return appliedIndex(sn.ctx, newReader(rd{q: sn.tx, d: sn.s.dialect}))
}

// BlobRefs calls fn once for every blob the snapshot references, oldest
// reference first: a backup lists them in this order, so that a day's new
// documents add to the end of the list instead of reshuffling it.
func (sn *Snapshot) BlobRefs(fn func(sum string) error) error {
	return blobRefs(sn.ctx, newReader(rd{q: sn.tx, d: sn.s.dialect}), fn)
}

// BlobRefs is Snapshot.BlobRefs on the current state (a restored store).
func (s *Store) BlobRefs(ctx context.Context, fn func(sum string) error) error {
	return blobRefs(ctx, s.Reader(), fn)
}

func appliedIndex(ctx context.Context, r Reader) (uint64, error) {
	v, err := r.Meta(ctx, "applied_index")
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseUint(v, 10, 64)
}

func blobRefs(ctx context.Context, r Reader, fn func(sum string) error) error {
	seen := map[string]bool{}
	for _, t := range tables {
		cols, err := tableColumns(ctx, r, t)
		if err != nil {
			return err
		}
		if !cols[blobColumn] {
			continue
		}
		order := "sha256"
		switch {
		case cols["modified_at"]:
			order = "MIN(modified_at), sha256"
		case cols["created_at"]:
			order = "MIN(created_at), sha256"
		}
		rows, err := r.query(ctx, `SELECT sha256 FROM `+t+` WHERE sha256 <> '' GROUP BY sha256 ORDER BY `+order)
		if err != nil {
			return fmt.Errorf("list the blobs of %s: %w", t, err)
		}
		for rows.Next() {
			var sum string
			if err := rows.Scan(&sum); err != nil {
				rows.Close()
				return fmt.Errorf("list the blobs of %s: %w", t, err)
			}
			if seen[sum] {
				continue
			}
			seen[sum] = true
			if err := fn(sum); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list the blobs of %s: %w", t, err)
		}
	}
	return nil
}

func tableColumns(ctx context.Context, r Reader, table string) (map[string]bool, error) {
	rows, err := r.query(ctx, `SELECT * FROM `+table+` WHERE 1 = 0`)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	cols := map[string]bool{}
	for _, n := range names {
		cols[n] = true
	}
	return cols, nil
}
