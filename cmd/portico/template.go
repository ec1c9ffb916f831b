package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portico/portico/config"
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

// maxPrunes bounds the rounds importApp drops unusable entries in.
const maxPrunes = 3

// importApp reads and imports file, parses the result as a config living
// in file's folder (so relative code paths resolve as for the template),
// drops each route, schedule or event source the config refuses — with a
// note, so that the rest of the application serves — and writes what was
// not carried over to notes, one FILE:LINE: key: reason each.
func importApp(file string, f *importFlags, notes io.Writer) ([]byte, *platform.Config, error) {
	o, err := f.options()
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	app, ns, err := importer.Import(file, data, o)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range ns {
		fmt.Fprintln(notes, n)
	}
	for round := 0; ; round++ {
		text, err := importer.Marshal(app, filepath.Base(file))
		if err != nil {
			return nil, nil, err
		}
		cfg, perr := platform.Parse(file, text, nil)
		if perr == nil {
			return text, cfg, nil
		}
		if round == maxPrunes || !prune(app, perr, notes) {
			return nil, nil, fmt.Errorf("the config imported from %s has problems:\n%w", file, perr)
		}
	}
}

// prune drops from app each route, schedule or event source a problem of
// err names, noting why, and reports whether it dropped any: the problems
// of one entry should not keep the rest of an application from serving.
func prune(app *importer.App, err error, notes io.Writer) bool {
	drop := map[string]map[int]string{}
	for _, e := range unjoin(err) {
		var ce *config.Error
		if !errors.As(e, &ce) {
			continue
		}
		for _, list := range []string{"routes", "schedules", "eventSources"} {
			rest, ok := strings.CutPrefix(ce.Path, list+"[")
			if !ok {
				continue
			}
			i, err := strconv.Atoi(rest[:strings.IndexByte(rest+"]", ']')])
			if err != nil {
				continue
			}
			if drop[list] == nil {
				drop[list] = map[int]string{}
			}
			drop[list][i] = ce.Msg
		}
	}
	app.Routes = dropEntries(app.Routes, drop["routes"], "route", func(r importer.Route) string { return r.Route }, notes)
	app.Schedules = dropEntries(app.Schedules, drop["schedules"], "schedule", func(s importer.Schedule) string { return s.Name }, notes)
	app.EventSources = dropEntries(app.EventSources, drop["eventSources"], "event source", func(e importer.EventSource) string { return e.Function }, notes)
	return len(drop) > 0
}

// dropEntries is list without the entries whose index is in drop, each
// noted with what the config said of it.
func dropEntries[T any](list []T, drop map[int]string, what string, name func(T) string, notes io.Writer) []T {
	if len(drop) == 0 {
		return list
	}
	out := list[:0:0]
	for i, v := range list {
		if msg, ok := drop[i]; ok {
			fmt.Fprintf(notes, "%s %s: not served: %s\n", what, name(v), msg)
			continue
		}
		out = append(out, v)
	}
	return out
}

// unjoin is the errors err joins, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// loadTemplate imports file as the config serve runs.
func loadTemplate(file string, f *importFlags, notes io.Writer) (*platform.Config, error) {
	_, cfg, err := importApp(file, f, notes)
	return cfg, err
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
	text, _, err := importApp(positional[0], f, stderr)
	if err != nil {
		return err
	}
	_, err = stdout.Write(text)
	return err
}
