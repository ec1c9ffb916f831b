package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzServerlessVariables resolves any string as a value of a
// serverless.yml: the resolver must end, never panic, and give the same
// value and notes each time.
func FuzzServerlessVariables(f *testing.F) {
	for _, s := range []string{
		"${self:service}", "${self:custom.stages.${sls:stage}}", "${env:MISSING, 'x'}", "${opt:stage, ${env:A, 'b'}}",
		"${self:custom.loopA}", "${self:value}", "a${self:custom.list.1}b${aws:region}", "${ssm:/x, self:custom.num}",
		"${", "${}", "${,}", "${'}", "${self:}", "${file(x)}", "${AWS::Region}", "${${${${self:service}}}}",
		"${env:MISSING, \"a}b\"}", "${self:custom.nested}", "x${self:custom.nested}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		v1, n1 := resolveVar(t, expr, ServerlessOptions{})
		v2, n2 := resolveVar(t, expr, ServerlessOptions{})
		if !reflect.DeepEqual(render(t, v1), render(t, v2)) || !reflect.DeepEqual(n1, n2) {
			t.Fatalf("%q resolves differently twice: %v %v / %v %v", expr, render(t, v1), n1, render(t, v2), n2)
		}
	})
}

// render is n's kind, tag and text, recursively, for comparison.
func render(t *testing.T, n *yaml.Node) string {
	if n == nil {
		return "<left out>"
	}
	var b strings.Builder
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if depth > 64 {
			t.Fatalf("resolved value nested %d deep", depth)
		}
		fmt.Fprintf(&b, "(%d %s %q", n.Kind, n.Tag, n.Value)
		for _, c := range n.Content {
			walk(c, depth+1)
		}
		b.WriteString(")")
	}
	walk(n, 0)
	return b.String()
}

// FuzzImportServerless imports any file: an error or an App that marshals.
func FuzzImportServerless(f *testing.F) {
	dirs, _ := os.ReadDir(filepath.Join("testdata", "serverless"))
	for _, d := range dirs {
		if data, err := os.ReadFile(filepath.Join("testdata", "serverless", d.Name(), "serverless.yml")); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		app, _, err := ImportServerless("fuzz/serverless.yml", data, ServerlessOptions{Lookup: func(string) (string, bool) { return "", false }})
		if err != nil {
			return
		}
		if _, err := Marshal(app, "fuzz"); err != nil {
			t.Fatalf("Marshal: %v", err)
		}
	})
}
