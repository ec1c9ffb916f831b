package process

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// goBuildArgs is how a Go source becomes a bootstrap, as the Lambda docs
// build it (spec B.4), plus -trimpath so the binary is the same wherever the
// source lives. CGO_ENABLED=0 is added to the user's environment.
var goBuildArgs = []string{"build", "-tags", "lambda.norpc", "-trimpath"}

// goBuildRecipe goes into every build key with goBuildArgs: change it
// whenever the way Portico builds changes in another way, so that older cache
// entries are not reused.
const goBuildRecipe = "portico go build v1, CGO_ENABLED=0"

// goEnvVars are the go env settings that change what a build produces.
var goEnvVars = []string{"GOVERSION", "GOOS", "GOARCH", "GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64", "GOARM", "GO386", "GOWORK"}

// goBuildOutputMax caps the compiler output kept in a build error.
const goBuildOutputMax = 4 << 10

// goWaitDelay bounds how long a cancelled go command may keep its output
// open (its compile and link children are not killed with it).
const goWaitDelay = 5 * time.Second

// prepareGo builds the Go package in source into cacheDir/go/<key>/bootstrap,
// once per key; see goBuildKey for what the key covers.
func prepareGo(ctx context.Context, source, cacheDir, goBin string) (Artifact, error) {
	key, err := goBuildKey(ctx, goBin, source)
	if err != nil {
		return Artifact{}, err
	}
	final := filepath.Join(cacheDir, "go", key)
	art := Artifact{Bootstrap: filepath.Join(final, "bootstrap"), TaskRoot: source}
	err = fillCacheEntry(ctx, "go build in "+source, filepath.Join(cacheDir, "go"), key,
		func(string) (bool, error) {
			_, err := os.Stat(art.Bootstrap)
			return err == nil, nil
		},
		func(tmp string) error {
			cmd := goCommand(ctx, goBin, source, slices.Concat(goBuildArgs, []string{"-o", filepath.Join(tmp, "bootstrap"), "."})...)
			if out, err := cmd.CombinedOutput(); err != nil {
				return goError(ctx, "build", source, err, out)
			}
			return nil
		})
	if err != nil {
		return Artifact{}, err
	}
	return art, nil
}

// goBuildKey names a build by the SHA-256 of everything that goes into it:
// the recipe; the go env settings above (so the Go version, the target
// platform and GOFLAGS); and, for each non-standard package the source
// imports (found with `go list -deps`), either its module path@version when
// that module is a read-only download, or else the name and content of every
// file in its folder plus the embedded files, with its module's go.mod and
// go.sum (and go.work, go.work.sum). So editing any package of the module,
// or of a local replace or workspace module, gives a new key.
//
// Not covered, as they rarely change under a running gateway: files vendored
// under vendor/ (their module version is), the environment apart from the go
// env settings above, and a go toolchain replaced in place by one with the
// same GOVERSION.
func goBuildKey(ctx context.Context, goBin, source string) (string, error) {
	env, err := goEnv(ctx, goBin, source)
	if err != nil {
		return "", err
	}
	pkgs, err := goListDeps(ctx, goBin, source)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	writeField(h, goBuildRecipe)
	writeField(h, strings.Join(goBuildArgs, " "))
	writeField(h, env.text)
	var files []string
	if env.work != "" && env.work != "off" {
		files = append(files, env.work, strings.TrimSuffix(env.work, ".work")+".work.sum")
	}
	for _, p := range pkgs {
		if p.Standard {
			continue
		}
		if mod := p.Module.download(); mod != "" {
			writeField(h, "module "+mod)
			continue
		}
		entries, err := os.ReadDir(p.Dir)
		if err != nil {
			return "", fmt.Errorf("process: go build in %s: %w", source, err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(p.Dir, e.Name()))
			}
		}
		for _, name := range p.EmbedFiles {
			files = append(files, filepath.Join(p.Dir, filepath.FromSlash(name)))
		}
		if p.Module != nil && p.Module.GoMod != "" {
			files = append(files, p.Module.GoMod, filepath.Join(filepath.Dir(p.Module.GoMod), "go.sum"))
		}
	}
	slices.Sort(files)
	for _, name := range slices.Compact(files) {
		b, err := os.ReadFile(name)
		if errors.Is(err, os.ErrNotExist) && strings.HasSuffix(name, ".sum") {
			continue // optional: a module without dependencies has no go.sum
		}
		if err != nil {
			return "", fmt.Errorf("process: go build in %s: %w", source, err)
		}
		writeField(h, name)
		writeField(h, string(b))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeField hashes s with its length first, so no two lists of fields
// hash alike.
func writeField(h hash.Hash, s string) {
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(s))))
	io.WriteString(h, s)
}

