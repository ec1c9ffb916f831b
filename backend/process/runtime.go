package process

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The runtime clients Portico runs user code with, one per language: each
// speaks the Runtime API as Lambda's own client for that language does.
var (
	//go:embed runtime/node/bootstrap.mjs
	nodeClient []byte
	//go:embed runtime/python/bootstrap.py
	pythonClient []byte
)

// runtimeKind is how a runtime turns code into a running process.
type runtimeKind uint8

const (
	kindCustom   runtimeKind = iota // provided*: the code holds an executable bootstrap
	kindGo                          // go: the code is a Go main package, built locally
	kindLanguage                    // nodejs*, python3.*: an interpreter runs Portico's client
)

// language is one interpreted language: how its interpreter is found and
// checked, which client it runs, and the variables Lambda sets for it.
type language struct {
	// family is the runtime names' prefix, e.g. "nodejs".
	family string
	// interpreter is the command looked up on PATH when the config names none.
	interpreter string
	// minimum is the oldest interpreter version the client runs on.
	minimum version
	// parseVersion reads the output of `interpreter --version`.
	parseVersion func(out string) (version, bool)
	// executableArgs, when set, make the interpreter print the path of the
	// executable it really is: a version manager's shim (pyenv's is a
	// shell script) found on PATH would otherwise cost every cold start
	// its own start-up.
	executableArgs []string
	// client is the embedded runtime client, written to clientFile.
	client     []byte
	clientFile string
	// env adds the variables Lambda sets for runtime rt: those naming
	// Lambda's /var/task and /var/runtime use taskRoot and runtimeDir.
	env func(rt runtimeSpec, taskRoot, runtimeDir string, env map[string]string)
	// handlerForm checks a handler setting, returning what a valid one looks like.
	handlerForm *regexp.Regexp
	handlerHint string
}

// version is an interpreter's or a runtime name's major.minor.
type version struct{ major, minor int }

func (v version) String() string { return strconv.Itoa(v.major) + "." + strconv.Itoa(v.minor) }

func (v version) less(w version) bool {
	return v.major < w.major || v.major == w.major && v.minor < w.minor
}

var nodejs = &language{
	family:      "nodejs",
	interpreter: "node",
	minimum:     version{18, 0},
	parseVersion: func(out string) (version, bool) {
		return parseDotted(strings.TrimPrefix(strings.TrimSpace(out), "v"))
	},
	client:     nodeClient,
	clientFile: "bootstrap.mjs",
	env: func(rt runtimeSpec, taskRoot, runtimeDir string, env map[string]string) {
		// Lambda's value, with /var/runtime and /var/task replaced by
		// their local folders; /opt is where layers would be.
		env["NODE_PATH"] = strings.Join([]string{
			"/opt/nodejs/node" + strconv.Itoa(rt.version.major) + "/node_modules",
			"/opt/nodejs/node_modules",
			filepath.Join(runtimeDir, "node_modules"),
			runtimeDir,
			taskRoot,
		}, ":")
	},
	// file.export, the file possibly in folders: src/app.handler.
	handlerForm: regexp.MustCompile(`^([^/.][^/]*/)*[^/.][^/]*\.[^/]+$`),
	handlerHint: "FILE.EXPORT, e.g. index.handler or src/app.handler",
}

var python = &language{
	family:      "python",
	interpreter: "python3",
	minimum:     version{3, 9},
	parseVersion: func(out string) (version, bool) {
		return parseDotted(strings.TrimPrefix(strings.TrimSpace(out), "Python "))
	},
	executableArgs: []string{"-c", "import sys; print(sys.executable)"},
	client:         pythonClient,
	clientFile:     "bootstrap.py",
	env: func(rt runtimeSpec, taskRoot, runtimeDir string, env map[string]string) {
		// Lambda's sys.path order: the code, the layers, the runtime.
		env["PYTHONPATH"] = strings.Join([]string{
			taskRoot,
			"/opt/python/lib/python" + rt.version.String() + "/site-packages",
			"/opt/python",
			runtimeDir,
		}, ":")
	},
	// module.function, the module possibly in packages: src/app.lambda_handler.
	handlerForm: regexp.MustCompile(`^([^/.][^/]*/)*[^/]+\.[^/.]+$`),
	handlerHint: "MODULE.FUNCTION, e.g. app.lambda_handler or src/app.lambda_handler",
}

