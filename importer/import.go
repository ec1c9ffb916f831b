package importer

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Options are what an import takes besides the file.
type Options struct {
	// Flavour is the API flavour to serve ("http" or "rest"); empty: the
	// one the file has, or http when it has both.
	Flavour string
	// Params are a template's --parameter-overrides (Name=value).
	Params map[string]string
	// Stage is serverless.yml's --stage; empty: the file's, else dev.
	Stage string
	// Lookup gives ${env:NAME} its value (serverless.yml); nil: the
	// process environment.
	Lookup func(name string) (string, bool)
}

// Import reads file as whichever of the formats it is — a SAM or
// CloudFormation template, a serverless.yml, an OpenAPI document — and
// imports it.
func Import(file string, data []byte, o Options) (*App, []Note, error) {
	switch Detect(file, data) {
	case FormatServerless:
		return ImportServerless(file, data, ServerlessOptions{Stage: o.Stage, Lookup: o.Lookup, Flavour: o.Flavour})
	case FormatOpenAPI:
		return ImportOpenAPI(file, data)
	case FormatTemplate:
		return ImportSAM(file, data, o.Params, SAMFlavour(o.Flavour))
	}
	return nil, nil, fmt.Errorf("%s: not a SAM/CloudFormation template (Resources), a serverless.yml (service, provider) or an OpenAPI document (openapi, swagger)", file)
}

// The formats Import reads.
const (
	FormatTemplate   = "template"
	FormatServerless = "serverless"
	FormatOpenAPI    = "openapi"
)

// Detect says which format data is, from its top-level keys; "" when none.
func Detect(file string, data []byte) string {
	var top map[string]yaml.Node
	// Tags such as !Ref are custom to CloudFormation; the decoder keeps
	// them as nodes, so a template decodes here too.
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&top); err != nil {
		return ""
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("service") && has("provider"):
		return FormatServerless
	case has("openapi") || has("swagger"):
		return FormatOpenAPI
	case has("Resources") || has("AWSTemplateFormatVersion") || has("Transform"):
		return FormatTemplate
	case strings.HasPrefix(filepath.Base(file), "serverless."):
		return FormatServerless
	}
	return ""
}
