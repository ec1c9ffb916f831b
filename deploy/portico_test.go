package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// repoRoot is the root of Portico's module, whose cmd/portico the tests
// build: this module sits in its deploy/ folder.
const repoRoot = ".."

var (
	binaryOnce sync.Once
	binaryDir  string
	binaryPath string
	binaryErr  error
)

// TestMain removes the portico binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryDir != "" {
		os.RemoveAll(binaryDir)
	}
	os.Exit(code)
}

// porticoBinary builds cmd/portico once per test binary and returns its
// path. The build runs in Portico's own module (testkit.PorticoBinary
// builds in the current one, whose go.sum lacks Portico's dependencies).
func porticoBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		if binaryDir, binaryErr = os.MkdirTemp("", "portico-deploy-bin-"); binaryErr != nil {
			return
		}
		binaryPath = filepath.Join(binaryDir, "portico")
		cmd := exec.Command("go", "build", "-o", binaryPath, "./cmd/portico")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("go build ./cmd/portico: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// validateConfig runs `portico validate` on the config text, written into
// a temporary file, with env added to the environment (the config's
// ${VAR}s), and fails the test with every problem it prints.
func validateConfig(t *testing.T, name string, text []byte, env map[string]string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, text, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(porticoBinary(t), "validate", "--config", file)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("portico validate %s: %v\n%s", name, err, out.String())
	}
}

// porticoConfig is the part of Portico's root config the manifests refer
// to; `portico validate` checks the rest.
type porticoConfig struct {
	Listen    string    `json:"listen"`
	Admin     adminAddr `json:"admin"`
	InvokeAPI *struct {
		Listen string `json:"listen"`
	} `json:"invokeApi"`
	Redis *struct {
		URL string `json:"url"`
	} `json:"redis"`
	Limits struct {
		DrainTimeout string `json:"drainTimeout"`
	} `json:"limits"`
}

// adminAddr is the admin listener's address, from either form of admin:
// (ADDR, or {listen: ADDR, token: …}).
type adminAddr string

func (a *adminAddr) UnmarshalJSON(b []byte) error {
	var block struct {
		Listen string `json:"listen"`
	}
	if err := json.Unmarshal(b, &block); err == nil {
		*a = adminAddr(block.Listen)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*a = adminAddr(s)
	return nil
}

func parsePorticoConfig(t *testing.T, text []byte) porticoConfig {
	t.Helper()
	var c porticoConfig
	if err := yaml.Unmarshal(text, &c); err != nil {
		t.Fatalf("portico config: %v", err)
	}
	return c
}

// drainTimeout is the config's limits.drainTimeout, which the manifests'
// grace period must cover; the config must set it, since its default
// depends on other limits.
func (c porticoConfig) drainTimeout(t *testing.T) time.Duration {
	t.Helper()
	if c.Limits.DrainTimeout == "" {
		t.Fatal("portico config: limits.drainTimeout is not set: the grace period is computed from it")
	}
	d, err := time.ParseDuration(c.Limits.DrainTimeout)
	if err != nil {
		t.Fatalf("portico config: limits.drainTimeout: %v", err)
	}
	return d
}

// port is the port of a host:port address.
func port(t *testing.T, addr string) string {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		t.Fatalf("address %q has no port", addr)
	}
	return addr[i+1:]
}

// envVars are the names of the ${VAR}s in text that have no default: the
// environment must set each one.
func envVars(text string) []string {
	var names []string
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			return names
		}
		text = text[i+2:]
		j := strings.IndexByte(text, '}')
		if j < 0 {
			return names
		}
		if name := text[:j]; !strings.Contains(name, ":-") {
			names = append(names, name)
		}
		text = text[j+1:]
	}
}
