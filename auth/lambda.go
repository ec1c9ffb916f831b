package auth

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/portico/portico/backend"
	"github.com/portico/portico/internal/awsid"

	"github.com/portico/portico/internal/jsonbytes"
)

// authorizerTimeout is API Gateway's Lambda authorizer timeout.
const authorizerTimeout = 10 * time.Second

// eventFormat is the Lambda authorizer event a lambda authorizer gets.
type eventFormat uint8

const (
	formatV2   eventFormat = iota + 1 // HTTP API, payload 2.0
	formatV1                          // HTTP API, payload 1.0
	formatREST                        // REST API REQUEST authorizer
)

// lambdaAuthorizer is one `authorizers:` entry of type lambda.
type lambdaAuthorizer struct {
	set      *Set
	name     string
	function string
	invoker  backend.Invoker
	format   eventFormat
	simple   bool
	ttl      time.Duration
	sources  []source
	texts    []string // the sources as configured, for logs
	// cache holds answers by identity-source values for ttl, for every
	// route of the authorizer; nil when ttl is 0.
	cache *ttlCache[*lambdaEntry]
}

func newLambdaAuthorizer(s *Set, name string, c *AuthorizerConfig) (*lambdaAuthorizer, error) {
	a := &lambdaAuthorizer{set: s, name: name, function: c.Function, simple: c.SimpleResponses, ttl: c.ResultTTL}
	switch {
	case s.rest && (c.Payload == "2.0" || c.SimpleResponses):
		return nil, errors.New(`a REST API sends the REST REQUEST event and takes IAM policies: leave payload empty and simpleResponses off`)
	case s.rest:
		a.format = formatREST
	case c.Payload == "1.0":
		if c.SimpleResponses {
			return nil, errors.New(`simpleResponses needs payload "2.0"`)
		}
		a.format = formatV1
	default:
		a.format = formatV2
	}
	if len(c.IdentitySource) > maxIdentitySource {
		return nil, fmt.Errorf("at most %d identity sources", maxIdentitySource)
	}
	for _, text := range c.IdentitySource {
		src, err := parseSource(text)
		if err != nil {
			return nil, err
		}
		a.sources = append(a.sources, src)
		a.texts = append(a.texts, text)
	}
	if a.ttl > 0 {
		if len(a.sources) == 0 {
			return nil, errors.New("resultTtl needs an identity source")
		}
		a.cache = newTTLCache[*lambdaEntry](maxCacheEntries)
	}
	if s.opts.Invoker == nil {
		return nil, fmt.Errorf("no invoker for function %q", c.Function)
	}
	inv, err := s.opts.Invoker(c.Function)
	if err != nil {
		return nil, fmt.Errorf("function %q: %w", c.Function, err)
	}
	if inv == nil {
		return nil, fmt.Errorf("no invoker for function %q", c.Function)
	}
	a.invoker = inv
	return a, nil
}

// lambdaRoute is a lambda authorizer bound to a route.
type lambdaRoute struct {
	a           *lambdaAuthorizer
	sources     []routeSource
	arnPrefix   string // arn:aws:execute-api:{region}:{account}:{api}/{stage}/
	stagePrefix string // "/{stage}" for a named stage, else ""
}

func (a *lambdaAuthorizer) forRoute(routeKey, resource string) *lambdaRoute {
	o := &a.set.opts
	r := &lambdaRoute{
		a:         a,
		sources:   compileSources(a.sources, o, routeKey, resource),
		arnPrefix: "arn:aws:execute-api:" + o.Region + ":" + o.AccountID + ":" + o.APIID + "/" + o.Stage + "/",
	}
	if o.Stage != defaultStage {
		r.stagePrefix = "/" + o.Stage
	}
	return r
}

// lambdaEntry is an authorizer's answer, as cached. It is immutable.
type lambdaEntry struct {
	simple     bool
	authorized bool    // simple responses
	policy     *policy // IAM policy responses
	// v1Head is AuthorizerV1 without `"integrationLatency":N}`.
	v1Head []byte
	// cached is the Result of a cache hit (integrationLatency 0).
	cached Result
}

// result returns the Result of a fresh answer, which took latency.
func (e *lambdaEntry) result(latency time.Duration) *Result {
	r := e.cached
	r.AuthorizerV1 = appendLatency(slices.Clip(e.v1Head), latency)
	return &r
}

func appendLatency(head []byte, latency time.Duration) []byte {
	if len(head) > 1 {
		head = append(head, ',')
	}
	head = append(head, `"integrationLatency":`...)
	head = strconv.AppendInt(head, latency.Milliseconds(), 10)
	return append(head, '}')
}

