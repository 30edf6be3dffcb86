// Package letters owns the register: a letter's registration and its
// number, the actions on it (qualify, redirect, note, attach, link,
// close, reopen), its documents, the pieces asked of the sender, the
// search, the mail intake that registers letters, and the leader's
// admission of forwarded registrations. What it needs of other features
// (the WebDAV share's lock on a document, the mail's sender address, the
// GED export on close) comes through Hooks and ApplyHooks, which the
// facade wires: letters imports no other feature.
package letters

import (
	"context"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

// Hooks are what the letters' service methods ask of other features.
type Hooks struct {
	// DocumentGuard refuses a new version of a document while it is
	// locked in an editor through the WebDAV share.
	DocumentGuard func(ctx context.Context, tenant string, l *domain.Letter, documentID string) error
	// MailSender is the address the tenant's mail leaves from, for the
	// pieces request sent by e-mail.
	MailSender func(ctx context.Context, t *domain.Tenant) (addr, name string)
	// Forwarded reads the registration carried by another feature's
	// command (the mail intake's), nil when it carries none: the leader
	// checks its number like a letter.register's (Admit).
	Forwarded func(cmd *kernel.Command) (*LetterRegister, error)
	// Decode reads a forwarded command with every kind of this binary,
	// which only the facade knows.
	Decode func(data []byte) (*kernel.Command, error)
}

// Registrar is the register's service: who registers letters and acts on them.
type Registrar struct {
	k *kernel.Kernel
	h Hooks
	// reg stamps registration numbers on this node so that they are
	// gap-free without a retry storm (numbering.go).
	reg numbering
}

// New makes the register's service.
func New(k *kernel.Kernel, h Hooks) *Registrar { return &Registrar{k: k, h: h} }
