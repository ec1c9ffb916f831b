package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/portico/portico/internal/jsonbytes"
)

// Token limits.
const (
	// maxTokenBytes: a longer token is refused without being parsed.
	maxTokenBytes = 16 << 10
	// maxCachedTokenBytes: longer tokens are verified every time.
	maxCachedTokenBytes = 4 << 10
)

// signingAlgs are the algorithms a token may use. None, HS* and anything
// else fail to parse.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// defaultJWTSource is a JWT authorizer's identity source when none is set.
const defaultJWTSource = "$request.header.Authorization"

// jwtAuthorizer validates JWTs for one `authorizers:` entry.
type jwtAuthorizer struct {
	set       *Set
	name      string
	issuer    string
	audiences []string
	leeway    float64 // seconds
	src       routeSource
	keys      *keySet
	// tokens caches verified tokens (signature, iss, aud): only the time
	// claims and the route's scopes are checked again.
	tokens *ttlCache[*jwtEntry]
}

func newJWTAuthorizer(s *Set, name string, c *AuthorizerConfig) (*jwtAuthorizer, error) {
	// Validate has said so already; a zero issuer or audience list would
	// change what a token must prove, so New checks again.
	switch {
	case c.Issuer == "":
		return nil, errors.New("no issuer")
	case len(c.Audience) == 0:
		return nil, errors.New("no audience")
	case c.JWKSURI == "" && !isHTTPURL(c.Issuer):
		return nil, errors.New("no jwksUri, and the issuer is no URL to discover it from")
	}
	srcText := defaultJWTSource
	if len(c.IdentitySource) > 0 {
		srcText = c.IdentitySource[0]
	}
	src, err := parseSource(srcText)
	if err != nil {
		return nil, err
	}
	if src.kind != srcHeader && src.kind != srcQuery {
		return nil, errors.New("a jwt authorizer reads the token from a header or a query parameter")
	}
	return &jwtAuthorizer{
		set:       s,
		name:      name,
		issuer:    c.Issuer,
		audiences: slices.Clone(c.Audience),
		leeway:    c.Leeway.Seconds(),
		src:       routeSource{source: src},
		keys:      newKeySet(name, c.Issuer, c.JWKSURI, s),
		tokens:    newTTLCache[*jwtEntry](maxCacheEntries),
	}, nil
}

// jwtRoute is a JWT authorizer bound to a route's scopes.
type jwtRoute struct {
	a           *jwtAuthorizer
	scopes      []string
	scopeHeader string // www-authenticate of KindInsufficientScope
}

func (a *jwtAuthorizer) forRoute(scopes []string) *jwtRoute {
	r := &jwtRoute{a: a, scopes: slices.Clone(scopes)}
	if len(scopes) > 0 {
		r.scopeHeader = `Bearer scope="` + quoteSafe(strings.Join(scopes, " ")) +
			`" error="insufficient_scope" error_description="the token does not have any of the route's scopes"`
	}
	return r
}

// jwtEntry is a verified token. It is immutable.
type jwtEntry struct {
	key            *verifyKey
	exp, nbf, iat  float64
	hasNbf, hasIat bool
	scopes         []string
	// unscoped is the Result for routes without scopes ("scopes": null),
	// scoped for routes with some (the token's scopes).
	unscoped, scoped Result
}

// authenticate checks the token of req.
func (r *jwtRoute) authenticate(ctx context.Context, req *Request) (*Result, *Error) {
	a := r.a
	tok := bearer(a.src.value(req))
	switch {
	case len(tok) == 0:
		return nil, invalidToken("no token in the identity source", "")
	case len(tok) > maxTokenBytes:
		return nil, invalidToken("token larger than 16 KB", "the token is malformed")
	}
	now := a.set.opts.Now()
	e, ok := a.tokens.get(tok, now)
	if ok && a.keys.lookup(e.key.kid) == e.key {
		a.set.stats.jwtCacheHits.Add(1)
	} else {
		var err *Error
		if e, err = a.verify(ctx, tok); err != nil {
			return nil, err
		}
		if len(tok) <= maxCachedTokenBytes {
			a.tokens.put(string(tok), e, expiry(e.exp+a.leeway), now)
		}
	}
	if err := e.checkTimes(now, a.leeway); err != nil {
		return nil, err
	}
	if len(r.scopes) == 0 {
		return &e.unscoped, nil
	}
	for _, s := range r.scopes {
		if slices.Contains(e.scopes, s) {
			return &e.scoped, nil
		}
	}
	return nil, &Error{Kind: KindInsufficientScope, Reason: "the token has none of the route's scopes", WWWAuthenticate: r.scopeHeader}
}

// expiry converts a NumericDate (seconds) to a time, saturating.
func expiry(sec float64) time.Time {
	if sec > 1<<40 {
		sec = 1 << 40
	}
	s, f := math.Modf(sec)
	return time.Unix(int64(s), int64(f*1e9))
}

