package web

import (
	"net/http"

	"missive/appliance"
)

// An incomplete request (CRPA L114-5) from the letter page: the pieces
// asked and their deadline, then the day they came.

// incomplete declares the letter's request incomplete and says how its
// sender is told; a sender reached only by post gets the letter to print
// at once, made by the mail bridge (the paper acknowledgement, which then
// says which pieces are missing).
func (s *Server) incomplete(r *http.Request, q *request, id string) (string, error) {
	f := r.PostForm
	res, err := s.svc.MarkIncomplete(r.Context(), q.actor, id, appliance.IncompleteInput{Missing: f.Get("missing"), Deadline: f.Get("deadline")})
	if err != nil {
		return "", err
	}
	msg := tr(q.lang, "pieces.asked") + " " + tr(q.lang, "pieces.notice."+noticeKey(res.Notice))
	if res.Notice == appliance.NoticePaper && s.opts.Mail != nil {
		doc, err := s.opts.Mail.PostalAck(r.Context(), q.actor, id)
		if err != nil {
			// The request stands: the button of the paper acknowledgement
			// remains on the page.
			s.log.Error("web: letter asking for pieces", "letter", id, "err", err)
		} else {
			msg = tr(q.lang, "pieces.asked") + " " + tf(q.lang, "pieces.printed", doc.Name)
		}
	}
	return msg, nil
}

func noticeKey(n string) string {
	if n == appliance.NoticeNone {
		return "none"
	}
	return n
}

func (s *Server) piecesReceived(r *http.Request, q *request, id string) (string, error) {
	l, err := s.svc.PiecesReceived(r.Context(), q.actor, id, appliance.PiecesInput{ReceivedOn: r.PostForm.Get("received_on")})
	if err != nil {
		return "", err
	}
	if l.DueDate == "" {
		return tr(q.lang, "pieces.received"), nil
	}
	return tr(q.lang, "pieces.received") + " " + tf(q.lang, "pieces.newdue", funcs(q.lang)["date"].(func(string) string)(l.DueDate)), nil
}
