//go:build !bench

package main

import (
	"context"
	"fmt"
	"missive/appliance/apptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browse opens a headless Chromium for a test and returns its context.
func browse(t *testing.T) context.Context {
	t.Helper()
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium introuvable (%v): installez-le avec « apt-get install chromium »", err)
	}
	profile, err := os.MkdirTemp("", "missive-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(profile), chromedp.Flag("lang", "fr-FR"))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelB()
		cancelAlloc()
		if c := chromedp.FromContext(bctx); c != nil && c.Allocator != nil {
			c.Allocator.Wait()
		}
		cancel()
		os.RemoveAll(profile)
	})
	return bctx
}

// pageText logs in as admin on base, opens path and returns the text of
// the element sel once it contains want.
func pageText(t *testing.T, ctx context.Context, base, pw, path, sel, want string) string {
	t.Helper()
	var got string
	var err error
	shown := func() bool {
		err = chromedp.Run(ctx, chromedp.Navigate(base+path), chromedp.WaitReady("body", chromedp.ByQuery))
		if err == nil {
			var loc string
			chromedp.Run(ctx, chromedp.Location(&loc))
			if strings.Contains(loc, "/login") || !strings.Contains(loc, path) {
				err = chromedp.Run(ctx, chromedp.WaitVisible(`#login`, chromedp.ByQuery),
					chromedp.SendKeys(`#login`, "admin", chromedp.ByQuery),
					chromedp.SendKeys(`#password`, pw+kb.Enter, chromedp.ByQuery),
					chromedp.WaitVisible(`nav.baskets`, chromedp.ByQuery),
					chromedp.Navigate(base+path))
			}
		}
		if err == nil {
			js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : "" })()`, sel)
			err = chromedp.Run(ctx, chromedp.Evaluate(js, &got))
		}
		return err == nil && strings.Contains(got, want)
	}
	// Each look reloads the page: every 200 ms.
	if !apptest.Wait(30*time.Second, 200*time.Millisecond, shown) {
		var body string
		chromedp.Run(ctx, chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 2000) : ""`, &body))
		t.Fatalf("%s%s: no %q in %s (%v)\n%s", base, path, want, sel, err, body)
	}
	return got
}

// Administration › Cluster in Chromium, on the follower of a real cluster
// of two processes: both nodes, which one leads, which one votes, their
// applied index; reached from the admin menu. A server without a cluster
// port says it runs alone and how to make it a cluster.
func TestClusterAdminPageBrowser(t *testing.T) {
	t.Parallel()
	d1, d2 := newDataDir(t), newDataDir(t)
	c1, c2 := freeAddr(t), freeAddr(t)
	s1 := startMissiveWith(t, d1, []string{"--cluster-listen", c1})
	pw := s1.firstPassword()
	tok := lastLine(mustMissive(t, "", "cluster", "token", "--data", d1, "--nonvoter"))
	s2 := startMissiveWith(t, d2, []string{"--cluster-listen", c2, "--join", c1, "--token", tok})
	st := waitStatus(t, d2, "two nodes", func(st clusterStatus) bool { return len(st.Nodes) == 2 && st.Leader != "" })

	ctx := browse(t)
	// From the admin menu.
	pageText(t, ctx, s2.url, pw, "/admin/backups", "nav.subnav", "Cluster")
	if err := chromedp.Run(ctx, chromedp.Click(`nav.subnav a[href="/admin/cluster"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#cluster-nodes`, chromedp.ByQuery)); err != nil {
		t.Fatalf("the admin menu does not lead to the cluster page: %v", err)
	}
	pageText(t, ctx, s2.url, pw, "/admin/cluster", "#cluster-nodes thead", "Rattrapage")
	for _, n := range st.Nodes {
		row := pageText(t, ctx, s2.url, pw, "/admin/cluster", fmt.Sprintf(`tr[data-node=%q]`, n.ID), n.Address)
		vote, state := "non votant", "suiveur"
		if n.Voter {
			vote = "votant"
		}
		if n.ID == st.Leader {
			state = "leader"
		}
		if !strings.Contains(row, vote) || !strings.Contains(row, state) || (n.ID == st.Self) != strings.Contains(row, "ce nœud") {
			t.Errorf("row of %s: %q; want %q, %q, and (ce nœud) on %s only", n.ID, row, vote, state, st.Self)
		}
		var applied int
		if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`parseInt(document.querySelector('tr[data-node=%q] td:nth-child(5)').innerText)`, n.ID), &applied)); err != nil || applied == 0 {
			t.Errorf("applied index of %s on the page: %d (%v)", n.ID, applied, err)
		}
	}

	alone := startMissive(t, newDataDir(t))
	pageText(t, browse(t), alone.url, alone.firstPassword(), "/admin/cluster", "#cluster-alone", "fonctionne seul")
	s2.stop()
	s1.stop()
}
