package importer

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
	"github.com/portico/portico/internal/testkit/platformtest"
	"github.com/portico/portico/platform"
)

// authApp is the Python code serverless-http-props.yaml names (upstream
// keeps it in app.py beside the template): an authorizer allowing the
// header value "yes", a simple-response one, and the function.
const authApp = `
def lambda_handler(event, context):
    return {"statusCode": 200, "body": "hello " + event["routeKey"]}

def auth_handler(event, context):
    effect = "Allow" if event["headers"].get("header") == "yes" else "Deny"
    return {"principalId": "me", "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["routeArn"]}]}}

def simple_handler(event, context):
    return {"isAuthorized": True}
`

// serveImport imports testdata template src copied into a temporary
// folder with the code files, and serves the config as `portico serve
// --template` does (read from the template's folder). It returns the
// base URL.
func serveImport(t *testing.T, src string, code map[string]string, opts ...SAMOption) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts functions")
	}
	dir := t.TempDir()
	data := readFile(t, src)
	file := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, text := range code {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	app, _, err := ImportSAM(file, data, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(app, file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := platform.Parse(filepath.Join(dir, "portico.yaml"), out, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cfg.Listen, cfg.Admin.Listen = testkit.FreeAddr(t), ""
	platformtest.Serve(t, cfg)
	return "http://" + cfg.Listen
}

// call sends req, waiting for the gateway to listen, and returns the
// status, body and headers.
func call(t *testing.T, req *http.Request) (int, string, http.Header) {
	t.Helper()
	var resp *http.Response
	var err error
	testkit.Eventually(t, 5*time.Second, "the gateway to answer", func() bool {
		resp, err = http.DefaultClient.Do(req)
		return err == nil
	})
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// TestImportedTemplateServes imports a real template with a Lambda
// authorizer, serves it, and calls its route through the authorizer.
func TestImportedTemplateServes(t *testing.T) {
	base := serveImport(t, "testdata/sam/serverless-http-props.yaml", map[string]string{"app.py": authApp})
	get := func(header string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/http/requestauthorizer?query=q", nil)
		if header != "" {
			req.Header.Set("header", header)
		}
		status, body, _ := call(t, req)
		return status, body
	}
	if status, body := get("yes"); status != 200 || body != "hello GET /requestauthorizer" {
		t.Errorf("allowed: %d %q", status, body)
	}
	if status, _ := get("no"); status != 403 {
		t.Errorf("denied: %d, want 403", status)
	}
	if status, _ := get(""); status != 401 {
		t.Errorf("without the identity source: %d, want 401", status)
	}
}

// TestImportedRESTTemplateServes serves the REST flavour of a template
// with both, under SAM's implicit stage, with the CORS preflight SAM's
// Cors generates.
func TestImportedRESTTemplateServes(t *testing.T) {
	main := "def handler(event, context):\n    return {'statusCode': 200, 'body': event['resource'] + ' ' + event['stageVariables']['VarName']}\n"
	base := serveImport(t, "testdata/sam/template-rest-and-http-apis.yaml", map[string]string{"main.py": main}, SAMFlavour("rest"))
	req, _ := http.NewRequest("GET", base+"/Prod/rest-api", nil)
	if status, body, _ := call(t, req); status != 200 || body != "/rest-api varValue" {
		t.Errorf("GET: %d %q", status, body)
	}
	req, _ = http.NewRequest("OPTIONS", base+"/Prod/rest-api", nil)
	req.Header.Set("Origin", "https://example.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	status, _, h := call(t, req)
	if status != 200 || h.Get("Access-Control-Allow-Origin") != "*'" || h.Get("Access-Control-Allow-Methods") != "GET,OPTIONS" {
		t.Errorf("preflight: %d %v", status, h)
	}
}
