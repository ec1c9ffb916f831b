package platform

import (
	"context"
	"strings"
	"testing"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/invokeapi"
)

const twoFunctions = `
functions:
  broken: {backend: process, handler: /nonexistent/bootstrap}
  teapot: {backend: builtin, handler: mock, response: {statusCode: 418}}
routes:
  - {route: GET /broken, function: broken}
  - {route: $default, function: teapot}
`

// TestBuildDoesNoIO: New builds a function whose code is missing without
// touching it; Start is what finds out.
func TestBuildDoesNoIO(t *testing.T) {
	cfg, err := Parse("p.yaml", []byte(twoFunctions), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	defer p.Close()
	if err := p.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "function broken") {
		t.Errorf("Start: %v, want the missing code of function broken", err)
	}
}

// TestStartDirectStartsOnlyThatOne: a direct call builds and starts the
// function it names, whatever state the others are in.
func TestStartDirectStartsOnlyThatOne(t *testing.T) {
	cfg, err := Parse("p.yaml", []byte(twoFunctions), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := StartDirect(context.Background(), cfg, "teapot", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background())
	res, ierr := d.Invoke(context.Background(), invokeapi.Call{FunctionName: "teapot"})
	if ierr != nil || string(res.Payload) != `{"statusCode":418}` {
		t.Errorf("invoke: %s, %v", res.Payload, ierr)
	}
	if _, ierr := d.Invoke(context.Background(), invokeapi.Call{FunctionName: "broken"}); ierr == nil || ierr.Status != 404 {
		t.Errorf("a function not started answered %v, want 404", ierr)
	}
	if _, err := StartDirect(context.Background(), cfg, "nope", nil); err == nil {
		t.Errorf("an unknown function started")
	}
}

// TestUnstartedFunctions: with WithUnstartedFunctions, a function that
// cannot start is left out and answers as unavailable, and the others
// serve.
func TestUnstartedFunctions(t *testing.T) {
	cfg, err := Parse("p.yaml", []byte(twoFunctions), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg, WithUnstartedFunctions())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v, want the broken function left out", err)
	}
	inv := func(name string) error {
		_, err := p.functions[name].invoker.Invoke(context.Background(), &backend.Invocation{Function: name, Event: []byte(`{}`), RequestID: "r"}, nil)
		return err
	}
	if err := inv("teapot"); err != nil {
		t.Errorf("teapot: %v", err)
	}
	if err := inv("broken"); !backend.IsKind(err, backend.KindUnavailable) {
		t.Errorf("broken: %v, want unavailable", err)
	}
}
