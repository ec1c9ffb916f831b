package process

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUnzip unpacks arbitrary bytes as a deployment package: it must not
// panic, and whatever it writes stays inside the destination, symlinks
// included.
func FuzzUnzip(f *testing.F) {
	seeds := [][]zipEntry{
		{{name: "bootstrap", body: "#!/bin/sh\n", mode: 0o755}, {name: "lib/", mode: fs.ModeDir | 0o755}, {name: "lib/a.txt", body: "a"}},
		{{name: "../escape", body: "x"}},
		{{name: "a/../../escape", body: "x"}},
		{{name: "/abs/escape", body: "x"}},
		{{name: `..\escape`, body: "x"}},
		{{name: "link", body: "../outside", mode: fs.ModeSymlink | 0o777}},
		{{name: "link", body: "/etc", mode: fs.ModeSymlink | 0o777}, {name: "link/passwd", body: "x"}},
		{{name: "dir/link", body: "..", mode: fs.ModeSymlink | 0o777}, {name: "dir/link/escape", body: "x"}},
		{{name: "in", body: "sub", mode: fs.ModeSymlink | 0o777}, {name: "sub/", mode: fs.ModeDir | 0o755}, {name: "in/file", body: "x"}},
		{{name: "twice", body: "1"}, {name: "twice", body: "2"}},
		{{name: "fifo", mode: fs.ModeNamedPipe | 0o644}},
	}
	for _, entries := range seeds {
		b, err := zipBytes(entries...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			return
		}
		parent := t.TempDir()
		dst := filepath.Join(parent, "dst")
		if err := os.Mkdir(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = unzip(context.Background(), dst, zr, unzipLimits{maxBytes: 1 << 20, maxEntries: 100})
		assertInside(t, parent, dst)
		// Leave the tree removable whatever modes it was given.
		filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error { //nolint:errcheck
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755) //nolint:errcheck
			}
			return nil
		})
	})
}

// assertInside checks that dst is the only thing in parent, and that every
// symlink under dst, followed as far as it goes, stays under dst.
func assertInside(t *testing.T, parent, dst string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "dst" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("written outside the destination: %v", names)
	}
	err = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		resolved := filepath.Clean(filepath.Join(filepath.Dir(p), target))
		if filepath.IsAbs(target) || (resolved != dst && !strings.HasPrefix(resolved, dst+string(filepath.Separator))) {
			t.Errorf("symlink %s -> %s leads outside the destination", p, target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
