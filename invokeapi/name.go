package invokeapi

import (
	"strings"
)

// Lambda's limits on a function name parameter (the API model's
// NamespacedFunctionName and Qualifier).
const (
	maxNameParam = 256 // the whole parameter, ARN forms included
	maxName      = 64  // the function's own name
	maxQualifier = 128
)

// Patterns quoted in validation messages, as the API model states them.
const (
	namePattern      = `(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?`
	qualifierPattern = `\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+`
)

// functionRef is a FunctionName parameter taken apart.
type functionRef struct {
	Name      string
	Qualifier string // empty when the parameter names none
	// Region and Account are those of an ARN form; empty when not given.
	Region, Account string
}

// parseFunctionName takes apart the forms Lambda accepts: NAME,
// NAME:QUALIFIER, ACCOUNT:function:NAME[:QUALIFIER] and
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]. It checks
// the syntax only; whether the account and region are ours is the
// caller's question. A parameter of another shape is the ValidationException
// Lambda gives.
func parseFunctionName(s string) (functionRef, *Error) {
	bad := func() (functionRef, *Error) {
		return functionRef{}, validationError(s, "functionName", "Member must satisfy regular expression pattern: "+namePattern)
	}
	if len(s) == 0 || len(s) > maxNameParam {
		return functionRef{}, validationError(s, "functionName", "Member must have length between 1 and 256")
	}
	parts := strings.Split(s, ":")
	var ref functionRef
	switch {
	case parts[0] == "arn":
		if len(parts) != 7 && len(parts) != 8 || !isPartition(parts[1]) || parts[2] != "lambda" ||
			!isRegion(parts[3]) || !isAccount(parts[4]) || parts[5] != "function" {
			return bad()
		}
		ref = functionRef{Region: parts[3], Account: parts[4], Name: parts[6]}
		if len(parts) == 8 {
			ref.Qualifier = parts[7]
		}
	case len(parts) == 3 || len(parts) == 4:
		if !isAccount(parts[0]) || parts[1] != "function" {
			return bad()
		}
		ref = functionRef{Account: parts[0], Name: parts[2]}
		if len(parts) == 4 {
			ref.Qualifier = parts[3]
		}
	case len(parts) <= 2:
		ref.Name = parts[0]
		if len(parts) == 2 {
			ref.Qualifier = parts[1]
		}
	default:
		return bad()
	}
	// A qualifier part was given when the form has one more part than its
	// bare form; it must then be non-empty ("f:" is no name).
	hasQualifier := len(parts) == 8 || len(parts) == 4 || len(parts) == 2
	if !isName(ref.Name) || hasQualifier && !isNameQualifier(ref.Qualifier) {
		return bad()
	}
	if len(ref.Name) > maxName {
		return functionRef{}, validationError(s, "functionName", "Member must have length less than or equal to 64")
	}
	return ref, nil
}

// checkQualifier validates a Qualifier parameter.
func checkQualifier(q string) *Error {
	if len(q) == 0 || len(q) > maxQualifier {
		return validationError(q, "qualifier", "Member must have length between 1 and 128")
	}
	if q == "$LATEST" || q == "$LATEST.PUBLISHED" {
		return nil
	}
	for i := 0; i < len(q); i++ {
		if c := q[i]; !isWordByte(c) && c != '$' {
			return validationError(q, "qualifier", "Member must satisfy regular expression pattern: "+qualifierPattern)
		}
	}
	return nil
}

// isName: [a-zA-Z0-9-_.]+
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isWordByte(c) && c != '.' {
			return false
		}
	}
	return true
}

// isNameQualifier: the qualifier part of a name, $LATEST(.PUBLISHED)? or
// [a-zA-Z0-9-_]+.
func isNameQualifier(s string) bool {
	if s == "$LATEST" || s == "$LATEST.PUBLISHED" {
		return true
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

// isPartition: aws[a-zA-Z-]*
func isPartition(s string) bool {
	if !strings.HasPrefix(s, "aws") {
		return false
	}
	for i := 3; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && c != '-' {
			return false
		}
	}
	return true
}

// isRegion: [a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}, e.g. us-east-1,
// us-gov-west-1, us-isob-east-1.
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts) > 4 || len(parts[0]) != 2 || !isLower(parts[0]) {
		return false
	}
	if len(parts) == 4 {
		p := parts[1]
		if p != "gov" && !(strings.HasPrefix(p, "iso") && len(p) <= 4 && isLower(p)) {
			return false
		}
	}
	area, digit := parts[len(parts)-2], parts[len(parts)-1]
	return area != "" && isLower(area) && len(digit) == 1 && digit[0] >= '0' && digit[0] <= '9'
}

// isAccount: \d{12}
func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isWordByte: [a-zA-Z0-9-_]
func isWordByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '-' || c == '_'
}
