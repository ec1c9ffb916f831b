package config

import (
	"path/filepath"
	"testing"
)

// resolveTestFunction's handler is a file without code and a name with it.
type resolveTestFunction struct {
	Code    string `yaml:"code" config:"path"`
	Handler string `yaml:"handler"`
}

func (f *resolveTestFunction) ResolvePaths(dir string) {
	if f.Code == "" && f.Handler != "" && dir != "" && !filepath.IsAbs(f.Handler) {
		f.Handler = filepath.Join(dir, f.Handler)
	}
}

func TestDecodePathResolver(t *testing.T) {
	type root struct {
		Functions map[string]*resolveTestFunction `yaml:"functions"`
	}
	src := "functions:\n  file: {handler: bin/fn}\n  named: {code: pkg, handler: index.handler}\n"
	for _, tc := range []struct {
		name, dir, wantFile, wantNamed string
	}{
		{"with dir", "/cfg", "/cfg/bin/fn", "index.handler"},
		{"without dir", "", "bin/fn", "index.handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c root
			if _, err := Decode("f.yaml", []byte(src), &c, WithDir(tc.dir)); err != nil {
				t.Fatal(err)
			}
			if got := c.Functions["file"].Handler; got != tc.wantFile {
				t.Errorf("file handler: got %q, want %q", got, tc.wantFile)
			}
			if got := c.Functions["named"].Handler; got != tc.wantNamed {
				t.Errorf("named handler: got %q, want %q", got, tc.wantNamed)
			}
		})
	}
}
