package process

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/backend"
)

// These tests run Portico's Python runtime client (runtime/python/
// bootstrap.py) under a real python3, as a user's function runs:
// `runtime: python3.11` with `code:` and `handler:`.

var (
	pythonOnce sync.Once
	pythonExe  string // the interpreter's own path, not a shim: the function's PATH is Lambda's
	pythonErr  error
)

func pythonInterpreter(t *testing.T) string {
	t.Helper()
	pythonOnce.Do(func() {
		var out []byte
		out, pythonErr = exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
		pythonExe = strings.TrimSpace(string(out))
	})
	if pythonErr != nil || pythonExe == "" {
		t.Skipf("python3 not available (make test installs it): %v", pythonErr)
	}
	return pythonExe
}

// pythonFunction starts a function whose code is files (path: content), in
// a new folder that is its LAMBDA_TASK_ROOT, with the handler setting
// handler.
func pythonFunction(t *testing.T, handler string, files map[string]string, cfg Config, opts ...Option) *Function {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeTestFile(t, filepath.Join(dir, name), content, 0o644)
	}
	return pythonFunctionIn(t, dir, handler, cfg, opts...)
}

// pythonFunctionIn starts the function whose code is in dir, as
// `runtime: python3.11` with Portico's embedded client.
func pythonFunctionIn(t *testing.T, dir, handler string, cfg Config, opts ...Option) *Function {
	t.Helper()
	cfg.Runtime, cfg.Code, cfg.Handler, cfg.Interpreter = "python3.11", dir, handler, pythonInterpreter(t)
	return newFunction(t, cfg, opts...)
}

// pyErrorDoc is the error document of AWS's Python runtime client.
type pyErrorDoc struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	RequestID    *string  `json:"requestId"`
	StackTrace   []string `json:"stackTrace"`
}

func pyError(t *testing.T, err error) (string, pyErrorDoc) {
	t.Helper()
	fe := asFunctionError(t, err)
	var doc pyErrorDoc
	if err := json.Unmarshal(fe.Payload, &doc); err != nil {
		t.Fatalf("error payload %s: %v", fe.Payload, err)
	}
	if doc.RequestID == nil || doc.StackTrace == nil {
		t.Errorf("error payload %s: want requestId and stackTrace keys", fe.Payload)
	}
	if doc.ErrorType != fe.Type {
		t.Errorf("error type %q, payload's errorType %q", fe.Type, doc.ErrorType)
	}
	return fe.Type, doc
}

