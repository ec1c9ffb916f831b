package invokeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/portico/portico/async"
	"github.com/portico/portico/internal/lambdalimit"
)

func TestSDKInvokeSync(t *testing.T) {
	_, url, _ := newSigned(t)
	client := sdkClient(url, testKey, testSecret)
	ctx := context.Background()
	arn := "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:echo"
	for _, tc := range []struct {
		name, function, qualifier string
	}{
		{"name", "echo", ""},
		{"name and $LATEST", "echo:$LATEST", ""},
		{"qualifier parameter", "echo", "$LATEST"},
		{"partial ARN", testAccount + ":function:echo", ""},
		{"full ARN", arn, ""},
		{"full ARN with qualifier", arn + ":$LATEST", "$LATEST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.InvokeInput{FunctionName: aws.String(tc.function), Payload: []byte(`{"hello":"world"}`)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			out, err := client.Invoke(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if out.StatusCode != 200 || aws.ToString(out.ExecutedVersion) != "$LATEST" || out.FunctionError != nil {
				t.Errorf("got status %d, version %q, function error %v", out.StatusCode, aws.ToString(out.ExecutedVersion), out.FunctionError)
			}
			if want := `"body":"{\"hello\":\"world\"}"`; !bytes.Contains(out.Payload, []byte(want)) {
				t.Errorf("got payload %s, want it to contain %s", out.Payload, want)
			}
		})
	}

	t.Run("empty payload is {}", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo")})
		if err != nil {
			t.Fatal(err)
		}
		if want := `"body":"{}"`; !bytes.Contains(out.Payload, []byte(want)) {
			t.Errorf("got payload %s, want it to contain %s", out.Payload, want)
		}
	})
	t.Run("mock", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("teapot")})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(out.Payload), `{"body":"short and stout","statusCode":418}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("function error", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fails")})
		if err != nil {
			t.Fatal(err)
		}
		if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" {
			t.Errorf("got status %d, function error %q", out.StatusCode, aws.ToString(out.FunctionError))
		}
		if got, want := string(out.Payload), `{"errorMessage":"boom","errorType":"errorString"}`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("timeout is a function error", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("late")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionError) != "Unhandled" || !bytes.Contains(out.Payload, []byte("Task timed out after 1.00 seconds")) ||
			!bytes.Contains(out.Payload, []byte(`"errorType":"Sandbox.Timedout"`)) {
			t.Errorf("got function error %q, payload %s", aws.ToString(out.FunctionError), out.Payload)
		}
	})
	t.Run("log tail", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("logs"), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatal(err)
		}
		tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(tail), "hello from logs\n") || !strings.HasPrefix(string(tail), "START RequestId: ") {
			t.Errorf("got log tail %q", tail)
		}
	})
	t.Run("client context", func(t *testing.T) {
		cc := `{"custom":{"k":"v"},"env":{"platform":"test"}}`
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("context"),
			ClientContext: aws.String(base64.StdEncoding.EncodeToString([]byte(cc)))})
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Payload) != cc {
			t.Errorf("got %s, want %s", out.Payload, cc)
		}
	})
}

func TestSDKInvokeAsyncAndDryRun(t *testing.T) {
	_, url, q := newSigned(t)
	client := sdkClient(url, testKey, testSecret)
	ctx := context.Background()

	out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 202 || len(out.Payload) != 0 {
		t.Errorf("got status %d, payload %q; want 202 and none", out.StatusCode, out.Payload)
	}
	got := q.got()
	if len(got) != 1 || got[0].function != "echo" || string(got[0].payload) != `{"n":1}` || len(got[0].requestID) != 36 {
		t.Fatalf("queue got %+v", got)
	}

	out, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeDryRun})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 204 || len(q.got()) != 1 {
		t.Errorf("got status %d and %d queued events; want 204 and still 1", out.StatusCode, len(q.got()))
	}

	q.mu.Lock()
	q.err = async.ErrQueueFull
	q.mu.Unlock()
	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeEvent})
	var tmr *types.TooManyRequestsException
	if !errors.As(err, &tmr) {
		t.Fatalf("queue full: got %v, want TooManyRequestsException", err)
	}
}

// wantAPIError fails t unless err is a refusal with the given HTTP status,
// error code and message (a prefix of it when message ends in "…").
func wantAPIError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want an API error %s", err, code)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Errorf("got status %d, want %d", re.HTTPStatusCode(), status)
	}
	if re != nil && re.ServiceRequestID() == "" {
		t.Error("the refusal carries no request id")
	}
	if ae.ErrorCode() != code {
		t.Errorf("got code %q, want %q (%v)", ae.ErrorCode(), code, err)
	}
	if m, prefix := strings.CutSuffix(message, "…"); prefix && !strings.HasPrefix(ae.ErrorMessage(), m) ||
		!prefix && ae.ErrorMessage() != message {
		t.Errorf("got message %q, want %q", ae.ErrorMessage(), message)
	}
}

func TestSDKInvokeRefusals(t *testing.T) {
	_, url, _ := newSigned(t)
	client := sdkClient(url, testKey, testSecret)
	ctx := context.Background()
	arn := "arn:aws:lambda:" + testRegion + ":" + testAccount + ":function:"
	for _, tc := range []struct {
		name    string
		in      lambda.InvokeInput
		status  int
		code    string
		message string
	}{
		{"unknown function", lambda.InvokeInput{FunctionName: aws.String("nope")},
			404, "ResourceNotFoundException", "Function not found: " + arn + "nope"},
		{"unknown version", lambda.InvokeInput{FunctionName: aws.String("echo"), Qualifier: aws.String("1")},
			404, "ResourceNotFoundException", "Function not found: " + arn + "echo:1"},
		{"unknown alias in the name", lambda.InvokeInput{FunctionName: aws.String("echo:live")},
			404, "ResourceNotFoundException", "Function not found: " + arn + "echo:live"},
		{"other account", lambda.InvokeInput{FunctionName: aws.String("210987654321:function:echo")},
			404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:210987654321:function:echo"},
		{"other region", lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:" + testAccount + ":function:echo")},
			404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:eu-west-1:" + testAccount + ":function:echo"},
		{"qualifier mismatch", lambda.InvokeInput{FunctionName: aws.String("echo:$LATEST"), Qualifier: aws.String("live")},
			400, "InvalidParameterValueException", "The derived qualifier from the function name does not match the specified qualifier."},
		{"bad name", lambda.InvokeInput{FunctionName: aws.String("no spaces")},
			400, "ValidationException", "1 validation error detected: Value 'no spaces' at 'functionName' failed to satisfy constraint: …"},
		{"not JSON", lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte("not json")},
			400, "InvalidRequestContentException", "Could not parse request body into json: Could not parse payload into json: …"},
		{"bad client context", lambda.InvokeInput{FunctionName: aws.String("echo"), ClientContext: aws.String("%%%")},
			400, "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object…"},
		{"too large", lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: jsonOfSize(lambdalimit.RequestBytes + 1)},
			413, "RequestEntityTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{"event too large", lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeEvent,
			Payload: jsonOfSize(eventBytes + 1)},
			413, "RequestEntityTooLargeException", "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
		{"throttled", lambda.InvokeInput{FunctionName: aws.String("busy")},
			429, "TooManyRequestsException", "Rate Exceeded."},
		{"unavailable", lambda.InvokeInput{FunctionName: aws.String("down")},
			500, "ServiceException", "An error occurred and the request cannot be processed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Invoke(ctx, &tc.in)
			wantAPIError(t, err, tc.status, tc.code, tc.message)
		})
	}

	t.Run("sync payload at the limit", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("teapot"), Payload: jsonOfSize(lambdalimit.RequestBytes)})
		if err != nil || out.StatusCode != 200 {
			t.Fatalf("got %v, want 200", err)
		}
	})
	t.Run("typed errors", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
		var rnf *types.ResourceNotFoundException
		if !errors.As(err, &rnf) || aws.ToString(rnf.Type) != "User" {
			t.Errorf("got %#v, want *types.ResourceNotFoundException of Type User", err)
		}
		_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("busy")})
		var tmr *types.TooManyRequestsException
		if !errors.As(err, &tmr) || tmr.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
			t.Errorf("got %#v, want *types.TooManyRequestsException with a Reason", err)
		}
	})
}

// jsonOfSize returns a JSON string document of exactly n bytes.
func jsonOfSize(n int) []byte {
	b := bytes.Repeat([]byte("a"), n)
	b[0], b[n-1] = '"', '"'
	return b
}

func TestSDKAuthentication(t *testing.T) {
	_, url, _ := newSigned(t)
	ctx := context.Background()
	in := &lambda.InvokeInput{FunctionName: aws.String("echo")}

	_, err := sdkClient(url, testKey, "wrong-secret").Invoke(ctx, in)
	wantAPIError(t, err, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. …")

	_, err = sdkClient(url, "AKIDUNKNOWN", testSecret).Invoke(ctx, in)
	wantAPIError(t, err, 403, "UnrecognizedClientException", "The security token included in the request is invalid.")

	_, err = sdkClient(url, "", "").Invoke(ctx, in)
	wantAPIError(t, err, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")

	_, err = sdkClient(url, "", "").ListFunctions(ctx, &lambda.ListFunctionsInput{})
	wantAPIError(t, err, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")

	eu := lambda.NewFromConfig(aws.Config{Region: "eu-west-1", Credentials: sdkClient(url, testKey, testSecret).Options().Credentials},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(url); o.Retryer = aws.NopRetryer{} })
	_, err = eu.Invoke(ctx, in)
	wantAPIError(t, err, 403, "InvalidSignatureException", "Credential should be scoped to a valid region. ")
}

func TestSDKSignatureExpired(t *testing.T) {
	// The server's clock runs 6 minutes ahead of the client's.
	ahead := func() time.Time { return time.Now().Add(6 * time.Minute) }
	_, url, _ := newSigned(t, WithClock(ahead))
	_, err := sdkClient(url, testKey, testSecret).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("echo")})
	wantAPIError(t, err, 403, "InvalidSignatureException", "Signature expired: …")
	var ae smithy.APIError
	if errors.As(err, &ae) && !strings.HasSuffix(ae.ErrorMessage(), " - 5 min.)") {
		t.Errorf("got message %q", ae.ErrorMessage())
	}
}

func TestSDKUnsigned(t *testing.T) {
	s := New(&Config{Listen: "127.0.0.1:0"}, testFunctions(t), nil, WithRegion(testRegion), WithAccount(testAccount))
	url := startServer(t, s)
	client := sdkClient(url, "", "")
	out, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("teapot")})
	if err != nil || out.StatusCode != 200 {
		t.Fatalf("got %v", err)
	}
	// Signed requests are served too, whatever key signed them.
	if _, err := sdkClient(url, "any", "thing").Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("teapot")}); err != nil {
		t.Fatal(err)
	}
	_, err = client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("echo"), InvocationType: types.InvocationTypeEvent})
	wantAPIError(t, err, 500, "ServiceException", "Asynchronous invocation is not available: Portico runs no async queue")
}

func TestSDKListAndGetFunctions(t *testing.T) {
	_, url, _ := newSigned(t)
	client := sdkClient(url, testKey, testSecret)
	ctx := context.Background()

	var names []string
	pages := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{MaxItems: aws.Int32(3)})
	for i := 0; pages.HasMorePages(); i++ {
		if i > 10 {
			t.Fatal("paging does not end")
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Functions) > 3 {
			t.Errorf("got %d functions on a page of 3", len(page.Functions))
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if got, want := strings.Join(names, ","), "busy,context,down,echo,fails,late,logs,teapot"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}

	out, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("echo")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Configuration
	if aws.ToString(c.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:echo" || aws.ToInt32(c.Timeout) != 3 ||
		aws.ToInt32(c.MemorySize) != 128 || aws.ToString(c.Version) != "$LATEST" || c.State != types.StateActive ||
		c.LastUpdateStatus != types.LastUpdateStatusSuccessful || c.PackageType != types.PackageTypeZip ||
		c.Environment == nil || c.Environment.Variables["GREETING"] != "hi" || aws.ToString(c.Handler) != "echo" ||
		len(c.Architectures) != 1 || aws.ToString(c.LastModified) == "" {
		t.Errorf("got configuration %+v", c)
	}
	if out.Code == nil || aws.ToString(out.Code.RepositoryType) != "S3" {
		t.Errorf("got code %+v", out.Code)
	}

	conf, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:teapot")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(conf.FunctionName) != "teapot" || conf.Environment != nil {
		t.Errorf("got %+v", conf)
	}

	_, err = client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nope")})
	wantAPIError(t, err, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")
	_, err = client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("echo"), Qualifier: aws.String("2")})
	wantAPIError(t, err, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:echo:2")
}
