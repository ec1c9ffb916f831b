package process

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/portico/portico/internal/testkit"
)

// needNode skips a test when there is no node on PATH (`make deps`
// installs it).
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node on PATH: make deps installs it")
	}
}

// nodeFunction starts a nodejs20.x function whose code is the files given
// (name → content) under a fresh folder, with handler, and returns it with
// the log it writes.
func nodeFunction(t *testing.T, handler string, files map[string]string, tweak ...func(*Config)) (*Function, *observer.ObservedLogs) {
	t.Helper()
	needNode(t)
	dir := t.TempDir()
	for name, content := range files {
		writeTestFile(t, filepath.Join(dir, "code", name), content, 0o644)
	}
	cfg := Config{Runtime: "nodejs20.x", Code: filepath.Join(dir, "code"), Handler: handler, Timeout: 5 * time.Second}
	for _, fn := range tweak {
		fn(&cfg)
	}
	core, logs := observer.New(zap.DebugLevel)
	return newFunction(t, cfg, WithLogger(zap.New(core)), WithCacheDir(filepath.Join(dir, "cache"))), logs
}

// errorDoc is the error document of AWS's Node.js client.
type errorDoc struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

// invokeError invokes f and returns the function error's document.
func invokeError(t *testing.T, f *Function, event string) errorDoc {
	t.Helper()
	out, err := invoke(t, f, event, 30*time.Second)
	if err == nil {
		t.Fatalf("got result %s, want a function error", out)
	}
	fe := asFunctionError(t, err)
	var doc errorDoc
	if err := json.Unmarshal(fe.Payload, &doc); err != nil {
		t.Fatalf("error payload %s: %v", fe.Payload, err)
	}
	if doc.ErrorType != fe.Type {
		t.Errorf("got type %q in the payload and %q in the error", doc.ErrorType, fe.Type)
	}
	return doc
}

// outputLines are the lines the function wrote, in order.
func outputLines(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.FilterMessage("output").All() {
		out = append(out, e.ContextMap()["line"].(string))
	}
	return out
}

// waitLine waits for a line of output matching re and returns it.
func waitLine(t *testing.T, logs *observer.ObservedLogs, re *regexp.Regexp) string {
	t.Helper()
	var found string
	testkit.Eventually(t, 10*time.Second, "output matching "+re.String(), func() bool {
		for _, l := range outputLines(logs) {
			if re.MatchString(l) {
				found = l
				return true
			}
		}
		return false
	})
	return found
}

const contextHandler = `
export const handler = async (event, context) => ({
  event,
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  waits: context.callbackWaitsForEmptyEventLoop,
  env: Object.fromEntries(['NODE_PATH', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', '_HANDLER', 'AWS_EXECUTION_ENV', '_X_AMZN_TRACE_ID'].map((k) => [k, process.env[k]])),
  cwd: process.cwd(),
});
`

