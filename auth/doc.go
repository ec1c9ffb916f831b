// Package auth decides who may call a route, the way API Gateway's
// authorizers do, and hands the caller's identity on to the function's
// event and to rate limiting.
//
// It owns the `authorizers:` and `apiKeys:` parts of the config
// (AuthorizerConfig, APIKeyConfig and their Validate) and three kinds of
// authorizer:
//
//   - jwt: JSON Web Tokens signed with RS256/384/512, PS256/384/512,
//     ES256/384/512 or EdDSA, checked against the issuer's JWKS (fetched at
//     start, from OpenID discovery when no jwksUri is set, refreshed in the
//     background, refetched at most every 10 s when a token names an
//     unknown kid, and served from cache while the endpoint is down), for
//     issuer, audience (or client_id), exp/nbf/iat and the route's scopes.
//   - lambda: Lambda REQUEST authorizers in payload format 2.0 or 1.0 (HTTP
//     APIs) or REST's REQUEST format, with simple or IAM-policy answers, the
//     policy evaluated against the route's ARN, and a bounded result cache.
//   - apikey: the x-api-key header against the configured keys, in constant
//     time; the key's name and usage plan go to rate limiting.
//
// A rejection is an *Error whose Kind the gateway turns into API Gateway's
// answer; the package never writes responses. It imports backend (to invoke
// authorizer functions) and internal/ and nothing else of this module; in
// particular not mapping (a Request builds its own proxy event) nor gateway.
//
// Hot-path promise: everything that depends only on the config is worked
// out by New and ForRoute. Authenticate on a token seen before, a cached
// Lambda answer or an API key is a map lookup (or a hash and a few
// constant-time compares) that does not allocate and returns a shared,
// read-only Result. Only a new token (its signature check), a Lambda cache
// miss (an invocation) and a JWKS refetch cost more.
package auth
