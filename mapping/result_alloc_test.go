//go:build !race

package mapping

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// maxResultAllocs is the allocation budget for decoding a typical result
// into a reused response. The target, and what the decoders achieve, is 0.
const maxResultAllocs = 0

// TestWriteResultAllocs holds the decoders to their budget: a typical result
// (status, three headers, a 1 KB escaped body, cookies for 2.0) decoded into
// a reused response.
func TestWriteResultAllocs(t *testing.T) {
	for _, c := range []struct {
		name  string
		write func([]byte, *fasthttp.Response, *ResultOptions) error
		opts  *ResultOptions
	}{
		{"v1", WriteResultV1, &optsV1},
		{"v1-multi", WriteResultV1, &optsV1},
		{"v1-base64", WriteResultV1, &optsV1Binary},
		{"v2", WriteResultV2, &optsV2},
		{"v2-inferred", WriteResultV2, &optsV2},
	} {
		t.Run(c.name, func(t *testing.T) {
			result := typicalResults[c.name]
			var resp fasthttp.Response
			allocs := testing.AllocsPerRun(1000, func() {
				resp.Reset()
				resp.Header.DisableNormalizing()
				if err := c.write(result, &resp, c.opts); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > maxResultAllocs {
				t.Errorf("got %.1f allocations per result, budget %d", allocs, maxResultAllocs)
			}
		})
	}
}
