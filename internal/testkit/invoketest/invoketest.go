// Package invoketest is a Lambda Invoke API endpoint on 127.0.0.1 whose
// answer the request path picks: the stand-in function of the tests of
// backend/httpbackend and gateway. It imports nothing of the module but
// internal/lambdalimit.
package invoketest

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/internal/lambdalimit"
)

// SlowAfter is how long /slow takes to answer: longer than the timeouts the
// tests set, shorter than the ones they leave at the default.
const SlowAfter = 1500 * time.Millisecond

// Start serves the endpoint until the test ends and returns its base URL,
// http://127.0.0.1:PORT. The path picks the answer:
//
//	/ok         200 {"statusCode":200,"body":"ok"}
//	/echo       200 with the request body
//	/ctx        200 with the X-Amz-Client-Context header's value
//	/error      an Unhandled function error ("boom")
//	/slow       200 {"statusCode":200,"body":"late"} after SlowAfter (nothing if the test ends first)
//	/big        200 with a result one byte over Lambda's response limit
//	/throttled  429 with Lambda's Rate Exceeded body
//	/garbage    200 with a body that is not JSON
//	/NNN        status NNN, no body
func Start(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: serve}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func serve(ctx *fasthttp.RequestCtx) {
	switch path := string(ctx.Path()); path {
	case "/ok":
		ctx.SetBodyString(`{"statusCode":200,"body":"ok"}`)
	case "/echo":
		ctx.SetBody(ctx.Request.Body())
	case "/ctx":
		ctx.SetBody(ctx.Request.Header.Peek("X-Amz-Client-Context"))
	case "/error":
		ctx.Response.Header.Set("X-Amz-Function-Error", "Unhandled")
		ctx.SetBodyString(`{"errorMessage":"boom","errorType":"errorString"}`)
	case "/slow":
		t := time.NewTimer(SlowAfter)
		defer t.Stop()
		select {
		case <-t.C:
			ctx.SetBodyString(`{"statusCode":200,"body":"late"}`)
		case <-ctx.Done(): // the server is shutting down
		}
	case "/big":
		ctx.SetBody(make([]byte, lambdalimit.ResponseBytes+1))
	case "/throttled":
		ctx.SetStatusCode(fasthttp.StatusTooManyRequests)
		ctx.SetBodyString(`{"Type":"User","message":"Rate Exceeded."}`)
	case "/garbage":
		ctx.SetBodyString(`<html>not json`)
	default:
		status, err := strconv.Atoi(path[1:])
		if err != nil {
			status = fasthttp.StatusNotFound
		}
		ctx.SetStatusCode(status)
	}
}

// DeadURL returns the URL of a 127.0.0.1 port nothing listens on.
func DeadURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
