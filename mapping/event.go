package mapping

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/jsonbytes"
)

// encoder is the scratch space of one AppendEvent call.
type encoder struct {
	headers pairs
	query   pairs
	cookies pairs
}

var encoderPool = sync.Pool{New: func() any { return new(encoder) }}

// maxPooledScratch keeps a request with huge headers from pinning its
// scratch space in the pool.
const maxPooledScratch = 64 << 10

func acquireEncoder() *encoder { return encoderPool.Get().(*encoder) }

func releaseEncoder(e *encoder) {
	if cap(e.headers.arena) > maxPooledScratch || cap(e.query.arena) > maxPooledScratch || cap(e.cookies.arena) > maxPooledScratch ||
		cap(e.headers.list) > 1024 || cap(e.query.list) > 1024 {
		return
	}
	e.headers.reset()
	e.query.reset()
	e.cookies.reset()
	encoderPool.Put(e)
}

// AppendEvent appends the event API Gateway would send for req on route rt
// to dst and returns the extended buffer. rt must be compiled. Safe for
// concurrent use.
func AppendEvent(dst []byte, rt *Route, req *Request) []byte {
	e := acquireEncoder()
	if rt.Format == FormatV1 {
		dst = e.appendV1(dst, rt, req)
	} else {
		dst = e.appendV2(dst, rt, req)
	}
	releaseEncoder(e)
	return dst
}

// collectHeaders gathers the request headers in the order received, leaving
// out those API Gateway replaces and, when cookies is set, the Cookie
// header, whose items go to e.cookies instead.
func (e *encoder) collectHeaders(req *Request, lowerNames, cookies bool, addedCase addedNames) {
	h := &e.headers
	for k, v := range req.Ctx.Request.Header.AllInOrder() {
		if isAddedHeader(k) {
			continue
		}
		if cookies && equalFoldString(k, "cookie") {
			e.collectCookies(v)
			continue
		}
		nameOff := len(h.arena)
		if lowerNames {
			h.appendLower(k)
		} else {
			h.arena = append(h.arena, k...)
		}
		valueOff := len(h.arena)
		h.arena = append(h.arena, v...)
		h.add(nameOff, valueOff)
	}
	e.addHeader(addedCase.forwardedFor, req.ForwardedFor)
	e.addHeader(addedCase.forwardedPort, req.ForwardedPort)
	e.addHeader(addedCase.forwardedProto, req.ForwardedProto)
	e.addHeader(addedCase.traceID, req.TraceID)
}

type addedNames struct{ forwardedFor, forwardedPort, forwardedProto, traceID string }

var (
	addedLower = addedNames{"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"}
	addedREST  = addedNames{hdrForwardedFor, hdrForwardedPort, hdrForwardedProto, hdrTraceID}
)

func (e *encoder) addHeader(name string, value []byte) {
	if len(value) == 0 {
		return
	}
	h := &e.headers
	nameOff := len(h.arena)
	h.arena = append(h.arena, name...)
	valueOff := len(h.arena)
	h.arena = append(h.arena, value...)
	h.add(nameOff, valueOff)
}

// collectCookies splits a Cookie header value into its name=value items.
func (e *encoder) collectCookies(v []byte) {
	c := &e.cookies
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte{';'})
		item = bytes.TrimSpace(item)
		if len(item) == 0 {
			continue
		}
		off := len(c.arena)
		c.arena = append(c.arena, item...)
		c.list = append(c.list, pair{value: span{int32(off), int32(len(item))}, next: -1})
	}
}

// collectQuery gathers the decoded query parameters. REST also splits on ';'.
func (e *encoder) collectQuery(raw []byte, semicolon bool) {
	q := &e.query
	for len(raw) > 0 {
		end := bytes.IndexByte(raw, '&')
		if semicolon {
			if i := bytes.IndexByte(raw, ';'); i >= 0 && (end < 0 || i < end) {
				end = i
			}
		}
		var item []byte
		if end < 0 {
			item, raw = raw, nil
		} else {
			item, raw = raw[:end], raw[end+1:]
		}
		if len(item) == 0 {
			continue
		}
		name, value, _ := bytes.Cut(item, []byte{'='})
		nameOff := len(q.arena)
		q.appendUnescaped(name, true)
		valueOff := len(q.arena)
		q.appendUnescaped(value, true)
		q.add(nameOff, valueOff)
	}
}

