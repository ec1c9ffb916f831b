package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico/portico/backend/process"
)

// TestRelativeConfigPaths: `--config main.yaml` given relative to the
// working folder still runs `handler: ./fn`, a path relative to the config.
func TestRelativeConfigPaths(t *testing.T) {
	src, _ := filepath.Abs(filepath.Join("..", "..", "examples", "hello"))
	art, err := process.Prepare(context.Background(), "", "go", src, process.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(art.Bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "fn"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fn", "bootstrap"), exe, 0o755); err != nil {
		t.Fatal(err)
	}
	config := "functions:\n  hello: {backend: process, handler: ./fn}\nroutes:\n  - {route: GET /hello, function: hello}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"invoke", "--config", "main.yaml", "hello", "--payload", `{"queryStringParameters":{"name":"rel"}}`}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Hello, rel!") {
		t.Errorf("result %s", stdout.String())
	}
}
