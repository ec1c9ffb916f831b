package mapping

import (
	"strconv"

	"github.com/portico/portico/internal/jsonbytes"
)

// appendV2 appends a payload format 2.0 event, keys in the order AWS emits
// them.
func (e *encoder) appendV2(dst []byte, rt *Route, req *Request) []byte {
	r := &req.Ctx.Request
	e.collectHeaders(req, true, true, addedLower)

	dst = append(dst, `{"version":"2.0","routeKey":`...)
	dst = append(dst, rt.keyJSON...)
	dst = append(dst, `,"rawPath":`...)
	dst = jsonbytes.AppendString(dst, req.Path)
	rawQuery := r.URI().QueryString()
	dst = append(dst, `,"rawQueryString":`...)
	dst = jsonbytes.AppendString(dst, rawQuery)
	if c := &e.cookies; len(c.list) > 0 {
		dst = append(dst, `,"cookies":[`...)
		for i := range c.list {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonbytes.AppendString(dst, c.bytes(c.list[i].value))
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"headers":`...)
	dst = appendGroups(dst, &e.headers, false)
	if e.collectQuery(rawQuery, false); len(e.query.list) > 0 {
		dst = append(dst, `,"queryStringParameters":`...)
		dst = appendGroups(dst, &e.query, false)
	}

	dst = appendContextHead(dst, rt, req)
	dst = append(dst, `,"http":{"method":`...)
	dst = jsonbytes.AppendString(dst, r.Header.Method())
	dst = append(dst, `,"path":`...)
	dst = jsonbytes.AppendString(dst, req.Path)
	dst = append(dst, `,"protocol":`...)
	dst = jsonbytes.AppendString(dst, protocol(req))
	dst = append(dst, `,"sourceIp":`...)
	dst = jsonbytes.AppendString(dst, req.SourceIP)
	dst = append(dst, `,"userAgent":`...)
	dst = jsonbytes.AppendString(dst, r.Header.UserAgent())
	dst = append(dst, `},"requestId":`...)
	dst = jsonbytes.AppendString(dst, req.RequestID)
	dst = append(dst, `,"routeKey":`...)
	dst = append(dst, rt.keyJSON...)
	dst = append(dst, `,"stage":`...)
	dst = append(dst, rt.stageJSON...)
	dst = append(dst, `,"time":"`...)
	dst = appendCLF(dst, req.Time)
	dst = append(dst, `","timeEpoch":`...)
	dst = strconv.AppendInt(dst, req.Time.UnixMilli(), 10)
	dst = append(dst, '}')

	base64Body := false
	if len(r.Body()) > 0 {
		dst = append(dst, `,"body":`...)
		dst, base64Body = appendBody(dst, rt, req)
	}
	if len(req.Params) > 0 {
		dst = append(dst, `,"pathParameters":`...)
		dst = e.appendParams(dst, req.Params)
	}
	dst = append(dst, `,"isBase64Encoded":`...)
	dst = strconv.AppendBool(dst, base64Body)
	if rt.stageVars != nil {
		dst = append(dst, `,"stageVariables":`...)
		dst = append(dst, rt.stageVars...)
	}
	return append(dst, '}')
}
