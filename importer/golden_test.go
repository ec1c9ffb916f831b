package importer

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the importer's golden files")

// TestImportGolden compares whole imports — the config and the notes —
// with testdata/**/NAME.golden; `go test ./importer -update` rewrites them.
func TestImportGolden(t *testing.T) {
	for _, file := range []string{
		"testdata/sam/written/orders.yaml",
		"testdata/sam/start-api-template-http-api.yaml",
		"testdata/sam/examples/api_swagger_cors/template.yaml",
	} {
		t.Run(file, func(t *testing.T) {
			app, notes := importFile(t, file)
			out, err := Marshal(app, filepath.Base(file))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			b.Write(out)
			b.WriteString("# notes:\n")
			for _, n := range notes {
				b.WriteString("# " + n.String() + "\n")
			}
			golden := strings.TrimSuffix(file, filepath.Ext(file)) + ".golden"
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("import of %s differs from %s (go test ./importer -update rewrites it):\n%s", file, golden, b.String())
			}
		})
	}
}