func TestPythonHandlerReturnsDict(t *testing.T) {
	f := pythonFunction(t, "app.lambda_handler", map[string]string{"app.py": `
def lambda_handler(event, context):
    return {"ok": True, "got": event, "text": "héllo"}
`}, Config{})
	out := mustInvoke(t, f, `{"a":[1,2.5,null]}`)
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("result %s: %v", out, err)
	}
	want := map[string]any{"ok": true, "got": map[string]any{"a": []any{1.0, 2.5, nil}}, "text": "héllo"}
	if gotJSON, _ := json.Marshal(got); string(gotJSON) != mustJSON(t, want) {
		t.Errorf("got %s, want %s", gotJSON, mustJSON(t, want))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The context carries what awslambdaric's does, with its types, and the
// module's globals live on between invocations of one instance.
func TestPythonContext(t *testing.T) {
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `
import os
calls = 0

def handler(event, context):
    global calls
    calls += 1
    cc = context.client_context
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "identity_id": context.identity.cognito_identity_id,
        "client_custom": cc.custom if cc else None,
        "client_app_title": cc.client.app_title if cc and cc.client else None,
        "has_client_context": cc is not None,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"),
        "cwd": os.getcwd(),
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "calls": calls,
    }
`}, Config{Timeout: 5 * time.Second, Memory: 256})

	type ctxDoc struct {
		AWSRequestID       string         `json:"aws_request_id"`
		FunctionName       string         `json:"function_name"`
		FunctionVersion    string         `json:"function_version"`
		InvokedFunctionARN string         `json:"invoked_function_arn"`
		MemoryLimitInMB    any            `json:"memory_limit_in_mb"`
		LogGroupName       string         `json:"log_group_name"`
		LogStreamName      string         `json:"log_stream_name"`
		Remaining          int64          `json:"remaining"`
		IdentityID         *string        `json:"identity_id"`
		ClientCustom       map[string]any `json:"client_custom"`
		ClientAppTitle     *string        `json:"client_app_title"`
		HasClientContext   bool           `json:"has_client_context"`
		Trace              string         `json:"trace"`
		Cwd                string         `json:"cwd"`
		TaskRoot           string         `json:"task_root"`
		Calls              int            `json:"calls"`
	}
	call := func(inv *backend.Invocation) ctxDoc {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := f.Invoke(ctx, inv, nil)
		if err != nil {
			t.Fatalf("invoke: %v", err)
		}
		var d ctxDoc
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatalf("result %s: %v", out, err)
		}
		return d
	}

	const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	first := call(&backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: "req-one", TraceID: trace})
	if first.AWSRequestID != "req-one" || first.FunctionName != "fn" || first.FunctionVersion != "$LATEST" {
		t.Errorf("request id, name, version: got %q %q %q, want req-one fn $LATEST", first.AWSRequestID, first.FunctionName, first.FunctionVersion)
	}
	if !regexp.MustCompile(`^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:fn$`).MatchString(first.InvokedFunctionARN) {
		t.Errorf("invoked_function_arn %q", first.InvokedFunctionARN)
	}
	// A string, as awslambdaric reads it from the environment.
	if first.MemoryLimitInMB != "256" {
		t.Errorf("memory_limit_in_mb: got %#v, want \"256\"", first.MemoryLimitInMB)
	}
	if first.LogGroupName != "/aws/lambda/fn" || !strings.Contains(first.LogStreamName, "[$LATEST]") {
		t.Errorf("log group %q, stream %q", first.LogGroupName, first.LogStreamName)
	}
	if first.Remaining <= 0 || first.Remaining > 5000 {
		t.Errorf("remaining time %d ms, want within the 5s timeout", first.Remaining)
	}
	if first.IdentityID != nil || first.HasClientContext {
		t.Errorf("identity id %v, client context %v: want none", first.IdentityID, first.HasClientContext)
	}
	if first.Trace != trace {
		t.Errorf("_X_AMZN_TRACE_ID: got %q, want %q", first.Trace, trace)
	}
	if first.Cwd != first.TaskRoot || first.TaskRoot == "" {
		t.Errorf("cwd %q, LAMBDA_TASK_ROOT %q: want the same folder", first.Cwd, first.TaskRoot)
	}

	second := call(&backend.Invocation{Function: "fn", Event: []byte(`{}`), RequestID: "req-two",
		ClientContext: []byte(`{"custom":{"k":"v"},"client":{"app_title":"demo"},"env":{}}`)})
	if second.AWSRequestID != "req-two" || second.Calls != 2 {
		t.Errorf("second call: request id %q, calls %d, want req-two on a warm instance (2)", second.AWSRequestID, second.Calls)
	}
	if second.Trace == trace || !strings.HasPrefix(second.Trace, "Root=1-") {
		t.Errorf("second call's trace %q: want a new one", second.Trace)
	}
	if !second.HasClientContext || second.ClientCustom["k"] != "v" || second.ClientAppTitle == nil || *second.ClientAppTitle != "demo" {
		t.Errorf("client context: custom %v, app title %v", second.ClientCustom, second.ClientAppTitle)
	}
}

func TestPythonRemainingTimeDecreases(t *testing.T) {
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `
import time

def handler(event, context):
    before = context.get_remaining_time_in_millis()
    time.sleep(0.05)  # the function's own work, not a wait of the test
    return [before, context.get_remaining_time_in_millis()]
`}, Config{})
	var got [2]int64
	out := mustInvoke(t, f, `{}`)
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("result %s: %v", out, err)
	}
	if got[0] > DefaultTimeout.Milliseconds() || got[1] > got[0]-50 || got[1] <= 0 {
		t.Errorf("remaining %d ms, then %d ms 50 ms later: want at most %d, decreasing by at least 50",
			got[0], got[1], DefaultTimeout.Milliseconds())
	}
}

