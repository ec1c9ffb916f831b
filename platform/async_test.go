package platform

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/goccy/go-json"

	"github.com/portico/portico/internal/testkit"
)

// recorder is an Invoke API endpoint standing for a function: it fails
// the first failures calls (X-Amz-Function-Error), then answers, and keeps
// every payload it received.
type recorder struct {
	mu       sync.Mutex
	failures int
	got      [][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, body)
	if len(r.got) <= r.failures {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		io.WriteString(w, `{"errorMessage":"try again","errorType":"Flaky"}`) //nolint:errcheck
		return
	}
	io.WriteString(w, `{"ok":true}`) //nolint:errcheck
}

func (r *recorder) payloads() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.got...)
}

// TestEventRetriesAndDestinations: an Event sent with the AWS SDK to the
// served Invoke API is retried after function errors as its async block
// says, and its destination record reaches the destination function,
// through platform.Serve with real HTTP functions.
func TestEventRetriesAndDestinations(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")  // the region of the ARNs checked below
	flaky := &recorder{failures: 2}      // succeeds on the third try
	hopeless := &recorder{failures: 100} // never succeeds
	audit, dead := &recorder{}, &recorder{}
	urls := map[string]string{}
	for name, r := range map[string]*recorder{"flaky": flaky, "hopeless": hopeless, "audit": audit, "dead": dead} {
		srv := httptest.NewServer(r)
		t.Cleanup(srv.Close)
		urls[name] = srv.URL
	}
	invokeAddr := testkit.FreeAddr(t)
	file := filepath.Join(t.TempDir(), "portico.yaml")
	config := fmt.Sprintf(`
listen: 127.0.0.1:0
admin: ""
invokeApi: {listen: %q}
async: {retryDelays: [10ms, 20ms], backoff: {min: 10ms, max: 50ms}}
functions:
  flaky: {backend: http, url: %q, async: {onSuccess: {function: audit}}}
  hopeless: {backend: http, url: %q, async: {maximumRetryAttempts: 1, onFailure: {function: dead}}}
  audit: {backend: http, url: %q}
  dead: {backend: http, url: %q}
`, invokeAddr, urls["flaky"], urls["hopeless"], urls["audit"], urls["dead"])
	if err := os.WriteFile(file, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	servePlatform(t, cfg)

	client := lambda.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, func(o *lambda.Options) {
		o.BaseEndpoint = aws.String("http://" + invokeAddr)
	})
	ids := map[string]string{}
	for _, name := range []string{"flaky", "hopeless"} {
		var out *lambda.InvokeOutput
		var err error
		testkit.Eventually(t, 5*time.Second, "the Invoke API to answer", func() bool {
			out, err = client.Invoke(context.Background(), &lambda.InvokeInput{
				FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"order":7}`)})
			return err == nil
		})
		if out.StatusCode != 202 {
			t.Fatalf("%s: status %d, want 202", name, out.StatusCode)
		}
		ids[name] = requestID(t, out.ResultMetadata)
	}

	testkit.Eventually(t, 10*time.Second, "the success record", func() bool { return len(audit.payloads()) == 1 })
	testkit.Eventually(t, 10*time.Second, "the failure record", func() bool { return len(dead.payloads()) == 1 })
	if n := len(flaky.payloads()); n != 3 {
		t.Errorf("flaky invoked %d times, want 3 (2 function errors, then success)", n)
	}
	if n := len(hopeless.payloads()); n != 2 {
		t.Errorf("hopeless invoked %d times, want 2 (maximumRetryAttempts: 1)", n)
	}
	check := func(name string, raw []byte, condition string, invokes int, response string) {
		t.Helper()
		var rec struct {
			Version        string `json:"version"`
			RequestContext struct {
				RequestID              string `json:"requestId"`
				FunctionArn            string `json:"functionArn"`
				Condition              string `json:"condition"`
				ApproximateInvokeCount int    `json:"approximateInvokeCount"`
			} `json:"requestContext"`
			RequestPayload  json.RawMessage `json:"requestPayload"`
			ResponsePayload json.RawMessage `json:"responsePayload"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatalf("%s record %s: %v", name, raw, err)
		}
		rc := rec.RequestContext
		if rec.Version != "1.0" || rc.RequestID != ids[name] || rc.Condition != condition || rc.ApproximateInvokeCount != invokes ||
			rc.FunctionArn != "arn:aws:lambda:us-east-1:123456789012:function:"+name+":$LATEST" ||
			string(rec.RequestPayload) != `{"order":7}` || string(rec.ResponsePayload) != response {
			t.Errorf("%s record:\n%s\nwant condition %s after %d invokes, request id %s", name, raw, condition, invokes, ids[name])
		}
	}
	check("flaky", audit.payloads()[0], "Success", 3, `{"ok":true}`)
	check("hopeless", dead.payloads()[0], "RetriesExhausted", 2, `{"errorMessage":"try again","errorType":"Flaky"}`)
}

// requestID is the x-amzn-RequestId of an SDK answer.
func requestID(t *testing.T, md middleware.Metadata) string {
	t.Helper()
	id, ok := awsmiddleware.GetRequestIDMetadata(md)
	if !ok || id == "" {
		t.Fatal("answer without a request id")
	}
	return id
}
