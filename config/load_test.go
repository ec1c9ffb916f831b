package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

type pathTestConfig struct {
	Handler string            `yaml:"handler" config:"path"`
	Plain   string            `yaml:"plain"`
	Ptr     *string           `yaml:"ptr" config:"path"`
	List    []string          `yaml:"list" config:"path"`
	Env     map[string]string `yaml:"env" config:"path"`
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	doc := "handler: ./bin/hello\nplain: ./x\nptr: ${SUB:-sub}/f\nlist: [/abs, rel, '']\nenv: {A: a}\n"
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	var c pathTestConfig
	pos, err := Load(file, &c)
	if err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub", "f")
	want := pathTestConfig{Handler: filepath.Join(dir, "bin", "hello"), Plain: "./x", Ptr: &sub,
		List: []string{"/abs", filepath.Join(dir, "rel"), ""}, Env: map[string]string{"A": filepath.Join(dir, "a")}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	if got := pos.At("handler"); got != (Pos{1, 10}) {
		t.Errorf("position of handler: got %v, want 1:10", got)
	}

	// Options given to Load win over its own.
	var c2 pathTestConfig
	if _, err := Load(file, &c2, WithDir("/elsewhere"), WithLookup(func(string) (string, bool) { return "s", true })); err != nil {
		t.Fatal(err)
	}
	if c2.Handler != "/elsewhere/bin/hello" || *c2.Ptr != "/elsewhere/s/f" {
		t.Errorf("with options: got %q, %q", c2.Handler, *c2.Ptr)
	}
}

func TestLoadProblems(t *testing.T) {
	dir := t.TempDir()
	var c pathTestConfig
	_, err := Load(filepath.Join(dir, "missing.yaml"), &c)
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, new(*Error)) {
		t.Errorf("missing file: got %v, want a not-exist error that is no *Error", err)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("plain: "+strings.Repeat("x", maxFileBytes)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big, &c); err == nil || err.Error() != big+": file is too large: more than 16 MiB" {
		t.Errorf("big file: got %v, want it refused as too large", err)
	}
}

func TestDecodePathWithoutDir(t *testing.T) {
	var c pathTestConfig
	if _, err := Decode("c.yaml", []byte("handler: ./bin/hello\n"), &c); err != nil || c.Handler != "./bin/hello" {
		t.Errorf("got %q, %v; want the path as written", c.Handler, err)
	}
}
