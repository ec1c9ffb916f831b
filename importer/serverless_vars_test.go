package importer

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// varsDoc is the serverless.yml the variable cases resolve against; value:
// is replaced by each case's expression.
const varsDoc = `service: svc
provider:
  name: aws
  stage: ${opt:stage, 'dev'}
  region: eu-west-3
custom:
  name: ${self:service}-${sls:stage}
  nested: {a: {b: deep}}
  list: [zero, one]
  stages: {dev: dev-url, prod: prod-url}
  num: 5
  loopA: ${self:custom.loopB}
  loopB: ${self:custom.loopA}
  base: &base {x: 1}
  merged:
    <<: *base
    y: 2
value: placeholder
`

// resolveVar resolves expr as the value of value: in varsDoc.
func resolveVar(t testing.TB, expr string, opts ServerlessOptions) (*yaml.Node, []Note) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(varsDoc), &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "value" {
			root.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: expr, Line: 99}
		}
	}
	if opts.Lookup == nil {
		opts.Lookup = func(k string) (string, bool) {
			v, ok := map[string]string{"GREETING": "hi", "EMPTY": ""}[k]
			return v, ok
		}
	}
	r := newVarResolver("serverless.yml", root, opts)
	r.resolveAll()
	return get(r.root, "value"), r.notes
}

func TestServerlessVariables(t *testing.T) {
	for _, tc := range []struct {
		name, expr string
		stage      string
		want       string // "" with reason: left out
		reason     string // part of the value's note
	}{
		{name: "self", expr: "${self:service}", want: "svc"},
		{name: "self nested variables", expr: "${self:custom.name}", want: "svc-dev"},
		{name: "self with --stage", expr: "${self:custom.name}", stage: "prod", want: "svc-prod"},
		{name: "provider.stage default", expr: "${self:provider.stage}", want: "dev"},
		{name: "provider.stage with --stage", expr: "${self:provider.stage}", stage: "prod", want: "prod"},
		{name: "deep path", expr: "${self:custom.nested.a.b}", want: "deep"},
		{name: "list index", expr: "${self:custom.list.1}", want: "one"},
		{name: "address with a variable", expr: "${self:custom.stages.${sls:stage}}", want: "dev-url"},
		{name: "address with a variable and --stage", expr: "${self:custom.stages.${sls:stage}}", stage: "prod", want: "prod-url"},
		{name: "merge key", expr: "${self:custom.merged.x}", want: "1"},
		{name: "number keeps its type", expr: "${self:custom.num}", want: "5"},
		{name: "env", expr: "${env:GREETING}", want: "hi"},
		{name: "env empty", expr: "x${env:EMPTY}y", want: "xy"},
		{name: "env fallback single quotes", expr: "${env:MISSING, 'fallback'}", want: "fallback"},
		{name: "env fallback double quotes", expr: `${env:MISSING, "dq"}`, want: "dq"},
		{name: "fallback variable", expr: "${env:MISSING, self:custom.num}", want: "5"},
		{name: "fallback nested variable", expr: "${env:MISSING, ${self:service}}", want: "svc"},
		{name: "fallback chain", expr: "${env:MISSING, env:GREETING, 'x'}", want: "hi"},
		{name: "fallback number", expr: "${env:MISSING, 3}", want: "3"},
		{name: "fallback with comma", expr: "${env:MISSING, 'a,b'}", want: "a,b"},
		{name: "opt stage fallback", expr: "${opt:stage, 'dev'}", want: "dev"},
		{name: "opt stage given", expr: "${opt:stage, 'dev'}", stage: "qa", want: "qa"},
		{name: "sls stage", expr: "${sls:stage}", want: "dev"},
		{name: "aws region", expr: "${aws:region}", want: "eu-west-3"},
		{name: "aws accountId", expr: "${aws:accountId}", want: "123456789012"},
		{name: "interpolated", expr: "pre-${self:service}-${sls:stage}-post", want: "pre-svc-dev-post"},
		{name: "CloudFormation pseudo parameter kept", expr: "arn:${AWS::Region}", want: "arn:${AWS::Region}"},
		{name: "ssm with fallback", expr: "${ssm:/app/key, 'local'}", want: "local"},
		{name: "ssm", expr: "${ssm:/app/key}", reason: "needs AWS"},
		{name: "cf", expr: "${cf:stack.Output}", reason: "needs AWS"},
		{name: "s3", expr: "${s3:bucket/key}", reason: "needs AWS"},
		{name: "file", expr: "${file(./secrets.json):KEY}", reason: "not read by the import"},
		{name: "file whole", expr: "${file(./key.pem)}", reason: "not read by the import"},
		{name: "unknown source", expr: "${foo:bar}", reason: "not supported"},
		{name: "env unset", expr: "${env:MISSING}", reason: "not set"},
		{name: "opt unset", expr: "${opt:stage}", reason: "no --stage"},
		{name: "missing path", expr: "${self:custom.nope}", reason: "not in the file"},
		{name: "cycle", expr: "${self:custom.loopA}", reason: "has no value"},
		{name: "self reference", expr: "${self:value}", reason: "circular"},
		{name: "unterminated", expr: "${self:service", reason: "unterminated"},
		{name: "mapping inside text", expr: "x-${self:custom.nested}", reason: "not text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, notes := resolveVar(t, tc.expr, ServerlessOptions{Stage: tc.stage})
			if tc.reason != "" {
				if got != nil {
					t.Errorf("%s = %q, want it left out", tc.expr, got.Value)
				}
				if !hasNote(notes, "value", tc.reason) {
					t.Errorf("%s: notes %v, want one on value saying %q", tc.expr, notes, tc.reason)
				}
				return
			}
			if got == nil {
				t.Fatalf("%s left out, want %q; notes %v", tc.expr, tc.want, notes)
			}
			if got.Kind != yaml.ScalarNode || got.Value != tc.want {
				t.Errorf("%s = %q (kind %d), want %q", tc.expr, got.Value, got.Kind, tc.want)
			}
		})
	}
}

