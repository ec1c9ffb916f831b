package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/portico/portico/importer"
	"github.com/portico/portico/platform"
)

// importFlags are the flags `portico import` and `serve --template` share:
// how an application described for AWS is read.
type importFlags struct {
	api    *string
	stage  *string
	params *string
}

func addImportFlags(fs *flag.FlagSet) *importFlags {
	return &importFlags{
		api:    fs.String("api", "", "the API flavour to serve when the file has both: http (HttpApi / httpApi events) or rest (Api / http events)"),
		stage:  fs.String("stage", "", "serverless.yml: the stage (${opt:stage}); default the file's, else dev"),
		params: fs.String("parameter-overrides", "", "a template's parameters: Name=value, separated by spaces or commas"),
	}
}

func (f *importFlags) options() (importer.Options, error) {
	o := importer.Options{Flavour: *f.api, Stage: *f.stage}
	if *f.params != "" {
		o.Params = map[string]string{}
		for _, kv := range strings.FieldsFunc(*f.params, func(r rune) bool { return r == ' ' || r == ',' }) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return o, usageError{fmt.Sprintf("--parameter-overrides: want Name=value, got %q", kv)}
			}
			o.Params[k] = v
		}
	}
	return o, nil
}

// importApp reads and imports file, and writes what it did not carry over
// to notes, one FILE:LINE: key: reason each.
func importApp(file string, f *importFlags, notes io.Writer) ([]byte, error) {
	o, err := f.options()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	app, ns, err := importer.Import(file, data, o)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		fmt.Fprintln(notes, n)
	}
	return importer.Marshal(app, filepath.Base(file))
}

// loadTemplate imports file and parses the result as a config that lives
// in file's folder, so the application's relative paths resolve as they
// do for the template.
func loadTemplate(file string, f *importFlags, notes io.Writer) (*platform.Config, error) {
	text, err := importApp(file, f, notes)
	if err != nil {
		return nil, err
	}
	cfg, err := platform.Parse(file, text, nil)
	if err != nil {
		return nil, fmt.Errorf("the config imported from %s has problems (see `portico import %s`):\n%w", file, file, err)
	}
	return cfg, nil
}

// importCommand prints the Portico config of an application described for
// AWS, and on stderr what it did not carry over.
func importCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	f := addImportFlags(fs)
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError{"want exactly one FILE: a SAM/CloudFormation template, a serverless.yml or an OpenAPI document"}
	}
	text, err := importApp(positional[0], f, stderr)
	if err != nil {
		return err
	}
	_, err = stdout.Write(text)
	return err
}
