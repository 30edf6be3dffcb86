package web

import (
	"testing"

	"missive/appliance"
)

// The mail pages build some keys from values (print "mail.sec." .Security
// and the like), which TestCatalogueComplete cannot see: they are listed
// here.
func TestMailCatalogueBuiltKeys(t *testing.T) {
	t.Parallel()
	var keys []string
	for _, x := range []string{"tls", "starttls", "plain"} {
		keys = append(keys, "mail.sec."+x)
	}
	for _, x := range []string{appliance.AckAuto, appliance.AckQualified, appliance.AckNever} {
		keys = append(keys, "mail.policy."+x)
	}
	for _, x := range appliance.MailTemplateModes {
		keys = append(keys, "mail.tpl."+x)
	}
	for _, x := range []string{"letter", "reply", "bounce", "ack", "answer", "notice"} {
		keys = append(keys, "mail.kind."+x)
	}
	for _, x := range []string{appliance.OutboxQueued, appliance.OutboxSent, appliance.OutboxFailed, appliance.OutboxBounced, appliance.OutboxHeld} {
		keys = append(keys, "mail.status."+x)
	}
	keys = append(keys, "mail.auth.password", "mail.auth.xoauth2")
	for _, k := range keys {
		for _, l := range languages {
			if _, ok := catalogue[l][k]; !ok {
				t.Errorf("%s: %s missing", l, k)
			}
		}
	}
}
