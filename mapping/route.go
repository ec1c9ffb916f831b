package mapping

import (
	"sort"

	"github.com/portico/portico/internal/awsid"
	"github.com/portico/portico/internal/jsonbytes"
)

// API is the API Gateway product whose semantics a route follows.
type API uint8

const (
	// APIHTTP is API Gateway v2 (HTTP API).
	APIHTTP API = iota + 1
	// APIREST is API Gateway v1 (REST API).
	APIREST
)

// Format is a payload format version.
type Format uint8

const (
	// FormatV2 is payload format 2.0 (HTTP API only).
	FormatV2 Format = iota + 1
	// FormatV1 is payload format 1.0 (REST API, or HTTP API with "1.0").
	FormatV1
)

// Route is everything about a matched route that the event depends on. Fill
// in the exported fields, then call Compile once; a compiled Route is
// read-only and safe for concurrent use.
type Route struct {
	API    API
	Format Format
	// Key is the route key, e.g. "GET /pets/{id}" or "$default".
	Key string
	// Resource is the path template, e.g. "/pets/{id}"; "$default" for the
	// $default route.
	Resource string
	// Stage is the stage name; "$default" for the default stage.
	Stage string
	// APIID and AccountID fill requestContext.apiId and accountId.
	APIID     string
	AccountID string
	// StageVariables become the event's stageVariables.
	StageVariables map[string]string
	// BinaryMediaTypes (REST) lists request content types whose bodies travel
	// base64-encoded.
	BinaryMediaTypes MediaTypes
	// TextMediaTypes (HTTP API) lists request content types whose bodies
	// travel as text; every other body, including one without a
	// Content-Type, travels base64-encoded.
	TextMediaTypes MediaTypes

	// Fragments worked out by Compile.
	keyJSON      []byte // "GET /pets/{id}"
	resourceJSON []byte
	stageJSON    []byte
	apiIDJSON    []byte
	accountJSON  []byte
	stageVars    []byte // {"a":"b"} or nil
	resourceID   []byte // "2gxmpl" (REST) or null
	stagePrefix  string // "/dev" or "" for $default
}

// Compile works out the JSON fragments of the route. Call it once after the
// exported fields are set and before the first AppendEvent.
func (r *Route) Compile() {
	r.keyJSON = jsonbytes.AppendString(nil, r.Key)
	r.resourceJSON = jsonbytes.AppendString(nil, r.Resource)
	r.stageJSON = jsonbytes.AppendString(nil, r.Stage)
	r.apiIDJSON = jsonbytes.AppendString(nil, r.APIID)
	r.accountJSON = jsonbytes.AppendString(nil, r.AccountID)
	r.stageVars = nil
	if len(r.StageVariables) > 0 {
		names := make([]string, 0, len(r.StageVariables))
		for k := range r.StageVariables {
			names = append(names, k)
		}
		sort.Strings(names)
		b := []byte{'{'}
		for i, k := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonbytes.AppendString(b, k)
			b = append(b, ':')
			b = jsonbytes.AppendString(b, r.StageVariables[k])
		}
		r.stageVars = append(b, '}')
	}
	r.resourceID = []byte("null")
	if r.API == APIREST {
		r.resourceID = jsonbytes.AppendString(nil, awsid.StableID(r.Resource, 6))
	}
	r.stagePrefix = ""
	if r.Stage != "" && r.Stage != "$default" {
		r.stagePrefix = "/" + r.Stage
	}
}