func TestNodeContextAndEnvironment(t *testing.T) {
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.mjs": contextHandler})
	var got struct {
		Event              map[string]any    `json:"event"`
		AWSRequestID       string            `json:"awsRequestId"`
		FunctionName       string            `json:"functionName"`
		FunctionVersion    string            `json:"functionVersion"`
		InvokedFunctionARN string            `json:"invokedFunctionArn"`
		MemoryLimitInMB    any               `json:"memoryLimitInMB"`
		LogGroupName       string            `json:"logGroupName"`
		LogStreamName      string            `json:"logStreamName"`
		Remaining          float64           `json:"remaining"`
		Waits              bool              `json:"waits"`
		Env                map[string]string `json:"env"`
		Cwd                string            `json:"cwd"`
	}
	if err := json.Unmarshal([]byte(mustInvoke(t, f, `{"name":"node"}`)), &got); err != nil {
		t.Fatal(err)
	}
	taskRoot := f.artifact.TaskRoot
	checks := []struct{ what, got, want string }{
		{"event.name", got.Event["name"].(string), "node"},
		{"awsRequestId", got.AWSRequestID, "req-" + t.Name()},
		{"functionName", got.FunctionName, "fn"},
		{"functionVersion", got.FunctionVersion, "$LATEST"},
		{"invokedFunctionArn", got.InvokedFunctionARN, f.arn},
		{"logGroupName", got.LogGroupName, "/aws/lambda/fn"},
		{"cwd", got.Cwd, taskRoot},
		{"LAMBDA_TASK_ROOT", got.Env["LAMBDA_TASK_ROOT"], taskRoot},
		{"_HANDLER", got.Env["_HANDLER"], "index.handler"},
		{"AWS_EXECUTION_ENV", got.Env["AWS_EXECUTION_ENV"], "AWS_Lambda_nodejs20.x"},
		{"LAMBDA_RUNTIME_DIR", got.Env["LAMBDA_RUNTIME_DIR"], f.artifact.RuntimeDir},
		{"NODE_PATH", got.Env["NODE_PATH"], "/opt/nodejs/node20/node_modules:/opt/nodejs/node_modules:" +
			f.artifact.RuntimeDir + "/node_modules:" + f.artifact.RuntimeDir + ":" + taskRoot},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if got.MemoryLimitInMB != "128" { // a string, as on Lambda
		t.Errorf("memoryLimitInMB: got %#v, want the string \"128\"", got.MemoryLimitInMB)
	}
	if !strings.HasPrefix(got.LogStreamName, time.Now().UTC().Format("2006/01/02")+"/[$LATEST]") {
		t.Errorf("logStreamName: got %q", got.LogStreamName)
	}
	if got.Remaining <= 0 || got.Remaining > 5000 {
		t.Errorf("getRemainingTimeInMillis: got %v, want within the 5s timeout", got.Remaining)
	}
	if !got.Waits {
		t.Error("callbackWaitsForEmptyEventLoop: got false, want true by default")
	}
	if !strings.HasPrefix(got.Env["_X_AMZN_TRACE_ID"], "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID: got %q, want the invocation's trace header", got.Env["_X_AMZN_TRACE_ID"])
	}
}

// TestNodeHandlerForms runs each way of writing and finding a handler.
func TestNodeHandlerForms(t *testing.T) {
	cases := []struct {
		name    string
		handler string
		files   map[string]string
	}{
		{"esm mjs async", "index.handler", map[string]string{
			"index.mjs": `export const handler = async (e) => ({ got: e.n + 1 });`}},
		{"cjs js async", "index.handler", map[string]string{
			"index.js": `exports.handler = async (e) => ({ got: e.n + 1 });`}},
		{"cjs js callback", "index.handler", map[string]string{
			"index.js": `exports.handler = (e, ctx, cb) => { setTimeout(() => cb(null, { got: e.n + 1 }), 5); };`}},
		{"cjs module.exports", "index.handler", map[string]string{
			"index.js": `module.exports = { handler: (e, ctx, cb) => cb(null, { got: e.n + 1 }) };`}},
		{"cjs file", "lib.handler", map[string]string{
			"lib.cjs": `exports.handler = async (e) => ({ got: e.n + 1 });`}},
		{"esm js in a module package", "index.handler", map[string]string{
			"package.json": `{"type": "module"}`,
			"index.js":     `export async function handler(e) { return { got: e.n + 1 }; }`}},
		{"nested folder", "src/app.handler", map[string]string{
			"src/app.mjs":  `import { add } from './util.mjs'; export const handler = async (e) => ({ got: add(e.n, 1) });`,
			"src/util.mjs": `export const add = (a, b) => a + b;`}},
		{"nested export", "index.api.v1", map[string]string{
			"index.js": `exports.api = { v1: async (e) => ({ got: e.n + 1 }) };`}},
		{"context.succeed", "index.handler", map[string]string{
			"index.js": `exports.handler = (e, ctx) => { ctx.succeed({ got: e.n + 1 }); };`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := nodeFunction(t, tc.handler, tc.files)
			for i := range 2 { // the second on the warm instance
				if got := mustInvoke(t, f, `{"n":41}`); got != `{"got":42}` {
					t.Fatalf("invocation %d: got %s, want {\"got\":42}", i, got)
				}
			}
			if running, _ := f.Stats(); running != 1 {
				t.Errorf("got %d instances, want 1 reused", running)
			}
		})
	}
}

