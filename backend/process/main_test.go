package process

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

// examples maps example names to their built bootstrap executables,
// built once by TestMain from ../../examples with the Go toolchain.
var examples = map[string]string{}

func TestMain(m *testing.M) {
	if mode := os.Getenv("PORTICO_TEST_RUNTIME"); mode != "" {
		os.Exit(fakeRuntime(mode))
	}
	if handler := os.Getenv("PORTICO_TEST_HOST"); handler != "" {
		os.Exit(host(handler))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	for _, name := range []string{"hello", "echo", "slow", "crash", "initfail"} {
		src, _ := filepath.Abs(filepath.Join("..", "..", "examples", name))
		art, err := Prepare(ctx, "", "go", src, PrepareOptions{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "building example %s: %v\n", name, err)
			os.Exit(1)
		}
		examples[name] = art.Bootstrap
	}
	cancel()
	os.Exit(m.Run())
}

// fakeRuntime makes the test binary a custom runtime that misbehaves on
// purpose, for faults the aws-lambda-go examples cannot produce.
func fakeRuntime(mode string) int {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	post := func(path, body string) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err == nil {
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
		}
	}
	if mode == "exitafterone" {
		// A background child keeps the runtime's stdout open after the
		// runtime itself has answered once and exited.
		bg := exec.Command("sleep", "60")
		bg.Stdout = os.Stdout
		if err := bg.Start(); err != nil {
			return 1
		}
	}
	if child, ok := strings.CutPrefix(mode, "parent-of-"); ok {
		// The runtime is a child of this process (as a shell bootstrap
		// runs its tools), in its own process group or not.
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "PORTICO_TEST_RUNTIME=echo")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: child == "own-group", Pdeathsig: syscall.SIGKILL}
		if cmd.Run() != nil {
			return 1
		}
		return 0
	}
	if mode == "initerror" {
		post("/init/error", `{"errorMessage":"config missing","errorType":"Runtime.ConfigInvalid"}`)
		return 1
	}
	if mode == "init-claims-portico-error" {
		post("/init/error", `{"errorType":"Sandbox.Timedout","errorMessage":"password=hunter2"}`)
		return 1
	}
	if gate, ok := strings.CutPrefix(mode, "gated-init:"); ok {
		// Initialisation lasts until the test creates the gate file.
		for i := 0; i < 3000; i++ {
			if _, err := os.Stat(gate); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for {
		resp, err := http.Get(base + "/invocation/next")
		if err != nil {
			return 1
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		switch mode {
		case "env":
			var b bytes.Buffer
			for _, kv := range os.Environ() {
				b.WriteString(kv + "\n")
			}
			post("/invocation/"+id+"/response", fmt.Sprintf("%q", b.String()))
		case "headers":
			post("/invocation/"+id+"/response", fmt.Sprintf("%q", fmt.Sprint(resp.Header)))
		case "bigresponse":
			post("/invocation/"+id+"/response", `"`+strings.Repeat("x", 7<<20)+`"`)
		case "hugeresponse": // past what the Runtime API reads at all
			post("/invocation/"+id+"/response", `"`+strings.Repeat("x", 8<<20)+`"`)
		case "chatty":
			fmt.Println("line one")
			fmt.Fprintln(os.Stderr, strings.Repeat("y", 100<<10)) // over the line limit
			os.Stdout.Write([]byte{0xff, 0xfe, 0x00, '\n'})       //nolint:errcheck
			post("/invocation/"+id+"/response", `"ok"`)
		case "tail":
			for i := range 50 {
				fmt.Printf("%s line %d\n", id, i)
			}
			fmt.Fprintf(os.Stderr, "%s on stderr\n", id)
			post("/invocation/"+id+"/response", `"ok"`)
		case "wrongid":
			post("/invocation/not-"+id+"/response", `"forged"`)
			post("/invocation/"+id+"/response", `"real"`)
		case "claims-portico-error":
			// A function error dressed as one of Portico's own, its message
			// the function's.
			post("/invocation/"+id+"/error", `{"errorType":"Runtime.ExitError","errorMessage":"password=hunter2"}`)
		case "errorheader":
			req, _ := http.NewRequest("POST", base+"/invocation/"+id+"/error", strings.NewReader("not json"))
			req.Header.Set("Lambda-Runtime-Function-Error-Type", "Custom.Failure")
			if r, err := http.DefaultClient.Do(req); err == nil {
				r.Body.Close()
			}
		case "exitafterone":
			post("/invocation/"+id+"/response", string(event))
			return 0
		case "timeouts":
			// Watch two stalled connections while this runtime's own
			// GET /next waits for the next event.
			watchOnce.Do(func() {
				go func() {
					out := os.Getenv("PORTICO_TEST_OUT")
					res := fmt.Sprintf(`{"half":%q,"idle":%q}`, halfRequestFate(), idleConnFate())
					if os.WriteFile(out+".tmp", []byte(res), 0o644) == nil {
						os.Rename(out+".tmp", out) //nolint:errcheck
					}
				}()
			})
			post("/invocation/"+id+"/response", string(event))
		case "memhog":
			hog := make([][]byte, 0)
			for i := 0; i < 64; i++ { // up to 1 GiB, touched so it is resident
				b := make([]byte, 16<<20)
				for j := range b {
					b[j] = byte(j)
				}
				hog = append(hog, b)
			}
			post("/invocation/"+id+"/response", fmt.Sprintf(`"%d"`, len(hog)))
		case "afterresponse":
			// Output after the response, before the next GET /next.
			post("/invocation/"+id+"/response", `"ok"`)
			for i := range 60 { // 2 KB: the next tail holds them and its own lines
				fmt.Printf("%s after the response %d\n", id, i)
			}
		case "alloc64":
			// 64 MiB, touched so it is resident, kept for the instance's life.
			if held == nil {
				held = make([]byte, 64<<20)
				for j := 0; j < len(held); j += 4096 {
					held[j] = 1
				}
			}
			post("/invocation/"+id+"/response", `"ok"`)
		default:
			post("/invocation/"+id+"/response", string(event))
		}
	}
}

var watchOnce sync.Once

// held is what the alloc64 runtime allocated.
var held []byte

// halfRequestFate sends half a request on a new Runtime API connection and
// reports whether the server closes it.
func halfRequestFate() string {
	c, err := net.Dial("tcp", os.Getenv("AWS_LAMBDA_RUNTIME_API"))
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n")); err != nil {
		return err.Error()
	}
	return closedFate(c, bufio.NewReader(c))
}

// idleConnFate makes one request on a new Runtime API connection, leaves
// it idle, and reports whether the server closes it.
func idleConnFate() string {
	c, err := net.Dial("tcp", os.Getenv("AWS_LAMBDA_RUNTIME_API"))
	if err != nil {
		return err.Error()
	}
	defer c.Close()
	if _, err := c.Write([]byte("POST /2018-06-01/runtime/invocation/none/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")); err != nil {
		return err.Error()
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err.Error()
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	return closedFate(c, br)
}

// closedFate waits up to 3 s for the server to close c (after an error
// response, perhaps): "closed" or "open".
func closedFate(c net.Conn, br *bufio.Reader) string {
	c.SetReadDeadline(time.Now().Add(3 * time.Second)) //nolint:errcheck
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "open"
	}
	return "closed"
}

// host makes the test binary a Portico stand-in that starts two warm
// instances of handler, prints their pids, and waits to be killed.
func host(handler string) int {
	f, err := New("fn", &Config{Handler: handler, MinInstances: 2})
	if err == nil {
		err = f.Start(context.Background())
	}
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if !testkit.Poll(time.Minute, func() bool { running, idle := f.Stats(); return running == 2 && idle == 2 }) {
		fmt.Println("error: the two instances did not start within a minute")
		return 1
	}
	for _, pid := range pids(f) {
		fmt.Println(pid)
	}
	select {}
}
