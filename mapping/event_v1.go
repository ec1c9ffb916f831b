package mapping

import (
	"bytes"
	"strconv"

	"github.com/portico/portico/internal/jsonbytes"
)

// appendV1 appends a payload format 1.0 event. REST events have no version
// key, keep header-name case, leave the stage out of path and keep its
// percent-encoding; HTTP API 1.0 events lower-case header names and show
// the decoded path.
func (e *encoder) appendV1(dst []byte, rt *Route, req *Request) []byte {
	r := &req.Ctx.Request
	rest := rt.API == APIREST
	if rest {
		e.collectHeaders(req, false, false, addedREST)
	} else {
		e.collectHeaders(req, true, false, addedLower)
	}

	dst = append(dst, '{')
	if !rest {
		dst = append(dst, `"version":"1.0",`...)
	}
	dst = append(dst, `"resource":`...)
	dst = append(dst, rt.resourceJSON...)

	// ctxPath is requestContext.path (with the stage), path the top-level
	// path.
	ctxPath, path := req.Path, req.Path
	if rest {
		ctxPath, path = req.RawPath, req.RawPath
		if stage := rt.stagePrefix; stage != "" && bytes.HasPrefix(req.Path, []byte(stage)) {
			path = path[rawPrefixLen(path, len(stage)):]
		}
	}
	if len(path) == 0 {
		path = []byte{'/'}
	}
	dst = append(dst, `,"path":`...)
	dst = jsonbytes.AppendString(dst, path)
	dst = append(dst, `,"httpMethod":`...)
	dst = jsonbytes.AppendString(dst, r.Header.Method())

	if h := &e.headers; len(h.list) > 0 {
		dst = append(dst, `,"headers":`...)
		dst = appendGroups(dst, h, true)
		dst = append(dst, `,"multiValueHeaders":`...)
		dst = appendMultiGroups(dst, h)
	} else {
		dst = append(dst, `,"headers":null,"multiValueHeaders":null`...)
	}
	if e.collectQuery(r.URI().QueryString(), rest); len(e.query.list) > 0 {
		dst = append(dst, `,"queryStringParameters":`...)
		dst = appendGroups(dst, &e.query, true)
		dst = append(dst, `,"multiValueQueryStringParameters":`...)
		dst = appendMultiGroups(dst, &e.query)
	} else {
		dst = append(dst, `,"queryStringParameters":null,"multiValueQueryStringParameters":null`...)
	}

	dst = appendContextHead(dst, rt, req)
	dst = append(dst, `,"extendedRequestId":`...)
	dst = jsonbytes.AppendString(dst, req.RequestID)
	dst = append(dst, `,"httpMethod":`...)
	dst = jsonbytes.AppendString(dst, r.Header.Method())
	dst = append(dst, `,"identity":{"accessKey":null,"accountId":null,"caller":null,`+
		`"cognitoAuthenticationProvider":null,"cognitoAuthenticationType":null,`+
		`"cognitoIdentityId":null,"cognitoIdentityPoolId":null,"principalOrgId":null,"sourceIp":`...)
	dst = jsonbytes.AppendString(dst, req.SourceIP)
	dst = append(dst, `,"user":null,"userAgent":`...)
	dst = jsonbytes.AppendString(dst, r.Header.UserAgent())
	dst = append(dst, `,"userArn":null`...)
	if req.IdentityExtra != nil {
		dst = append(dst, ',')
		dst = append(dst, req.IdentityExtra...)
	}
	dst = append(dst, `},"path":`...)
	if len(ctxPath) == 0 {
		dst = append(dst, `"/"`...)
	} else {
		dst = jsonbytes.AppendString(dst, ctxPath)
	}
	dst = append(dst, `,"protocol":`...)
	dst = jsonbytes.AppendString(dst, protocol(req))
	dst = append(dst, `,"requestId":`...)
	if rest {
		dst = jsonbytes.AppendString(dst, req.UUID)
	} else {
		dst = jsonbytes.AppendString(dst, req.RequestID)
	}
	dst = append(dst, `,"requestTime":"`...)
	dst = appendCLF(dst, req.Time)
	dst = append(dst, `","requestTimeEpoch":`...)
	dst = strconv.AppendInt(dst, req.Time.UnixMilli(), 10)
	dst = append(dst, `,"resourceId":`...)
	dst = append(dst, rt.resourceID...)
	dst = append(dst, `,"resourcePath":`...)
	dst = append(dst, rt.resourceJSON...)
	dst = append(dst, `,"stage":`...)
	dst = append(dst, rt.stageJSON...)
	dst = append(dst, '}')

	if len(req.Params) > 0 {
		dst = append(dst, `,"pathParameters":`...)
		dst = e.appendParams(dst, req.Params)
	} else {
		dst = append(dst, `,"pathParameters":null`...)
	}
	if rt.stageVars != nil {
		dst = append(dst, `,"stageVariables":`...)
		dst = append(dst, rt.stageVars...)
	} else {
		dst = append(dst, `,"stageVariables":null`...)
	}
	base64Body := false
	if len(r.Body()) > 0 {
		dst = append(dst, `,"body":`...)
		dst, base64Body = appendBody(dst, rt, req)
	} else {
		dst = append(dst, `,"body":null`...)
	}
	dst = append(dst, `,"isBase64Encoded":`...)
	dst = strconv.AppendBool(dst, base64Body)
	return append(dst, '}')
}
