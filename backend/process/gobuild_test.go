package process

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// goWrapper returns a go command that logs each subcommand it runs (env,
// list, build) to the returned log file, then runs the real go.
func goWrapper(t *testing.T) (goBin, logPath string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("wraps go in a shell script")
	}
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	dir := t.TempDir()
	logPath = filepath.Join(dir, "go.log")
	goBin = filepath.Join(dir, "go")
	writeTestFile(t, goBin, "#!/bin/sh\necho \"$1\" >> '"+logPath+"'\nexec '"+realGo+"' \"$@\"\n", 0o755)
	return goBin, logPath
}

// goRuns counts the go subcommands logged as cmd so far.
func goRuns(t *testing.T, logPath, cmd string) int {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		if strings.TrimSpace(line) == cmd {
			n++
		}
	}
	return n
}

const testGoMod = "module example.com/hi\n\ngo 1.22\n"

func TestPrepareGoBuild(t *testing.T) {
	goBin, logPath := goWrapper(t)
	root := t.TempDir()
	opts := PrepareOptions{CacheDir: filepath.Join(root, "cache"), GoBinary: goBin}

	src := filepath.Join(root, "hi")
	writeTestFile(t, filepath.Join(src, "go.mod"), testGoMod, 0o644)
	writeTestFile(t, filepath.Join(src, "main.go"), "package main\n\nfunc main() { println(\"hi\") }\n", 0o644)

	var first Artifact
	t.Run("build once for concurrent calls", func(t *testing.T) {
		got := make([]Artifact, 3)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				a, err := Prepare(t.Context(), "", "go", src, opts)
				if err != nil {
					t.Error(err)
				}
				got[i] = a
			})
		}
		wg.Wait()
		first = got[0]
		for _, a := range got[1:] {
			if a != first {
				t.Errorf("got %+v and %+v, want one artifact", a, first)
			}
		}
		if n := goRuns(t, logPath, "build"); n != 1 {
			t.Errorf("got %d go builds, want 1", n)
		}
		if first.TaskRoot != src || filepath.Dir(filepath.Dir(first.Bootstrap)) != filepath.Join(opts.CacheDir, "go") {
			t.Errorf("got %+v, want task root %s and a bootstrap under %s", first, src, filepath.Join(opts.CacheDir, "go"))
		}
		out, err := exec.Command(first.Bootstrap).CombinedOutput()
		if err != nil || string(out) != "hi\n" {
			t.Errorf("running the build: got %q, %v, want \"hi\\n\"", out, err)
		}
	})

	t.Run("cache hit", func(t *testing.T) {
		if first.Bootstrap == "" {
			t.Skip("no first build")
		}
		envRuns := goRuns(t, logPath, "env")
		a, err := Prepare(t.Context(), "", "go", src, opts)
		if err != nil || a != first {
			t.Fatalf("got %+v, %v, want %+v", a, err, first)
		}
		if n := goRuns(t, logPath, "build"); n != 1 {
			t.Errorf("got %d go builds, want still 1", n)
		}
		if n := goRuns(t, logPath, "env"); n != envRuns {
			t.Errorf("got %d go env runs, want still %d (cached)", n, envRuns)
		}
	})

	t.Run("build error", func(t *testing.T) {
		bad := filepath.Join(root, "bad")
		writeTestFile(t, filepath.Join(bad, "go.mod"), testGoMod, 0o644)
		writeTestFile(t, filepath.Join(bad, "main.go"), "package main\n\nfunc main() { nope() }\n", 0o644)
		_, err := Prepare(t.Context(), "", "go", bad, opts)
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "process: go build in "+bad) || !strings.Contains(err.Error(), "undefined: nope") {
			t.Fatalf("got error %v, want the compiler's undefined: nope", err)
		}
		entries, err := os.ReadDir(filepath.Join(opts.CacheDir, "go"))
		if err != nil || len(entries) != 1 {
			t.Errorf("got cache entries %v, %v, want only the first build", entries, err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		other := filepath.Join(root, "other")
		writeTestFile(t, filepath.Join(other, "go.mod"), testGoMod, 0o644)
		writeTestFile(t, filepath.Join(other, "main.go"), "package main\n\nfunc main() {}\n", 0o644)
		_, err := Prepare(ctx, "", "go", other, opts)
		t.Log(err)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got error %v, want context.Canceled", err)
		}
	})
}

func TestGoBuildKey(t *testing.T) {
	goBin, _ := goWrapper(t)
	mod := t.TempDir()
	writeTestFile(t, filepath.Join(mod, "go.mod"), "module example.com/m\n\ngo 1.22\n", 0o644)
	writeTestFile(t, filepath.Join(mod, "cmd", "fn", "main.go"),
		"package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.Msg) }\n", 0o644)
	writeTestFile(t, filepath.Join(mod, "lib", "lib.go"),
		"package lib\n\nimport _ \"embed\"\n\n//go:embed assets/msg.txt\nvar Msg string\n", 0o644)
	writeTestFile(t, filepath.Join(mod, "lib", "assets", "msg.txt"), "hi", 0o644)
	writeTestFile(t, filepath.Join(mod, "other", "other.go"), "package other\n", 0o644)
	src := filepath.Join(mod, "cmd", "fn")

	key := func() string {
		t.Helper()
		k, err := goBuildKey(t.Context(), goBin, src)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	prev := key()
	if again := key(); again != prev {
		t.Fatalf("got keys %s then %s for the same source", prev, again)
	}

	// Each step edits the module; want says whether the key must change.
	steps := []struct {
		name string
		path string
		body string
		want bool
	}{
		{name: "the package itself", path: "cmd/fn/main.go", body: "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.Msg + \"!\") }\n", want: true},
		{name: "a new file in the package", path: "cmd/fn/extra.go", body: "package main\n", want: true},
		{name: "an imported package", path: "lib/lib.go", body: "package lib\n\nimport _ \"embed\"\n\n//go:embed assets/msg.txt\nvar Msg string // changed\n", want: true},
		{name: "an embedded file", path: "lib/assets/msg.txt", body: "hello", want: true},
		{name: "go.mod", path: "go.mod", body: "module example.com/m\n\ngo 1.23\n", want: true},
		{name: "go.sum", path: "go.sum", body: "", want: true},
		{name: "a package not imported", path: "other/other.go", body: "package other // changed\n", want: false},
		{name: "an unembedded file in a subfolder", path: "lib/assets/unused.txt", body: "x", want: false},
		{name: "the module root", path: "README.md", body: "x", want: false},
	}
	for _, s := range steps {
		writeTestFile(t, filepath.Join(mod, filepath.FromSlash(s.path)), s.body, 0o644)
		next := key()
		if changed := next != prev; changed != s.want {
			t.Errorf("%s: got key changed %v, want %v", s.name, changed, s.want)
		}
		prev = next
	}
}

func TestGoBuildTrimOutput(t *testing.T) {
	tests := []struct {
		name, out string
		limit     int
		want      string
	}{
		{name: "short", out: "  a\nb\n\n", limit: 10, want: "a\nb"},
		{name: "cut at a line end", out: "line1\nline2\nline3\n", limit: 14, want: "line1\nline2\n[6 more bytes]"},
		{name: "one long line", out: "abcdefgh", limit: 3, want: "abc\n[5 more bytes]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trimOutput([]byte(tt.out), tt.limit); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
