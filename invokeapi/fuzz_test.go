package invokeapi

import (
	"strings"
	"testing"
)

// FuzzParseFunctionName checks that the parser never panics, refuses with a
// 400, and that what it accepts is made of its parts.
func FuzzParseFunctionName(f *testing.F) {
	for _, s := range []string{"f", "f:$LATEST", "123456789012:function:f:1",
		"arn:aws:lambda:us-west-2:123456789012:function:f", "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live",
		"", ":", "arn:", "f::", "arn:aws:lambda:us-west-2:123456789012:function:f:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := parseFunctionName(s)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("refusal %+v is not a 400", err)
			}
			return
		}
		if !isName(ref.Name) || len(ref.Name) > maxName || !strings.Contains(s, ref.Name) {
			t.Fatalf("parseFunctionName(%q) = %+v: bad name", s, ref)
		}
		if ref.Qualifier != "" && !strings.HasSuffix(s, ":"+ref.Qualifier) {
			t.Fatalf("parseFunctionName(%q) = %+v: bad qualifier", s, ref)
		}
		if ref.Account != "" && !isAccount(ref.Account) || ref.Region != "" && !isRegion(ref.Region) {
			t.Fatalf("parseFunctionName(%q) = %+v: bad account or region", s, ref)
		}
	})
}

// FuzzParseAuthorization checks that the parser never panics, refuses with
// a 403 IncompleteSignatureException, and that what it accepts has every
// part of a SigV4 header.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef",
		"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request,SignedHeaders=host,Signature=00",
		"AWS AKID:signature", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e",
		"Bearer token", "", "AWS4-HMAC-SHA256 ,,,", "AWS4-HMAC-SHA256 Credential==/=/=/=/aws4_request, SignedHeaders==, Signature==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err != nil {
			if err.Status != 403 || err.Type != "IncompleteSignatureException" {
				t.Fatalf("refusal %+v", err)
			}
			return
		}
		if a.AccessKeyID == "" || a.Signature == "" || len(a.SignedHeaders) == 0 || strings.Contains(a.AccessKeyID, "/") {
			t.Fatalf("parseAuthorization(%q) = %+v", s, a)
		}
	})
}
