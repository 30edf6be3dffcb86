package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The logical snapshot format, version 1: JSON lines, dialect-free.
//
//	{"format":"missive-snapshot","version":1,"schema":N}
//	{"table":"tenants","columns":["id",…]}
//	["default","Commune",0,"2026-…"]          one line per row
//	…
//	{"end":true,"rows":R}
//
// The same stream serves raft snapshots, backups and moving a town from
// SQLite to PostgreSQL. Derived data (the full-text index) is rebuilt on load.
const (
	snapshotFormat  = "missive-snapshot"
	snapshotVersion = 1
)

// tables in foreign-key order.
var tables = []string{
	"meta", "tenants", "entities", "users", "user_entities", "tokens", "contacts", "doctypes",
	"letters", "letter_copies", "documents", "document_versions", "notes", "note_entities",
	"letter_links", "letter_pieces", "history",
	"mail_addresses", "mail_relays", "mail_mailboxes", "mail_rules", "mail_templates", "mail_seen", "mail_outbox", "mail_notices", "mail_ack_policies",
	"web_keys", "web_session_epochs", "web_baskets", "web_saved_searches", "web_follows", "web_submissions",
	"dav_nodes", "dav_props", "dav_hidden", "dav_locks",
	"draft_templates",
	"ged_targets", "ged_exports", "onlyoffice_servers",
	"idempotency_keys",
	"backup_runs", "cluster_tokens", "cluster_members",
	"tls_assets", "tls_locks",
}

// Tables of the node, not of the replicated state: never in a snapshot,
// never cleared by Load (node_owner: which node this database belongs to).
var nodeTables = []string{"node_owner"}

// derived columns are rebuilt on load, never dumped.
var derived = map[string]bool{"tsv": true}

type snapHeader struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Schema  int    `json:"schema"`
}

type snapTable struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

type snapEnd struct {
	End  bool  `json:"end"`
	Rows int64 `json:"rows"`
}

// Snapshot is a consistent read view of the store, taken at one point of the
// log, that can be streamed while later commands apply.
type Snapshot struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
}

// BeginSnapshot pins the current state. Release it when done.
func (s *Store) BeginSnapshot(ctx context.Context) (*Snapshot, error) {
	opts := sqlReadOnly
	if s.dialect.name() == "postgres" {
		// READ COMMITTED, PostgreSQL's default, would let each table be
		// read at a different point of the log.
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.rdb.BeginTx(ctx, &opts)
	if err != nil {
		return nil, fmt.Errorf("snapshot: begin: %w", err)
	}
	// SQLite takes its read snapshot at the first read, not at BEGIN.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM meta`).Scan(&n); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("snapshot: pin: %w", err)
	}
	return &Snapshot{ctx: ctx, tx: tx, s: s}, nil
}

func (sn *Snapshot) Release() { sn.tx.Rollback() }

// Reader reads the pinned state: reads that must agree with each other
// (history verify) see one point of the log.
func (sn *Snapshot) Reader() Reader { return newReader(rd{q: sn.tx, d: sn.s.dialect}) }

// Dump writes the whole store to w from one read transaction.
func (s *Store) Dump(ctx context.Context, w io.Writer) error {
	sn, err := s.BeginSnapshot(ctx)
	if err != nil {
		return err
	}
	defer sn.Release()
	return sn.Stream(w)
}

// Stream streams the snapshot in the logical format.
func (sn *Snapshot) Stream(w io.Writer) error {
	ctx, s, tx := sn.ctx, sn.s, sn.tx
	r := newReader(rd{q: tx, d: s.dialect})
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(snapHeader{snapshotFormat, snapshotVersion, s.SchemaVersion}); err != nil {
		return err
	}
	var total int64
	for _, t := range tables {
		rows, err := r.query(ctx, `SELECT * FROM `+t)
		if err != nil {
			return fmt.Errorf("snapshot: read %s: %w", t, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return err
		}
		var keep []int
		var names []string
		for i, c := range cols {
			if !derived[c] {
				keep = append(keep, i)
				names = append(names, c)
			}
		}
		if err := enc.Encode(snapTable{t, names}); err != nil {
			rows.Close()
			return err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		out := make([]any, len(keep))
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("snapshot: scan %s: %w", t, err)
			}
			for j, i := range keep {
				switch v := vals[i].(type) {
				case []byte:
					out[j] = string(v)
				case int32:
					out[j] = int64(v)
				default:
					out[j] = v
				}
			}
			if err := enc.Encode(out); err != nil {
				rows.Close()
				return err
			}
			total++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("snapshot: read %s: %w", t, err)
		}
	}
	if err := enc.Encode(snapEnd{true, total}); err != nil {
		return err
	}
	return bw.Flush()
}

