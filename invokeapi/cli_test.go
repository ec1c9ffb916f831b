package invokeapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"
)

// awsCLI returns a function that runs the AWS CLI against url, signing with
// the test key and secret; the user's own AWS config and credentials are not read.
// Without `aws` on PATH the test is skipped, unless CI=true.
func awsCLI(t *testing.T, url, secret string) func(args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the AWS CLI (aws) is not on PATH")
		}
		t.Skip("the AWS CLI (aws) is not on PATH")
	}
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + testKey,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=" + testRegion,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	}
	return func(args ...string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", url}, args...)...)
		cmd.Env, cmd.Dir = env, home
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
}

func TestCLI(t *testing.T) {
	_, url, q := newSigned(t)
	aws := awsCLI(t, url, testSecret)
	dir := t.TempDir()

	decode := func(t *testing.T, s string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("not JSON: %q", s)
		}
		return m
	}

	t.Run("invoke", func(t *testing.T) {
		outFile := filepath.Join(dir, "out.json")
		stdout, stderr, err := aws("lambda", "invoke", "--function-name", "echo", "--payload", `{"from":"cli"}`,
			"--log-type", "Tail", outFile)
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		m := decode(t, stdout)
		if m["StatusCode"] != float64(200) || m["ExecutedVersion"] != "$LATEST" {
			t.Errorf("got %s", stdout)
		}
		if _, err := base64.StdEncoding.DecodeString(m["LogResult"].(string)); err != nil {
			t.Errorf("LogResult: %v", err)
		}
		body, _ := os.ReadFile(outFile)
		if !bytes.Contains(body, []byte(`{\"from\":\"cli\"}`)) {
			t.Errorf("got result %s", body)
		}
	})
	t.Run("invoke by ARN, function error", func(t *testing.T) {
		stdout, stderr, err := aws("lambda", "invoke", "--function-name",
			"arn:aws:lambda:"+testRegion+":"+testAccount+":function:fails", filepath.Join(dir, "err.json"))
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		if m := decode(t, stdout); m["FunctionError"] != "Unhandled" || m["StatusCode"] != float64(200) {
			t.Errorf("got %s", stdout)
		}
	})
	t.Run("invoke Event", func(t *testing.T) {
		stdout, stderr, err := aws("lambda", "invoke", "--function-name", "echo", "--invocation-type", "Event",
			"--payload", `{"async":true}`, filepath.Join(dir, "event.json"))
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		if m := decode(t, stdout); m["StatusCode"] != float64(202) {
			t.Errorf("got %s", stdout)
		}
		if got := q.got(); len(got) != 1 || string(got[0].payload) != `{"async":true}` {
			t.Errorf("queue got %+v", got)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		_, stderr, err := aws("lambda", "invoke", "--function-name", "nope", filepath.Join(dir, "nope.json"))
		if err == nil || !strings.Contains(stderr, "(ResourceNotFoundException)") ||
			!strings.Contains(stderr, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope") {
			t.Errorf("got %v: %s", err, stderr)
		}
	})
	t.Run("list-functions", func(t *testing.T) {
		stdout, stderr, err := aws("lambda", "list-functions", "--max-items", "20")
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		var out struct {
			Functions []struct{ FunctionName, Version string }
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Functions) != len(testFunctions(t)) || out.Functions[0].FunctionName != "busy" || out.Functions[0].Version != "$LATEST" {
			t.Errorf("got %s", stdout)
		}
	})
	t.Run("get-function", func(t *testing.T) {
		stdout, stderr, err := aws("lambda", "get-function", "--function-name", "echo")
		if err != nil {
			t.Fatalf("%v: %s", err, stderr)
		}
		if !strings.Contains(stdout, `"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:echo"`) {
			t.Errorf("got %s", stdout)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		_, stderr, err := awsCLI(t, url, "wrong-secret")("lambda", "list-functions")
		if err == nil || !strings.Contains(stderr, "(InvalidSignatureException)") {
			t.Errorf("got %v: %s", err, stderr)
		}
	})
}
