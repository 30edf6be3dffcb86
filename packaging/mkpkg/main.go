// Command mkpkg builds Missive's .deb or .rpm from packaging/nfpm.yaml with
// nfpm's library: `make deb` and `make rpm` run it from the repository root
// after `make build`.
//
//	go run ./packaging/mkpkg -format deb -version 1.2.0 -binary bin/missive -out dist
//
// It prints the path of the package it wrote: for a .deb,
// OUT/missive_<version>_<arch>.deb.
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

func main() {
	format := flag.String("format", "deb", "deb ou rpm")
	version := flag.String("version", "", "version du paquet (git describe accepté)")
	binary := flag.String("binary", "bin/missive", "binaire à empaqueter")
	arch := flag.String("arch", runtime.GOARCH, "architecture Go du binaire (amd64, arm64…)")
	out := flag.String("out", "dist", "dossier où écrire le paquet")
	config := flag.String("config", "packaging/nfpm.yaml", "définition nfpm")
	flag.Parse()
	path, err := build(*format, *version, *binary, *arch, *out, *config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkpkg:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

func build(format, version, binary, arch, out, config string) (string, error) {
	if _, err := os.Stat(binary); err != nil {
		return "", fmt.Errorf("binaire %s: %w (make build d'abord)", binary, err)
	}
	ver, pre, meta := PackageVersion(version)
	env := map[string]string{"VERSION": ver, "ARCH": arch, "BINARY": binary}
	cfg, err := nfpm.ParseFileWithEnvMapping(config, func(k string) string { return env[k] })
	if err != nil {
		return "", err
	}
	info, err := cfg.Get(format)
	if err != nil {
		return "", err
	}
	info.Prerelease, info.VersionMetadata = pre, meta
	if format == "deb" {
		cl, err := debChangelog(info, filepath.Dir(out))
		if err != nil {
			return "", err
		}
		defer os.Remove(cl)
		info.Contents = append(info.Contents, &files.Content{Source: cl, Destination: "/usr/share/doc/missive/changelog.gz", FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return "", err
	}
	pkg, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(out, pkg.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if err := pkg.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", err
	}
	return path, f.Close()
}

// debChangelog writes the changelog.gz a native Debian package carries:
// one entry for this version, compressed reproducibly (no name, no time).
func debChangelog(info *nfpm.Info, dir string) (string, error) {
	v := info.Version
	if info.Prerelease != "" {
		v += "~" + info.Prerelease
	}
	if info.VersionMetadata != "" {
		v += "+" + info.VersionMetadata
	}
	when := time.Now().UTC()
	if sde, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		when = time.Unix(sde, 0).UTC()
	}
	text := fmt.Sprintf("missive (%s) unstable; urgency=medium\n\n  * Missive %s.\n\n -- %s  %s\n",
		v, v, info.Maintainer, when.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	f, err := os.CreateTemp(dir, ".changelog-*.gz")
	if err != nil {
		return "", err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write([]byte(text)); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

var (
	semverRe   = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+)(?:-([0-9A-Za-z.]+))?$`)
	describeRe = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+)(?:-([0-9A-Za-z.]+))?-([0-9]+)-g([0-9a-f]+)(-dirty)?$`)
	unsafeRe   = regexp.MustCompile(`[^0-9A-Za-z]+`)
)

// PackageVersion turns a tag or a `git describe` into a package version,
// a pre-release (sorting before the version: "~") and build metadata
// (sorting after it: "+"): v1.2.0 → 1.2.0; 1.3.0-rc1 → 1.3.0~rc1;
// v1.2.0-5-g64be91c → 1.2.0+git.5.64be91c; an untagged 64be91c-dirty →
// 0.0.0~git.64be91c.dirty, before any release.
func PackageVersion(v string) (version, pre, meta string) {
	if m := semverRe.FindStringSubmatch(v); m != nil {
		return m[1], m[2], ""
	}
	if m := describeRe.FindStringSubmatch(v); m != nil {
		meta = "git." + m[3] + "." + m[4]
		if m[5] != "" {
			meta += ".dirty"
		}
		return m[1], m[2], meta
	}
	clean := strings.Trim(unsafeRe.ReplaceAllString(v, "."), ".")
	if clean == "" {
		clean = "dev"
	}
	return "0.0.0", "git." + clean, ""
}
