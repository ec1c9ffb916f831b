package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/portico/portico/auth"
)

// A route protected by API keys: the key's name and usage plan come back
// for rate limiting, and a wrong key is a 403.
func ExampleSet_ForRoute() {
	set, err := auth.New(
		map[string]*auth.AuthorizerConfig{"keys": {Type: "apikey"}},
		[]auth.APIKeyConfig{{Name: "partner-a", Value: "s3cr3t-partner-a-key", UsagePlan: "gold"}},
		auth.Options{API: "rest"},
	)
	if err != nil {
		panic(err)
	}
	defer set.Close()
	route, _ := set.ForRoute("keys", nil, "GET /partner")

	for _, key := range []string{"s3cr3t-partner-a-key", "guess"} {
		req := &auth.Request{
			Method: "GET",
			Path:   []byte("/dev/partner"),
			Header: func(name string) []byte {
				if name == "x-api-key" {
					return []byte(key)
				}
				return nil
			},
		}
		res, err := route.Authenticate(context.Background(), req)
		var e *auth.Error
		switch {
		case errors.As(err, &e):
			fmt.Println("refused:", e.Kind)
		default:
			fmt.Println("allowed:", res.APIKey, res.UsagePlan, strings.Contains(string(res.IdentityExtra), `"apiKeyId"`))
		}
	}
	fmt.Println(set.Stats()["allowed"], set.Stats()["forbidden"])
	// Output:
	// allowed: partner-a gold true
	// refused: forbidden
	// 1 1
}

// Validate reports problems with paths relative to the authorizer.
func ExampleAuthorizerConfig_Validate() {
	c := auth.AuthorizerConfig{Type: "lambda", Function: "authfn", ResultTTL: 7200e9, IdentitySource: auth.IdentitySource{"$request.path.id"}}
	for _, err := range c.Validate() {
		fmt.Println(err)
	}
	// Output:
	// resultTtl: at most 3600s (API Gateway's limit)
	// identitySource[0]: path parameters cannot be identity sources (API Gateway refuses them)
}
