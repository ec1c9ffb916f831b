package kind

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/portico/portico/async"
	"github.com/portico/portico/backend"
	"github.com/portico/portico/backend/builtin"
	"github.com/portico/portico/backend/httpbackend"
	"github.com/portico/portico/backend/process"
	"github.com/portico/portico/config"
	"github.com/portico/portico/internal/fielderr"
)

var _ config.Union = (*Function)(nil)

// decode decodes doc, a `functions:` map in f.yaml under /cfg, and returns
// it with every problem as FILE:LINE:COL: path: message, in file order.
func decode(t *testing.T, doc string) (map[string]*Function, []string) {
	t.Helper()
	var c struct {
		Functions map[string]*Function `yaml:"functions"`
	}
	pos, err := config.Decode("f.yaml", []byte(doc), &c, config.WithDir("/cfg"))
	var errs []error
	for name, fn := range c.Functions {
		for _, e := range fn.Validate() {
			fe := e.(*fielderr.Error)
			errs = append(errs, pos.Errorf("f.yaml", "functions."+name+"."+fe.Path, "%s", fe.Msg))
		}
	}
	if err := config.Merge(err, errs); err != nil {
		return c.Functions, strings.Split(err.Error(), "\n")
	}
	return c.Functions, nil
}

func TestDecode(t *testing.T) {
	fns, errs := decode(t, `functions:
  echo: {backend: builtin, handler: echo, concurrency: 3}
  up: {backend: http, url: "http://127.0.0.1:1/x"}
  local: {backend: process, handler: bin/fn, env: {A: b}, concurrency: 4, async: {maximumRetryAttempts: 0, onFailure: {function: echo}}}
`)
	if errs != nil {
		t.Fatal(errs)
	}
	want := map[string]*Function{
		"echo": {Backend: "builtin", Spec: &builtin.Config{Handler: "echo", Concurrency: 3}},
		"up":   {Backend: "http", Spec: &httpbackend.Config{URL: "http://127.0.0.1:1/x"}},
		"local": {Backend: "process", Spec: &process.Config{Handler: "/cfg/bin/fn", Env: map[string]string{"A": "b"}, Concurrency: 4},
			Async: &async.Config{MaximumRetryAttempts: new(0), OnFailure: &async.Destination{Function: "echo"}}},
	}
	if !reflect.DeepEqual(fns, want) {
		t.Errorf("got  %+v\nwant %+v", fns, want)
	}
	for name, n := range map[string]int{"echo": 3, "up": 0, "local": 0} {
		if got := fns[name].Concurrency(); got != n {
			t.Errorf("%s: Concurrency() = %d, want %d", name, got, n)
		}
	}
}

// TestDecodeErrors: a kind's problems under the function's path, and a
// key of another kind reported by name.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"no backend", "functions:\n  f: {handler: x}\n",
			[]string{"f.yaml:2:6: functions.f.backend: required (builtin, http, process or lambda)"}},
		{"unknown backend", "functions:\n  f: {backend: lambada}\n",
			[]string{`f.yaml:2:16: functions.f.backend: unknown backend "lambada" (want builtin, http, process or lambda)`}},
		{"field of another backend", "functions:\n  f: {backend: http, url: \"http://h/x\", memory: 256}\n",
			[]string{"f.yaml:2:49: functions.f.memory: not used by backend http"}},
		{"inheritEnv elsewhere", "functions:\n  f: {backend: http, url: \"http://h/x\", inheritEnv: [A]}\n",
			[]string{"f.yaml:2:53: functions.f.inheritEnv: not used by backend http"}},
		{"lambda", "functions:\n  f: {backend: lambda, memory: 256, qualifier: a/b}\n",
			[]string{"f.yaml:2:32: functions.f.memory: not used by backend lambda",
				`f.yaml:2:48: functions.f.qualifier: want a version or alias (letters, digits, $, _ and -), got "a/b"`}},
		{"a kind's own problem", "functions:\n  f: {backend: process, handler: x, env: {AWS_REGION: x}}\n",
			[]string{"f.yaml:2:55: functions.f.env.AWS_REGION: reserved by Lambda: it cannot be set"}},
		{"async block of any kind", "functions:\n  f: {backend: builtin, handler: echo, async: {maximumRetryAttempts: 3, maximumEventAge: 30s, onFailure: {}}}\n",
			[]string{"f.yaml:2:70: functions.f.async.maximumRetryAttempts: must be 0, 1 or 2, got 3",
				"f.yaml:2:90: functions.f.async.maximumEventAge: must be between 60s and 6h, got 30s",
				"f.yaml:2:106: functions.f.async.onFailure.function: required: the function that receives the destination record"}},
		{"async unknown key", "functions:\n  f: {backend: http, url: \"http://h/x\", async: {retries: 1}}\n",
			[]string{`f.yaml:2:49: functions.f.async: unknown field "retries"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := decode(t, tt.doc)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestBuild(t *testing.T) {
	echo := &Function{Backend: "builtin", Spec: &builtin.Config{Handler: "echo"}}
	inv, err := echo.Build("echo", Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := inv.Invoke(context.Background(), &backend.Invocation{Event: []byte(`{}`)}, nil)
	if err != nil || !strings.Contains(string(out), `"statusCode":200`) {
		t.Errorf("echo: %s, %v", out, err)
	}
	proc := &Function{Backend: "process", Spec: &process.Config{Handler: "/nonexistent"}}
	inv, err = proc.Build("p", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := inv.(backend.Starter); !ok {
		t.Errorf("process: %T is no Starter", inv)
	}
	if _, err := (&Function{Backend: "nope"}).Build("f", Options{}); err == nil {
		t.Error("unknown backend: built")
	}
	bad := &Function{Backend: "http", Spec: &httpbackend.Config{URL: "::"}}
	if inv, err := bad.Build("f", Options{}); err == nil || inv != nil {
		t.Errorf("bad url: %v, %v (want a nil invoker and an error)", inv, err)
	}
	if _, err := (&Function{Backend: "http", Spec: &builtin.Config{}}).Build("f", Options{}); err == nil || !strings.HasPrefix(err.Error(), "BUG:") {
		t.Errorf("mismatched spec: %v", err)
	}
}
