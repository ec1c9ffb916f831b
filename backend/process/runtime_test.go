package process

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestParseRuntime(t *testing.T) {
	cases := []struct {
		name    string
		kind    runtimeKind
		lang    *language
		version version
		unknown bool
	}{
		{name: "go", kind: kindGo},
		{name: "provided.al2023", kind: kindCustom},
		{name: "provided.al2", kind: kindCustom},
		{name: "nodejs20.x", kind: kindLanguage, lang: nodejs, version: version{20, 0}},
		{name: "nodejs22.x", kind: kindLanguage, lang: nodejs, version: version{22, 0}},
		{name: "python3.9", kind: kindLanguage, lang: python, version: version{3, 9}},
		{name: "python3.12", kind: kindLanguage, lang: python, version: version{3, 12}},
		{name: "nodejs20", unknown: true},
		{name: "python3", unknown: true},
		{name: "java21", unknown: true},
		{name: "", unknown: true},
	}
	for _, tc := range cases {
		got, ok := parseRuntime(tc.name)
		if ok == tc.unknown {
			t.Errorf("%q: got known %v, want %v", tc.name, ok, !tc.unknown)
			continue
		}
		if ok && (got.kind != tc.kind || got.lang != tc.lang || got.version != tc.version) {
			t.Errorf("%q: got %+v, want kind %d, version %v", tc.name, got, tc.kind, tc.version)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		lang *language
		out  string
		want version
		ok   bool
	}{
		{nodejs, "v20.20.2\n", version{20, 20}, true},
		{nodejs, "v22.1.0-nightly\n", version{22, 1}, true},
		{python, "Python 3.11.7\n", version{3, 11}, true},
		{python, "Python 3.13.0rc1\n", version{3, 13}, true},
		{python, "command not found", version{}, false},
	} {
		got, ok := tc.lang.parseVersion(tc.out)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s %q: got %v %v, want %v %v", tc.lang.family, tc.out, got, ok, tc.want, tc.ok)
		}
	}
}

// fakeNode writes an interpreter that reports version and otherwise runs
// the real node.
func fakeNode(t *testing.T, version string) string {
	t.Helper()
	real, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH: make deps installs it")
	}
	path := filepath.Join(t.TempDir(), "node")
	writeTestFile(t, path, "#!/bin/sh\nif [ \"$1\" = --version ]; then echo "+version+"; exit 0; fi\nexec "+real+" \"$@\"\n", 0o755)
	return path
}

// TestInterpreterAtStart: a missing or too old interpreter fails Start,
// naming the function; another version runs, with a warning.
func TestInterpreterAtStart(t *testing.T) {
	code := t.TempDir()
	writeTestFile(t, filepath.Join(code, "index.mjs"), `export const handler = async () => process.version;`, 0o644)
	cases := []struct {
		name        string
		runtime     string
		interpreter string
		path        string // PATH, when not the test's
		wantErr     string
		wantWarn    string
	}{
		{name: "missing configured", runtime: "nodejs20.x", interpreter: "/nonexistent/node",
			wantErr: "function fn: runtime nodejs20.x: interpreter /nonexistent/node: "},
		{name: "missing on PATH", runtime: "nodejs20.x", path: t.TempDir(),
			wantErr: "function fn: runtime nodejs20.x: no node on PATH: install it, or name one with interpreter:"},
		{name: "missing python", runtime: "python3.12", path: t.TempDir(),
			wantErr: "function fn: runtime python3.12: no python3 on PATH: install it, or name one with interpreter:"},
		{name: "too old", runtime: "nodejs20.x", interpreter: fakeNode(t, "v12.22.0"),
			wantErr: "is version 12.22, too old: Portico's client needs 18.0 or later"},
		{name: "not a version", runtime: "nodejs20.x", interpreter: fakeNode(t, "hello"),
			wantErr: `--version printed "hello", not a version`},
		{name: "other version", runtime: "nodejs20.x", interpreter: fakeNode(t, "v99.1.0"),
			wantWarn: "runtime nodejs20.x runs on "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			core, logs := observer.New(zap.WarnLevel)
			cfg := Config{Runtime: tc.runtime, Code: code, Handler: "index.handler", Interpreter: tc.interpreter}
			f, err := New("fn", &cfg, WithLogger(zap.New(core)), WithCacheDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			err = f.Start(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := logs.FilterMessageSnippet(tc.wantWarn).FilterField(zap.String("function", "fn")); got.Len() != 1 {
				t.Errorf("got warnings %v, want one containing %q", logs.All(), tc.wantWarn)
			}
			out, err := invoke(t, f, `{}`, 30*time.Second)
			if err != nil || !strings.HasPrefix(out, `"v`) {
				t.Errorf("got %s, %v, want the real node's version", out, err)
			}
		})
	}
}

func TestResolvePaths(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"executable", Config{Handler: "bin/fn"}, "/cfg/bin/fn"},
		{"absolute", Config{Handler: "/bin/fn"}, "/bin/fn"},
		{"provided without code", Config{Runtime: "provided.al2", Handler: "fn.zip"}, "/cfg/fn.zip"},
		{"with code", Config{Runtime: "provided.al2", Code: "/cfg/fn.zip", Handler: "my.handler"}, "my.handler"},
		{"nodejs", Config{Runtime: "nodejs20.x", Code: "/cfg/fn", Handler: "src/app.handler"}, "src/app.handler"},
		{"nodejs without code", Config{Runtime: "nodejs20.x", Handler: "index.handler"}, "index.handler"},
	}
	for _, tc := range cases {
		tc.cfg.ResolvePaths("/cfg")
		if tc.cfg.Handler != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.cfg.Handler, tc.want)
		}
	}
}

// TestInterpreterResolvesToItsExecutable: a version manager's shim found on
// PATH (a shell script) is replaced by the executable it runs, so cold
// starts do not pay for the shim.
func TestInterpreterResolvesToItsExecutable(t *testing.T) {
	real, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skipf("python3: %v", err)
	}
	shim := filepath.Join(t.TempDir(), "python3")
	writeTestFile(t, shim, "#!/bin/sh\nexec "+strings.TrimSpace(string(real))+" \"$@\"\n", 0o755)
	rt, _ := parseRuntime("python3.11")
	path, _, err := rt.interpreter(context.Background(), shim)
	if err != nil {
		t.Fatal(err)
	}
	if path == shim || path != strings.TrimSpace(string(real)) {
		t.Errorf("interpreter %s, want the executable %s the shim runs", path, real)
	}
}