// print reaches the log as it is, logging in Lambda's format; Portico's log
// gives both the request id.
func TestPythonOutputCarriesRequestID(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `
import logging, sys
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def handler(event, context):
    print("hello from print")
    logger.info("hello from %s", "logging")
    logging.getLogger("mine").warning("a warning")
    print("to stderr", file=sys.stderr)
    return "ok"
`}, Config{}, WithLogger(zap.New(core)))
	mustInvoke(t, f, `{}`)
	f.Close() // the output is read to its end

	reqID := "req-" + t.Name()
	stamp := `\t(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z\t`
	want := map[string]*regexp.Regexp{
		"print":   regexp.MustCompile(`^hello from print$`),
		"info":    regexp.MustCompile(`^\[INFO\]` + stamp + regexp.QuoteMeta(reqID) + `\thello from logging$`),
		"warning": regexp.MustCompile(`^\[WARNING\]` + stamp + regexp.QuoteMeta(reqID) + `\ta warning$`),
		"stderr":  regexp.MustCompile(`^to stderr$`),
	}
	seen := map[string]bool{}
	for _, e := range logs.FilterMessage("output").All() {
		fields := e.ContextMap()
		line, _ := fields["line"].(string)
		for name, re := range want {
			m := re.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			seen[name] = true
			if fields["request_id"] != reqID {
				t.Errorf("%s line %q logged with request id %v, want %s", name, line, fields["request_id"], reqID)
			}
			if len(m) > 1 {
				at, err := time.Parse("2006-01-02T15:04:05.000", m[1])
				if err != nil || time.Since(at).Abs() > time.Minute {
					t.Errorf("%s line %q: timestamp %s is not the current UTC time (%v)", name, line, m[1], err)
				}
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("no %s line in the log: %v", name, logs.FilterMessage("output").All())
		}
	}
}

// An exception in the handler is the invocation's error, in awslambdaric's
// shape, its stack trace naming the function's code only; the instance
// serves on.
func TestPythonHandlerException(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `
def check(event):
    if event.get("fail"):
        raise ValueError("boom: " + event["fail"])

def handler(event, context):
    check(event)
    return "fine"
`}, Config{}, WithLogger(zap.New(core)))
	_, err := invoke(t, f, `{"fail":"bad input"}`, 30*time.Second)
	typ, doc := pyError(t, err)
	if typ != "ValueError" || doc.ErrorMessage != "boom: bad input" || *doc.RequestID != "req-"+t.Name() {
		t.Errorf("got %s %+v", typ, doc)
	}
	if len(doc.StackTrace) != 2 || !strings.Contains(doc.StackTrace[0], `app.py", line 7, in handler`) ||
		!strings.Contains(doc.StackTrace[1], `app.py", line 4, in check`) || !strings.Contains(doc.StackTrace[1], `raise ValueError`) {
		t.Errorf("stackTrace %q: want the handler's frame, then check's", doc.StackTrace)
	}
	if out := mustInvoke(t, f, `{}`); out != `"fine"` {
		t.Errorf("next call: got %s, want \"fine\"", out)
	}
	if n := f.seq.Load(); n != 1 {
		t.Errorf("%d instances, want 1: an exception does not end the runtime", n)
	}
	f.Close()
	logged := false
	for _, e := range logs.FilterMessage("output").All() {
		line, _ := e.ContextMap()["line"].(string)
		logged = logged || strings.HasPrefix(line, "[ERROR] ValueError: boom: bad input\rTraceback (most recent call last):\r")
	}
	if !logged {
		t.Errorf("the error was not logged as one [ERROR] line: %v", logs.FilterMessage("output").All())
	}
}