// runtimeSpec is a runtime name as Lambda spells it, parsed.
type runtimeSpec struct {
	name    string
	kind    runtimeKind
	lang    *language // kindLanguage only
	version version   // the version the name asks for (kindLanguage only)
}

// knownRuntimes are the names runtime: takes, in the order messages list
// them: Lambda's current ones (and the recently deprecated, so that older
// templates still run on a local interpreter).
var knownRuntimes = []string{
	"go", "provided.al2023", "provided.al2", "provided",
	"nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x",
	"python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
}

// parseRuntime parses one of knownRuntimes.
func parseRuntime(name string) (runtimeSpec, bool) {
	if !slices.Contains(knownRuntimes, name) {
		return runtimeSpec{}, false
	}
	switch {
	case name == "go":
		return runtimeSpec{name: name, kind: kindGo}, true
	case strings.HasPrefix(name, "provided"):
		return runtimeSpec{name: name, kind: kindCustom}, true
	case strings.HasPrefix(name, "nodejs"):
		major, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "nodejs"), ".x"))
		return runtimeSpec{name: name, kind: kindLanguage, lang: nodejs, version: version{major, 0}}, true
	default:
		v, _ := parseDotted(strings.TrimPrefix(name, "python"))
		return runtimeSpec{name: name, kind: kindLanguage, lang: python, version: v}, true
	}
}

// parseDotted reads the major.minor at the start of s ("20.20.2", "3.11.7").
func parseDotted(s string) (version, bool) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) < 2 {
		return version{}, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return version{major, minor}, err1 == nil && err2 == nil
}

// matches reports whether an interpreter of version v is the one the
// runtime name asks for: the same major for Node.js (nodejs20.x), the same
// major.minor for Python (python3.12).
func (rt runtimeSpec) matches(v version) bool {
	if rt.lang == nodejs {
		return v.major == rt.version.major
	}
	return v == rt.version
}

// versionTimeout bounds `interpreter --version`.
const versionTimeout = 10 * time.Second

// interpreterFound is what interpreter found for one runtime and
// configured interpreter: a template's dozens of functions share one
// python3, whose version and executable are asked once per process.
type interpreterFound struct {
	path, warning string
}

var interpreters sync.Map // runtime name, configured interpreter and PATH → interpreterFound

// interpreter finds the interpreter of rt (configured, else on PATH) and
// checks its version: older than the client runs on is an error; another
// version than rt names is returned as a warning, since it runs. A success
// is remembered for the process; a failure is asked again next time.
func (rt runtimeSpec) interpreter(ctx context.Context, configured string) (path, warning string, err error) {
	key := rt.name + "\x00" + configured + "\x00" + os.Getenv("PATH")
	if f, ok := interpreters.Load(key); ok {
		found := f.(interpreterFound)
		return found.path, found.warning, nil
	}
	path, warning, err = rt.findInterpreter(ctx, configured)
	if err == nil {
		interpreters.Store(key, interpreterFound{path, warning})
	}
	return path, warning, err
}

