package invokeapi

import (
	"context"
	"net"
	"sort"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsdefault"
)

// Function is one function the API serves.
type Function struct {
	// Invoker runs it.
	Invoker backend.Invoker
	// Description is what GetFunction and ListFunctions tell of it.
	Description backend.Description
	// ARN is its ARN, arn:aws:lambda:REGION:ACCOUNT:function:NAME; empty:
	// built from the server's region and account.
	ARN string
}

// Queue takes Event invocations: async.Queue implements it. Enqueue returns
// nil only once the event is stored; async.ErrQueueFull and
// async.ErrUnknownFunction are answered as Lambda answers a throttle and a
// missing function. The queue owns payload.
type Queue interface {
	Enqueue(ctx context.Context, function, requestID string, payload []byte) error
}

// Listener limits. The API serves SDKs and the CLI, not the public: the
// limits are conservative, and not part of the config.
const (
	// maxConns is the most connections served at once; fasthttp answers
	// one more with 503 and closes it.
	maxConns = 1024
	// maxHeaderBytes bounds a request's header block (fasthttp's read
	// buffer): SigV4 headers are a few hundred bytes, the client context
	// at most 3583.
	maxHeaderBytes = 16 << 10
	// readTimeout bounds reading one request, body included (6 MB at
	// 1 Mbit/s takes 50 s).
	readTimeout = 60 * time.Second
	// writeTimeout bounds writing one answer.
	writeTimeout = 60 * time.Second
	// idleTimeout closes a keep-alive connection quiet for this long.
	idleTimeout = 90 * time.Second
	// defaultDrainTimeout is how long Serve lets requests in flight
	// finish once its context ends, before it cancels the invocations
	// still running; see WithDrainTimeout.
	defaultDrainTimeout = 10 * time.Second
)

// Server serves the Invoke API for a set of functions, which SetFunctions
// swaps on reload. Safe for concurrent use.
type Server struct {
	cfg       *Config
	queue     Queue
	verifier  *verifier // nil: unsigned requests are served
	log       *zap.Logger
	now       func() time.Time
	region    string
	account   string
	functions atomic.Pointer[functionSet]
	metrics   *metrics
	// drainTimeout: see WithDrainTimeout.
	drainTimeout time.Duration
	// base is the parent of every invocation's context; Serve cancels it
	// when the drain time is over.
	base   context.Context
	cancel context.CancelFunc
}