func TestServerlessVariableWholeValue(t *testing.T) {
	got, _ := resolveVar(t, "${self:custom.nested}", ServerlessOptions{})
	if got == nil || got.Kind != yaml.MappingNode || get(get(got, "a"), "b").Value != "deep" {
		t.Fatalf("${self:custom.nested} = %+v, want the mapping {a: {b: deep}}", got)
	}
	num, _ := resolveVar(t, "${self:custom.num}", ServerlessOptions{})
	if num.Tag != "!!int" {
		t.Errorf("${self:custom.num} tag %s, want !!int", num.Tag)
	}
}

// TestServerlessVariablesBounded feeds self references that double a
// tree at each of 40 levels: the resolver must stop, with a note.
func TestServerlessVariablesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("service: s\nprovider: {name: aws}\ncustom:\n")
	for i := range 40 {
		b.WriteString("  l" + strconv.Itoa(i) + ": ['${self:custom.l" + strconv.Itoa(i+1) + "}', '${self:custom.l" + strconv.Itoa(i+1) + "}']\n")
	}
	b.WriteString("  l40: leaf\n")
	start := time.Now()
	_, notes, err := ImportServerless("serverless.yml", []byte(b.String()), ServerlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s", d)
	}
	if !hasNote(notes, "custom.l", "too large") {
		t.Errorf("notes %v, want one saying the variables expand too large", notes)
	}
}

// TestServerlessVariablesBoundedText feeds self references that double a
// string at each level (resolved once each, memoized, but each twice as
// long): 22 levels from 16 bytes is 64 MiB, 30 levels would be 16 GiB. The
// resolver must stop at the cap, with a note, and leave the value out.
func TestServerlessVariablesBoundedText(t *testing.T) {
	var b strings.Builder
	b.WriteString("service: s\nprovider: {name: aws, runtime: nodejs20.x}\ncustom:\n  a0: xxxxxxxxxxxxxxxx\n")
	const levels = 22
	for i := 1; i <= levels; i++ {
		prev := "${self:custom.a" + strconv.Itoa(i-1) + "}"
		b.WriteString("  a" + strconv.Itoa(i) + ": " + prev + prev + "\n")
	}
	b.WriteString("functions:\n  f:\n    handler: h.f\n    environment:\n      BIG: ${self:custom.a" + strconv.Itoa(levels) + "}\n")
	app, notes, err := ImportServerless("serverless.yml", []byte(b.String()), ServerlessOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := app.Functions["f"].Env["BIG"]; ok {
		t.Errorf("BIG is %d bytes, want it left out past the cap of %d", len(v), maxVarBytes)
	}
	if !hasNote(notes, "custom.a", "too large") {
		t.Errorf("notes %v, want one saying the variables expand too large", notes)
	}
}
