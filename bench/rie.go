package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"time"

	"github.com/portico/portico/backend/process"
)

// rieInvokePath is where the Runtime Interface Emulator serves Lambda's
// Invoke API for its one function.
const rieInvokePath = "/2015-03-31/functions/function/invocations"

// rie starts AWS's Lambda Runtime Interface Emulator (aws-lambda-rie on
// PATH) running the Go hello's bootstrap, as a container image would run
// it, and returns its base URL: the reference a local Lambda runtime is
// usually measured against.
func (s *session) rie(ctx context.Context, fns []helloFunction) (string, error) {
	bin, err := exec.LookPath("aws-lambda-rie")
	if err != nil {
		return "", errors.New("aws-lambda-rie not on PATH (github.com/aws/aws-lambda-runtime-interface-emulator releases)")
	}
	var dir string
	for _, f := range fns {
		if f.name == goHello.name {
			dir = f.dir
		}
	}
	art, err := process.Prepare(ctx, "", goHello.runtime, dir, process.PrepareOptions{})
	if err != nil {
		return "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	// Its Runtime API gets a free port too: the default, 9001, may be
	// taken by another emulator on the machine.
	api, err := freeAddr()
	if err != nil {
		return "", err
	}
	argv := []string{bin, "--runtime-interface-emulator-address=" + addr, "--runtime-api-address=" + api,
		"--log-level=error", art.Bootstrap}
	if s.cpus != "" {
		argv = append([]string{"taskset", "-c", s.cpus}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = art.TaskRoot
	stop, err := startDaemon(cmd)
	if err != nil {
		return "", err
	}
	s.cleanup = append(s.cleanup, stop)
	if !waitListening(addr, 5*time.Second) {
		return "", fmt.Errorf("aws-lambda-rie did not start listening on %s", addr)
	}
	s.note("rie row: %s running %s, through a gateway http backend", bin, art.Bootstrap)
	return "http://" + addr, nil
}

// freeAddr is a 127.0.0.1 address with a port free a moment ago, for a
// server that takes its address as a flag.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
