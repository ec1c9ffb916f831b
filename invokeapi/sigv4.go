package invokeapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/valyala/fasthttp"
)

// sigv4Algorithm is the only signing algorithm accepted: AWS Signature
// Version 4 with HMAC-SHA256 (SigV4a and presigned query strings are not).
const sigv4Algorithm = "AWS4-HMAC-SHA256"

// service is the signing name of Lambda, the service a credential scope
// must name.
const service = "lambda"

// maxClockSkew is how far X-Amz-Date may be from the server's clock, as AWS
// allows.
const maxClockSkew = 5 * time.Minute

// amzDateFormat is X-Amz-Date's ISO 8601 basic format.
const amzDateFormat = "20060102T150405Z"

// authorization is an Authorization header of SigV4 taken apart.
type authorization struct {
	AccessKeyID string
	// Date, Region and Service are the credential scope:
	// KEY/DATE/REGION/SERVICE/aws4_request.
	Date, Region, Service string
	// SignedHeaders are the lower-case names of the signed headers, in the
	// header's order.
	SignedHeaders []string
	// Signature is the hex signature.
	Signature string
}

// parseAuthorization takes apart h, "AWS4-HMAC-SHA256 Credential=...,
// SignedHeaders=..., Signature=...", and answers a malformed header with the
// IncompleteSignatureException AWS gives, in AWS's words where they are
// known.
func parseAuthorization(h string) (authorization, *Error) {
	var a authorization
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != sigv4Algorithm {
		return a, incompleteSignature("Authorization header requires 'Credential' parameter. " +
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
			"Authorization=" + h)
	}
	var credential, signed string
	var haveCredential, haveSigned, haveSignature bool
	for _, kv := range strings.Split(rest, ",") {
		kv = strings.TrimSpace(kv)
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return a, incompleteSignature("'" + kv + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + h + "'.")
		}
		switch k {
		case "Credential":
			credential, haveCredential = v, true
		case "SignedHeaders":
			signed, haveSigned = v, true
		case "Signature":
			a.Signature, haveSignature = v, true
		}
	}
	var missing []string
	for _, p := range []struct {
		name string
		have bool
	}{{"Credential", haveCredential}, {"Signature", haveSignature}, {"SignedHeaders", haveSigned}} {
		if !p.have {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
		}
	}
	if missing != nil {
		return a, incompleteSignature(strings.Join(missing, " ") + " Authorization=" + h)
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[0] == "" {
		return a, incompleteSignature("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + credential + "'")
	}
	if scope[4] != "aws4_request" {
		return a, incompleteSignature("Credential should be scoped with a valid terminator: 'aws4_request', not '" + scope[4] + "'.")
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]
	if signed == "" || a.Signature == "" {
		return a, incompleteSignature("Authorization header requires 'SignedHeaders' and 'Signature' values. Authorization=" + h)
	}
	a.SignedHeaders = strings.Split(signed, ";")
	return a, nil
}

// verifier checks SigV4 signatures against a fixed set of keys. It is
// immutable, so safe for concurrent use.
type verifier struct {
	secrets map[string]string // access key id → secret
	region  string
	signer  *v4.Signer
}

func newVerifier(creds []Credential, region string) *verifier {
	if len(creds) == 0 {
		return nil
	}
	v := &verifier{secrets: make(map[string]string, len(creds)), region: region, signer: v4.NewSigner()}
	for _, c := range creds {
		v.secrets[c.AccessKeyID] = c.SecretAccessKey
	}
	return v
}

// signedRequest is what checkHeaders learnt of a request, for
// checkSignature once the body is read.
type signedRequest struct {
	auth   authorization
	secret string
	date   time.Time
}

// checkHeaders does every check that needs no body: the Authorization
// header's shape, the key, the credential scope and the clock. Refusing
// here costs the server no read of the body.
func (v *verifier) checkHeaders(req *fasthttp.Request, now time.Time) (signedRequest, *Error) {
	var sr signedRequest
	h := req.Header.Peek("Authorization")
	if len(h) == 0 {
		// Presigned query strings (X-Amz-Signature=...) are not accepted:
		// they reach here without the header, and get the same answer.
		return sr, missingToken()
	}
	a, err := parseAuthorization(string(h))
	if err != nil {
		return sr, err
	}
	secret, ok := v.secrets[a.AccessKeyID]
	if !ok {
		return sr, unrecognizedClient()
	}
	if a.Service != service {
		return sr, invalidSignature("Credential should be scoped to correct service: '" + service + "'. ")
	}
	if a.Region != v.region {
		return sr, invalidSignature("Credential should be scoped to a valid region. ")
	}
	raw := string(req.Header.Peek("X-Amz-Date"))
	if raw == "" {
		return sr, incompleteSignature("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + string(h))
	}
	date, perr := time.Parse(amzDateFormat, raw)
	if perr != nil {
		return sr, incompleteSignature("Date must be in ISO-8601 'basic format'. Got '" + raw + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	now = now.UTC()
	if date.Before(now.Add(-maxClockSkew)) {
		return sr, invalidSignature("Signature expired: " + raw + " is now earlier than " +
			now.Add(-maxClockSkew).Format(amzDateFormat) + " (" + now.Format(amzDateFormat) + " - 5 min.)")
	}
	if date.After(now.Add(maxClockSkew)) {
		return sr, invalidSignature("Signature not yet current: " + raw + " is still later than " +
			now.Add(maxClockSkew).Format(amzDateFormat) + " (" + now.Format(amzDateFormat) + " + 5 min.)")
	}
	return signedRequest{auth: a, secret: secret, date: date}, nil
}

// checkSignature recomputes the signature of req with body, as the client
// must have made it, with the SDK's own signer: a request carrying exactly
// the signed headers, at the signed time, with the body's SHA-256. Headers
// the SDK's signer never signs (User-Agent, Expect, X-Amzn-Trace-Id,
// Transfer-Encoding) cannot be verified: a client that signs them is
// refused, as no AWS SDK or CLI does.
func (v *verifier) checkSignature(req *fasthttp.Request, body []byte, sr *signedRequest) *Error {
	u, err := url.ParseRequestURI(string(req.Header.RequestURI()))
	if err != nil {
		return signatureMismatch()
	}
	hr := &http.Request{Method: string(req.Header.Method()), URL: u, Header: make(http.Header, len(sr.auth.SignedHeaders))}
	for _, name := range sr.auth.SignedHeaders {
		switch name {
		case "host":
			hr.Host = string(req.Header.Host())
		case "content-length":
			hr.ContentLength = int64(len(body))
		default:
			key := textproto.CanonicalMIMEHeaderKey(name)
			for k, val := range req.Header.All() {
				if strings.EqualFold(string(k), name) {
					hr.Header[key] = append(hr.Header[key], string(val))
				}
			}
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: sr.auth.AccessKeyID, SecretAccessKey: sr.secret}
	if err := v.signer.SignHTTP(context.Background(), creds, hr, hex.EncodeToString(sum[:]),
		sr.auth.Service, sr.auth.Region, sr.date); err != nil {
		return signatureMismatch()
	}
	_, want, _ := strings.Cut(hr.Header.Get("Authorization"), "Signature=")
	if subtle.ConstantTimeCompare([]byte(want), []byte(sr.auth.Signature)) != 1 {
		return signatureMismatch()
	}
	return nil
}