// authenticate answers from the cache or invokes the authorizer.
func (r *lambdaRoute) authenticate(ctx context.Context, req *Request) (*Result, *Error) {
	a := r.a
	// The cache key holds the identity values, each after its length, so
	// that no two lists of values share a key. Building it copies each value
	// as it comes: a Request accessor may reuse its buffer on the next call.
	var keyBuf [512]byte
	key := keyBuf[:0]
	for i := range r.sources {
		v := r.sources[i].value(req)
		if len(v) == 0 {
			return nil, &Error{Kind: KindUnauthorized, Reason: "identity source " + a.texts[i] + " is missing or empty"}
		}
		key = binary.AppendUvarint(key, uint64(len(v)))
		key = append(key, v...)
	}
	var arnBuf [256]byte
	arn := r.appendARN(arnBuf[:0], req)
	now := a.set.opts.Now()
	if a.cache != nil {
		if e, ok := a.cache.get(key, now); ok {
			a.set.stats.lambdaCacheHits.Add(1)
			return r.decide(e, arn, &e.cached)
		}
	}
	own := string(key)
	e, res, err := r.invoke(ctx, req, splitKey(own), arn)
	if err != nil {
		return nil, err
	}
	if a.cache != nil {
		a.cache.put(own, e, now.Add(a.ttl), now)
	}
	return r.decide(e, arn, res)
}

// splitKey returns the identity values of a cache key.
func splitKey(key string) [][]byte {
	var vals [][]byte
	b := []byte(key)
	for len(b) > 0 {
		n, size := binary.Uvarint(b)
		if size <= 0 || n > uint64(len(b)-size) {
			break // BUG: keys are built by authenticate
		}
		vals = append(vals, b[size:size+int(n)])
		b = b[size+int(n):]
	}
	return vals
}

// decide applies an answer to the request's ARN.
func (r *lambdaRoute) decide(e *lambdaEntry, arn []byte, res *Result) (*Result, *Error) {
	if e.simple {
		if e.authorized {
			return res, nil
		}
		return nil, &Error{Kind: KindForbidden, Reason: "the authorizer answered isAuthorized false"}
	}
	rest := r.a.format == formatREST
	switch e.policy.eval(arn) {
	case allow:
		return res, nil
	case explicitDeny:
		k := KindForbidden
		if rest {
			k = KindExplicitDeny
		}
		return nil, &Error{Kind: k, Reason: "the authorizer's policy denies " + string(arn)}
	}
	k := KindForbidden
	if rest {
		k = KindImplicitDeny
	}
	return nil, &Error{Kind: k, Reason: "the authorizer's policy does not allow " + string(arn)}
}

// appendARN appends the method (route) ARN of req:
// arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}, the
// path (decoded, as it selected the route) without the stage segment and
// its leading slash.
func (r *lambdaRoute) appendARN(dst []byte, req *Request) []byte {
	dst = append(dst, r.arnPrefix...)
	dst = append(dst, req.Method...)
	dst = append(dst, '/')
	p := req.Path
	if r.stagePrefix != "" && len(p) >= len(r.stagePrefix) && string(p[:len(r.stagePrefix)]) == r.stagePrefix &&
		(len(p) == len(r.stagePrefix) || p[len(r.stagePrefix)] == '/') {
		p = p[len(r.stagePrefix):]
	}
	if len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	return append(dst, p...)
}

// eventBuffers are the scratch space of one invocation.
type eventBuffers struct{ event, proxy []byte }

var eventPool = sync.Pool{New: func() any { return new(eventBuffers) }}

// maxPooledBuffer: larger buffers are not kept.
const maxPooledBuffer = 256 << 10

