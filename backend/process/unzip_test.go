package process

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// zipEntry is one entry of a test zip. mode 0 means a 0644 file; a symlink's
// body is its target.
type zipEntry struct {
	name string
	body string
	mode fs.FileMode
}

// writeZip writes the entries, in order, as a zip at path.
func writeZip(t *testing.T, path string, entries ...zipEntry) {
	t.Helper()
	b, err := zipBytes(entries...)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, path, string(b), 0o644)
}

// zipBytes returns the entries, in order, as a zip.
func zipBytes(entries ...zipEntry) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		f, err := w.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write([]byte(e.body)); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const helloBootstrap = "#!/bin/sh\necho \"hello from $(pwd)\"\ncat data/msg.txt\n"

// cacheEntries lists CacheDir/zip: unpacked packages and leftover temp dirs.
func cacheEntries(t *testing.T, cacheDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cacheDir, "zip"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPrepareZip(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runs a shell script")
	}
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	writeZip(t, zipPath,
		zipEntry{name: "bootstrap", body: helloBootstrap, mode: 0o755},
		zipEntry{name: "data/", mode: fs.ModeDir | 0o750},
		zipEntry{name: "data/msg.txt", body: "hi\n"},
		zipEntry{name: "data/secret", body: "s", mode: 0o600},
		zipEntry{name: "bin/tool", body: "#!/bin/sh\n", mode: 0o700},
		zipEntry{name: "lib/libx.so.1", body: "elf"},
		zipEntry{name: "lib/libx.so", body: "libx.so.1", mode: fs.ModeSymlink | 0o777},
		zipEntry{name: "current", body: "lib/libx.so", mode: fs.ModeSymlink | 0o777},
	)
	cacheDir := filepath.Join(dir, "cache")

	a, err := Prepare(t.Context(), zipPath, "provided.al2023", "", PrepareOptions{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if got := cacheEntries(t, cacheDir); len(got) != 1 || filepath.Join(cacheDir, "zip", got[0]) != a.TaskRoot {
		t.Fatalf("got cache entries %v and task root %s, want just the task root", got, a.TaskRoot)
	}
	if a.Bootstrap != filepath.Join(a.TaskRoot, "bootstrap") {
		t.Errorf("got bootstrap %s, want bootstrap in %s", a.Bootstrap, a.TaskRoot)
	}

	modes := []struct {
		name string
		want fs.FileMode
	}{
		{"bootstrap", 0o755},
		{"data", fs.ModeDir | 0o750},
		{"data/msg.txt", 0o644},
		{"data/secret", 0o600},
		{"bin", fs.ModeDir | 0o755},
		{"bin/tool", 0o700},
		{"lib/libx.so", fs.ModeSymlink},
	}
	for _, m := range modes {
		fi, err := os.Lstat(filepath.Join(a.TaskRoot, m.name))
		if err != nil {
			t.Fatal(err)
		}
		got := fi.Mode()
		if m.want&fs.ModeSymlink != 0 {
			got = got.Type() // a symlink's own bits vary by OS
		}
		if got != m.want {
			t.Errorf("%s: got mode %v, want %v", m.name, got, m.want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(a.TaskRoot, "current")); err != nil || string(b) != "elf" {
		t.Errorf("got %q, %v through the symlinks, want \"elf\"", b, err)
	}

	cmd := exec.Command(a.Bootstrap)
	cmd.Dir = a.TaskRoot
	out, err := cmd.CombinedOutput()
	if want := "hello from " + a.TaskRoot + "\nhi\n"; err != nil || string(out) != want {
		t.Errorf("running bootstrap: got %q, %v, want %q", out, err, want)
	}
}

func TestPrepareZipReuse(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	writeZip(t, zipPath, zipEntry{name: "bootstrap", body: helloBootstrap, mode: 0o755})
	cacheDir := filepath.Join(dir, "cache")
	first, err := Prepare(t.Context(), zipPath, "", "", PrepareOptions{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}

	// Unpacking again would fail on these limits: only reuse succeeds.
	noRoom := unzipLimits{maxBytes: 0, maxEntries: 0}
	again, err := prepareZip(t.Context(), zipPath, cacheDir, noRoom)
	if err != nil || again != first {
		t.Fatalf("got %+v, %v the second time, want %+v reused", again, err, first)
	}

	// The same bytes under another name share the folder.
	copyPath := filepath.Join(dir, "copy.zip")
	b, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, copyPath, string(b), 0o644)
	if got, err := prepareZip(t.Context(), copyPath, cacheDir, noRoom); err != nil || got != first {
		t.Fatalf("got %+v, %v for a copy, want %+v reused", got, err, first)
	}

	// Other bytes get their own folder.
	writeZip(t, zipPath, zipEntry{name: "bootstrap", body: helloBootstrap + "# v2\n", mode: 0o755})
	second, err := Prepare(t.Context(), zipPath, "", "", PrepareOptions{CacheDir: cacheDir})
	if err != nil || second == first {
		t.Fatalf("got %+v, %v after the zip changed, want a new folder", second, err)
	}
	if got := cacheEntries(t, cacheDir); len(got) != 2 {
		t.Errorf("got cache entries %v, want 2", got)
	}
}

func TestPrepareZipConcurrent(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	writeZip(t, zipPath, zipEntry{name: "bootstrap", body: helloBootstrap, mode: 0o755})
	cacheDir := filepath.Join(dir, "cache")

	got := make([]Artifact, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			a, err := Prepare(t.Context(), zipPath, "", "", PrepareOptions{CacheDir: cacheDir})
			if err != nil {
				t.Error(err)
			}
			got[i] = a
		})
	}
	wg.Wait()
	for _, a := range got[1:] {
		if a != got[0] {
			t.Errorf("got %+v and %+v, want one artifact", a, got[0])
		}
	}
	if names := cacheEntries(t, cacheDir); len(names) != 1 {
		t.Errorf("got cache entries %v, want 1", names)
	}
}

func TestPrepareZipUnsafe(t *testing.T) {
	bootstrap := zipEntry{name: "bootstrap", body: helloBootstrap, mode: 0o755}
	link := fs.ModeSymlink | 0o777
	tests := []struct {
		name    string
		entries func(dir string) []zipEntry
		wantErr error
	}{
		{
			name:    "dot dot",
			entries: func(string) []zipEntry { return []zipEntry{bootstrap, {name: "../evil", body: "x"}} },
			wantErr: errUnsafePath,
		},
		{
			name:    "dot dot inside a path",
			entries: func(string) []zipEntry { return []zipEntry{bootstrap, {name: "a/../../evil", body: "x"}} },
			wantErr: errUnsafePath,
		},
		{
			name:    "dot dot that stays inside",
			entries: func(string) []zipEntry { return []zipEntry{bootstrap, {name: "a/../evil", body: "x"}} },
			wantErr: errUnsafePath,
		},
		{
			name:    "absolute",
			entries: func(dir string) []zipEntry { return []zipEntry{bootstrap, {name: dir + "/evil", body: "x"}} },
			wantErr: errUnsafePath,
		},
		{
			name:    "backslash dot dot",
			entries: func(string) []zipEntry { return []zipEntry{bootstrap, {name: `..\evil`, body: "x"}} },
			wantErr: errUnsafePath,
		},
		{
			name:    "backslash absolute",
			entries: func(string) []zipEntry { return []zipEntry{bootstrap, {name: `\evil`, body: "x"}} },
			wantErr: errUnsafePath,
		},
		{
			name:    "symlink to an absolute path",
			entries: func(dir string) []zipEntry { return []zipEntry{bootstrap, {name: "link", body: dir, mode: link}} },
			wantErr: errUnsafeSymlink,
		},
		{
			name: "write through a symlink to outside",
			entries: func(dir string) []zipEntry {
				return []zipEntry{bootstrap, {name: "link", body: dir, mode: link}, {name: "link/evil", body: "x"}}
			},
			wantErr: errUnsafeSymlink,
		},
		{
			name:    "symlink up",
			entries: func(string) []zipEntry { return []zipEntry{bootstrap, {name: "link", body: "../evil", mode: link}} },
			wantErr: errUnsafeSymlink,
		},
		{
			// x -> a/b/.. is lexically "a", but a/b is itself a link to "..",
			// so x would resolve to the parent of the folder.
			name: "symlink up through another symlink",
			entries: func(string) []zipEntry {
				return []zipEntry{bootstrap, {name: "a/b", body: "..", mode: link}, {name: "x", body: "a/b/..", mode: link}}
			},
			wantErr: errUnsafeSymlink,
		},
		{
			name:    "symlink with a backslash",
			entries: func(string) []zipEntry { return []zipEntry{bootstrap, {name: "link", body: `..\..`, mode: link}} },
			wantErr: errUnsafeSymlink,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			zipPath := filepath.Join(dir, "fn.zip")
			writeZip(t, zipPath, tt.entries(dir)...)
			cacheDir := filepath.Join(dir, "cache")
			_, err := Prepare(t.Context(), zipPath, "", "", PrepareOptions{CacheDir: cacheDir})
			t.Log(err)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(fmtErr(err), zipPath) {
				t.Fatalf("got error %v, want %v naming %s", err, tt.wantErr, zipPath)
			}
			assertOnlyZip(t, dir)
		})
	}
}

// assertOnlyZip checks that dir holds the zip and an empty cache/zip folder:
// nothing was unpacked anywhere, and no temp folder was left.
func assertOnlyZip(t *testing.T, dir string) {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		got = append(got, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".", "cache", "cache/zip", "fn.zip"}
	if !slices.Equal(got, want) {
		t.Errorf("got files %v, want %v", got, want)
	}
}

func TestPrepareZipRefused(t *testing.T) {
	bootstrap := zipEntry{name: "bootstrap", body: helloBootstrap, mode: 0o755}
	tests := []struct {
		name     string
		entries  []zipEntry
		wantErr  error
		wantText string
	}{
		{
			name:     "no bootstrap",
			entries:  []zipEntry{{name: "main", body: "x", mode: 0o755}},
			wantErr:  ErrInvalidEntrypoint,
			wantText: "process: no executable bootstrap in ",
		},
		{
			name:     "bootstrap not at the root",
			entries:  []zipEntry{{name: "fn/bootstrap", body: "x", mode: 0o755}},
			wantErr:  ErrInvalidEntrypoint,
			wantText: "process: no executable bootstrap in ",
		},
		{
			name:     "bootstrap not executable",
			entries:  []zipEntry{{name: "bootstrap", body: "x", mode: 0o644}},
			wantErr:  ErrInvalidEntrypoint,
			wantText: "bootstrap is not an executable file (mode -rw-r--r--)",
		},
		{
			name:     "bootstrap is a folder",
			entries:  []zipEntry{{name: "bootstrap/", mode: fs.ModeDir | 0o755}},
			wantErr:  ErrInvalidEntrypoint,
			wantText: "bootstrap is not an executable file",
		},
		{
			name:     "duplicate entry",
			entries:  []zipEntry{bootstrap, bootstrap},
			wantErr:  fs.ErrExist,
			wantText: `entry "bootstrap"`,
		},
		{
			name:     "named pipe",
			entries:  []zipEntry{bootstrap, {name: "fifo", mode: fs.ModeNamedPipe | 0o644}},
			wantText: `entry "fifo": unsupported file type p---------`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			zipPath := filepath.Join(dir, "fn.zip")
			writeZip(t, zipPath, tt.entries...)
			_, err := Prepare(t.Context(), zipPath, "", "", PrepareOptions{CacheDir: filepath.Join(dir, "cache")})
			t.Log(err)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) ||
				!strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), zipPath) {
				t.Fatalf("got error %v, want %v containing %q and %s", err, tt.wantErr, tt.wantText, zipPath)
			}
			assertOnlyZip(t, dir) // a refused package is not kept
		})
	}
}

