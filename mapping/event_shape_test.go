package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestEventShapeMatchesAWS checks that our events carry the same keys, at the
// top level and in requestContext, as the events AWS documents. Values in
// the samples are placeholders, so only the key sets are compared.
func TestEventShapeMatchesAWS(t *testing.T) {
	const examples = "testdata/aws-examples"
	cases := []struct {
		sample, event string
		route         Route
		// optional keys that the sample has and our event omits for this request
		ignore []string
	}{
		{"lambda-go.apigw-v2-request-no-authorizer.json", "v2-get-params",
			Route{API: APIHTTP, Format: FormatV2, Key: "GET /x", Resource: "/x", StageVariables: map[string]string{"a": "b"}},
			[]string{"body", "cookies", "queryStringParameters", "pathParameters", "stageVariables", "authentication"}},
		{"lambda-devguide.nodejs-apig.http-v2-event.json", "v2-get-params",
			Route{API: APIHTTP, Format: FormatV2, Key: "GET /x", Resource: "/x"},
			[]string{"pathParameters", "body", "stageVariables", "queryStringParameters"}},
		{"lambda-devguide.nodejs-apig.rest-v1-event.json", "rest-get",
			Route{API: APIREST, Format: FormatV1, Key: "GET /x", Resource: "/x", Stage: "dev"}, nil},
		{"apigw-docs.http-api-payload-1.0-event.json", "v1http-get",
			Route{API: APIHTTP, Format: FormatV1, Key: "GET /x", Resource: "/x"}, []string{"authorizer"}},
	}
	for _, tc := range cases {
		t.Run(tc.sample, func(t *testing.T) {
			sample := readJSONObject(t, filepath.Join(examples, tc.sample))
			raw, err := os.ReadFile(filepath.Join("testdata", "events", tc.event+".http"))
			if err != nil {
				t.Fatal(err)
			}
			event := AppendEvent(nil, testRoute(t, tc.route), testRequest(readRequest(t, raw), Param{Name: "p", Value: []byte("v")}))
			var ours map[string]any
			if err := json.Unmarshal(event, &ours); err != nil {
				t.Fatal(err)
			}
			compareKeys(t, "", sample, ours, tc.ignore)
			compareKeys(t, "requestContext.", sample["requestContext"].(map[string]any), ours["requestContext"].(map[string]any), tc.ignore)
		})
	}
}

func readJSONObject(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func compareKeys(t *testing.T, prefix string, sample, ours map[string]any, ignore []string) {
	t.Helper()
	for k := range sample {
		if _, ok := ours[k]; !ok && !slices.Contains(ignore, k) {
			t.Errorf("%s%s: in the AWS sample, missing from our event", prefix, k)
		}
	}
	for k := range ours {
		if _, ok := sample[k]; !ok && !slices.Contains(ignore, k) {
			t.Errorf("%s%s: in our event, not in the AWS sample", prefix, k)
		}
	}
}
