package process

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Artifact is a function's code ready to run.
type Artifact struct {
	// Bootstrap is the absolute path of the executable to start: the
	// code's own, or an interpreter.
	Bootstrap string
	// Client is the runtime client file Bootstrap, an interpreter, runs;
	// empty when Bootstrap is the code's own runtime.
	Client string
	// TaskRoot is the folder holding the function's code (LAMBDA_TASK_ROOT);
	// the instance's working directory.
	TaskRoot string
	// RuntimeDir is the folder of the runtime client (LAMBDA_RUNTIME_DIR);
	// TaskRoot when the code is its own runtime.
	RuntimeDir string
}

// PrepareOptions tells Prepare where to keep what it makes. The zero value
// uses the defaults.
type PrepareOptions struct {
	// CacheDir is where unpacked zips (CacheDir/zip/<sha256>) and Go builds
	// (CacheDir/go/<key>) are kept. Default: os.UserCacheDir()/portico, or
	// os.TempDir()/portico-cache when there is no user cache dir.
	CacheDir string
	// GoBinary is the go command that builds Go sources. Default: "go" from
	// PATH, else /usr/local/go/bin/go.
	GoBinary string
}

// ErrInvalidEntrypoint is matched (errors.Is) by the errors Prepare returns
// when the code holds no executable bootstrap: the case Lambda reports as
// Runtime.InvalidEntrypoint.
var ErrInvalidEntrypoint = errors.New("process: no executable bootstrap")

// Prepare resolves the code of a function into an Artifact.
//
// handler is an executable file (TaskRoot is its folder), a folder holding an
// executable `bootstrap`, or a .zip deployment package with an executable
// `bootstrap` at its root, unpacked once into opts.CacheDir. With runtime "go"
// and source (a Go package folder) and no handler, the package is built with
// `go build -tags lambda.norpc -trimpath` (CGO_ENABLED=0) and the binary kept
// in opts.CacheDir; TaskRoot is then source. Paths must be absolute.
//
// Prepare is safe for concurrent use, also by several processes sharing a
// CacheDir: a cache entry appears whole or not at all, and concurrent calls
// in one process for the same zip or build do the work once. ctx bounds the
// unpacking and the go commands.
func Prepare(ctx context.Context, handler, runtime, source string, opts PrepareOptions) (Artifact, error) {
	cacheDir, err := opts.cacheDir()
	if err != nil {
		return Artifact{}, err
	}
	switch {
	case handler != "":
		return prepareHandler(ctx, filepath.Clean(handler), cacheDir)
	case runtime == "go" && source != "":
		return prepareGo(ctx, filepath.Clean(source), cacheDir, opts.goBinary())
	case source != "":
		return Artifact{}, fmt.Errorf("process: runtime %q cannot build a source, only \"go\" can", runtime)
	default:
		return Artifact{}, errors.New("process: no code: give a handler, or runtime go with a source")
	}
}

// prepareConfig resolves the code of a function's config, as its runtime
// takes it (see Config.Runtime); warn receives what runs but differs from
// what the config asks for.
func prepareConfig(ctx context.Context, c *Config, opts PrepareOptions, warn func(string)) (Artifact, error) {
	rt, _ := parseRuntime(c.Runtime)
	switch {
	case c.Runtime == "":
		return Prepare(ctx, c.Handler, "", "", opts)
	case rt.kind == kindLanguage:
		return prepareLanguage(ctx, rt, c.Code, c.Interpreter, opts, warn)
	case rt.kind == kindGo:
		return Prepare(ctx, "", "go", cmp.Or(c.Code, c.Source), opts)
	case c.Code != "":
		return Prepare(ctx, c.Code, "", "", opts)
	}
	return Prepare(ctx, c.Handler, "", "", opts) // provided.* with handler as a path
}

func (o PrepareOptions) cacheDir() (string, error) {
	dir := o.CacheDir
	if dir == "" {
		if user, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(user, "portico")
		} else {
			dir = filepath.Join(os.TempDir(), "portico-cache")
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("process: cache dir: %w", err)
	}
	return abs, nil
}

