package api_test

import (
	"context"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// TestLetterMessagesOfAnEmail: a letter made from an e-mail says
// "channel":"email" and lists its acknowledgement under /messages; a user
// outside its perimeter gets 404.
func TestLetterMessagesOfAnEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	res, err := h.env.Svc.IntakeMail(ctx, h.env.Admin, appliance.MailIntakeInput{
		Key: "mid:m1@exemple.test", MessageID: "m1@exemple.test", Kind: "letter", Source: "smtp", FromAddress: "jeanne@exemple.test", Subject: "Lampadaire",
		Register: &appliance.RegisterInput{Category: domain.Incoming, Subject: "Lampadaire", Sender: &appliance.ContactInput{Name: "Jeanne", Email: "jeanne@exemple.test"}},
		Outbox: func(p *appliance.LetterRegister) ([]appliance.OutboxPayload, error) {
			return []appliance.OutboxPayload{{ID: appliance.NewID(), Kind: "ack", MessageID: "ack.1@ville.test", MailFrom: "mairie@ville.test",
				RcptTo: "jeanne@exemple.test", Subject: "Accusé de réception " + p.Number, Content: "…"}}, nil
		},
	}, appliance.Upload{Name: "message.eml", Role: domain.DocMain, Body: strings.NewReader("From: jeanne@exemple.test\r\n\r\nx\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	var l domain.Letter
	h.call(t, 200, "GET /api/v1/letters/{id}", h.admin, nil, &struct {
		Letter *domain.Letter `json:"letter"`
	}{&l}, res.LetterID)
	if l.Channel != domain.ChannelEmail {
		t.Fatalf("channel %q, want email", l.Channel)
	}
	var msgs []appliance.MailMessage
	h.call(t, 200, "GET /api/v1/letters/{id}/messages", h.admin, nil, &msgs, res.LetterID)
	if len(msgs) != 2 || msgs[0].Kind != "letter" || msgs[1].Kind != "ack" || msgs[1].Status != "queued" ||
		msgs[1].MessageID != "ack.1@ville.test" || !strings.Contains(msgs[1].Subject, l.Number) {
		t.Fatalf("messages: %+v", msgs)
	}
	_, tok := h.user(t, "agent-hors", domain.RoleAgent)
	if r := h.send(t, "GET", "/api/v1/letters/"+res.LetterID+"/messages", tok, nil); r.code != 404 {
		t.Fatalf("outside the perimeter: status %d, want 404", r.code)
	}
	// The same message again is the same letter.
	again, err := h.env.Svc.IntakeMail(ctx, h.env.Admin, appliance.MailIntakeInput{Key: "mid:m1@exemple.test", Kind: "letter",
		Register: &appliance.RegisterInput{Category: domain.Incoming, Subject: "Lampadaire"}})
	if err != nil || !again.Duplicate || again.LetterID != res.LetterID {
		t.Fatalf("second intake: %+v, %v", again, err)
	}
}
