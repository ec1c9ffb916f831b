package invokeapi

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/awsid"
	"github.com/portico/portico/internal/lambdalimit"
)

// maxBodyBytes is the most of a request body the server reads: Lambda's
// synchronous payload limit. A body over it is refused whole, and the
// server never holds more than this of it.
const maxBodyBytes = lambdalimit.RequestBytes

// A body over the limit is read and dropped, up to maxDiscardBytes or for
// up to discardTime, before the 413 goes out and the connection closes:
// closing on a client still sending makes the kernel reset the connection,
// which can destroy the answer before the client reads it.
const (
	maxDiscardBytes = 2 * maxBodyBytes
	discardTime     = time.Second
)

// pathPrefix is the API version prefix of every operation.
const pathPrefix = "/2015-03-31/functions"

// errBodyTooLarge: the body is over maxBodyBytes.
var errBodyTooLarge = errors.New("invokeapi: body too large")

// handle serves one request: authenticate from the headers, read the body
// (capped), verify the signature with the body's hash, and only then route
// to the operation.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	requestID := awsid.NewUUID()
	ctx.Response.Header.Set("x-amzn-RequestId", requestID)

	var sr signedRequest
	if s.verifier != nil {
		var err *Error
		if sr, err = s.verifier.checkHeaders(&ctx.Request, s.now()); err != nil {
			s.refuseAuth(ctx, err)
			return
		}
	} else if err := s.refuseBrowser(&ctx.Request); err != nil {
		s.refuseAuth(ctx, err)
		return
	}
	body, rerr := readBody(ctx)
	if rerr != nil {
		ctx.SetConnectionClose()
		if errors.Is(rerr, errBodyTooLarge) {
			s.metrics.refused("", "", tooLarge(0, false))
			tooLarge(0, false).write(ctx)
		}
		return // a body that did not arrive gets no answer
	}
	if s.verifier != nil {
		if err := s.verifier.checkSignature(&ctx.Request, body, &sr); err != nil {
			s.refuseAuth(ctx, err)
			return
		}
	}
	s.route(ctx, requestID, body)
}

func (s *Server) refuseAuth(ctx *fasthttp.RequestCtx, err *Error) {
	s.metrics.authFailure(err.Type)
	err.write(ctx)
}

// route calls the operation the method and path name. The path is read as
// sent, not normalized, and the function name in it unescaped: the SDKs
// escape the ':' of ARNs.
func (s *Server) route(ctx *fasthttp.RequestCtx, requestID string, body []byte) {
	path := string(ctx.Request.URI().PathOriginal())
	rest, ok := strings.CutPrefix(path, pathPrefix)
	method := string(ctx.Method())
	if !ok {
		unknownOperation().write(ctx)
		return
	}
	if rest == "" || rest == "/" {
		if method != fasthttp.MethodGet {
			unknownOperation().write(ctx)
			return
		}
		s.listFunctions(ctx)
		return
	}
	if rest[0] != '/' {
		unknownOperation().write(ctx)
		return
	}
	escaped, op, _ := strings.Cut(rest[1:], "/")
	name, err := url.PathUnescape(escaped)
	switch {
	case name == "" || err != nil:
		unknownOperation().write(ctx)
	case op == "invocations" && method == fasthttp.MethodPost:
		s.serveInvoke(ctx, requestID, name, body)
	case op == "" && method == fasthttp.MethodGet:
		s.getFunction(ctx, name, true)
	case op == "configuration" && method == fasthttp.MethodGet:
		s.getFunction(ctx, name, false)
	default:
		unknownOperation().write(ctx)
	}
}

// serveInvoke is the Invoke operation.
func (s *Server) serveInvoke(ctx *fasthttp.RequestCtx, requestID, name string, body []byte) {
	h := &ctx.Request.Header
	c := Call{
		FunctionName:  name,
		Qualifier:     string(ctx.QueryArgs().Peek("Qualifier")),
		Type:          string(h.Peek("X-Amz-Invocation-Type")),
		Payload:       body,
		ClientContext: string(h.Peek("X-Amz-Client-Context")),
		RequestID:     requestID,
	}
	switch lt := string(h.Peek("X-Amz-Log-Type")); lt {
	case "", "None":
	case "Tail":
		c.LogTail = true
	default:
		validationError(lt, "logType", "Member must satisfy enum value set: [Tail, None]").write(ctx)
		return
	}
	res, err := s.Invoke(s.base, c)
	if err != nil {
		err.write(ctx)
		return
	}
	ctx.SetStatusCode(res.Status)
	if res.Status != fasthttp.StatusOK {
		return
	}
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("X-Amz-Executed-Version", res.ExecutedVersion)
	if res.FunctionError != "" {
		ctx.Response.Header.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if c.LogTail {
		ctx.Response.Header.Set("X-Amz-Log-Result", res.LogResult)
	}
	ctx.SetBody(res.Payload)
}

// readBody returns the request's body, reading a streamed one as it
// arrives, into a buffer that grows with what arrived, never past
// maxBodyBytes: a declared length is not trusted. A body over the limit is
// read and dropped up to maxDiscardBytes, then errBodyTooLarge.
func readBody(ctx *fasthttp.RequestCtx) ([]byte, error) {
	req := &ctx.Request
	if !req.IsBodyStream() {
		if len(req.Body()) > maxBodyBytes {
			return nil, errBodyTooLarge
		}
		return req.Body(), nil
	}
	r := req.BodyStream()
	if req.Header.ContentLength() > maxBodyBytes {
		discard(ctx, r)
		return nil, errBodyTooLarge
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, maxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if n > maxBodyBytes {
		discard(ctx, r)
		return nil, errBodyTooLarge
	}
	if cl := req.Header.ContentLength(); cl >= 0 && int64(cl) != n {
		return nil, io.ErrUnexpectedEOF
	}
	return buf.Bytes(), nil
}

// discard reads and drops the rest of a body over the limit, within
// maxDiscardBytes and discardTime. The connection closes after the answer,
// so the read deadline set here outlives nothing.
func discard(ctx *fasthttp.RequestCtx, r io.Reader) {
	_ = ctx.Conn().SetReadDeadline(time.Now().Add(discardTime))
	_, _ = io.Copy(io.Discard, io.LimitReader(r, maxDiscardBytes))
}