func (o PrepareOptions) goBinary() string {
	if o.GoBinary != "" {
		return o.GoBinary
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

func prepareHandler(ctx context.Context, handler, cacheDir string) (Artifact, error) {
	fi, err := os.Stat(handler)
	if err != nil {
		return Artifact{}, fmt.Errorf("process: handler: %w", err)
	}
	switch {
	case fi.IsDir():
		if err := checkBootstrap(handler, handler); err != nil {
			return Artifact{}, err
		}
		return Artifact{Bootstrap: filepath.Join(handler, "bootstrap"), TaskRoot: handler}, nil
	case !fi.Mode().IsRegular():
		return Artifact{}, fmt.Errorf("process: handler %s is not a file or folder (mode %v)", handler, fi.Mode())
	case isZip(handler, fi.Mode()):
		return prepareZip(ctx, handler, cacheDir, defaultUnzipLimits)
	case !executable(fi.Mode()):
		return Artifact{}, fmt.Errorf("%w: %s is not executable (mode %v)", ErrInvalidEntrypoint, handler, fi.Mode())
	}
	return Artifact{Bootstrap: handler, TaskRoot: filepath.Dir(handler)}, nil
}

// checkBootstrap reports whether dir holds an executable bootstrap; where
// names the code in the error (the folder, or the zip it came from).
func checkBootstrap(dir, where string) error {
	fi, err := os.Stat(filepath.Join(dir, "bootstrap"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w in %s", ErrInvalidEntrypoint, where)
	case err != nil:
		return fmt.Errorf("process: %w", err)
	case !fi.Mode().IsRegular() || !executable(fi.Mode()):
		return fmt.Errorf("%w in %s: bootstrap is not an executable file (mode %v)", ErrInvalidEntrypoint, where, fi.Mode())
	}
	return nil
}

func executable(m fs.FileMode) bool { return m.Perm()&0o111 != 0 }

// isZip: a .zip name, or a file that is not executable and starts like a zip.
func isZip(path string, m fs.FileMode) bool {
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		return true
	}
	if executable(m) {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "PK\x03\x04"
}

// fillCacheEntry makes the cache folder parent/key once. Under a lock on
// it, reuse says whether a folder already there will do (or why it will
// not); otherwise fill writes the content into a temporary folder next to
// it, which is then renamed into place, so the entry is seen whole or not
// at all. what names the work in the error of a wait that ctx ended.
func fillCacheEntry(ctx context.Context, what, parent, key string, reuse func(dir string) (bool, error), fill func(tmp string) error) error {
	final := filepath.Join(parent, key)
	unlock, err := cacheLocks.lock(ctx, final)
	if err != nil {
		return fmt.Errorf("process: %s: %w", what, err)
	}
	defer unlock()
	if ok, err := reuse(final); ok || err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("process: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, key+".tmp-")
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	if err := fill(tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	return publishDir(tmp, final)
}

// publishDir renames the finished tmp folder to final. If another Prepare
// (maybe in another process) got there first, its folder is kept and tmp
// removed: both hold the same content, as final is named by a hash.
func publishDir(tmp, final string) error {
	err := os.Rename(tmp, final)
	if err == nil {
		return nil
	}
	os.RemoveAll(tmp)
	if fi, serr := os.Stat(final); serr == nil && fi.IsDir() {
		return nil
	}
	return fmt.Errorf("process: %w", err)
}

// cacheLocks makes concurrent Prepare calls of one process for the same
// cache entry wait for the first instead of doing the work again.
var cacheLocks keyLocks

// keyLocks is a set of mutexes named by string whose Lock honours ctx.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while locked
	refs int           // holders and waiters; the entry is dropped at zero
}

// lock waits for the lock named key, or for ctx to end.
func (l *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*keyLock)
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()

	drop := func() {
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; drop() }, nil
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
}