func TestNodeConsoleFormat(t *testing.T) {
	f, logs := nodeFunction(t, "index.handler", map[string]string{"index.js": `
console.log('init line');
exports.handler = async () => {
  console.log('hello from node', 42);
  console.info('an %s', 'info');
  console.warn('a warning');
  console.error('an error');
  console.debug('debugging');
  console.log('two\nlines');
  return 'ok';
};`})
	mustInvoke(t, f, `{}`)
	id := regexp.QuoteMeta("req-" + t.Name())
	ts := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`
	for _, want := range []string{
		`^` + ts + `\tundefined\tINFO\tinit line$`,
		`^` + ts + `\t` + id + `\tINFO\thello from node 42$`,
		`^` + ts + `\t` + id + `\tINFO\tan info$`,
		`^` + ts + `\t` + id + `\tWARN\ta warning$`,
		`^` + ts + `\t` + id + `\tERROR\tan error$`,
		`^` + ts + `\t` + id + `\tDEBUG\tdebugging$`,
		`^` + ts + `\t` + id + `\tINFO\ttwo\rlines$`,
	} {
		waitLine(t, logs, regexp.MustCompile(want))
	}
}

func TestNodeInvokeErrors(t *testing.T) {
	cases := []struct {
		name      string
		code      string
		wantType  string
		wantMsg   string
		wantTrace string // the first line of trace; "" for none
		logged    string // the Invoke Error line's JSON, as a pattern
	}{
		{"throw Error", `exports.handler = async () => { throw new TypeError('boom'); };`,
			"TypeError", "boom", "TypeError: boom", `\{"errorType":"TypeError","errorMessage":"boom","stack":\["TypeError: boom",`},
		{"callback error", `exports.handler = (e, c, cb) => cb(new Error('bad input'));`,
			"Error", "bad input", "Error: bad input", `\{"errorType":"Error","errorMessage":"bad input","stack":\[`},
		{"custom error name", `class OrderError extends Error { constructor(m) { super(m); this.name = 'OrderError'; } }
exports.handler = async () => { throw new OrderError('no stock'); };`,
			"OrderError", "no stock", "OrderError: no stock", `\{"errorType":"OrderError","errorMessage":"no stock",`},
		{"throw string", `exports.handler = async () => { throw 'boom'; };`,
			"string", "boom", "", `"boom"$`},
		{"callback string", `exports.handler = (e, c, cb) => cb('boom');`,
			"string", "boom", "", `"boom"$`},
		{"throw object", `exports.handler = async () => { throw { code: 7 }; };`,
			"object", "[object Object]", "", `\{"code":7\}$`},
		{"sync throw", `exports.handler = () => { null.x; };`,
			"TypeError", "Cannot read properties of null (reading 'x')", "TypeError: Cannot read properties of null (reading 'x')", `"errorType":"TypeError"`},
		{"not serialisable", `exports.handler = async () => { const o = {}; o.self = o; return o; };`,
			"Error", "Unable to stringify response body", "Error: Unable to stringify response body", `"errorMessage":"Unable to stringify response body"`},
		{"bigint", `exports.handler = async () => ({ n: 1n });`,
			"Error", "Unable to stringify response body", "Error: Unable to stringify response body", `"errorMessage":"Unable to stringify response body"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, logs := nodeFunction(t, "index.handler", map[string]string{"index.js": tc.code})
			doc := invokeError(t, f, `{}`)
			if doc.ErrorType != tc.wantType || doc.ErrorMessage != tc.wantMsg {
				t.Errorf("got %s: %q, want %s: %q", doc.ErrorType, doc.ErrorMessage, tc.wantType, tc.wantMsg)
			}
			switch {
			case doc.Trace == nil:
				t.Errorf("got no trace key, want one (an array)")
			case tc.wantTrace == "" && len(doc.Trace) != 0:
				t.Errorf("got trace %q, want []", doc.Trace)
			case tc.wantTrace != "" && (len(doc.Trace) < 2 || doc.Trace[0] != tc.wantTrace):
				t.Errorf("got trace %q, want it to start with %q and a frame", doc.Trace, tc.wantTrace)
			}
			id := regexp.QuoteMeta("req-" + strings.ReplaceAll(t.Name(), "/", "-"))
			waitLine(t, logs, regexp.MustCompile(`\t`+id+`\tERROR\tInvoke Error \t.*`+tc.logged))
			// A handled error keeps the instance: the next invocation is warm.
			invokeError(t, f, `{}`)
			if running, _ := f.Stats(); running != 1 {
				t.Errorf("got %d instances, want the one reused", running)
			}
		})
	}
}

func TestNodeInitErrors(t *testing.T) {
	cases := []struct {
		name     string
		handler  string
		files    map[string]string
		wantType string
		wantMsg  string // a prefix
	}{
		{"no file", "index.handler", map[string]string{"other.js": ``},
			"Runtime.ImportModuleError", "Error: Cannot find module 'index'"},
		{"no export", "index.nope", map[string]string{"index.js": `exports.handler = async () => 1;`},
			"Runtime.HandlerNotFound", "index.nope is undefined or not exported"},
		{"not a function", "index.handler", map[string]string{"index.mjs": `export const handler = 42;`},
			"Runtime.HandlerNotFound", "index.handler is not a function"},
		{"syntax error cjs", "index.handler", map[string]string{"index.js": "exports.handler = async () => {\n  return 1;\n}}\n"},
			"Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected token '}'"},
		{"syntax error esm", "index.handler", map[string]string{"index.mjs": "export const handler = async () => {;\n"},
			"Runtime.UserCodeSyntaxError", "SyntaxError: "},
		{"import fails cjs", "index.handler", map[string]string{"index.js": `const x = require('not-installed'); exports.handler = async () => x;`},
			"Runtime.ImportModuleError", "Error: Cannot find module 'not-installed'"},
		{"import fails esm", "index.handler", map[string]string{"index.mjs": `import x from 'not-installed'; export const handler = async () => x;`},
			"Runtime.ImportModuleError", "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'not-installed'"},
		{"init throws", "index.handler", map[string]string{"index.js": `throw new RangeError('no config'); exports.handler = async () => 1;`},
			"RangeError", "no config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, logs := nodeFunction(t, tc.handler, tc.files)
			doc := invokeError(t, f, `{}`)
			if doc.ErrorType != tc.wantType || !strings.HasPrefix(doc.ErrorMessage, tc.wantMsg) {
				t.Errorf("got %s: %q, want %s: %q…", doc.ErrorType, doc.ErrorMessage, tc.wantType, tc.wantMsg)
			}
			if len(doc.Trace) == 0 || !strings.HasPrefix(doc.Trace[0], tc.wantType+": ") {
				t.Errorf("got trace %q, want it to start with %q", doc.Trace, tc.wantType+": ")
			}
			waitLine(t, logs, regexp.MustCompile(`\tundefined\tERROR\tUncaught Exception \t\{"errorType":"`+regexp.QuoteMeta(tc.wantType)+`"`))
			// Portico logs the failed init with the function's name, and no
			// process is left behind.
			testkit.Eventually(t, 10*time.Second, "the init failure logged", func() bool {
				return logs.FilterMessage("init failed").Len() > 0
			})
			testkit.Eventually(t, 10*time.Second, "the instance gone", func() bool {
				running, _ := f.Stats()
				return running == 0
			})
		})
	}
}

func TestNodeTimeout(t *testing.T) {
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.js": `
setInterval(() => {}, 1000); // the loop never empties
exports.handler = () => new Promise(() => {}); // and this never settles
`}, func(c *Config) { c.Timeout = time.Second })
	invokeAndCheck := func() {
		doc := invokeError(t, f, `{}`)
		if doc.ErrorType != "Sandbox.Timedout" || !strings.Contains(doc.ErrorMessage, "Task timed out after 1.00 seconds") {
			t.Errorf("got %s: %q, want Sandbox.Timedout", doc.ErrorType, doc.ErrorMessage)
		}
	}
	invokeAndCheck()
	procs := pids(f)
	testkit.Eventually(t, 10*time.Second, "the timed-out node process killed", func() bool {
		for _, pid := range procs {
			if alive(pid) {
				return false
			}
		}
		running, _ := f.Stats()
		return running == 0
	})
	invokeAndCheck() // a fresh instance, which times out as well
}

// TestNodeUncaught: an exception thrown outside the handler's promise
// fails the invocation and ends the process, as on Lambda; the next
// invocation gets a fresh one.
func TestNodeUncaught(t *testing.T) {
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.js": `
let calls = 0;
exports.handler = async (e) => {
  calls++;
  if (e.crash) { setTimeout(() => { throw new Error('later'); }, 1); return new Promise(() => {}); }
  return calls;
};`})
	doc := invokeError(t, f, `{"crash":true}`)
	if doc.ErrorType != "Error" || doc.ErrorMessage != "later" {
		t.Errorf("got %s: %q, want Error: later", doc.ErrorType, doc.ErrorMessage)
	}
	if got := mustInvoke(t, f, `{}`); got != "1" {
		t.Errorf("got %s, want 1 from a fresh process", got)
	}
}

// TestNodeWaitForEmptyEventLoop: with callbackWaitsForEmptyEventLoop false,
// a timer left running does not hold the next invocation back.
func TestNodeWaitForEmptyEventLoop(t *testing.T) {
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.js": `
let n = 0;
exports.handler = (e, ctx, cb) => {
  ctx.callbackWaitsForEmptyEventLoop = false;
  if (n === 0) setInterval(() => {}, 1000);
  cb(null, ++n);
};`})
	for i, want := range []string{"1", "2"} {
		if got := mustInvoke(t, f, `{}`); got != want {
			t.Fatalf("invocation %d: got %s, want %s", i, got, want)
		}
	}
}

// TestNodeNeverAnswers: a handler that leaves nothing to wait for without
// answering answers null, as on Lambda.
func TestNodeNeverAnswers(t *testing.T) {
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.js": `
exports.handler = (e, ctx, cb) => {}; // never calls back
`})
	for i := range 2 {
		if got := mustInvoke(t, f, `{}`); got != "null" {
			t.Fatalf("invocation %d: got %s, want null", i, got)
		}
	}
}

// TestNodeWaitsForTimers: by default the next event is taken only once
// the timers the last invocation left have run, so their work is done.
func TestNodeWaitsForTimers(t *testing.T) {
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.js": `
let flushed = 0;
exports.handler = (e, ctx, cb) => {
  setTimeout(() => { flushed++; }, 50);
  cb(null, flushed);
};`})
	for i, want := range []string{"0", "1", "2"} {
		if got := mustInvoke(t, f, `{}`); got != want {
			t.Fatalf("invocation %d: got %s, want %s", i, got, want)
		}
	}
}

func TestNodeZipWithNodeModules(t *testing.T) {
	needNode(t)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "fn.zip")
	writeZip(t, zipPath,
		zipEntry{name: "index.js", body: `const greet = require('greet'); exports.handler = async (e) => greet(e.name);`},
		zipEntry{name: "node_modules/greet/package.json", body: `{"name":"greet","main":"main.js"}`},
		zipEntry{name: "node_modules/greet/main.js", body: "module.exports = (n) => `Hello, ${n}!`;"},
	)
	f := newFunction(t, Config{Runtime: "nodejs20.x", Code: zipPath, Handler: "index.handler"}, WithCacheDir(filepath.Join(dir, "cache")))
	if got := mustInvoke(t, f, `{"name":"zip"}`); got != `"Hello, zip!"` {
		t.Errorf("got %s, want \"Hello, zip!\"", got)
	}
	if !strings.HasPrefix(f.artifact.TaskRoot, filepath.Join(dir, "cache", "zip")) {
		t.Errorf("task root %s, want the unpacked zip in the cache", f.artifact.TaskRoot)
	}
}

// TestNodeResultAfterIdleConnectionClosed: a handler that runs past the
// Runtime API's idle timeout finds its kept-alive connection closed; the
// client sends its result on a new one, and the instance lives on.
func TestNodeResultAfterIdleConnectionClosed(t *testing.T) {
	idle := runtimeAPIIdleTimeout
	runtimeAPIIdleTimeout = 100 * time.Millisecond
	t.Cleanup(func() { runtimeAPIIdleTimeout = idle })
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.mjs": `
export const handler = async (event) => {
  await new Promise((resolve) => setTimeout(resolve, 500)); // past the idle timeout
  return event;
};`})
	for _, event := range []string{`"one"`, `"two"`} {
		if out := mustInvoke(t, f, event); out != event {
			t.Errorf("got %s, want %s", out, event)
		}
	}
	if n := f.seq.Load(); n != 1 {
		t.Errorf("%d instances, want 1", n)
	}
}

// TestNodeLargeEvent: an event of megabytes arrives in many reads and is
// handed to the handler whole.
func TestNodeLargeEvent(t *testing.T) {
	f, _ := nodeFunction(t, "index.handler", map[string]string{"index.mjs": `export const handler = async (event) => event.length;`})
	event := `"` + strings.Repeat("é", 2<<20) + `"` // 4 MiB of UTF-8
	if out := mustInvoke(t, f, event); out != "2097152" {
		t.Errorf("the handler saw a string of %s characters, want 2097152", out)
	}
}