// checkTimes checks exp, nbf and iat against now.
func (e *jwtEntry) checkTimes(now time.Time, leeway float64) *Error {
	t := float64(now.UnixNano()) / 1e9
	switch {
	case t >= e.exp+leeway:
		return invalidToken("token expired", "the token has expired")
	case e.hasNbf && e.nbf > t+leeway:
		return invalidToken("token not valid yet (nbf)", "the token is not valid yet")
	case e.hasIat && e.iat > t+leeway:
		return invalidToken("token issued in the future (iat)", "the token was issued in the future")
	}
	return nil
}

// invalidToken is a 401 with a www-authenticate header in API Gateway's
// form; without a description (no token at all) the header names no error,
// as RFC 6750 asks.
func invalidToken(reason, description string) *Error {
	h := `Bearer scope=""`
	if description != "" {
		h += ` error="invalid_token" error_description="` + description + `"`
	}
	return &Error{Kind: KindUnauthorized, Reason: reason, WWWAuthenticate: h}
}

// bearer returns the token of an identity-source value: the value itself or
// what follows "Bearer " (any case).
func bearer(v []byte) []byte {
	v = bytes.TrimSpace(v)
	if len(v) >= 6 && bytes.EqualFold(v[:6], []byte("bearer")) && (len(v) == 6 || v[6] == ' ' || v[6] == '\t') {
		v = bytes.TrimSpace(v[6:])
	}
	return v
}

// verify parses tok and checks its signature, issuer and audience.
func (a *jwtAuthorizer) verify(ctx context.Context, tok []byte) (*jwtEntry, *Error) {
	payload, key, err := a.verifySignature(ctx, tok)
	if err != nil {
		return nil, err
	}
	return a.checkClaims(payload, key)
}

// verifySignature parses the compact JWS tok, finds its key by kid
// (refetching the JWKS once, rate-limited, for an unknown kid) and verifies
// the signature. It returns the payload.
func (a *jwtAuthorizer) verifySignature(ctx context.Context, tok []byte) ([]byte, *verifyKey, *Error) {
	if bytes.Count(tok, []byte{'.'}) != 2 {
		return nil, nil, invalidToken("token is not a compact JWS", "the token is malformed")
	}
	jws, err := jose.ParseSignedCompact(string(tok), signingAlgs)
	if err != nil {
		return nil, nil, invalidToken("token does not parse: "+err.Error(), "the token is malformed")
	}
	if len(jws.Signatures) != 1 {
		return nil, nil, invalidToken("token has no single signature", "the token is malformed")
	}
	h := jws.Signatures[0].Protected
	alg := jose.SignatureAlgorithm(h.Algorithm)
	if h.KeyID == "" {
		return nil, nil, invalidToken("token header has no kid", "the token does not name a known signing key")
	}
	key := a.keys.lookup(h.KeyID)
	if key == nil {
		a.keys.refetch(ctx)
		if key = a.keys.lookup(h.KeyID); key == nil {
			return nil, nil, invalidToken("no key in the JWKS has the token's kid", "the token does not name a known signing key")
		}
	}
	if !key.allows(alg) {
		return nil, nil, invalidToken("token algorithm "+string(alg)+" does not suit its key", "the token's signing algorithm is not valid for its key")
	}
	payload, err := jws.Verify(key.pub)
	if err != nil {
		return nil, nil, invalidToken("bad signature", "the token's signature is invalid")
	}
	return payload, key, nil
}

// checkClaims decodes the claims, checks iss and aud (or client_id) and the
// types of the time claims, and renders the Results.
func (a *jwtAuthorizer) checkClaims(payload []byte, key *verifyKey) (*jwtEntry, *Error) {
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, invalidToken("claims are not a JSON object", "the token is malformed")
	}
	if iss, _ := claims["iss"].(string); iss != a.issuer {
		return nil, invalidToken("wrong issuer", "the token does not have a valid issuer")
	}
	if !a.audienceOK(claims) {
		return nil, invalidToken("wrong audience", "the token does not have a valid audience")
	}
	e := &jwtEntry{key: key}
	var ok bool
	if e.exp, ok = numericDate(claims["exp"]); !ok {
		return nil, invalidToken("exp missing or not a number", "the token has no valid expiry")
	}
	if v, present := claims["nbf"]; present {
		if e.nbf, ok = numericDate(v); !ok {
			return nil, invalidToken("nbf not a number", "the token is malformed")
		}
		e.hasNbf = true
	}
	if v, present := claims["iat"]; present {
		if e.iat, ok = numericDate(v); !ok {
			return nil, invalidToken("iat not a number", "the token is malformed")
		}
		e.hasIat = true
	}
	e.scopes = tokenScopes(claims)
	sub := claimString(claims["sub"])

	httpClaims := appendHTTPClaims(nil, claims)
	claimsV1 := httpClaims
	if a.set.rest {
		claimsV1 = appendJSONValue(nil, claims, true)
	}
	scopesJSON := appendStrings(nil, e.scopes)
	for _, v := range []struct {
		r      *Result
		scopes []byte
	}{{&e.unscoped, []byte("null")}, {&e.scoped, scopesJSON}} {
		v.r.Principal = sub
		b := append([]byte(`{"jwt":{"claims":`), httpClaims...)
		b = append(b, `,"scopes":`...)
		b = append(b, v.scopes...)
		v.r.AuthorizerV2 = append(b, "}}"...)
		b = append([]byte(`{"claims":`), claimsV1...)
		b = append(b, `,"scopes":`...)
		b = append(b, v.scopes...)
		v.r.AuthorizerV1 = append(b, '}')
	}
	return e, nil
}