// Failures while loading the handler are init errors with Lambda's types
// and messages.
func TestPythonInitErrors(t *testing.T) {
	cases := []struct {
		name, handler, code string
		wantType, wantMsg   string // wantMsg: a prefix
		wantTrace           string // in stackTrace[0], if not empty
	}{
		{"missing module", "nothere.handler", "", "Runtime.ImportModuleError",
			"Unable to import module 'nothere': No module named 'nothere'", ""},
		{"failing import", "app.handler", "import portico_no_such_module\ndef handler(e, c): pass\n",
			"Runtime.ImportModuleError", "Unable to import module 'app': No module named 'portico_no_such_module'", ""},
		{"missing handler", "app.nope", "def handler(e, c): pass\n", "Runtime.HandlerNotFound",
			"Handler 'nope' missing on module 'app'", ""},
		{"syntax error", "app.handler", "x = 1\ndef handler(e, c) pass\n", "Runtime.UserCodeSyntaxError",
			"Syntax error in module 'app': ", `app.py" Line 2`},
		{"raise at import", "app.handler", "raise RuntimeError('no config')\n", "RuntimeError",
			"no config", ""},
		{"malformed handler", "app", "", "Runtime.MalformedHandlerName", "Bad handler 'app': ", ""},
		{"built-in module", "sys.exit", "", "Runtime.BuiltInModuleConflict",
			"Cannot use built-in module sys as a handler module", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := pythonFunction(t, tc.handler, map[string]string{"app.py": tc.code}, Config{})
			_, err := invoke(t, f, `{}`, 30*time.Second)
			typ, doc := pyError(t, err)
			if typ != tc.wantType || !strings.HasPrefix(doc.ErrorMessage, tc.wantMsg) {
				t.Errorf("got %s %q, want %s %q", typ, doc.ErrorMessage, tc.wantType, tc.wantMsg)
			}
			if tc.wantTrace != "" && (len(doc.StackTrace) == 0 || !strings.Contains(doc.StackTrace[0], tc.wantTrace)) {
				t.Errorf("stackTrace %q, want %q in it", doc.StackTrace, tc.wantTrace)
			}
			for _, line := range doc.StackTrace {
				if strings.Contains(line, "/bootstrap.py") {
					t.Errorf("stackTrace %q shows the runtime client's own frames", doc.StackTrace)
				}
			}
		})
	}
}

// Bad results and bad events get awslambdaric's Runtime errors, and the
// instance serves on.
func TestPythonMarshalErrors(t *testing.T) {
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `
def handler(event, context):
    return {"ids": {1, 2}} if event == {"set": True} else "fine"
`}, Config{})
	_, err := invoke(t, f, `{"set":true}`, 30*time.Second)
	typ, doc := pyError(t, err)
	if typ != "Runtime.MarshalError" || doc.ErrorMessage != "Unable to marshal response: Object of type set is not JSON serializable" ||
		*doc.RequestID != "req-"+t.Name() || len(doc.StackTrace) != 0 {
		t.Errorf("non-serialisable result: got %s %+v", typ, doc)
	}
	_, err = invoke(t, f, `{"unclosed":`, 30*time.Second)
	typ, doc = pyError(t, err)
	if typ != "Runtime.UnmarshalError" || !strings.HasPrefix(doc.ErrorMessage, "Unable to unmarshal input: Expecting value") {
		t.Errorf("event that is not JSON: got %s %+v", typ, doc)
	}
	if out := mustInvoke(t, f, `{}`); out != `"fine"` {
		t.Errorf("next call: got %s, want \"fine\"", out)
	}
	if n := f.seq.Load(); n != 1 {
		t.Errorf("%d instances, want 1", n)
	}
}