// invoke calls the authorizer function and parses its answer.
func (r *lambdaRoute) invoke(ctx context.Context, req *Request, vals [][]byte, arn []byte) (*lambdaEntry, *Result, *Error) {
	a := r.a
	if req.Event == nil {
		return nil, nil, &Error{Kind: KindFailure, Reason: "BUG: the request has no event builder"}
	}
	b := eventPool.Get().(*eventBuffers)
	b.proxy = req.Event(r.proxyFormat(), b.proxy[:0])
	event, err := r.appendEvent(b.event[:0], b.proxy, vals, arn)
	b.event = event
	if err != nil {
		eventPool.Put(b)
		return nil, nil, &Error{Kind: KindFailure, Reason: "building the authorizer event: " + err.Error()}
	}
	inv := backend.Invocation{Function: a.function, Event: event, RequestID: awsid.NewUUID(), TraceID: string(req.TraceID)}
	cctx, cancel := context.WithTimeout(ctx, authorizerTimeout)
	start := time.Now()
	out, err := a.invoker.Invoke(cctx, &inv, nil)
	latency := time.Since(start)
	cancel()
	a.set.stats.lambdaInvocations.Add(1)
	if err != nil {
		// The invoker may still be reading the event of an invocation that
		// timed out: do not reuse its buffer.
		return nil, nil, invokeError(err, cctx)
	}
	if cap(b.event) <= maxPooledBuffer && cap(b.proxy) <= maxPooledBuffer {
		eventPool.Put(b)
	}
	e, perr := a.parseAnswer(out)
	if perr != nil {
		return nil, nil, &Error{Kind: KindFailure, Reason: "unusable authorizer answer: " + perr.Error()}
	}
	return e, e.result(latency), nil
}

func (r *lambdaRoute) proxyFormat() string {
	if r.a.format == formatV2 {
		return "2.0"
	}
	return "1.0"
}

// invokeError classifies a failed invocation: a function error whose
// message is exactly "Unauthorized" is API Gateway's 401; every other
// failure (crash, timeout, throttling) is KindFailure.
func invokeError(err error, cctx context.Context) *Error {
	var fe *backend.FunctionError
	if errors.As(err, &fe) {
		var doc struct {
			Message string `json:"errorMessage"`
		}
		if json.Unmarshal(fe.Payload, &doc) == nil && doc.Message == "Unauthorized" {
			return &Error{Kind: KindUnauthorized, Reason: "the authorizer failed with Unauthorized", err: err}
		}
		return &Error{Kind: KindFailure, Reason: "the authorizer function failed (" + fe.Type + ")", err: err}
	}
	var ie *backend.InvokeError
	switch {
	case errors.As(err, &ie):
		return &Error{Kind: KindFailure, Reason: "the authorizer invocation failed: " + ie.Kind.String(), err: err}
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return &Error{Kind: KindFailure, Reason: "the authorizer timed out", err: err}
	}
	return &Error{Kind: KindFailure, Reason: "the authorizer invocation failed", err: err}
}

// answer is an authorizer function's result, either form.
type answer struct {
	IsAuthorized   json.RawMessage `json:"isAuthorized"`
	PrincipalID    json.RawMessage `json:"principalId"`
	PolicyDocument json.RawMessage `json:"policyDocument"`
	Context        json.RawMessage `json:"context"`
}

