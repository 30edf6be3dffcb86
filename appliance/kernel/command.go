package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// CommandVersion is the envelope version this binary writes. Apply refuses
// a newer one so that a mixed cluster fails loudly rather than diverges.
// Version 2: the history entry of a registration, a qualification or a
// mail intake holds the body's SHA-256 and length instead of its text
// (letters/history_body.go). An entry of version 1 keeps its text, so that
// every binary applies the same log into the same history.
const CommandVersion = 2

// VersionBodyDigest is the first version whose history entries hold a
// letter's body by its digest.
const VersionBodyDigest = 2

// Command is the one way to change anything: a small typed value, validated
// and stamped before it is proposed, applied deterministically on every node.
type Command struct {
	V       int             `json:"v"`
	Kind    Kind            `json:"kind"`
	ID      string          `json:"id"`
	Tenant  string          `json:"tenant"`
	Actor   string          `json:"actor"` // a user id, or "system"
	At      time.Time       `json:"at"`
	Payload json.RawMessage `json:"payload"`
	// Idem is the idempotency key of the request that made the command
	// (idempotency.go); omitted without one, so that such commands encode
	// as before.
	Idem *Idem `json:"idem,omitempty"`
}

// Kind names what a command does.
type Kind string

// SystemActor stamps commands made by Missive itself (first start, mail).
const SystemActor = "system"

// Payloads. Secrets never enter a payload: passwords and tokens are hashed
// before proposing, because the raft log and the history keep payloads.

// NewCommand builds a command with its payload encoded.
func NewCommand(kind Kind, tenant, actor string, at time.Time, payload any) (*Command, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", kind, err)
	}
	return &Command{V: CommandVersion, Kind: kind, ID: NewID(), Tenant: tenant, Actor: actor, At: at.UTC(), Payload: b}, nil
}

// Encode is the command's form in the raft log.
func (c *Command) Encode() ([]byte, error) { return json.Marshal(c) }

// Decode reads a command strictly: unknown fields, a newer version or
// an unknown kind are errors, so that a corrupt or foreign entry never
// half-applies.
func (r *Registry) Decode(b []byte) (*Command, error) {
	var c Command
	if err := StrictUnmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("decode command: %w", err)
	}
	if c.V < 1 || c.V > CommandVersion {
		return nil, fmt.Errorf("decode command: version %d unknown (this binary knows 1 to %d)", c.V, CommandVersion)
	}
	if !r.Known(c.Kind) {
		return nil, fmt.Errorf("decode command: unknown kind %q", c.Kind)
	}
	if c.Tenant == "" || c.Actor == "" || c.At.IsZero() {
		return nil, fmt.Errorf("decode command %s: tenant, actor and time are required", c.Kind)
	}
	return &c, nil
}

func StrictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// More() is false before a stray ] or }: only EOF ends the value.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

// ClusterTenant is the Tenant of the commands about the appliance's own
// machinery rather than a commune (cluster membership, TLS storage); it
// names no commune ("_" is not allowed in a tenant id). It is here because
// two features (sites, certs) propose under it.
const ClusterTenant = "_cluster"