// functionSet is one config's functions, with what ListFunctions needs
// worked out when the set is swapped in.
type functionSet struct {
	byName   map[string]*Function
	names    []string // sorted
	modified time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger; default zap.NewNop().
func WithLogger(l *zap.Logger) Option { return func(s *Server) { s.log = l.Named("invokeapi") } }

// WithAccount sets the account of ARNs; default awsdefault.AccountID.
func WithAccount(id string) Option { return func(s *Server) { s.account = id } }

// WithRegion sets the region of ARNs and of credential scopes; default
// awsdefault.Region().
func WithRegion(r string) Option { return func(s *Server) { s.region = r } }

// WithDrainTimeout sets how long Serve lets requests in flight finish
// once its context ends (the platform gives limits.drainTimeout); default
// 10s.
func WithDrainTimeout(d time.Duration) Option { return func(s *Server) { s.drainTimeout = d } }

// WithClock sets the clock that signatures' dates are checked against;
// default time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New returns a Server for cfg (validated by the caller) serving functions,
// keyed by name; queue takes Event invocations, nil if none runs. New does
// no I/O.
func New(cfg *Config, functions map[string]Function, queue Queue, opts ...Option) *Server {
	s := &Server{cfg: cfg, queue: queue, log: zap.NewNop(), now: time.Now,
		account: awsdefault.AccountID, metrics: newMetrics(), drainTimeout: defaultDrainTimeout}
	for _, o := range opts {
		o(s)
	}
	if s.region == "" {
		s.region = awsdefault.Region()
	}
	s.verifier = newVerifier(cfg.Credentials, s.region)
	s.base, s.cancel = context.WithCancel(context.Background())
	s.SetFunctions(functions)
	return s
}

// SetFunctions serves functions from now on; invocations in flight finish
// with the functions they started with.
func (s *Server) SetFunctions(functions map[string]Function) {
	set := &functionSet{byName: make(map[string]*Function, len(functions)), modified: s.now().UTC()}
	for name, f := range functions {
		if f.ARN == "" {
			f.ARN = s.functionARN(name)
		}
		set.byName[name] = &f
		set.names = append(set.names, name)
	}
	sort.Strings(set.names)
	s.functions.Store(set)
}

// functionARN is the ARN of the function called name in this server's
// account and region.
func (s *Server) functionARN(name string) string {
	return "arn:aws:lambda:" + s.region + ":" + s.account + ":function:" + name
}

// arn is the ARN of name: the function's own when it is known.
func (s *Server) arn(name string) string {
	if f := s.functions.Load().byName[name]; f != nil {
		return f.ARN
	}
	return s.functionARN(name)
}

// resolve finds the function a FunctionName and Qualifier parameter name.
// Only $LATEST exists locally; a function of another account or region
// does not exist here.
func (s *Server) resolve(param, qualifier string) (string, *Function, *Error) {
	ref, err := parseFunctionName(param)
	if err != nil {
		return "", nil, err
	}
	if qualifier != "" {
		if err := checkQualifier(qualifier); err != nil {
			return "", nil, err
		}
		if ref.Qualifier != "" && ref.Qualifier != qualifier {
			return "", nil, qualifierMismatch()
		}
		ref.Qualifier = qualifier
	}
	arn := s.functionARN(ref.Name)
	f := s.functions.Load().byName[ref.Name]
	if f != nil {
		arn = f.ARN
	}
	if ref.Qualifier != "" {
		arn += ":" + ref.Qualifier
	}
	if f == nil || ref.Account != "" && ref.Account != s.account || ref.Region != "" && ref.Region != s.region ||
		ref.Qualifier != "" && ref.Qualifier != latest {
		if ref.Account != "" {
			// The ARN the caller named, not ours.
			arn = "arn:aws:lambda:" + firstNonEmpty(ref.Region, s.region) + ":" + ref.Account + ":function:" + ref.Name
			if ref.Qualifier != "" {
				arn += ":" + ref.Qualifier
			}
		}
		return "", nil, functionNotFound(arn)
	}
	return ref.Name, f, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// newServer returns the fasthttp server with the listener limits.
func (s *Server) newServer() *fasthttp.Server {
	return &fasthttp.Server{
		Handler: s.handle,
		Name:    "",
		// A body is read as it arrives, capped at Lambda's limit (readBody);
		// unstreamed, fasthttp would reserve a declared length at once.
		StreamRequestBody:            true,
		MaxRequestBodySize:           maxBodyBytes,
		DisablePreParseMultipartForm: true,
		Concurrency:                  maxConns,
		ReadBufferSize:               maxHeaderBytes,
		ReadTimeout:                  readTimeout,
		WriteTimeout:                 writeTimeout,
		IdleTimeout:                  idleTimeout,
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		CloseOnShutdown:              true,
		Logger:                       zap.NewStdLog(s.log),
	}
}

// Serve serves ln until ctx ends (once per Server), then stops accepting, lets the requests
// in flight finish for up to drainTimeout, cancels the invocations still
// running, and returns. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.newServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving the Invoke API", zap.String("listen", ln.Addr().String()),
		zap.Bool("signed", s.verifier != nil))
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	drain, cancel := context.WithTimeout(context.Background(), s.drainTimeout)
	defer cancel()
	go func() {
		<-drain.Done()
		s.cancel() // invocations still running end, and their answers go out
	}()
	if serr := srv.ShutdownWithContext(drain); serr != nil {
		s.log.Warn("Invoke API drain cut short", zap.Error(serr))
	}
	return err
}

// ListenAndServe listens on the config's address and serves until ctx
// ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}
