// Command portico is the gateway's binary: serve a config, validate it, list
// its routes, or invoke one of its functions directly.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/portico/portico/bench"
	"github.com/portico/portico/gateway"
	"github.com/portico/portico/invokeapi"
	"github.com/portico/portico/platform"
)

const usage = `usage:
  portico serve    [--config FILE | --template FILE [--api http|rest] [--stage S] [--parameter-overrides ...]]
                   [--listen ADDR] [--admin ADDR] [--no-stage-prefix]
                                      serve a config (default configs/quickstart.yaml, else ./portico.yaml)
  portico validate --config FILE      check a config; print every problem as FILE:LINE:COL: message
  portico routes   --config FILE      print the compiled route table
  portico invoke   --config FILE FUNCTION [--payload JSON|@file] [--type RequestResponse|Event|DryRun] [--tail]
                                      call a function directly and print its result
  portico import   FILE [--api http|rest] [--stage S] [--parameter-overrides 'K=V ...']
                                      a SAM/CloudFormation template, serverless.yml or OpenAPI document as
                                      Portico YAML on stdout; what it cannot carry over on stderr as FILE:LINE: key: reason
  portico schedules --config FILE [-n N]
                                      print each schedule's next N fire times (UTC and its time zone)
  portico bench    [flags] URL[@WEIGHT]...   load-test URLs (-c, -d, -n, --rate, --warmup, -m, -H, --body, --json, --html,
                                            --metrics URL --function NAME: its cost on AWS Lambda)
  portico bench    --scenario NAME [flags]   a bundled scenario with its own targets; --list shows them
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(args, stderr)
	case "validate":
		err = validate(args, stdout)
	case "routes":
		err = routes(args, stdout)
	case "invoke":
		err = invoke(args, stdout, stderr)
	case "schedules":
		err = schedules(args, stdout, time.Now)
	case "import":
		err = importCommand(args, stdout, stderr)
	case "bench":
		err = runBench(args, stdout, stderr)
	case "bench-target": // hidden: a bare target of a bench scenario
		if len(args) != 1 {
			return 2
		}
		err = bench.ServeFixedCommand(args[0], os.Stdin, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "portico: unknown command %q\n%s", cmd, usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "portico %s: %v\n%s", cmd, err, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newFlagSet(name string) *flag.FlagSet { return flag.NewFlagSet(name, flag.ContinueOnError) }

// parseFlags parses flags that may come before or after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func loadConfig(file string) (*platform.Config, error) {
	if file == "" {
		return nil, usageError{"--config is required"}
	}
	return platform.Load(file)
}

// quickstartConfig is the config `portico serve` runs from a checkout.
const quickstartConfig = "configs/quickstart.yaml"

func defaultConfigFile() string {
	for _, f := range []string{quickstartConfig, "portico.yaml"} {
		if _, err := os.Stat(f); err == nil {
			return f
		}
	}
	return "portico.yaml"
}

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	file := fs.String("config", "", "config file")
	listen := fs.String("listen", "", "public listener address, over the config's listen")
	admin := fs.String("admin", "", "admin listener address, over the config's admin")
	noStagePrefix := fs.Bool("no-stage-prefix", false, "serve a REST stage at the root as well as under /{stage} (as sam local does)")
	template := fs.String("template", "", "a SAM/CloudFormation template, serverless.yml or OpenAPI document, served as if imported")
	imp := addImportFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := []platform.Option{}
	if *template != "" && *file != "" {
		return usageError{"--config and --template: give one"}
	}
	if *file == "" && *template == "" {
		*file = defaultConfigFile()
		if *file == quickstartConfig {
			// The quickstart must serve on a machine without node or
			// python3: a function it cannot start answers as unavailable.
			opts = append(opts, platform.WithUnstartedFunctions())
		}
	}
	var cfg *platform.Config
	var err error
	if *template != "" {
		*file = *template
		load := func() (*platform.Config, error) { return loadTemplate(*template, imp, stderr) }
		cfg, err = load()
		opts = append(opts, platform.WithLoader(load))
	} else {
		cfg, err = platform.Load(*file)
	}
	if err != nil {
		return err
	}
	flagsOverFile := func(c *platform.Config) {
		if *listen != "" {
			c.Listen = *listen
		}
		if *admin != "" {
			c.Admin.Listen = *admin
		}
		if *noStagePrefix {
			c.Routing.StagePrefix = "optional"
		}
	}
	flagsOverFile(cfg)
	out := zapcore.Lock(zapcore.AddSync(stderr))
	access, err := gateway.OpenAccessLog(cfg.Log.File, out)
	if err != nil {
		return err
	}
	defer access.Close() //nolint:errcheck // after the drain: every line is written
	functions := gateway.NewFunctionLog(out)
	defer functions.Stop() //nolint:errcheck // likewise
	log, err := newServeLogger(cfg.Log.Level, out, functions, access)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck
	p, err := platform.New(cfg, append(opts, platform.WithLogger(log), platform.WithOverride(flagsOverFile))...)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := p.Start(ctx); err != nil {
		p.Close()
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sig)
	hup := make(chan os.Signal, 1)
	relayed := make(chan struct{})
	go func() { defer close(relayed); relayLogSignals(ctx, sig, hup, access, functions, log) }()
	defer func() { stop(); <-relayed }()
	log.Info("starting", zap.String("config", *file), zap.String("listen", cfg.Listen), zap.String("admin", cfg.Admin.Listen))
	return platform.Serve(ctx, p, hup)
}

// relayLogSignals writes the buffered logs (access, functions) out before
// it passes a SIGHUP from sig on to reload, and reopens log.file on
// SIGUSR1, until ctx ends.
func relayLogSignals(ctx context.Context, sig <-chan os.Signal, reload chan<- os.Signal, access *gateway.AccessLog, functions zapcore.WriteSyncer, log *zap.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sig:
			if s == syscall.SIGUSR1 {
				if err := access.Reopen(); err != nil {
					log.Error("access log: reopen failed: writing to the old file", zap.Error(err))
				}
				continue
			}
			access.Sync()    //nolint:errcheck // a failed write shows in the next one
			functions.Sync() //nolint:errcheck // likewise
			select {
			case reload <- s:
			case <-ctx.Done():
				return
			}
		}
	}
}

// newServeLogger is newLogger with the access log's entries sent to access
// and the functions' output to functions.
func newServeLogger(level string, out, functions zapcore.WriteSyncer, access *gateway.AccessLog) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	return gateway.NewLogger(lvl, out, functions, access), nil
}

func newLogger(level string, w io.Writer) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	core := zapcore.NewCore(zapcore.NewJSONEncoder(gateway.EncoderConfig()), zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core), nil
}

func validate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	file := fs.String("config", "", "config file")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := loadConfig(*file); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", *file)
	return nil
}

func routes(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("routes", flag.ContinueOnError)
	file := fs.String("config", "", "config file")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*file)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTE\tFUNCTION\tBACKEND\tPAYLOAD\tTIMEOUT\tAUTH\tLIMITS")
	for _, r := range cfg.RouteInfos() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Key, r.Function, r.Backend, r.Payload, r.Timeout, r.Auth, r.Limits)
	}
	return tw.Flush()
}

func invoke(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	file := fs.String("config", "", "config file")
	payload := fs.String("payload", "{}", "event JSON, or @file to read it from a file")
	typ := fs.String("type", invokeapi.RequestResponse, "invocation type: RequestResponse, Event (queued; without redis: delivered before exit) or DryRun")
	tail := fs.Bool("tail", false, "print the last 4 KB of the function's log to stderr (RequestResponse)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the result (Event without redis: for delivery)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError{"want exactly one FUNCTION"}
	}
	event := []byte(*payload)
	if strings.HasPrefix(*payload, "@") {
		if event, err = os.ReadFile((*payload)[1:]); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(*file)
	if err != nil {
		return err
	}
	// Starting may build the function's code: it is not part of the wait.
	// Warnings reach stderr: an Event's failures and drops happen after the
	// 202 is printed.
	log, err := newLogger("warn", stderr)
	if err != nil {
		return err
	}
	fn, err := platform.StartDirect(context.Background(), cfg, positional[0], log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, ierr := fn.Invoke(ctx, invokeapi.Call{FunctionName: positional[0], Type: *typ, Payload: event, LogTail: *tail})
	// Close delivers an Event queued in memory before the command exits.
	closeErr := fn.Close(ctx)
	if ierr != nil {
		return fmt.Errorf("%s: %s", ierr.Type, ierr.Message)
	}
	if res.LogResult != "" {
		if log, err := base64.StdEncoding.DecodeString(res.LogResult); err == nil {
			stderr.Write(log) //nolint:errcheck
		}
	}
	if res.Status != 200 {
		// As the AWS CLI prints an Event or DryRun answer.
		fmt.Fprintf(stdout, "{\"StatusCode\":%d,\"RequestId\":%q}\n", res.Status, res.RequestID)
		return closeErr
	}
	fmt.Fprintf(stdout, "%s\n", res.Payload)
	if res.FunctionError != "" {
		return fmt.Errorf("function error (%s)", res.FunctionError)
	}
	return nil
}