// Load replaces the whole content of the store with a snapshot, in one
// transaction: a truncated or corrupt stream changes nothing.
func (s *Store) Load(ctx context.Context, r io.Reader) error { return s.load(ctx, r, true) }

// LoadCheck is Load for a throw-away store that only proves a snapshot
// restores (a backup's verification): every row goes in through the same
// checks, but the full-text index, derived data rebuilt by every real
// Load, is left empty. It is three quarters of a Load's time.
func (s *Store) LoadCheck(ctx context.Context, r io.Reader) error { return s.load(ctx, r, false) }

func (s *Store) load(ctx context.Context, r io.Reader, index bool) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 256<<10))
	dec.UseNumber()
	h, err := s.readSnapHeader(dec)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.clearTables(ctx, tx); err != nil {
		return err
	}
	if err := s.loadRows(ctx, tx, dec); err != nil {
		return err
	}
	changed, err := s.upgradeData(ctx, tx, h.Schema)
	if err != nil {
		return err
	}
	if !index {
		return tx.Commit()
	}
	txr := newTx(ctx, tx, newReader(rd{q: tx, d: s.dialect}))
	ids, err := allLetterIDs(ctx, txr)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := txr.IndexLetter(id); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, c := range changed {
		s.logChanges(c.m, "snapshot", c.rows)
	}
	return nil
}

// readSnapHeader reads and checks the first line: a Missive snapshot, of
// a format version and a schema this binary knows.
func (s *Store) readSnapHeader(dec *json.Decoder) (*snapHeader, error) {
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
	if h.Schema > s.LatestSchema() {
		return nil, fmt.Errorf("snapshot: %w: schema %d", ErrTooNew, h.Schema)
	}
	return &h, nil
}

// clearTables empties every table, children first, and the full-text
// index: a snapshot replaces the whole store.
func (s *Store) clearTables(ctx context.Context, tx *sql.Tx) error {
	exec := func(q string) error {
		_, err := tx.ExecContext(ctx, q)
		return err
	}
	for i := len(tables) - 1; i >= 0; i-- {
		if err := exec(`DELETE FROM ` + tables[i]); err != nil {
			return fmt.Errorf("snapshot: clear %s: %w", tables[i], err)
		}
	}
	if s.dialect.name() == "sqlite" {
		return exec(`DELETE FROM letters_fts`)
	}
	return nil
}

// loadRows inserts the rows of each table line after line, up to the end
// marker, whose row count must match.
func (s *Store) loadRows(ctx context.Context, tx *sql.Tx, dec *json.Decoder) error {
	// One prepared insert per table: preparing the statement again for
	// every row was a sixth of a load's time.
	var stmt *sql.Stmt
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	var table string
	var ncols int
	var rows int64
	var vals []any
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("snapshot: truncated (no end marker)")
			}
			return fmt.Errorf("snapshot: %w", err)
		}
		if len(raw) > 0 && raw[0] == '[' {
			if stmt == nil {
				return errors.New("snapshot: row before any table")
			}
			var err error
			if vals, err = rowValues(raw, vals[:0]); err != nil {
				return fmt.Errorf("snapshot: %s: %w", table, err)
			}
			if len(vals) != ncols {
				return fmt.Errorf("snapshot: %s row has %d values, want %d", table, len(vals), ncols)
			}
			if _, err := stmt.ExecContext(ctx, vals...); err != nil {
				return fmt.Errorf("snapshot: insert into %s: %w", table, err)
			}
			rows++
			continue
		}
		t, end, err := snapLine(raw, rows)
		if err != nil || end {
			return err
		}
		if stmt != nil {
			stmt.Close()
			stmt = nil
		}
		table, ncols = t.Table, len(t.Columns)
		insert := `INSERT INTO ` + t.Table + ` (` + strings.Join(t.Columns, ", ") + `) VALUES (` + placeholders(ncols) + `)`
		if stmt, err = tx.PrepareContext(ctx, s.dialect.rebind(insert)); err != nil {
			return fmt.Errorf("snapshot: insert into %s: %w", t.Table, err)
		}
	}
}

