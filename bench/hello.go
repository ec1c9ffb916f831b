package bench

import (
	"context"
	"fmt"

	"github.com/portico/portico/backend/process"
)

// helloLang is one language's hello example, configured as the quickstart
// (configs/quickstart.yaml) runs it, so the process and coldstart scenarios
// measure what a user of that language gets.
type helloLang struct {
	name    string // row label
	runtime string
	example string // folder under the project
	handler string // Lambda's handler setting; "" for go (source: instead)
	// interpreter is the command the runtime finds on PATH; "" for go.
	interpreter string
	// bare starts the interpreter doing nothing: its own start-up, which a
	// cold start of the language cannot beat.
	bare []string
}

var helloLangs = []helloLang{
	{name: "go", runtime: "go", example: "examples/hello"},
	{name: "nodejs", runtime: "nodejs20.x", example: "examples/node-hello", handler: "index.handler",
		interpreter: "node", bare: []string{"-e", "0"}},
	{name: "python", runtime: "python3.11", example: "examples/python-hello", handler: "app.lambda_handler",
		interpreter: "python3", bare: []string{"-c", "pass"}},
}

// goHello is the Go row: the one the others are compared with.
var goHello = helloLangs[0]

// helloFunction is a language whose example and interpreter were found.
type helloFunction struct {
	helloLang
	dir  string // the example's absolute folder
	path string // the interpreter's path as the runtime resolves it; "" for go
}

// helloFunctions finds each language's example and interpreter; a language
// whose interpreter is not on PATH is left out with a note, so a machine
// without node or python3 still measures the others.
func (s *session) helloFunctions() ([]helloFunction, error) {
	var out []helloFunction
	for _, l := range helloLangs {
		dir, err := projectFile(l.example)
		if err != nil {
			return nil, err
		}
		f := helloFunction{helloLang: l, dir: dir}
		if l.interpreter != "" {
			if f.path, err = process.Interpreter(context.Background(), l.runtime, ""); err != nil {
				s.note("%s rows skipped: %v", l.name, err)
				continue
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// yaml is the function's block in a gateway config.
func (f helloFunction) yaml(name string) string {
	if f.handler == "" {
		return fmt.Sprintf("  %s: {backend: process, runtime: %s, source: %q}\n", name, f.runtime, f.dir)
	}
	return fmt.Sprintf("  %s: {backend: process, runtime: %s, code: %q, handler: %s}\n", name, f.runtime, f.dir, f.handler)
}

// config is the function's process config.
func (f helloFunction) config() *process.Config {
	if f.handler == "" {
		return &process.Config{Runtime: f.runtime, Source: f.dir}
	}
	return &process.Config{Runtime: f.runtime, Code: f.dir, Handler: f.handler}
}
