package share_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"missive/appliance/apptest"
	"missive/webdav/share"
)

// serve runs one request in-process as alice.
func serve(h http.Handler, method, target, destination string, body []byte) *httptest.ResponseRecorder {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	r := &http.Request{Method: method, URL: u, RequestURI: target, Host: "missive.test", Header: http.Header{},
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody}
	if body != nil {
		r.Body = httptestBody(body)
		r.ContentLength = int64(len(body))
	}
	r = r.WithContext(context.Background())
	r.SetBasicAuth("alice", userPassword)
	if destination != "" {
		r.Header.Set("Destination", destination)
	}
	r.Header.Set("Depth", "1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func httptestBody(b []byte) readCloser { return readCloser{bytes.NewReader(b)} }

// checkUntouched holds the perimeter: whatever alice sends, bob's folder
// and the letter of the other service stay as they were.
func (f *fixture) checkUntouched(t testing.TB) {
	t.Helper()
	if d := f.docs(t, f.letterB); len(d) != 0 {
		t.Fatalf("letter B changed: %+v", d)
	}
	l, err := f.env.Svc.DavList(context.Background(), f.bobSpace)
	if err != nil || len(l.Nodes) != 1 {
		t.Fatalf("bob's folder changed: %+v %v", l, err)
	}
}

// FuzzPath sends any path and Destination with every method: the share
// must answer (no 5xx, no panic) and never write outside alice's reach.
func FuzzPath(f *testing.F) {
	for _, s := range []string{
		"/dav/default/~alice/a.odt", "/dav/default/~alice/../~bob/a.odt", "/dav/default/~alice/..%2f~bob%2fa.odt",
		"/dav/default/~alice/a%00.odt", "/dav/default/~bob/a.odt", "/dav/default/2026-A-000002/x.odt", "/dav/default/2026-A-000001/x.odt",
		"/dav/default/modeles/x.odt", "/dav/default/", "/dav/", "/dav/default/~alice/d%C3%A9j%C3%A0/", "/dav/autre/~alice/",
		"/dav/default/~alice/x%5c..%5cy", "/dav/default/%7ealice/./a", "/dav/default/~alice/" + strings.Repeat("a/", 300),
	} {
		f.Add("PUT", s, "/dav/default/~alice/copie.odt")
		f.Add("MOVE", "/dav/default/~alice/a.odt", s)
	}
	fx := newFixture(f)
	mux := http.NewServeMux()
	share.New(fx.env.Svc, apptest.Logger()).Register(mux)
	var h http.Handler = mux
	// Bob's folder gets one file, so that a change would show.
	status(f, fx.do(f, "bob", "PUT", "/dav/default/~bob/bob.odt", "à bob"), http.StatusCreated)
	bob, err := fx.env.Svc.Authenticate(context.Background(), "default", "bob", userPassword, "test")
	if err != nil {
		f.Fatal(err)
	}
	if fx.bobSpace, err = fx.env.Svc.DavUserSpace(bob, "bob"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, dest string) {
		switch method {
		case "PUT", "MKCOL", "DELETE", "MOVE", "COPY", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "GET", "OPTIONS":
		default:
			method = "GET"
		}
		var body []byte
		if method == "PUT" {
			body = []byte("contenu")
		}
		w := serve(h, method, target, dest, body)
		if w == nil {
			return
		}
		if w.Code >= 500 {
			t.Fatalf("%s %q (Destination %q): %d %s", method, target, dest, w.Code, w.Body)
		}
		fx.checkUntouched(t)
	})
}

// FuzzXML sends any body to the methods that parse XML.
func FuzzXML(f *testing.F) {
	for _, s := range []string{
		``,
		`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`,
		`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><x:y xmlns:x="urn:x"/></D:prop></D:propfind>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:auteur xmlns:x="urn:x">Claire <b>M.</b></x:auteur></D:prop></D:set><D:remove><D:prop><x:z xmlns:x="urn:x"/></D:prop></D:remove></D:propertyupdate>`,
		`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>alice</D:href></D:owner></D:lockinfo>`,
		`<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>`,
		`<!DOCTYPE a [<!ENTITY b "&b;&b;">]><a>&b;</a>`,
		`<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>`,
		`<D:propfind xmlns:D="DAV:">` + strings.Repeat("<a>", 100),
	} {
		for _, m := range []string{"PROPFIND", "PROPPATCH", "LOCK"} {
			f.Add(m, []byte(s))
		}
	}
	fx := newFixture(f)
	mux := http.NewServeMux()
	share.New(fx.env.Svc, apptest.Logger()).Register(mux)
	var h http.Handler = mux
	status(f, fx.do(f, "alice", "PUT", "/dav/default/~alice/a.odt", "a"), http.StatusCreated)
	f.Fuzz(func(t *testing.T, method string, body []byte) {
		switch method {
		case "PROPFIND", "PROPPATCH", "LOCK":
		default:
			method = "PROPFIND"
		}
		for _, target := range []string{"/dav/default/~alice/a.odt", "/dav/default/~alice/"} {
			w := serve(h, method, target, "", body)
			if w.Code >= 500 {
				t.Fatalf("%s %s %q: %d %s", method, target, body, w.Code, w.Body)
			}
			if method == "LOCK" && (w.Code == http.StatusOK || w.Code == http.StatusCreated) {
				// Release it, so the next input finds the resource free.
				tok := tokenRE.FindStringSubmatch(w.Header().Get("Lock-Token"))
				if tok != nil {
					r := httptest.NewRequest("UNLOCK", target, nil)
					r.SetBasicAuth("alice", userPassword)
					r.Header.Set("Lock-Token", "<"+tok[1]+">")
					h.ServeHTTP(httptest.NewRecorder(), r)
				}
			}
		}
	})
}
