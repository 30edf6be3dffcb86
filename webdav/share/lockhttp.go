package share

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

// LOCK is served here rather than by x/net/webdav, which has no shared
// locks (litmus expects them) and does not report a refreshed lock's real
// scope and timeout.

type lockInfo struct {
	XMLName   xml.Name  `xml:"DAV: lockinfo"`
	Exclusive *struct{} `xml:"DAV: lockscope>exclusive"`
	Shared    *struct{} `xml:"DAV: lockscope>shared"`
	Write     *struct{} `xml:"DAV: locktype>write"`
	Owner     struct {
		InnerXML string `xml:",innerxml"`
	} `xml:"DAV: owner"`
}

// parseTimeout reads a Timeout header: the first of "Infinite" or
// "Second-N" (RFC 4918 §10.7); none means infinite, capped by the Service.
func parseTimeout(h string) time.Duration {
	for _, v := range strings.Split(h, ",") {
		v = strings.TrimSpace(v)
		if v == "Infinite" {
			return -1
		}
		if s, ok := strings.CutPrefix(v, "Second-"); ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
				if n > int64(appliance.DavMaxLock/time.Second) {
					n = int64(appliance.DavMaxLock / time.Second)
				}
				return time.Duration(n) * time.Second
			}
		}
	}
	return -1
}

func (h *Handler) serveLock(w http.ResponseWriter, r *http.Request, st *reqState, b []byte) {
	name := strings.TrimPrefix(r.URL.Path, Prefix+st.tenant)
	timeout := parseTimeout(r.Header.Get("Timeout"))
	if len(bytes.TrimSpace(b)) == 0 {
		h.refreshLock(w, r, st, timeout)
		return
	}
	var li lockInfo
	if err := xml.Unmarshal(b, &li); err != nil || li.Write == nil || (li.Exclusive == nil) == (li.Shared == nil) {
		http.Error(w, "corps LOCK invalide", http.StatusBadRequest)
		return
	}
	depth := r.Header.Get("Depth")
	if depth != "" && depth != "0" && !strings.EqualFold(depth, "infinity") {
		http.Error(w, "Depth: 0 ou infinity", http.StatusBadRequest)
		return
	}
	seg, rest := split(name)
	if seg == "" {
		http.Error(w, "la racine du partage ne se verrouille pas", http.StatusForbidden)
		return
	}
	t := st.target(seg)
	lk, err := h.svc.DavLock(st.ctx, st.actor, t.t, appliance.DavLockInput{Path: rest, ZeroDepth: depth == "0", Shared: li.Shared != nil, OwnerXML: li.Owner.InnerXML, Timeout: timeout})
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	st.tokens = append(st.tokens, lk.Token)
	status := http.StatusOK
	// A LOCK on an unmapped name makes an empty resource (RFC 4918 §7.3).
	fsys := &fileSystem{st: st}
	if _, err := fsys.Stat(st.ctx, name); errors.Is(err, os.ErrNotExist) {
		if err := h.createEmpty(fsys, name); err != nil {
			h.svc.DavUnlock(st.ctx, st.actor, lk.Token)
			code := st.status
			if code == 0 {
				code = http.StatusConflict
			}
			http.Error(w, "création de la ressource verrouillée impossible", code)
			return
		}
		status = http.StatusCreated
	}
	w.Header().Set("Lock-Token", "<"+lk.Token+">")
	writeLock(w, status, r.URL.EscapedPath(), lk)
}

func (h *Handler) createEmpty(fsys *fileSystem, name string) error {
	f, err := fsys.create(fsys.st.ctx, name)
	if err != nil {
		return err
	}
	return f.Close()
}

func (h *Handler) refreshLock(w http.ResponseWriter, r *http.Request, st *reqState, timeout time.Duration) {
	if len(st.tokens) != 1 {
		http.Error(w, "un jeton de verrou dans l'en-tête If est requis", http.StatusBadRequest)
		return
	}
	lk, err := h.svc.DavRefresh(st.ctx, st.actor, st.tokens[0], timeout)
	if errors.Is(err, appliance.ErrNotFound) {
		http.Error(w, "verrou inconnu ou expiré", http.StatusPreconditionFailed)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), statusOf(err))
		return
	}
	writeLock(w, http.StatusOK, Prefix+st.tenant+lk.Root, lk)
}

// writeLock answers with the lock's lockdiscovery.
func writeLock(w http.ResponseWriter, status int, root string, lk *domain.DavLock) {
	scope, depth, timeout := "exclusive", "infinity", "Infinite"
	if lk.Shared {
		scope = "shared"
	}
	if lk.ZeroDepth {
		depth = "0"
	}
	if lk.TimeoutS >= 0 {
		timeout = fmt.Sprintf("Second-%d", lk.TimeoutS)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<D:prop xmlns:D="DAV:"><D:lockdiscovery><D:activelock>`)
	fmt.Fprintf(&b, `<D:locktype><D:write/></D:locktype><D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth>`, scope, depth)
	if lk.OwnerXML != "" {
		// The owner is the client's own XML, returned verbatim (RFC 4918 §14.17).
		fmt.Fprintf(&b, `<D:owner>%s</D:owner>`, lk.OwnerXML)
	}
	fmt.Fprintf(&b, `<D:timeout>%s</D:timeout><D:locktoken><D:href>%s</D:href></D:locktoken>`, timeout, xmlEscape(lk.Token))
	fmt.Fprintf(&b, `<D:lockroot><D:href>%s</D:href></D:lockroot>`, xmlEscape(root))
	b.WriteString(`</D:activelock></D:lockdiscovery></D:prop>`)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	io.Copy(w, &b)
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