// snapLine reads a line that is not a row: the end marker (end, after
// checking it counts rows) or the start of a table, whose name and
// columns must be known identifiers.
func snapLine(raw json.RawMessage, rows int64) (t *snapTable, end bool, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false, fmt.Errorf("snapshot: %w", err)
	}
	if _, ok := m["end"]; ok {
		var e snapEnd
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, false, err
		}
		if e.Rows != rows {
			return nil, false, fmt.Errorf("snapshot: %d rows read, end marker says %d", rows, e.Rows)
		}
		return nil, true, nil
	}
	t = &snapTable{}
	if err := json.Unmarshal(raw, t); err != nil {
		return nil, false, fmt.Errorf("snapshot: %w", err)
	}
	if !knownTable(t.Table) {
		return nil, false, fmt.Errorf("snapshot: unknown table %q", t.Table)
	}
	for _, c := range t.Columns {
		if !isIdent(c) {
			return nil, false, fmt.Errorf("snapshot: bad column name %q", c)
		}
	}
	return t, false, nil
}

func knownTable(name string) bool {
	for _, t := range tables {
		if t == name {
			return true
		}
	}
	return false
}

// upgradeData runs the data sections of the migrations a snapshot of an
// older schema never went through: its rows must end as the migrations
// would have left them (the new columns got their defaults already).
func (s *Store) upgradeData(ctx context.Context, tx *sql.Tx, schema int) ([]dataChange, error) {
	ms, err := s.migrations()
	if err != nil {
		return nil, err
	}
	var changed []dataChange
	for _, m := range ms {
		if m.version <= schema || m.data == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.data); err != nil {
			return nil, fmt.Errorf("snapshot: upgrade data to %s: %w", m.name, err)
		}
		rows, err := reportRows(ctx, tx, m)
		if err != nil {
			return nil, err
		}
		changed = append(changed, dataChange{m, rows})
	}
	return changed, nil
}

type dataChange struct {
	m    migration
	rows [][]any
}

func allLetterIDs(ctx context.Context, t *Tx) ([]string, error) {
	rows, err := t.query(ctx, `SELECT id FROM letters ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func isIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// rowValues reads a row of the stream: a JSON array of strings, integers
// and nulls, already checked to be valid JSON by the decoder that cut it
// out. Decoding it again with encoding/json was a third of a load's time.
func rowValues(raw []byte, vals []any) ([]any, error) {
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return vals, nil
	}
	for i < len(raw) {
		i = skipSpace(raw, i)
		switch c := raw[i]; {
		case c == '"':
			end, plain := i+1, true
			for raw[end] != '"' {
				if raw[end] == '\\' {
					plain = false
					end++
				}
				end++
			}
			end++
			// encoding/json turns invalid UTF-8 into U+FFFD: so do we.
			if plain && utf8.Valid(raw[i+1:end-1]) {
				vals = append(vals, string(raw[i+1:end-1]))
			} else {
				var v string
				if err := json.Unmarshal(raw[i:end], &v); err != nil {
					return nil, err
				}
				vals = append(vals, v)
			}
			i = end
		case c == 'n':
			vals = append(vals, nil)
			i += len("null")
		case c == '-' || c >= '0' && c <= '9':
			end := i + 1
			for end < len(raw) && strings.IndexByte("0123456789+-.eE", raw[end]) >= 0 {
				end++
			}
			n, err := strconv.ParseInt(string(raw[i:end]), 10, 64)
			if err != nil {
				return nil, err
			}
			vals = append(vals, n)
			i = end
		default:
			return nil, fmt.Errorf("unexpected value %q", raw[i:min(len(raw), i+10)])
		}
		i = skipSpace(raw, i)
		if raw[i] == ']' {
			return vals, nil
		}
		i++ // ','
	}
	return nil, errors.New("row not closed")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
