//go:build !race

package mapping

import "testing"

// TestAppendEventAllocs holds the encoder to its budget: a typical event
// (10 headers, 3 query parameters, 1 KB body) into a warm buffer allocates
// at most twice.
func TestAppendEventAllocs(t *testing.T) {
	for _, rt := range []Route{
		{API: APIHTTP, Format: FormatV2, Key: "POST /pets/{id}/toys", Resource: "/pets/{id}/toys"},
		{API: APIHTTP, Format: FormatV1, Key: "POST /pets/{id}/toys", Resource: "/pets/{id}/toys"},
		{API: APIREST, Format: FormatV1, Key: "POST /pets/{id}/toys", Resource: "/pets/{id}/toys"},
	} {
		route := testRoute(t, rt)
		req := typicalRequest(t)
		buf := AppendEvent(nil, route, req)
		allocs := testing.AllocsPerRun(200, func() { buf = AppendEvent(buf[:0], route, req) })
		if allocs > 2 {
			t.Errorf("%v %v: %.1f allocations per event, budget 2", rt.API, rt.Format, allocs)
		}
	}
}
