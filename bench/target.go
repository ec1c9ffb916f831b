package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// FixedResponse is what a bare target answers to every request.
type FixedResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// ServeFixed serves resp on ln until ctx is done: the bare fasthttp
// baseline, and the stand-in function server of the http scenario.
func ServeFixed(ctx context.Context, ln net.Listener, resp FixedResponse) error {
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			ctx.SetStatusCode(resp.Status)
			for k, v := range resp.Headers {
				if strings.EqualFold(k, "content-type") {
					ctx.Response.Header.SetContentType(v)
				} else {
					ctx.Response.Header.Set(k, v)
				}
			}
			ctx.SetBodyString(resp.Body)
		},
		NoDefaultServerHeader:         true,
		DisableHeaderNamesNormalizing: true,
	}
	go func() { <-ctx.Done(); srv.Shutdown() }() //nolint:errcheck
	return srv.Serve(ln)
}

// ServeFixedCommand is the body of the hidden `portico bench-target`
// command: it listens on a free 127.0.0.1 port, prints "listening ADDR",
// and serves the JSON FixedResponse in spec until stdin closes.
func ServeFixedCommand(spec string, stdin io.Reader, stdout io.Writer) error {
	var resp FixedResponse
	if err := json.Unmarshal([]byte(spec), &resp); err != nil {
		return fmt.Errorf("bench-target: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening %s\n", ln.Addr())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, stdin); cancel() }() //nolint:errcheck
	return ServeFixed(ctx, ln, resp)
}

// child is a target running as a child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	log   strings.Builder
}

var (
	listeningLine = regexp.MustCompile(`^listening (\S+)$`)
	servingLine   = regexp.MustCompile(`"msg":"serving","listen":"([^"]+)"`)
)

// startChild runs argv (pinned to cpus with taskset when cpus != ""),
// waits for it to say where it listens, and returns it.
func startChild(argv []string, cpus string, env []string) (*child, error) {
	if cpus != "" {
		argv = append([]string{"taskset", "-c", cpus}, argv...)
	}
	c := &child{cmd: exec.Command(argv[0], argv[1:]...)}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c.cmd.Stderr = c.cmd.Stdout
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if m := listeningLine.FindStringSubmatch(line); m != nil {
				found <- m[1]
			} else if m := servingLine.FindStringSubmatch(line); m != nil {
				found <- m[1]
			} else if c.log.Len() < 64<<10 {
				c.log.WriteString(line + "\n")
			}
		}
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			c.stop()
			return nil, fmt.Errorf("%s exited before listening:\n%s", strings.Join(argv, " "), c.log.String())
		}
		c.addr = addr
		return c, nil
	case <-time.After(2 * time.Minute):
		c.stop()
		return nil, fmt.Errorf("%s did not start listening within 2 minutes", strings.Join(argv, " "))
	}
}

// stop ends the child: stdin closes (the fixed server exits), SIGTERM (a
// gateway drains), then SIGKILL.
func (c *child) stop() {
	c.stdin.Close()
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }() //nolint:errcheck
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// pinning decides the cores: the generator on core 0, targets on the rest.
// It returns "" when pinning is not possible (one core, or no taskset).
func pinning() (targets string, err error) {
	if runtime.NumCPU() < 2 {
		return "", errors.New("one CPU: load generator and targets share it")
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return "", errors.New("taskset not found: not pinned")
	}
	if out, err := exec.Command("taskset", "-a", "-p", "-c", "0", fmt.Sprint(os.Getpid())).CombinedOutput(); err != nil {
		return "", fmt.Errorf("taskset: %v: %s", err, out)
	}
	return fmt.Sprintf("1-%d", runtime.NumCPU()-1), nil
}

// projectFile finds path (e.g. "examples/hello") from the working
// directory upwards, so scenarios run from anywhere inside the project.
func projectFile(path string) (string, error) {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, path)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found: run portico bench from the project folder", path)
		}
		dir = parent
	}
}

// peakRSS reads the child's peak resident set (VmHWM) in bytes.
func (c *child) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// startDaemon starts a server that is not a Portico target (nginx,
// redis-server) in its own process group, killed with the bench process,
// and returns its stop: SIGTERM to the group, then SIGKILL after 5 s.
func startDaemon(cmd *exec.Cmd) (func(), error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() //nolint:errcheck
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}, nil
}

// waitListening reports whether addr accepts a connection within 5 s: a
// daemon has no other way to say it is ready.
func waitListening(addr string) bool {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range 100 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return true
		}
		<-tick.C
	}
	return false
}
