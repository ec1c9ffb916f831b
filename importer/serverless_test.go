package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico/portico/platform"
)

// importTestdata imports testdata/serverless/NAME/serverless.yml with no
// environment and the given options.
func importTestdata(t *testing.T, name string, opts ServerlessOptions) (*App, []Note, []byte) {
	t.Helper()
	file := filepath.Join("testdata", "serverless", name, "serverless.yml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Lookup == nil {
		opts.Lookup = func(string) (string, bool) { return "", false }
	}
	app, notes, err := ImportServerless(file, data, opts)
	if err != nil {
		t.Fatalf("ImportServerless(%s): %v", file, err)
	}
	out, err := Marshal(app, file)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return app, notes, out
}

// TestServerlessTestdataParses imports every serverless.yml of testdata,
// in both flavours, and checks that platform.Parse accepts the config, as
// if written beside the serverless.yml.
func TestServerlessTestdataParses(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "serverless"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		for _, flavour := range []string{"", "http", "rest"} {
			t.Run(d.Name()+"/"+flavour, func(t *testing.T) {
				_, notes, out := importTestdata(t, d.Name(), ServerlessOptions{Flavour: flavour})
				if testing.Verbose() && flavour == "" {
					t.Logf("%s", out)
					for _, n := range notes {
						t.Logf("note %s", n)
					}
				}
				cfgFile := filepath.Join("testdata", "serverless", d.Name(), "portico.yaml")
				if _, err := platform.Parse(cfgFile, out, func(string) (string, bool) { return "", false }); err != nil {
					t.Errorf("platform.Parse rejects the import:\n%v\n%s", err, out)
				}
				for _, n := range notes {
					if n.File == "" || n.Line <= 0 || n.Key == "" || n.Reason == "" || strings.Contains(n.Reason, "%!") {
						t.Errorf("incomplete note %+v", n)
					}
				}
			})
		}
	}
	if n < 10 {
		t.Errorf("%d serverless.yml files in testdata, want at least 10", n)
	}
}