// Every handler form Lambda accepts finds its module, and a package's own
// modules and vendored packages import: from the task root, and from a
// folder named in PYTHONPATH.
func TestPythonHandlerFormsAndImports(t *testing.T) {
	files := map[string]string{
		"app.py":                       "def handler(e, c): return 'app'\n",
		"src/app.py":                   "import helper, greet\ndef lambda_handler(e, c): return helper.name() + '+' + greet.hello()\n",
		"helper.py":                    "def name(): return 'helper'\n",
		"pkg/__init__.py":              "",
		"pkg/mod.py":                   "from . import sibling\ndef fn(e, c): return sibling.NAME\n",
		"pkg/sibling.py":               "NAME = 'pkg.mod'\n",
		"vendor/greet/__init__.py":     "from greet.words import HELLO\ndef hello(): return HELLO\n",
		"vendor/greet/words.py":        "HELLO = 'vendored'\n",
		"deep/er/handlers/__init__.py": "",
		"deep/er/handlers/api.py":      "def go(e, c): return 'deep'\n",
	}
	cases := []struct{ handler, want string }{
		{"app.handler", `"app"`},
		{"src/app.lambda_handler", `"helper+vendored"`},
		{"pkg.mod.fn", `"pkg.mod"`},
		{"deep/er/handlers/api.go", `"deep"`},
	}
	for _, tc := range cases {
		t.Run(tc.handler, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range files {
				writeTestFile(t, filepath.Join(dir, name), content, 0o644)
			}
			f := pythonFunctionIn(t, dir, tc.handler, Config{Env: map[string]string{"PYTHONPATH": filepath.Join(dir, "vendor")}})
			if out := mustInvoke(t, f, `{}`); out != tc.want {
				t.Errorf("got %s, want %s", out, tc.want)
			}
		})
	}
}

// examples/python-hello answers as examples/hello does.
func TestPythonHelloExample(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("..", "..", "examples", "python-hello"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	code, err := os.ReadFile(filepath.Join(src, "app.py"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.py"), code, 0o644); err != nil {
		t.Fatal(err)
	}
	f := pythonFunctionIn(t, dir, "app.lambda_handler", Config{Env: map[string]string{"GREETING": "Hi"}})
	for event, want := range map[string]string{
		`{"version":"2.0","queryStringParameters":{"name":"Ann"}}`: "Hi, Ann!\n",
		`{"version":"2.0"}`: "Hi, world!\n",
	} {
		out := mustInvoke(t, f, event)
		var resp struct {
			StatusCode int               `json:"statusCode"`
			Headers    map[string]string `json:"headers"`
			Body       string            `json:"body"`
		}
		if err := json.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("result %s: %v", out, err)
		}
		if resp.StatusCode != 200 || resp.Body != want || !strings.HasPrefix(resp.Headers["Content-Type"], "text/plain") {
			t.Errorf("event %s: got %+v, want 200 %q", event, resp, want)
		}
	}
}

// A handler that runs longer than the Runtime API keeps an idle connection
// open still gets its result delivered: the client connects again.
func TestPythonResultAfterIdleConnectionClosed(t *testing.T) {
	idle := runtimeAPIIdleTimeout
	runtimeAPIIdleTimeout = 100 * time.Millisecond
	t.Cleanup(func() { runtimeAPIIdleTimeout = idle })
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `
import time

def handler(event, context):
    time.sleep(0.5)  # the function's own work, past the idle timeout
    return event
`}, Config{})
	for _, event := range []string{`"one"`, `"two"`} {
		if out := mustInvoke(t, f, event); out != event {
			t.Errorf("got %s, want %s", out, event)
		}
	}
	if n := f.seq.Load(); n != 1 {
		t.Errorf("%d instances, want 1", n)
	}
}

// An exception class named outside Latin-1 still makes a well-formed error
// (its name goes in a header).
func TestPythonUnicodeErrorType(t *testing.T) {
	f := pythonFunction(t, "app.handler", map[string]string{"app.py": `
class Ошибка(Exception):
    pass

def handler(event, context):
    raise Ошибка("плохо")
`}, Config{})
	_, err := invoke(t, f, `{}`, 30*time.Second)
	typ, doc := pyError(t, err)
	if typ != "Ошибка" || doc.ErrorMessage != "плохо" {
		t.Errorf("got %s %q, want Ошибка плохо", typ, doc.ErrorMessage)
	}
}