func TestPrepareZipNotAZip(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	writeTestFile(t, zipPath, "not a zip", 0o644)
	_, err := Prepare(t.Context(), zipPath, "", "", PrepareOptions{CacheDir: filepath.Join(dir, "cache")})
	if !errors.Is(err, zip.ErrFormat) || !strings.Contains(err.Error(), zipPath) {
		t.Fatalf("got error %v, want zip.ErrFormat naming %s", err, zipPath)
	}
}

func TestPrepareZipByContent(t *testing.T) {
	// A non-executable file that starts like a zip is one, whatever its name.
	dir := t.TempDir()
	pkg := filepath.Join(dir, "package")
	writeZip(t, pkg, zipEntry{name: "bootstrap", body: helloBootstrap, mode: 0o755})
	a, err := Prepare(t.Context(), pkg, "", "", PrepareOptions{CacheDir: filepath.Join(dir, "cache")})
	if err != nil || !strings.HasPrefix(a.TaskRoot, filepath.Join(dir, "cache", "zip")) {
		t.Fatalf("got %+v, %v, want the package unpacked into the cache", a, err)
	}
}

func TestUnzipLimits(t *testing.T) {
	zeros := make([]byte, 1<<20)
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(zeros)
	fw.Close()

	tests := []struct {
		name    string
		write   func(t *testing.T, path string)
		lim     unzipLimits
		wantErr []error // any of them
	}{
		{
			name: "at the limits",
			write: func(t *testing.T, path string) {
				writeZip(t, path, zipEntry{name: "bootstrap", body: "12345678", mode: 0o755}, zipEntry{name: "d/", mode: fs.ModeDir | 0o755})
			},
			lim: unzipLimits{maxBytes: 8, maxEntries: 2},
		},
		{
			name: "too many entries",
			write: func(t *testing.T, path string) {
				writeZip(t, path, zipEntry{name: "bootstrap", body: "#", mode: 0o755}, zipEntry{name: "a"}, zipEntry{name: "b"})
			},
			lim:     unzipLimits{maxBytes: 1 << 20, maxEntries: 2},
			wantErr: []error{errZipTooLarge},
		},
		{
			name: "declared too large",
			write: func(t *testing.T, path string) {
				writeZip(t, path, zipEntry{name: "bootstrap", body: "#", mode: 0o755}, zipEntry{name: "zeros", body: string(zeros)})
			},
			lim:     unzipLimits{maxBytes: 64 << 10, maxEntries: 10},
			wantErr: []error{errZipTooLarge},
		},
		{
			name: "too large in total",
			write: func(t *testing.T, path string) {
				writeZip(t, path, zipEntry{name: "bootstrap", body: "1234", mode: 0o755}, zipEntry{name: "a", body: "12345"})
			},
			lim:     unzipLimits{maxBytes: 8, maxEntries: 10},
			wantErr: []error{errZipTooLarge},
		},
		{
			// The header claims 10 bytes; the data inflates to 1 MiB.
			name: "lying header",
			write: func(t *testing.T, path string) {
				var buf bytes.Buffer
				w := zip.NewWriter(&buf)
				h := &zip.FileHeader{
					Name: "bootstrap", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
					CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 10,
				}
				h.SetMode(0o755)
				raw, err := w.CreateRaw(h)
				if err != nil {
					t.Fatal(err)
				}
				raw.Write(deflated.Bytes())
				w.Close()
				writeTestFile(t, path, buf.String(), 0o644)
			},
			lim:     unzipLimits{maxBytes: 64 << 10, maxEntries: 10},
			wantErr: []error{errZipTooLarge, zip.ErrFormat},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			zipPath := filepath.Join(dir, "fn.zip")
			tt.write(t, zipPath)
			cacheDir := filepath.Join(dir, "cache")
			_, err := prepareZip(t.Context(), zipPath, cacheDir, tt.lim)
			t.Log(err)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				return
			}
			if !slices.ContainsFunc(tt.wantErr, func(want error) bool { return errors.Is(err, want) }) {
				t.Fatalf("got error %v, want one of %v", err, tt.wantErr)
			}
			if names := cacheEntries(t, cacheDir); len(names) != 0 {
				t.Errorf("got cache entries %v, want none", names)
			}
		})
	}
}

func TestUnzipEntryName(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{name: "bootstrap", want: "bootstrap", ok: true},
		{name: "lib/x.so", want: filepath.FromSlash("lib/x.so"), ok: true},
		{name: "lib/", want: "lib", ok: true},
		{name: "./a//b", want: filepath.FromSlash("a/b"), ok: true},
		{name: "a..b/..c", want: filepath.FromSlash("a..b/..c"), ok: true},
		{name: ""},
		{name: ".."},
		{name: "../a"},
		{name: "a/.."},
		{name: "a/../b"},
		{name: "/a"},
		{name: "//a"},
		{name: `a\b`},
		{name: `C:\a`},
		{name: "a\x00b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := entryName(tt.name)
			if tt.ok != (err == nil) || got != tt.want {
				t.Errorf("got %q, %v, want %q (ok %v)", got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, errUnsafePath) {
				t.Errorf("got error %v, want errUnsafePath", err)
			}
		})
	}
}