// goEnvResult is the output of `go env goEnvVars...`.
type goEnvResult struct {
	text string // one line per variable
	work string // GOWORK: the go.work file in use, "" or "off" for none
}

// goEnvCache keeps go env results per go binary and source folder (the
// folder picks the toolchain and go.work) for the life of the process.
var goEnvCache sync.Map // goBin + "\x00" + dir → goEnvResult

func goEnv(ctx context.Context, goBin, dir string) (goEnvResult, error) {
	key := goBin + "\x00" + dir
	if v, ok := goEnvCache.Load(key); ok {
		return v.(goEnvResult), nil
	}
	cmd := goCommand(ctx, goBin, dir, slices.Concat([]string{"env"}, goEnvVars)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return goEnvResult{}, goError(ctx, "env", dir, err, stderr.Bytes())
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) < len(goEnvVars) {
		return goEnvResult{}, fmt.Errorf("process: go env in %s: unexpected output %q", dir, out)
	}
	r := goEnvResult{text: string(out), work: strings.TrimSpace(lines[slices.Index(goEnvVars, "GOWORK")])}
	goEnvCache.Store(key, r)
	return r, nil
}

// goListPackage is the part of `go list -json` that goBuildKey reads.
type goListPackage struct {
	Dir        string
	Standard   bool
	EmbedFiles []string
	Module     *goListModule
}

type goListModule struct {
	Path    string
	Version string
	Main    bool
	GoMod   string
	Replace *goListModule
}

// download returns path@version when the module's files come from the
// read-only module cache, and "" when they are local (the main module, a
// workspace module, or a replace by a folder).
func (m *goListModule) download() string {
	switch {
	case m == nil || m.Main:
		return ""
	case m.Replace != nil:
		if m.Replace.Version == "" {
			return ""
		}
		return m.Replace.Path + "@" + m.Replace.Version
	case m.Version != "":
		return m.Path + "@" + m.Version
	}
	return ""
}

// goListDeps lists the package in dir and everything it imports, with the
// build's tags and CGO_ENABLED so the same files count. Package errors are
// left for go build to report.
func goListDeps(ctx context.Context, goBin, dir string) ([]goListPackage, error) {
	cmd := goCommand(ctx, goBin, dir, "list", "-e", "-deps", "-tags", "lambda.norpc", "-json=Dir,Standard,EmbedFiles,Module", ".")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, goError(ctx, "list", dir, err, stderr.Bytes())
	}
	var pkgs []goListPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goListPackage
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("process: go list in %s: %w", dir, err)
		}
		if p.Dir != "" {
			pkgs = append(pkgs, p)
		}
	}
}

// goCommand runs go in dir with the user's environment plus CGO_ENABLED=0;
// it is killed when ctx ends.
func goCommand(ctx context.Context, goBin, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.WaitDelay = goWaitDelay
	return cmd
}

// goError reports a failed go command with what it printed, cut to
// goBuildOutputMax; a cancelled command reports ctx's error.
func goError(ctx context.Context, sub, dir string, err error, out []byte) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if msg := trimOutput(out, goBuildOutputMax); msg != "" {
		return fmt.Errorf("process: go %s in %s: %w\n%s", sub, dir, err, msg)
	}
	return fmt.Errorf("process: go %s in %s: %w", sub, dir, err)
}

// trimOutput keeps the first limit bytes of a command's output, cut at a line
// end, and says how much was left out.
func trimOutput(out []byte, limit int) string {
	out = bytes.TrimSpace(out)
	if len(out) <= limit {
		return string(out)
	}
	cut := out[:limit]
	if i := bytes.LastIndexByte(cut, '\n'); i > 0 {
		cut = cut[:i]
	}
	return fmt.Sprintf("%s\n[%d more bytes]", cut, len(out)-len(cut))
}