// parseAnswer parses the authorizer's result into a cacheable entry.
func (a *lambdaAuthorizer) parseAnswer(out []byte) (*lambdaEntry, error) {
	var ans answer
	if err := decodeJSON(out, &ans); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	e := &lambdaEntry{simple: a.simple}
	var principal string
	var hasPrincipal bool
	if a.simple {
		if err := decodeJSON(ans.IsAuthorized, &e.authorized); err != nil || !isSet(ans.IsAuthorized) {
			return nil, errors.New("isAuthorized is missing or not a boolean")
		}
	} else {
		if isSet(ans.PrincipalID) {
			if err := decodeJSON(ans.PrincipalID, &principal); err != nil {
				return nil, errors.New("principalId is not a string")
			}
			hasPrincipal = true
		} else if a.format == formatREST {
			return nil, errors.New("no principalId")
		}
		p, err := parsePolicy(ans.PolicyDocument)
		if err != nil {
			return nil, err
		}
		e.policy = p
	}

	var ctxMap map[string]any
	if isSet(ans.Context) {
		var v any
		if err := decodeJSON(ans.Context, &v); err != nil {
			return nil, fmt.Errorf("context: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errors.New("context is not an object")
		}
		ctxMap = m
	}
	if a.format != formatV2 {
		for k, v := range ctxMap {
			switch v.(type) {
			case string, json.Number, bool:
			default:
				return nil, fmt.Errorf("context value %q is not a string, number or boolean", k)
			}
		}
		if _, ok := ctxMap["claims"]; ok && a.format == formatV1 {
			return nil, errors.New(`context key "claims" is reserved`)
		}
	}

	v2 := append([]byte(nil), `{"lambda":`...)
	if ctxMap == nil {
		v2 = append(v2, "null"...)
	} else {
		v2 = appendJSONValue(v2, ctxMap, false)
	}
	e.cached.AuthorizerV2 = append(v2, '}')

	head := []byte{'{'}
	if hasPrincipal {
		head = append(head, `"principalId":`...)
		head = jsonbytes.AppendJSString(head, principal, false)
	}
	head = appendMembers(head, ctxMap, hasPrincipal, func(k string, v any) bool {
		return v != nil && k != "principalId" && k != "integrationLatency"
	}, false, appendStringified)
	e.v1Head = head
	e.cached.AuthorizerV1 = appendLatency(slices.Clip(head), 0)
	e.cached.Principal = principal
	return e, nil
}

// appendEvent appends the authorizer event: the route's proxy event (in the
// authorizer's format) reshaped as spec/authorizers.md §2.2 gives it.
func (r *lambdaRoute) appendEvent(dst, proxy []byte, vals [][]byte, arn []byte) ([]byte, error) {
	if r.a.format == formatV2 {
		dst = append(dst, `{"version":"2.0","type":"REQUEST","routeArn":`...)
		dst = jsonbytes.AppendJSString(dst, arn, false)
		dst = append(dst, `,"identitySource":[`...)
		for i, v := range vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonbytes.AppendJSString(dst, v, false)
		}
		dst = append(dst, ']')
		ok := eachMember(proxy, func(k, v []byte) bool {
			switch string(k) {
			case "version", "body", "isBase64Encoded":
				return true
			}
			dst = appendMember(dst, k, v)
			return true
		})
		if !ok {
			return dst, errors.New("the 2.0 event is not a JSON object")
		}
		return append(dst, '}'), nil
	}

	dst = append(dst, '{')
	if r.a.format == formatV1 {
		dst = append(dst, `"version":"1.0",`...)
	}
	dst = append(dst, `"type":"REQUEST","methodArn":`...)
	dst = jsonbytes.AppendJSString(dst, arn, false)
	if r.a.format == formatV1 {
		var joinBuf [512]byte
		joined := joinBuf[:0]
		for i, v := range vals {
			if i > 0 {
				joined = append(joined, ',')
			}
			joined = append(joined, v...)
		}
		dst = append(dst, `,"identitySource":`...)
		dst = jsonbytes.AppendJSString(dst, joined, false)
		dst = append(dst, `,"authorizationToken":`...)
		dst = jsonbytes.AppendJSString(dst, joined, false)
	}
	var spans [len(v1Members)][]byte
	ok := eachMember(proxy, func(k, v []byte) bool {
		if i := slices.Index(v1Members[:], string(k)); i >= 0 {
			spans[i] = v
		}
		return true
	})
	if !ok {
		return dst, errors.New("the 1.0 event is not a JSON object")
	}
	for i, name := range v1Members {
		switch {
		case spans[i] == nil:
		case name == "requestContext":
			dst = append(dst, `,"requestContext":`...)
			dst = appendReducedContext(dst, spans[i])
		default:
			dst = appendMember(dst, []byte(name), spans[i])
		}
	}
	return append(dst, '}'), nil
}

// v1Members are the members of a 1.0 proxy event a 1.0 or REST authorizer
// event keeps, in the authorizer event's order.
var v1Members = [...]string{
	"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
	"multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
}

// contextMembers are the requestContext members of a 1.0 or REST authorizer
// event, in order.
var contextMembers = [...]string{
	"path", "accountId", "resourceId", "stage", "requestId", "identity", "resourcePath", "httpMethod", "apiId",
}

// appendReducedContext appends the authorizer event's requestContext: the
// members of contextMembers, identity reduced to apiKey, sourceIp and
// clientCert.
func appendReducedContext(dst, rc []byte) []byte {
	var spans [len(contextMembers)][]byte
	eachMember(rc, func(k, v []byte) bool {
		if i := slices.Index(contextMembers[:], string(k)); i >= 0 {
			spans[i] = v
		}
		return true
	})
	dst = append(dst, '{')
	first := true
	for i, name := range contextMembers {
		v := spans[i]
		if v == nil {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonbytes.AppendJSString(dst, name, false)
		dst = append(dst, ':')
		if name != "identity" || len(v) == 0 || v[0] != '{' {
			dst = append(dst, v...)
			continue
		}
		dst = append(dst, '{')
		n := 0
		for _, want := range [...]string{"apiKey", "sourceIp", "clientCert"} {
			if iv := member(v, want); iv != nil && string(iv) != "null" {
				if n > 0 {
					dst = append(dst, ',')
				}
				n++
				dst = jsonbytes.AppendJSString(dst, want, false)
				dst = append(dst, ':')
				dst = append(dst, iv...)
			}
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// appendMember appends `,"key":value`; key is a raw (already escaped) key.
func appendMember(dst, key, value []byte) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return append(dst, value...)
}
