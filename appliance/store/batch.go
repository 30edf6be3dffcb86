package store

import (
	"context"
	"fmt"
	"strconv"
)

// UpdateBatch is Update for consecutive raft entries: one transaction for
// all of them, so that a raft batch costs one commit. fn(i, tx) applies
// the entry at indexes[i]; each runs inside its own savepoint, so an entry
// whose fn fails (a refused command) rolls back its own writes only and
// the others are kept. errs[i] is that entry's error, ErrApplied for an
// entry at or below the store's applied index (not run).
//
// err is the batch's: the store could not take it (begin, commit, or an
// entry's fn failed with an error IsUnavailable reports, which stops the
// batch) and nothing of it was written. The caller then applies the
// entries one by one, so that the first the store cannot take waits with
// every entry after it, as with Update.
//
// The applied index recorded is the batch's last, refused entries
// included: a refused entry replayed is refused again and changes nothing,
// so skipping it after a restart is the same.
func (s *Store) UpdateBatch(ctx context.Context, indexes []uint64, fn func(i int, tx *Tx) error) (errs []error, err error) {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	tx := newTx(ctx, sqlTx, newReader(rd{q: sqlTx, d: s.dialect}))
	fail := func(err error) ([]error, error) {
		sqlTx.Rollback()
		return nil, err
	}
	v, err := tx.Meta(ctx, "applied_index")
	if err != nil {
		return fail(err)
	}
	last, _ := strconv.ParseUint(v, 10, 64)
	errs = make([]error, len(indexes))
	top := last
	for i, index := range indexes {
		// Index 0 is not a raft entry (tests apply directly): neither
		// checked nor recorded, as with Update.
		if index > 0 && index <= last {
			errs[i] = ErrApplied
			continue
		}
		top = max(top, index)
		if err := tx.exec(`SAVEPOINT entry`); err != nil {
			return fail(fmt.Errorf("savepoint: %w", err))
		}
		if err := fn(i, tx); err != nil {
			if IsUnavailable(err) {
				return fail(err)
			}
			errs[i] = err
			if err := tx.exec(`ROLLBACK TO SAVEPOINT entry`); err != nil {
				return fail(fmt.Errorf("rollback to savepoint: %w", err))
			}
		}
		// Released after a rollback too: ROLLBACK TO keeps the savepoint.
		if err := tx.exec(`RELEASE SAVEPOINT entry`); err != nil {
			return fail(fmt.Errorf("release savepoint: %w", err))
		}
	}
	if top > last {
		if err := tx.SetMeta("applied_index", strconv.FormatUint(top, 10)); err != nil {
			return fail(err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return errs, nil
}
