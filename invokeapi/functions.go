package invokeapi

import (
	"encoding/base64"
	"runtime"
	"sort"
	"strconv"

	"github.com/goccy/go-json"
	"github.com/valyala/fasthttp"
)

// listPage is the most functions one ListFunctions answer holds, as Lambda
// returns at most 50 "even if you set the number higher".
const listPage = 50

// maxListItems is MaxItems' upper bound in the API model.
const maxListItems = 10000

// lastModifiedFormat is the format of FunctionConfiguration.LastModified,
// e.g. 2019-09-24T18:20:30.000+0000.
const lastModifiedFormat = "2006-01-02T15:04:05.000-0700"

// functionConfiguration is Lambda's FunctionConfiguration, with the
// members a local function has. Members Lambda would fill from things
// Portico does not have (role, code hash, layers, VPC) are left out, as
// Lambda leaves out what a function does not use.
type functionConfiguration struct {
	FunctionName     string       `json:"FunctionName"`
	FunctionArn      string       `json:"FunctionArn"`
	Runtime          string       `json:"Runtime,omitempty"`
	Handler          string       `json:"Handler,omitempty"`
	CodeSize         int64        `json:"CodeSize"`
	Timeout          int          `json:"Timeout,omitempty"`
	MemorySize       int          `json:"MemorySize,omitempty"`
	LastModified     string       `json:"LastModified"`
	Version          string       `json:"Version"`
	Environment      *environment `json:"Environment,omitempty"`
	State            string       `json:"State"`
	LastUpdateStatus string       `json:"LastUpdateStatus"`
	PackageType      string       `json:"PackageType"`
	Architectures    []string     `json:"Architectures"`
}

type environment struct {
	Variables map[string]string `json:"Variables"`
}

// codeLocation is GetFunction's Code member. A local function's code has
// no download URL, so Location is left out.
type codeLocation struct {
	RepositoryType string `json:"RepositoryType"`
}

// architecture is Lambda's name of the architecture Portico runs on.
var architecture = func() string {
	if runtime.GOARCH == "arm64" {
		return "arm64"
	}
	return "x86_64"
}()

func (s *Server) configuration(set *functionSet, name string) functionConfiguration {
	f := set.byName[name]
	d := &f.Description
	c := functionConfiguration{
		FunctionName: name, FunctionArn: f.ARN, Runtime: d.Runtime, Handler: d.Handler,
		Timeout: int(d.Timeout.Seconds()), MemorySize: d.MemoryMB,
		LastModified: set.modified.Format(lastModifiedFormat), Version: latest,
		State: "Active", LastUpdateStatus: "Successful", PackageType: "Zip",
		Architectures: []string{architecture},
	}
	if len(d.Environment) > 0 {
		c.Environment = &environment{Variables: d.Environment}
	}
	return c
}

// getFunction is GetFunction (withCode) and GetFunctionConfiguration.
func (s *Server) getFunction(ctx *fasthttp.RequestCtx, param string, withCode bool) {
	name, _, err := s.resolve(param, string(ctx.QueryArgs().Peek("Qualifier")))
	if err != nil {
		err.write(ctx)
		return
	}
	set := s.functions.Load()
	if set.byName[name] == nil { // removed by a reload since resolve
		functionNotFound(s.arn(name)).write(ctx)
		return
	}
	c := s.configuration(set, name)
	if withCode {
		writeJSON(ctx, struct {
			Configuration functionConfiguration `json:"Configuration"`
			Code          codeLocation          `json:"Code"`
		}{c, codeLocation{RepositoryType: "S3"}})
		return
	}
	writeJSON(ctx, c)
}

// listFunctions is ListFunctions. Marker is opaque to clients: the base64
// of the last name of the previous page, so paging goes on in name order
// across a reload that adds or removes functions.
func (s *Server) listFunctions(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	limit := listPage
	if raw := args.Peek("MaxItems"); raw != nil {
		n, err := strconv.Atoi(string(raw))
		switch {
		case err != nil:
			validationError(string(raw), "maxItems", "Member must be an integer").write(ctx)
			return
		case n < 1:
			validationError(string(raw), "maxItems", "Member must have value greater than or equal to 1").write(ctx)
			return
		case n > maxListItems:
			validationError(string(raw), "maxItems", "Member must have value less than or equal to 10000").write(ctx)
			return
		}
		limit = min(n, listPage)
	}
	set := s.functions.Load()
	start := 0
	if raw := args.Peek("Marker"); len(raw) > 0 {
		after, err := base64.RawURLEncoding.DecodeString(string(raw))
		if err != nil {
			invalidParameter("Invalid marker: " + string(raw)).write(ctx)
			return
		}
		start = sort.Search(len(set.names), func(i int) bool { return set.names[i] > string(after) })
	}
	end := min(start+limit, len(set.names))
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker string                  `json:"NextMarker,omitempty"`
	}{Functions: make([]functionConfiguration, 0, end-start)}
	for _, name := range set.names[start:end] {
		out.Functions = append(out.Functions, s.configuration(set, name))
	}
	if end < len(set.names) {
		out.NextMarker = base64.RawURLEncoding.EncodeToString([]byte(set.names[end-1]))
	}
	writeJSON(ctx, out)
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		serviceError().write(ctx)
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}
