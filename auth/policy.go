package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Policy limits.
const (
	// maxResourceLen is API Gateway's limit on a Resource in a returned
	// policy.
	maxResourceLen = 512
	// maxPatterns bounds the Action and Resource entries of one policy, so
	// that evaluating it stays cheap.
	maxPatterns = 1000
)

// invokeAction is the action a policy must allow.
const invokeAction = "execute-api:invoke" // compared in lower case

// decision is the outcome of evaluating a policy.
type decision uint8

const (
	implicitDeny decision = iota
	allow
	explicitDeny
)

// policy is an IAM policy document returned by a Lambda authorizer, reduced
// to the statements about execute-api:Invoke. It is immutable.
type policy struct {
	allows, denies []statement
}

// statement is one Allow or Deny statement about execute-api:Invoke.
type statement struct {
	resources []string
	// not: the statement is about every ARN except resources (NotResource).
	not bool
	// all: the statement covers every ARN (a Deny with a Condition, which
	// is not evaluated, so it denies everything: fail closed).
	all bool
}

// rawStatement is a statement as written. Action/Resource and their Not
// forms are a string or a list of strings.
type rawStatement struct {
	Effect      *string         `json:"Effect"`
	Action      json.RawMessage `json:"Action"`
	NotAction   json.RawMessage `json:"NotAction"`
	Resource    json.RawMessage `json:"Resource"`
	NotResource json.RawMessage `json:"NotResource"`
	Condition   json.RawMessage `json:"Condition"`
}

// parsePolicy parses a policyDocument. Statement may be one statement or a
// list. A statement must have Effect Allow or Deny, Action or NotAction, and
// Resource or NotResource; Resources are at most 512 characters and may use
// the wildcards * and ?. An Allow with a Condition is ignored and a Deny
// with one denies everything, since conditions are not evaluated.
func parsePolicy(raw []byte) (*policy, error) {
	stmts, err := decodeStatements(raw)
	if err != nil {
		return nil, err
	}
	p := &policy{}
	patterns := 0
	for i := range stmts {
		st, deny, ok, err := compileStatement(&stmts[i], &patterns)
		if errors.Is(err, errTooManyPatterns) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("Statement[%d]: %w", i, err)
		}
		switch {
		case !ok:
		case deny:
			p.denies = append(p.denies, st)
		default:
			p.allows = append(p.allows, st)
		}
	}
	return p, nil
}

// errTooManyPatterns is about the whole policy, not one statement.
var errTooManyPatterns = fmt.Errorf("more than %d Action and Resource entries", maxPatterns)

// decodeStatements decodes a policyDocument's Statement: one statement or
// a list.
func decodeStatements(raw []byte) ([]rawStatement, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("no policyDocument")
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := decodeJSON(raw, &doc); err != nil {
		return nil, fmt.Errorf("policyDocument: %w", err)
	}
	var stmts []rawStatement
	switch s := strings.TrimSpace(string(doc.Statement)); {
	case s == "" || s == "null":
		return nil, errors.New("policyDocument has no Statement")
	case s[0] == '[':
		if err := decodeJSON(doc.Statement, &stmts); err != nil {
			return nil, fmt.Errorf("policyDocument.Statement: %w", err)
		}
	default:
		var one rawStatement
		if err := decodeJSON(doc.Statement, &one); err != nil {
			return nil, fmt.Errorf("policyDocument.Statement: %w", err)
		}
		stmts = []rawStatement{one}
	}
	return stmts, nil
}

// compileStatement checks a statement and compiles it: whether it denies,
// and ok false when it is not about execute-api:Invoke or is an Allow with
// a Condition. patterns counts the Action and Resource entries of the
// policy so far.
func compileStatement(rs *rawStatement, patterns *int) (st statement, deny, ok bool, err error) {
	if rs.Effect == nil {
		return st, false, false, errors.New("no Effect")
	}
	switch *rs.Effect {
	case "Allow":
	case "Deny":
		deny = true
	default:
		return st, false, false, fmt.Errorf("Effect %q is neither Allow nor Deny", *rs.Effect)
	}
	actions, notAction, err := eitherList(rs.Action, rs.NotAction, "Action")
	if err != nil {
		return st, false, false, err
	}
	resources, notResource, err := eitherList(rs.Resource, rs.NotResource, "Resource")
	if err != nil {
		return st, false, false, err
	}
	if *patterns += len(actions) + len(resources); *patterns > maxPatterns {
		return st, false, false, errTooManyPatterns
	}
	for _, r := range resources {
		if len(r) > maxResourceLen {
			return st, false, false, fmt.Errorf("a Resource is longer than %d characters", maxResourceLen)
		}
	}
	matched := slices.ContainsFunc(actions, func(a string) bool { return globMatch(strings.ToLower(a), invokeAction) })
	if matched == notAction { // not about execute-api:Invoke
		return st, false, false, nil
	}
	if len(rs.Condition) > 0 && string(rs.Condition) != "null" {
		// Conditions are not evaluated: an Allow with one is ignored, a
		// Deny with one denies everything (fail closed).
		return statement{all: true}, deny, deny, nil
	}
	return statement{resources: resources, not: notResource}, deny, true, nil
}

// eitherList returns the list of the field name or of NotName: exactly one
// must be set.
func eitherList(list, notList json.RawMessage, name string) ([]string, bool, error) {
	set, notSet := isSet(list), isSet(notList)
	switch {
	case set && notSet:
		return nil, false, fmt.Errorf("both %s and Not%s", name, name)
	case !set && !notSet:
		return nil, false, fmt.Errorf("no %s", name)
	case notSet:
		l, err := stringOrList(notList)
		if err != nil {
			return nil, false, fmt.Errorf("Not%s: %w", name, err)
		}
		return l, true, nil
	}
	l, err := stringOrList(list)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	return l, false, nil
}

func isSet(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// stringOrList decodes a string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := decodeJSON(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := decodeJSON(raw, &list); err != nil {
		return nil, errors.New("want a string or a list of strings")
	}
	return list, nil
}

// eval decides whether the policy lets a caller invoke arn: an explicit Deny
// wins, then any Allow; with neither the answer is an implicit deny.
func (p *policy) eval(arn []byte) decision {
	for i := range p.denies {
		if p.denies[i].matches(arn) {
			return explicitDeny
		}
	}
	for i := range p.allows {
		if p.allows[i].matches(arn) {
			return allow
		}
	}
	return implicitDeny
}

func (s *statement) matches(arn []byte) bool {
	if s.all {
		return true
	}
	for _, r := range s.resources {
		if globMatch(r, arn) {
			return !s.not
		}
	}
	return s.not
}

// globMatch reports whether s matches pattern, where * matches any run of
// characters (slashes included) and ? any one character, as IAM matches
// resource ARNs. Matching is case-sensitive, byte-wise, and takes at most
// len(pattern)*len(s) steps.
func globMatch[P, S string | []byte](pattern P, s S) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]) && pattern[p] != '*':
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
