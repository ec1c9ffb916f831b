package importer

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzImportSAM checks that no template makes the importer panic or loop,
// and that what it imports marshals.
func FuzzImportSAM(f *testing.F) {
	files, _ := filepath.Glob("testdata/sam/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Resources: {F: {Type: AWS::Serverless::Function, Properties: {Environment: {Variables: {V: !Sub '${F.Arn}'}}}}}"))
	f.Add([]byte(`{"Conditions": {"A": {"Condition": "A"}}, "Resources": {"F": {"Type": "AWS::Lambda::Function", "Condition": "A"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		app, _, err := ImportSAM("fuzz/template.yaml", data, nil)
		if err != nil {
			return
		}
		if _, err := Marshal(app, "fuzz"); err != nil {
			t.Fatalf("Marshal: %v", err)
		}
	})
}
