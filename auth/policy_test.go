package auth

import (
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"a*", "a", true},
		{"a*c", "abc", true},
		{"a*c", "ab", false},
		{"a*b*c", "a/x/b/y/c", true},
		{"a*b*c", "acb", false},
		{"?", "a", true},
		{"?", "", false},
		{"??", "a", false},
		{"a?c", "a/c", true},
		{"*/GET/*", "api/dev/GET/pets/7", true},
		{"*/GET/*", "api/dev/POST/pets/7", false},
		{"arn:aws:execute-api:*:*:api/dev/GET/pets", "arn:aws:execute-api:r:1:api/dev/GET/pets/7", false},
		{"arn:aws:execute-api:*:*:api/dev/GET/pets/*", "arn:aws:execute-api:r:1:api/dev/GET/pets/", true},
		{"ABC", "abc", false},
		{"**a", "ba", true},
		{"*a*a*a*a*a*a*b", strings.Repeat("a", 200), false},
	} {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q): got %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestPolicyEval(t *testing.T) {
	const arn = "arn:aws:execute-api:us-east-1:123456789012:api/dev/GET/pets/7"
	for _, tc := range []struct {
		name, doc string
		want      decision
	}{
		{"allow", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + arn + `"}]}`, allow},
		{"one statement, not a list", `{"Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}`, allow},
		{"action in other case", `{"Statement":[{"Effect":"Allow","Action":"Execute-API:invoke","Resource":"*"}]}`, allow},
		{"action *", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, allow},
		{"action execute-api:*", `{"Statement":[{"Effect":"Allow","Action":["s3:*","execute-api:*"],"Resource":"*"}]}`, allow},
		{"other action", `{"Statement":[{"Effect":"Allow","Action":"execute-api:ManageConnections","Resource":"*"}]}`, implicitDeny},
		{"NotAction covering invoke", `{"Statement":[{"Effect":"Allow","NotAction":"execute-api:Invoke","Resource":"*"}]}`, implicitDeny},
		{"NotAction elsewhere", `{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`, allow},
		{"NotResource elsewhere", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","NotResource":"*/POST/*"}]}`, allow},
		{"NotResource here", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","NotResource":["*/GET/*"]}]}`, implicitDeny},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"},{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"*/pets/*"}]}`, explicitDeny},
		{"deny with NotResource", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","NotResource":"*/POST/*"}]}`, explicitDeny},
		{"allow with a Condition is ignored", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, implicitDeny},
		{"deny with a Condition denies", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"nothing","Condition":{"Bool":{"x":"true"}}}]}`, explicitDeny},
		{"empty", `{"Statement":[]}`, implicitDeny},
		{"empty resource list", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":[]}]}`, implicitDeny},
		{"version and unknown keys", `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"1","Effect":"Allow","Action":"*","Resource":"*","Principal":"*"}]}`, allow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePolicy([]byte(tc.doc))
			if err != nil {
				t.Fatalf("parsePolicy: %v", err)
			}
			if got := p.eval([]byte(arn)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPolicyErrors(t *testing.T) {
	long := `"` + strings.Repeat("a", 513) + `"`
	for _, tc := range []struct{ name, doc, want string }{
		{"missing", ``, "no policyDocument"},
		{"null", `null`, "no policyDocument"},
		{"not an object", `"x"`, "policyDocument: "},
		{"no Statement", `{}`, "policyDocument has no Statement"},
		{"Statement a string", `{"Statement":"x"}`, "policyDocument.Statement: "},
		{"no Effect", `{"Statement":[{"Action":"*","Resource":"*"}]}`, "Statement[0]: no Effect"},
		{"placeholder Effect", `{"Statement":[{"Effect":"Allow|Deny","Action":"*","Resource":"*"}]}`, `Statement[0]: Effect "Allow|Deny" is neither Allow nor Deny`},
		{"lower-case Effect", `{"Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}`, `Effect "allow"`},
		{"Effect a number", `{"Statement":[{"Effect":1,"Action":"*","Resource":"*"}]}`, "policyDocument.Statement: "},
		{"no Action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Statement[0]: no Action"},
		{"Action and NotAction", `{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"*","Resource":"*"}]}`, "both Action and NotAction"},
		{"no Resource", `{"Statement":[{"Effect":"Allow","Action":"*"}]}`, "Statement[0]: no Resource"},
		{"Resource a number", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":5}]}`, "Resource: want a string or a list of strings"},
		{"Resource too long", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":` + long + `}]}`, "longer than 512 characters"},
		{"too many entries", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":[` + strings.Repeat(`"a",`, 1000) + `"a"]}]}`, "more than 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parsePolicy([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want …%s…", err, tc.want)
			}
		})
	}
}