// findInterpreter is interpreter, without the memory.
func (rt runtimeSpec) findInterpreter(ctx context.Context, configured string) (path, warning string, err error) {
	name := configured
	if name == "" {
		name = rt.lang.interpreter
	}
	path, err = exec.LookPath(name)
	if err != nil {
		if configured == "" {
			return "", "", fmt.Errorf("runtime %s: no %s on PATH: install it, or name one with interpreter:", rt.name, name)
		}
		return "", "", fmt.Errorf("runtime %s: interpreter %s: %w", rt.name, name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("runtime %s: %s --version: %w", rt.name, path, err)
	}
	v, ok := rt.lang.parseVersion(string(out))
	switch {
	case !ok:
		return "", "", fmt.Errorf("runtime %s: %s --version printed %q, not a version", rt.name, path, strings.TrimSpace(string(out)))
	case v.less(rt.lang.minimum):
		return "", "", fmt.Errorf("runtime %s: %s is version %s, too old: Portico's client needs %s or later", rt.name, path, v, rt.lang.minimum)
	case !rt.matches(v):
		warning = fmt.Sprintf("runtime %s runs on %s, version %s", rt.name, path, v)
	}
	return rt.lang.executable(ctx, path), warning, nil
}

// executable returns the executable the interpreter at path really is, or
// path when it cannot tell.
func (l *language) executable(ctx context.Context, path string) string {
	if l.executableArgs == nil {
		return path
	}
	out, err := exec.CommandContext(ctx, path, l.executableArgs...).Output()
	exe := strings.TrimSpace(string(out))
	if err != nil || !filepath.IsAbs(exe) {
		return path
	}
	if info, err := os.Stat(exe); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return path
	}
	return exe
}

// extractClient writes the language's client once into
// cacheDir/runtime/<sha256 of it>, as zips are unpacked, and returns that
// folder (LAMBDA_RUNTIME_DIR) and the client's path.
func (l *language) extractClient(ctx context.Context, cacheDir string) (dir, file string, err error) {
	sum := sha256.Sum256(l.client)
	key := hex.EncodeToString(sum[:])
	parent := filepath.Join(cacheDir, "runtime")
	dir = filepath.Join(parent, key)
	file = filepath.Join(dir, l.clientFile)
	err = fillCacheEntry(ctx, "runtime client "+l.family, parent, key,
		func(string) (bool, error) {
			_, err := os.Stat(file)
			return err == nil, nil
		},
		func(tmp string) error {
			if err := os.WriteFile(filepath.Join(tmp, l.clientFile), l.client, 0o644); err != nil {
				return fmt.Errorf("process: %w", err)
			}
			return nil
		})
	return dir, file, err
}

// prepareLanguage readies code (a folder or a .zip) to run with rt's
// interpreter and client; warn receives a version mismatch.
func prepareLanguage(ctx context.Context, rt runtimeSpec, code, interpreter string, opts PrepareOptions, warn func(string)) (Artifact, error) {
	cacheDir, err := opts.cacheDir()
	if err != nil {
		return Artifact{}, err
	}
	taskRoot, err := codeFolder(ctx, filepath.Clean(code), cacheDir)
	if err != nil {
		return Artifact{}, err
	}
	path, warning, err := rt.interpreter(ctx, interpreter)
	if err != nil {
		return Artifact{}, err
	}
	if warning != "" {
		warn(warning)
	}
	runtimeDir, client, err := rt.lang.extractClient(ctx, cacheDir)
	if err != nil {
		return Artifact{}, err
	}
	return Artifact{Bootstrap: path, Client: client, TaskRoot: taskRoot, RuntimeDir: runtimeDir}, nil
}

// codeFolder is the folder a package is, or is unpacked into.
func codeFolder(ctx context.Context, code, cacheDir string) (string, error) {
	fi, err := os.Stat(code)
	switch {
	case err != nil:
		return "", fmt.Errorf("process: code: %w", err)
	case fi.IsDir():
		return code, nil
	case fi.Mode().IsRegular() && isZip(code, fi.Mode()):
		return unpackZip(ctx, code, cacheDir, defaultUnzipLimits, func(string) error { return nil })
	}
	return "", fmt.Errorf("process: code %s is neither a folder nor a .zip", code)
}

// Interpreter is the executable a function of runtime runs on, found as
// Start finds it (configured, else on PATH; a version shim resolved to the
// interpreter it runs), for measurements that must start the same
// executable: the bench's bare interpreter start.
func Interpreter(ctx context.Context, runtime, configured string) (string, error) {
	rt, ok := parseRuntime(runtime)
	if !ok || rt.kind != kindLanguage {
		return "", fmt.Errorf("runtime %s has no interpreter", runtime)
	}
	path, _, err := rt.interpreter(ctx, configured)
	return path, err
}
