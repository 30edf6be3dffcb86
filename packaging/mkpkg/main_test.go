package main

import "testing"

func TestPackageVersion(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, ver, pre, meta string }{
		{"v1.2.0", "1.2.0", "", ""},
		{"1.3.0-rc1", "1.3.0", "rc1", ""},
		{"v1.2.0-5-g64be91c", "1.2.0", "", "git.5.64be91c"},
		{"v1.3.0-rc1-2-g64be91c-dirty", "1.3.0", "rc1", "git.2.64be91c.dirty"},
		{"64be91c-dirty", "0.0.0", "git.64be91c.dirty", ""},
		{"", "0.0.0", "git.dev", ""},
	} {
		if v, p, m := PackageVersion(c.in); v != c.ver || p != c.pre || m != c.meta {
			t.Errorf("PackageVersion(%q) = %q, %q, %q; want %q, %q, %q", c.in, v, p, m, c.ver, c.pre, c.meta)
		}
	}
}
