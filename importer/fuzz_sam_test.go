package importer

import (
	"path/filepath"
	"testing"
)

// FuzzImportSAM checks that no template or OpenAPI document makes the
// importers panic or loop, and that what they import marshals.
func FuzzImportSAM(f *testing.F) {
	files, _ := filepath.Glob("testdata/sam/*.yaml")
	for _, file := range files {
		data := readFile(f, file)
		f.Add(data)
	}
	f.Add([]byte("Resources: {F: {Type: AWS::Serverless::Function, Properties: {Environment: {Variables: {V: !Sub '${F.Arn}'}}}}}"))
	f.Add([]byte(`{"Conditions": {"A": {"Condition": "A"}}, "Resources": {"F": {"Type": "AWS::Lambda::Function", "Condition": "A"}}}`))
	openapi, _ := filepath.Glob("testdata/openapi/*.yaml")
	for _, file := range openapi {
		data := readFile(f, file)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if app, _, err := ImportSAM("fuzz/template.yaml", data, nil); err == nil {
			if _, err := Marshal(app, "fuzz"); err != nil {
				t.Fatalf("Marshal: %v", err)
			}
		}
		if app, _, err := ImportOpenAPI("fuzz/api.yaml", data); err == nil {
			if _, err := Marshal(app, "fuzz"); err != nil {
				t.Fatalf("Marshal: %v", err)
			}
		}
	})
}
