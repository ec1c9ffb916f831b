package process

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// writeTestFile writes content to path, making its folders, with mode.
func writeTestFile(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile leaves an existing file's mode
		t.Fatal(err)
	}
}

func TestPrepareHandler(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "exe", "fn"), "#!/bin/sh\n", 0o755)
	writeTestFile(t, filepath.Join(dir, "plain", "fn"), "#!/bin/sh\n", 0o644)
	writeTestFile(t, filepath.Join(dir, "folder", "bootstrap"), "#!/bin/sh\n", 0o750)
	writeTestFile(t, filepath.Join(dir, "folder-plain", "bootstrap"), "#!/bin/sh\n", 0o644)
	writeTestFile(t, filepath.Join(dir, "empty", "other"), "", 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "folder-dir", "bootstrap"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		handler  string
		want     Artifact
		wantErr  error  // matched with errors.Is
		wantText string // in the error message
	}{
		{
			name:    "executable file",
			handler: filepath.Join(dir, "exe", "fn"),
			want:    Artifact{Bootstrap: filepath.Join(dir, "exe", "fn"), TaskRoot: filepath.Join(dir, "exe")},
		},
		{
			name:    "uncleaned path",
			handler: dir + "/exe/../exe/fn",
			want:    Artifact{Bootstrap: filepath.Join(dir, "exe", "fn"), TaskRoot: filepath.Join(dir, "exe")},
		},
		{
			name:    "folder with bootstrap",
			handler: filepath.Join(dir, "folder"),
			want:    Artifact{Bootstrap: filepath.Join(dir, "folder", "bootstrap"), TaskRoot: filepath.Join(dir, "folder")},
		},
		{
			name:     "folder without bootstrap",
			handler:  filepath.Join(dir, "empty"),
			wantErr:  ErrInvalidEntrypoint,
			wantText: "process: no executable bootstrap in " + filepath.Join(dir, "empty"),
		},
		{
			name:     "folder with a non-executable bootstrap",
			handler:  filepath.Join(dir, "folder-plain"),
			wantErr:  ErrInvalidEntrypoint,
			wantText: "bootstrap is not an executable file (mode -rw-r--r--)",
		},
		{
			name:     "folder whose bootstrap is a folder",
			handler:  filepath.Join(dir, "folder-dir"),
			wantErr:  ErrInvalidEntrypoint,
			wantText: "no executable bootstrap in " + filepath.Join(dir, "folder-dir"),
		},
		{
			name:     "non-executable file",
			handler:  filepath.Join(dir, "plain", "fn"),
			wantErr:  ErrInvalidEntrypoint,
			wantText: filepath.Join(dir, "plain", "fn") + " is not executable (mode -rw-r--r--)",
		},
		{
			name:     "missing",
			handler:  filepath.Join(dir, "nope"),
			wantErr:  fs.ErrNotExist,
			wantText: filepath.Join(dir, "nope"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Prepare(t.Context(), tt.handler, "provided.al2023", "", PrepareOptions{CacheDir: filepath.Join(dir, "cache")})
			if tt.wantErr != nil || tt.wantText != "" {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(fmtErr(err), tt.wantText) {
					t.Fatalf("got error %v, want %v containing %q", err, tt.wantErr, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestPrepareNoCode(t *testing.T) {
	tests := []struct {
		name, runtime, source string
		wantText              string
	}{
		{name: "nothing", wantText: "process: no code"},
		{name: "source without runtime go", runtime: "provided.al2023", source: "/src", wantText: `runtime "provided.al2023" cannot build`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(t.Context(), "", tt.runtime, tt.source, PrepareOptions{CacheDir: t.TempDir()})
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantText)
			}
		})
	}
}

func TestPrepareOptionsDefaults(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the user cache dir is found through XDG_CACHE_HOME on linux only")
	}
	tests := []struct {
		name, cacheDir, xdg, home string
		want                      string
	}{
		{name: "given", cacheDir: "/var/cache/p", xdg: "/xdg", want: "/var/cache/p"},
		{name: "relative made absolute", cacheDir: "rel", want: filepath.Join(mustGetwd(t), "rel")},
		{name: "user cache dir", xdg: "/xdg", want: "/xdg/portico"},
		{name: "home", home: "/home/u", want: "/home/u/.cache/portico"},
		{name: "no user cache dir", want: filepath.Join(os.TempDir(), "portico-cache")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			got, err := PrepareOptions{CacheDir: tt.cacheDir}.cacheDir()
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v, want %q", got, err, tt.want)
			}
		})
	}
	if got := (PrepareOptions{GoBinary: "/opt/go/bin/go"}).goBinary(); got != "/opt/go/bin/go" {
		t.Errorf("got go binary %q, want the given one", got)
	}
	t.Setenv("PATH", "")
	if got := (PrepareOptions{}).goBinary(); got != "/usr/local/go/bin/go" {
		t.Errorf("got go binary %q without PATH, want /usr/local/go/bin/go", got)
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

func TestPrepareKeyLocks(t *testing.T) {
	var l keyLocks
	unlock, err := l.lock(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}

	// Another key is free.
	unlockB, err := l.lock(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	unlockB()

	// The same key waits, and gives up with its ctx.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if _, err := l.lock(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v while the key is held, want context.DeadlineExceeded", err)
	}

	// Waiters run one at a time once it is released.
	var wg sync.WaitGroup
	var holders atomic.Int32
	for range 8 {
		wg.Go(func() {
			u, err := l.lock(t.Context(), "a")
			if err != nil {
				t.Error(err)
				return
			}
			if n := holders.Add(1); n != 1 {
				t.Errorf("got %d holders of one key, want 1", n)
			}
			runtime.Gosched()
			holders.Add(-1)
			u()
		})
	}
	unlock()
	wg.Wait()
	if len(l.m) != 0 {
		t.Errorf("got %d keys left, want 0", len(l.m))
	}
}
