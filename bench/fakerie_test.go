package bench

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRIEEnv, set to a file, makes the test binary act as aws-lambda-rie:
// the process scenario's rie row can then be tested on a machine without
// the emulator (it is not packaged for apt). The file gets its arguments.
const fakeRIEEnv = "PORTICO_BENCH_FAKE_RIE"

func TestMain(m *testing.M) {
	if file := os.Getenv(fakeRIEEnv); file != "" {
		os.Exit(fakeRIE(file, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeRIE serves the emulator's Invoke endpoint with the hello function's
// answer, after checking what the real one needs: its address flag and an
// executable bootstrap as the last argument.
func fakeRIE(file string, args []string) int {
	if err := os.WriteFile(file, []byte(strings.Join(args, "\n")), 0o644); err != nil {
		return 2
	}
	var addr string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--runtime-interface-emulator-address="); ok {
			addr = v
		}
	}
	if addr == "" || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "fake rie: no address or bootstrap")
		return 2
	}
	if fi, err := os.Stat(args[len(args)-1]); err != nil || fi.Mode()&0o111 == 0 {
		fmt.Fprintln(os.Stderr, "fake rie: bootstrap not executable:", err)
		return 2
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake rie:", err)
		return 2
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+rieInvokePath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"statusCode":200,"headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"Hello, world!\n"}`)
	})
	fmt.Fprintln(os.Stderr, http.Serve(ln, mux))
	return 1
}

// installFakeRIE puts an aws-lambda-rie first on PATH that runs this test
// binary as the fake emulator, and returns the file its arguments go to.
func installFakeRIE(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	script := fmt.Sprintf("#!/bin/sh\n%s=%q exec %q \"$@\"\n", fakeRIEEnv, args, exe)
	if err := os.WriteFile(filepath.Join(dir, "aws-lambda-rie"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return args
}