// audienceOK reports whether the token's aud (a string or a list) holds a
// configured audience; client_id counts only when there is no aud.
func (a *jwtAuthorizer) audienceOK(claims map[string]any) bool {
	aud, present := claims["aud"]
	if !present {
		id, ok := claims["client_id"].(string)
		return ok && slices.Contains(a.audiences, id)
	}
	switch v := aud.(type) {
	case string:
		return slices.Contains(a.audiences, v)
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok && slices.Contains(a.audiences, s) {
				return true
			}
		}
	}
	return false
}

// decodeClaims decodes a JWT claims set, numbers as json.Number.
func decodeClaims(payload []byte) (map[string]any, error) {
	var claims map[string]any
	if err := decodeJSON(payload, &claims); err != nil {
		return nil, err
	}
	if claims == nil {
		return nil, errors.New("null claims")
	}
	return claims, nil
}

// numericDate returns a JSON number claim as seconds.
func numericDate(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// tokenScopes returns the scopes of the scope and scp claims, each a
// space-separated string or a list of strings, without duplicates.
func tokenScopes(claims map[string]any) []string {
	var out []string
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			for _, s := range strings.Fields(v) {
				if !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok && s != "" && !slices.Contains(out, s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// appendHTTPClaims appends the claims as an HTTP API JWT authorizer puts
// them in the event: an object of strings, keys sorted, null claims left
// out, numbers and booleans as their text, lists as "[a b c]" and objects
// as JSON text.
func appendHTTPClaims(dst []byte, claims map[string]any) []byte {
	dst = append(dst, '{')
	dst = appendMembers(dst, claims, false, func(_ string, v any) bool { return v != nil }, false, appendStringified)
	return append(dst, '}')
}

// appendStringified appends a value as the JSON string HTTP APIs make of it.
func appendStringified(dst []byte, v any) []byte {
	return jsonbytes.AppendJSString(dst, claimString(v), false)
}

// appendMembers appends the "key":value members of m that keep accepts,
// keys sorted, comma-separated (and after a comma when comma is set, for
// members that follow others); value writes each value.
func appendMembers(dst []byte, m map[string]any, comma bool, keep func(k string, v any) bool, ascii bool, value func(dst []byte, v any) []byte) []byte {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if keep(k, v) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if comma {
			dst = append(dst, ',')
		}
		comma = true
		dst = jsonbytes.AppendJSString(dst, k, ascii)
		dst = append(dst, ':')
		dst = value(dst, m[k])
	}
	return dst
}

// claimString is a claim value as HTTP APIs stringify it.
func claimString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		var b strings.Builder
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(' ')
			}
			if x == nil {
				b.WriteString("null")
			} else {
				b.WriteString(claimString(x))
			}
		}
		b.WriteByte(']')
		return b.String()
	default:
		return string(appendJSONValue(nil, v, false))
	}
}

// appendJSONValue appends a value decoded with UseNumber as compact JSON,
// object keys sorted; with ascii, non-ASCII characters are escaped.
func appendJSONValue(dst []byte, v any, ascii bool) []byte {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return jsonbytes.AppendJSString(dst, v, ascii)
	case json.Number:
		return append(dst, v...)
	case bool:
		return strconv.AppendBool(dst, v)
	case float64: // not produced with UseNumber; for completeness
		return strconv.AppendFloat(dst, v, 'g', -1, 64)
	case []any:
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, x, ascii)
		}
		return append(dst, ']')
	case map[string]any:
		dst = append(dst, '{')
		dst = appendMembers(dst, v, false, func(string, any) bool { return true }, ascii,
			func(dst []byte, x any) []byte { return appendJSONValue(dst, x, ascii) })
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// appendStrings appends a JSON list of strings.
func appendStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonbytes.AppendJSString(dst, s, false)
	}
	return append(dst, ']')
}

// quoteSafe drops the characters that cannot appear inside a quoted
// www-authenticate parameter.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