// appendJoined appends a JSON object of p's groups, each group's values
// joined with sep ("," for HTTP API 2.0); lastOnly keeps only the last value
// instead (1.0's single-value maps).
func appendGroups(dst []byte, p *pairs, lastOnly bool) []byte {
	dst = append(dst, '{')
	for gi, g := range p.groups {
		if gi > 0 {
			dst = append(dst, ',')
		}
		dst = jsonbytes.AppendString(dst, p.bytes(p.list[g.head].name))
		dst = append(dst, ':', '"')
		if lastOnly {
			dst = jsonbytes.AppendStringBody(dst, p.bytes(p.list[g.tail].value))
		} else {
			for i := g.head; i >= 0; i = p.list[i].next {
				if i != g.head {
					dst = append(dst, ',')
				}
				dst = jsonbytes.AppendStringBody(dst, p.bytes(p.list[i].value))
			}
		}
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// appendMultiGroups appends a JSON object of p's groups as arrays of values.
func appendMultiGroups(dst []byte, p *pairs) []byte {
	dst = append(dst, '{')
	for gi, g := range p.groups {
		if gi > 0 {
			dst = append(dst, ',')
		}
		dst = jsonbytes.AppendString(dst, p.bytes(p.list[g.head].name))
		dst = append(dst, ':', '[')
		for i := g.head; i >= 0; i = p.list[i].next {
			if i != g.head {
				dst = append(dst, ',')
			}
			dst = jsonbytes.AppendString(dst, p.bytes(p.list[i].value))
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendParams appends the path parameters as a JSON object.
func (e *encoder) appendParams(dst []byte, params []Param) []byte {
	dst = append(dst, '{')
	for i := range params {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonbytes.AppendString(dst, params[i].Name)
		dst = append(dst, ':')
		dst = jsonbytes.AppendString(dst, params[i].Value)
	}
	return append(dst, '}')
}

// appendBody appends the "body" value and reports whether it was base64
// encoded. HTTP APIs pass text media types as text and everything else as
// base64; REST APIs base64-encode only binaryMediaTypes.
func appendBody(dst []byte, rt *Route, req *Request) ([]byte, bool) {
	body := req.Ctx.Request.Body()
	ct := req.Ctx.Request.Header.ContentType()
	var binary bool
	if rt.API == APIREST {
		binary = rt.BinaryMediaTypes.Match(ct)
	} else {
		binary = !rt.TextMediaTypes.Match(ct) || !utf8.Valid(body)
	}
	if !binary {
		return jsonbytes.AppendString(dst, body), false
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, body)
	return append(dst, '"'), true
}

// appendContextHead opens requestContext with the keys both formats share,
// in the order AWS emits them: accountId, apiId, authorizer, domainName,
// domainPrefix.
func appendContextHead(dst []byte, rt *Route, req *Request) []byte {
	dst = append(dst, `,"requestContext":{"accountId":`...)
	dst = append(dst, rt.accountJSON...)
	dst = append(dst, `,"apiId":`...)
	dst = append(dst, rt.apiIDJSON...)
	if req.Authorizer != nil {
		dst = append(dst, `,"authorizer":`...)
		dst = append(dst, req.Authorizer...)
	}
	dst = append(dst, ',')
	return appendDomain(dst, req)
}

// appendDomain appends "domainName":…,"domainPrefix":… from the Host header.
func appendDomain(dst []byte, req *Request) []byte {
	host := req.Ctx.Request.Header.Host()
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.IndexByte(host[i:], ']') < 0 {
		host = host[:i]
	}
	prefix, _, _ := bytes.Cut(host, []byte{'.'})
	dst = append(dst, `"domainName":`...)
	dst = jsonbytes.AppendString(dst, host)
	dst = append(dst, `,"domainPrefix":`...)
	return jsonbytes.AppendString(dst, prefix)
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendCLF appends t in UTC as "10/Mar/2020:05:16:23 +0000".
func appendCLF(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = append2(dst, day)
	dst = append(dst, '/')
	dst = append(dst, months[month-1]...)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, int64(year), 10)
	dst = append(dst, ':')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	dst = append2(dst, sec)
	return append(dst, " +0000"...)
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }

// protocol returns the request's protocol as API Gateway reports it.
func protocol(req *Request) []byte {
	if p := req.Ctx.Request.Header.Protocol(); len(p) > 0 {
		return p
	}
	return []byte("HTTP/1.1")
}
