package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"slices"

	"github.com/portico/portico/internal/awsid"
	"github.com/portico/portico/internal/jsonbytes"
)

// apiKeyHeader is where clients send their API key.
const apiKeyHeader = "x-api-key"

// keyRing holds the enabled API keys.
type keyRing struct {
	keys []ringKey
}

// ringKey is an enabled key: the SHA-256 of its value (so that every
// comparison has the same length) and the Result of a request that uses it.
type ringKey struct {
	sum    [sha256.Size]byte
	result Result
}

// newKeyRing compiles the keys, resolving each key's usage plan to its
// position in plans (see Result.Plan). Two keys with the same value are an
// error: API Gateway treats them as one key, which would make the name and
// usage plan of a request ambiguous. So is a plan missing from a non-nil
// plans.
func newKeyRing(cfgs []APIKeyConfig, plans []string) (*keyRing, error) {
	r := &keyRing{}
	seen := make(map[[sha256.Size]byte]int, len(cfgs))
	for i := range cfgs {
		c := &cfgs[i]
		sum := sha256.Sum256([]byte(c.Value))
		if j, dup := seen[sum]; dup {
			return nil, fmt.Errorf("auth: apiKeys[%d] (%s) has the same value as apiKeys[%d] (%s)", i, c.Name, j, cfgs[j].Name)
		}
		seen[sum] = i
		if !c.enabled() {
			continue
		}
		plan := 0
		if c.UsagePlan != "" && plans != nil {
			if plan = slices.Index(plans, c.UsagePlan) + 1; plan == 0 {
				return nil, fmt.Errorf("auth: apiKeys[%d] (%s): unknown usage plan %q", i, c.Name, c.UsagePlan)
			}
		}
		extra := append([]byte(nil), `"apiKey":`...)
		extra = jsonbytes.AppendJSString(extra, c.Value, false)
		extra = append(extra, `,"apiKeyId":`...)
		extra = jsonbytes.AppendJSString(extra, awsid.StableID(c.Name, 10), false)
		r.keys = append(r.keys, ringKey{sum: sum, result: Result{
			IdentityExtra: extra,
			Principal:     c.Name,
			APIKey:        c.Name,
			UsagePlan:     c.UsagePlan,
			Plan:          plan,
		}})
	}
	return r, nil
}

// lookup returns the enabled key whose value is value, or nil. It compares
// value with every key, in constant time each and without stopping at a
// match, so the time taken does not tell which key (if any) matched, nor
// how much of a value was right. compared is the number of comparisons,
// always len(r.keys).
func (r *keyRing) lookup(value []byte) (res *Result, compared int) {
	sum := sha256.Sum256(value)
	found, idx := 0, 0
	for i := range r.keys {
		eq := subtle.ConstantTimeCompare(sum[:], r.keys[i].sum[:])
		idx = subtle.ConstantTimeSelect(eq&^found, i, idx)
		found |= eq
		compared++
	}
	if found == 0 {
		return nil, compared
	}
	return &r.keys[idx].result, compared
}

// authenticateKey checks the request's x-api-key header.
func (a *Authenticator) authenticateKey(req *Request) (*Result, *Error) {
	var v []byte
	if req.Header != nil {
		v = req.Header(apiKeyHeader)
	}
	if len(v) == 0 {
		return nil, &Error{Kind: KindForbidden, Reason: "no x-api-key header"}
	}
	res, _ := a.keys.lookup(v)
	if res == nil {
		return nil, &Error{Kind: KindForbidden, Reason: "unknown or disabled API key"}
	}
	return res, nil
}
