package invokeapi

import (
	"strings"
	"testing"
)

func TestParseFunctionName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want functionRef
	}{
		{"f", functionRef{Name: "f"}},
		{"my-function_1.2", functionRef{Name: "my-function_1.2"}},
		{"f:$LATEST", functionRef{Name: "f", Qualifier: "$LATEST"}},
		{"f:live", functionRef{Name: "f", Qualifier: "live"}},
		{"123456789012:function:f", functionRef{Name: "f", Account: "123456789012"}},
		{"123456789012:function:f:7", functionRef{Name: "f", Account: "123456789012", Qualifier: "7"}},
		{"arn:aws:lambda:us-west-2:123456789012:function:f", functionRef{Name: "f", Region: "us-west-2", Account: "123456789012"}},
		{"arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:$LATEST",
			functionRef{Name: "f", Region: "us-gov-west-1", Account: "123456789012", Qualifier: "$LATEST"}},
		{"arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f", functionRef{Name: "f", Region: "us-isob-east-1", Account: "123456789012"}},
		{strings.Repeat("a", 64), functionRef{Name: strings.Repeat("a", 64)}},
	} {
		got, err := parseFunctionName(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseFunctionName(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "f:", ":f", "f g", "f:a:b", "f:l.ive", "12345678901:function:f", "123456789012:fun:f",
		"123456789012:function:", "arn:aws:lambda:us-west-2:123456789012:function:", "arn:aws:s3:us-west-2:123456789012:function:f",
		"arn:gcp:lambda:us-west-2:123456789012:function:f", "arn:aws:lambda:uswest2:123456789012:function:f",
		"arn:aws:lambda:us-west-2:123456789012:layer:f", "arn:aws:lambda:us-west-2:123456789012:function:f:1:2",
		strings.Repeat("a", 65), strings.Repeat("a", 257), "f/invocations", "f%3A",
	} {
		if got, err := parseFunctionName(in); err == nil || err.Status != 400 || err.Type != "ValidationException" {
			t.Errorf("parseFunctionName(%q) = %+v, %v; want a ValidationException", in, got, err)
		}
	}
}

func TestCheckQualifier(t *testing.T) {
	for _, q := range []string{"$LATEST", "$LATEST.PUBLISHED", "1", "live", "a-b_c$"} {
		if err := checkQualifier(q); err != nil {
			t.Errorf("checkQualifier(%q) = %v", q, err)
		}
	}
	for _, q := range []string{"", "a.b", "a:b", strings.Repeat("a", 129)} {
		if err := checkQualifier(q); err == nil {
			t.Errorf("checkQualifier(%q) accepted it", q)
		}
	}
}
