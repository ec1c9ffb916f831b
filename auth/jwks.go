package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"go.uber.org/zap"
)

// API Gateway's JWKS quotas and our refresh policy. Variables so that tests
// can shorten them.
var (
	// fetchTimeout bounds one JWKS or discovery fetch (API Gateway: 1500 ms).
	fetchTimeout = 1500 * time.Millisecond
	// refreshDefault is the refresh interval without Cache-Control max-age.
	refreshDefault = 10 * time.Minute
	// refreshMin and refreshMax bound an interval taken from max-age.
	refreshMin = time.Minute
	refreshMax = time.Hour
	// retryMin is the first retry after a failed fetch; retries double up to
	// refreshDefault.
	retryMin = 5 * time.Second
	// refetchInterval is the least time between fetches caused by tokens
	// with an unknown kid.
	refetchInterval = 10 * time.Second
)

// maxJWKSBytes is API Gateway's limit on a JWKS response (and ours on a
// discovery document).
const maxJWKSBytes = 150_000

// verifyKey is a public key from a JWKS.
type verifyKey struct {
	kid string
	pub any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	alg string // the JWK's "alg", or "" when it has none
}

// allows reports whether a token signed with alg may be verified with k: the
// algorithm must suit the key's type (and curve), and equal the JWK's alg
// when it has one. This is what stops algorithm confusion.
func (k *verifyKey) allows(alg jose.SignatureAlgorithm) bool {
	if k.alg != "" && k.alg != string(alg) {
		return false
	}
	switch p := k.pub.(type) {
	case *rsa.PublicKey:
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return p.Curve == elliptic.P256()
		case jose.ES384:
			return p.Curve == elliptic.P384()
		case jose.ES512:
			return p.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// equal reports whether k and o are the same key.
func (k *verifyKey) equal(o *verifyKey) bool {
	if k.kid != o.kid || k.alg != o.alg {
		return false
	}
	if e, ok := k.pub.(interface{ Equal(x crypto.PublicKey) bool }); ok {
		return e.Equal(o.pub)
	}
	return false
}

// keyMap is one fetched JWKS: keys by kid. It is never modified.
type keyMap map[string]*verifyKey

// keySet fetches, caches and refreshes one JWKS.
type keySet struct {
	name    string // the authorizer, for logs
	issuer  string
	uri     string // configured jwksUri; "" when discovered
	client  *http.Client
	log     *zap.Logger
	now     func() time.Time
	stats   *stats
	base    context.Context // the Set's: cancelled by Close
	current atomic.Pointer[keyMap]

	mu          sync.Mutex
	discovered  string        // jwks_uri from discovery
	inflight    chan struct{} // non-nil while a fetch runs; closed when it ends
	lastAttempt time.Time     // start of the last fetch (Options.Now clock)
	lastErr     error
	next        time.Duration // when the refresher fetches next
	failures    int
}

func newKeySet(name, issuer, uri string, s *Set) *keySet {
	k := &keySet{name: name, issuer: issuer, uri: uri, client: s.opts.HTTPClient,
		log: s.log.With(zap.String("authorizer", name)), now: s.opts.Now, stats: &s.stats, base: s.ctx}
	k.current.Store(&keyMap{})
	return k
}

// lookup returns the key with kid from the current JWKS, or nil.
func (k *keySet) lookup(kid string) *verifyKey { return (*k.current.Load())[kid] }

// refetch fetches the JWKS again because a token named a kid it lacks,
// unless a fetch started less than refetchInterval ago; a fetch already
// running is waited for instead. It returns when the fetch has ended or ctx
// is done.
func (k *keySet) refetch(ctx context.Context) {
	k.start(ctx, false)
}

// fetch fetches the JWKS now (or waits for the fetch in flight) and returns
// its error.
func (k *keySet) fetch(ctx context.Context, force bool) error {
	return k.start(ctx, force)
}

// start runs a fetch unless one is running (then it waits for it) or, when
// !force, one started less than refetchInterval ago.
func (k *keySet) start(ctx context.Context, force bool) error {
	k.mu.Lock()
	if ch := k.inflight; ch != nil {
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.lastErr
	}
	now := k.now()
	if !force && !k.lastAttempt.IsZero() && now.Sub(k.lastAttempt) < refetchInterval {
		k.mu.Unlock()
		return errRefetchLimited
	}
	ch := make(chan struct{})
	k.inflight, k.lastAttempt = ch, now
	k.mu.Unlock()

	// The fetch does not depend on the request that triggered it (others
	// may be waiting for it), only on the Set: Close cancels it.
	age, err := k.load(k.base, force)

	k.mu.Lock()
	k.inflight, k.lastErr = nil, err
	if err != nil {
		k.failures++
		k.next = min(retryMin<<min(k.failures-1, 20), refreshDefault)
	} else {
		k.failures = 0
		k.next = refreshDefault
		if age > 0 {
			k.next = min(max(age, refreshMin), refreshMax)
		}
	}
	k.mu.Unlock()
	close(ch)
	return err
}

var errRefetchLimited = errors.New("auth: jwks refetch rate-limited")

// run refreshes the JWKS until ctx is done.
func (k *keySet) run(ctx context.Context) {
	for {
		k.mu.Lock()
		next := k.next
		k.mu.Unlock()
		if next <= 0 {
			next = refreshDefault
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		k.fetch(ctx, true)
	}
}

// load fetches the JWKS (discovering its URI first when needed, and again
// on every scheduled refresh) and installs it. It returns the response's
// Cache-Control max-age, or 0.
func (k *keySet) load(ctx context.Context, rediscover bool) (time.Duration, error) {
	k.stats.jwksFetches.Add(1)
	maxAge, err := k.loadOnce(ctx, rediscover)
	if err != nil {
		k.stats.jwksFetchErrors.Add(1)
		if ctx.Err() == nil {
			n := len(*k.current.Load())
			k.log.Warn("jwks fetch failed; serving the keys cached before",
				zap.Error(err), zap.Int("cached_keys", n))
		}
		return 0, err
	}
	return maxAge, nil
}

func (k *keySet) loadOnce(ctx context.Context, rediscover bool) (time.Duration, error) {
	uri := k.uri
	if uri == "" {
		k.mu.Lock()
		uri = k.discovered
		k.mu.Unlock()
		if uri == "" || rediscover {
			d, err := k.discover(ctx)
			if err != nil {
				if uri == "" {
					return 0, err
				}
				k.log.Warn("openid discovery failed; using the jwks_uri found before", zap.Error(err))
			} else {
				uri = d
				k.mu.Lock()
				k.discovered = d
				k.mu.Unlock()
			}
		}
	}
	body, hdr, err := k.get(ctx, uri)
	if err != nil {
		return 0, err
	}
	keys, skipped, err := parseJWKS(body)
	if err != nil {
		return 0, fmt.Errorf("jwks %s: %w", uri, err)
	}
	for _, s := range skipped {
		k.log.Debug("jwks key skipped", zap.String("reason", s))
	}
	// Keep the old key values when they did not change, so that tokens
	// verified with them stay verified.
	old := *k.current.Load()
	for kid, nk := range keys {
		if ok := old[kid]; ok != nil && ok.equal(nk) {
			keys[kid] = ok
		}
	}
	k.current.Store(&keys)
	if len(old) == 0 || len(old) != len(keys) {
		k.log.Info("jwks loaded", zap.String("uri", uri), zap.Int("keys", len(keys)))
	}
	return maxAge(hdr.Get("Cache-Control")), nil
}

// discover reads jwks_uri from the issuer's OpenID discovery document.
func (k *keySet) discover(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(k.issuer, "/") + "/.well-known/openid-configuration"
	body, _, err := k.get(ctx, u)
	if err != nil {
		return "", err
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("openid discovery %s: %w", u, err)
	}
	if !isHTTPURL(doc.JWKSURI) {
		return "", fmt.Errorf("openid discovery %s: jwks_uri %q is not an http(s) URL", u, doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}

// get fetches u within fetchTimeout, refusing bodies over maxJWKSBytes.
func (k *keySet) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, nil, fmt.Errorf("GET %s: response larger than %d bytes", u, maxJWKSBytes)
	}
	return body, resp.Header, nil
}

// parseJWKS returns the usable signing keys of a JWKS document by kid, and
// why others were skipped. Keys without a kid, symmetric keys, encryption
// keys and keys of unknown types are skipped (a token must name its key);
// private keys are reduced to their public half. A set with no usable key
// is an error, so that a broken document never replaces good keys.
func parseJWKS(body []byte) (keyMap, []string, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, nil, fmt.Errorf("not a JWK set: %w", err)
	}
	keys := make(keyMap, len(doc.Keys))
	var skipped []string
	for i, raw := range doc.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		switch {
		case jwk.KeyID == "":
			skipped = append(skipped, fmt.Sprintf("key %d: no kid", i))
			continue
		case jwk.Use != "" && jwk.Use != "sig":
			skipped = append(skipped, fmt.Sprintf("key %s: use %q", jwk.KeyID, jwk.Use))
			continue
		}
		pub := jwk.Public()
		switch pub.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			skipped = append(skipped, fmt.Sprintf("key %s: not an RSA, EC or Ed25519 public key", jwk.KeyID))
			continue
		}
		if _, dup := keys[jwk.KeyID]; dup {
			skipped = append(skipped, fmt.Sprintf("key %s: duplicate kid", jwk.KeyID))
			continue
		}
		keys[jwk.KeyID] = &verifyKey{kid: jwk.KeyID, pub: pub.Key, alg: jwk.Algorithm}
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("no usable signing key among %d", len(doc.Keys))
	}
	return keys, skipped, nil
}

// maxAge returns the max-age of a Cache-Control header value, or 0.
func maxAge(cc string) time.Duration {
	for part := range strings.SplitSeq(cc, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(name) {
		case "no-cache", "no-store":
			return 0
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err != nil || n <= 0 {
				return 0
			}
			return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second
		}
	}
	return 0
}
