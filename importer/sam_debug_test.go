package importer

import (
	"os"
	"testing"
)

func TestDebugPrint(t *testing.T) {
	f := os.Getenv("SAMFILE")
	if f == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(f)
	app, notes, err := ImportSAM(f, data, nil, SAMFlavour(os.Getenv("FLAVOUR")))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := Marshal(app, f)
	t.Log(string(out))
	for _, n := range notes {
		t.Log(n)
	}
}
