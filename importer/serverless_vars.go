package importer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portico/portico/internal/awsdefault"
)

// Limits that keep the variable resolver bounded whatever the file holds:
// variables nest at most maxVarDepth deep, resolving a file copies at most
// maxVarNodes nodes (self references can double a tree at each level) and
// builds at most maxVarBytes of text (or a string at each level: each is
// resolved once, but each is twice the last). 16 MiB is the most a config
// file may hold, so an import past it could not be served anyway.
const (
	maxVarDepth = 16
	maxVarNodes = 200_000
	maxVarBytes = 16 << 20
)

// varResolver resolves the Serverless Framework's variables of a
// serverless.yml in place, in its YAML node tree, so that every value keeps
// the line it came from. Values it cannot resolve are removed from the tree
// and reported as notes; the importer never sees them.
type varResolver struct {
	file   string
	root   *yaml.Node // the document's top mapping
	opts   ServerlessOptions
	notes  []Note
	done   map[*yaml.Node]bool // resolved: true, or failed: false
	active map[*yaml.Node]bool // being resolved: a reference back to one is a cycle
	copied int                 // nodes copied so far (maxVarNodes)
	built  int                 // bytes of text interpolated so far (maxVarBytes)

	stage, region string // memoized sls:stage and aws:region; "" until asked
}

func newVarResolver(file string, root *yaml.Node, opts ServerlessOptions) *varResolver {
	return &varResolver{file: file, root: root, opts: opts, done: map[*yaml.Node]bool{}, active: map[*yaml.Node]bool{}}
}

// varUnresolved is why a variable has no value; the note's reason.
type varUnresolved struct{ reason string }

func (u *varUnresolved) Error() string { return u.reason }

// resolveAll resolves every variable of the tree.
func (r *varResolver) resolveAll() {
	if rn, ok := r.resolve(r.root, ""); ok {
		r.root = rn
	}
	r.prune(r.root, map[*yaml.Node]bool{})
}

// prune removes the values that could not be resolved (they stay in the
// tree while it is resolved, so that a reference to one says why).
func (r *varResolver) prune(n *yaml.Node, seen map[*yaml.Node]bool) {
	if seen[n] { // an alias's target, already pruned
		return
	}
	seen[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := deref(n.Content[i+1]); !r.failed(v) {
				r.prune(v, seen)
				kept = append(kept, n.Content[i], n.Content[i+1])
			}
		}
		n.Content = kept
	case yaml.SequenceNode:
		kept := n.Content[:0]
		for _, v := range n.Content {
			if v := deref(v); !r.failed(v) {
				r.prune(v, seen)
				kept = append(kept, v)
			}
		}
		n.Content = kept
	}
}

func (r *varResolver) failed(n *yaml.Node) bool {
	ok, seen := r.done[n]
	return seen && !ok
}

// resolve returns n with its variables resolved, or false when n cannot
// be resolved (its parent then drops it). Mappings and sequences are
// resolved in place.
func (r *varResolver) resolve(n *yaml.Node, path string) (*yaml.Node, bool) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if ok, seen := r.done[n]; seen {
		return n, ok
	}
	if r.active[n] {
		r.note(n, path, "circular variable reference: left out")
		return n, false
	}
	r.active[n] = true
	defer delete(r.active, n)
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			r.done[n] = true
			return n, true
		}
		res, err := r.interpolate(n, n.Value, 0)
		if err != nil {
			r.note(n, path, err.Error())
			r.done[n] = false
			return n, false
		}
		r.done[res] = true
		return res, true
	case yaml.MappingNode:
		r.merge(n)
		for i := 0; i+1 < len(n.Content); i += 2 {
			rv, _ := r.resolve(n.Content[i+1], joinPath(path, n.Content[i].Value))
			n.Content[i+1] = rv
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			rv, _ := r.resolve(v, fmt.Sprintf("%s[%d]", path, i))
			n.Content[i] = rv
		}
	case yaml.DocumentNode:
		for i, v := range n.Content {
			if rv, ok := r.resolve(v, path); ok {
				n.Content[i] = rv
			}
		}
	}
	r.done[n] = true
	return n, true
}

// merge applies YAML merge keys (`<<: *defaults`): the merged mapping's
// pairs the mapping does not set itself, as YAML's merge type says.
func (r *varResolver) merge(n *yaml.Node) {
	var merged []*yaml.Node
	has := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		has[n.Content[i].Value] = n.Content[i].Value != "<<"
	}
	var sources []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value != "<<" {
			merged = append(merged, k, v)
			continue
		}
		v = deref(v)
		if v.Kind == yaml.SequenceNode {
			sources = append(sources, v.Content...)
		} else {
			sources = append(sources, v)
		}
	}
	if len(sources) == 0 {
		return
	}
	for _, s := range sources {
		s = deref(s)
		if s.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(s.Content); i += 2 {
			if !has[s.Content[i].Value] {
				has[s.Content[i].Value] = true
				merged = append(merged, s.Content[i], s.Content[i+1])
			}
		}
	}
	n.Content = merged
}

// interpolate evaluates every ${…} of s, written at node at. A value that
// is one variable alone takes the variable's value whatever its type (a
// mapping, a number); otherwise the values are joined as text.
func (r *varResolver) interpolate(at *yaml.Node, s string, depth int) (*yaml.Node, error) {
	if depth > maxVarDepth {
		return nil, &varUnresolved{"variables nested too deep: left out"}
	}
	parts, err := splitVars(s)
	if err != nil {
		return nil, err
	}
	if len(parts) == 1 && parts[0].expr && !cfnReference(parts[0].text) {
		v, err := r.expr(at, parts[0].text, depth)
		if err != nil {
			return nil, err
		}
		return v, nil
	}
	var b strings.Builder
	for _, p := range parts {
		if !p.expr {
			b.WriteString(p.text)
			continue
		}
		if cfnReference(p.text) {
			b.WriteString("${" + p.text + "}")
			continue
		}
		v, err := r.expr(at, p.text, depth)
		if err != nil {
			return nil, err
		}
		if v.Kind != yaml.ScalarNode {
			return nil, &varUnresolved{fmt.Sprintf("${%s} is not text and cannot be part of a string: left out", p.text)}
		}
		if r.built += len(v.Value); r.built > maxVarBytes {
			return nil, &varUnresolved{"variables expand to too large a file: left out"}
		}
		b.WriteString(v.Value)
	}
	tag := "!!str"
	if isCFNTag(at.Tag) {
		tag = at.Tag // !Sub keeps its tag: its ${AWS::Region} is for CloudFormation
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: b.String(), Line: at.Line, Column: at.Column}, nil
}

// cfnReference reports whether the inside of a ${…} is CloudFormation's
// (Fn::Sub's ${AWS::Region}, ${Queue.Arn}) rather than a variable: the
// Framework leaves those as they are, and so does the import.
func cfnReference(inner string) bool {
	return strings.Contains(inner, "::") || cfnName.MatchString(inner)
}

var cfnName = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)

// varPart is a piece of a string: text, or the inside of a ${…}.
type varPart struct {
	text string
	expr bool
}

// splitVars cuts s into text and ${…} expressions, braces balanced.
func splitVars(s string) ([]varPart, error) {
	var parts []varPart
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			if s != "" {
				parts = append(parts, varPart{text: s})
			}
			return parts, nil
		}
		if i > 0 {
			parts = append(parts, varPart{text: s[:i]})
		}
		end := matchBrace(s, i+2)
		if end < 0 {
			return nil, &varUnresolved{fmt.Sprintf("unterminated variable %q: left out", s[i:])}
		}
		parts = append(parts, varPart{text: s[i+2 : end], expr: true})
		s = s[end+1:]
	}
}

// scanVariable walks s from from as the inside of a ${…}: quoted text
// (fallbacks may quote braces and commas) is skipped, and visit is called
// with each other byte's index and the brace depth around it (0: at the
// variable's own level); it stops when visit returns false.
func scanVariable(s string, from int, visit func(i, depth int) bool) {
	depth := 0
	var quote byte
	for i := from; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		case c == '{':
			depth++
		case c == '}':
			depth--
		}
		if !visit(i, depth) {
			return
		}
	}
}

// matchBrace returns the index of the "}" closing the "${" whose inside
// starts at from, or -1.
func matchBrace(s string, from int) int {
	end := -1
	scanVariable(s, from, func(i, depth int) bool {
		if depth < 0 {
			end = i
			return false
		}
		return true
	})
	return end
}

// splitFallbacks cuts the inside of a ${…} at its top-level commas: the
// variable, then its fallbacks in order.
func splitFallbacks(s string) []string {
	var out []string
	start := 0
	scanVariable(s, 0, func(i, depth int) bool {
		if s[i] == ',' && depth == 0 {
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
		return true
	})
	return append(out, strings.TrimSpace(s[start:]))
}

// sourceRef is "source:address" or "source(param):address".
var sourceRef = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*)(\(([^)]*)\))?:(.*)$`)

// paramOnly is "source(param)", a source whose whole value is wanted.
var paramOnly = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*)(\(([^)]*)\))()$`)

// expr evaluates the inside of one ${…}: its variable, else each fallback
// in turn, as the Framework does when a source has no value.
func (r *varResolver) expr(at *yaml.Node, inner string, depth int) (*yaml.Node, error) {
	alts := splitFallbacks(inner)
	var first error
	for i, alt := range alts {
		v, err := r.alternative(at, alt, i > 0, depth)
		if err == nil {
			return v, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// alternative evaluates one variable or fallback literal.
func (r *varResolver) alternative(at *yaml.Node, s string, fallback bool, depth int) (*yaml.Node, error) {
	scalar := func(tag, v string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v, Line: at.Line, Column: at.Column}
	}
	switch {
	case s == "":
		return nil, &varUnresolved{"empty variable: left out"}
	case len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0]:
		return scalar("!!str", s[1:len(s)-1]), nil
	case strings.HasPrefix(s, "${") && matchBrace(s, 2) == len(s)-1:
		return r.interpolate(at, s, depth+1)
	}
	// An address may itself hold variables: ${self:custom.${sls:stage}.url}.
	if strings.Contains(s, "${") {
		v, err := r.interpolate(at, s, depth+1)
		if err != nil {
			return nil, err
		}
		if v.Kind != yaml.ScalarNode {
			return nil, &varUnresolved{fmt.Sprintf("${%s}: an address must be text: left out", s)}
		}
		s = v.Value
	}
	m := sourceRef.FindStringSubmatch(s)
	if m == nil {
		m = paramOnly.FindStringSubmatch(s) // ${file(./key.pem)}
	}
	if m == nil {
		switch {
		case s == "true" || s == "false":
			return scalar("!!bool", s), nil
		case isNumber(s):
			return scalar(numberTag(s), s), nil
		case s == "null":
			return nil, &varUnresolved{"null fallback: left out"}
		case fallback:
			return scalar("!!str", s), nil
		}
		return nil, &varUnresolved{fmt.Sprintf("${%s} names no variable source (want source:address, e.g. self:custom.x): left out", s)}
	}
	source, param, addr := m[1], m[3], strings.TrimSpace(m[4])
	text := func(v string, ok bool, what string) (*yaml.Node, error) {
		if !ok {
			return nil, &varUnresolved{fmt.Sprintf("${%s}: %s: left out", s, what)}
		}
		return scalar("!!str", v), nil
	}
	switch source {
	case "self":
		return r.self(at, addr, s)
	case "env":
		lookup := r.opts.lookup()
		v, ok := lookup(addr)
		return text(v, ok, "not set in the environment")
	case "opt":
		switch addr {
		case "stage":
			return text(r.opts.Stage, r.opts.Stage != "", "no --stage given")
		}
		return text("", false, "no such option given to the import")
	case "sls":
		switch addr {
		case "stage":
			return scalar("!!str", r.effectiveStage()), nil
		}
		return text("", false, "unsupported sls variable")
	case "aws":
		switch addr {
		case "region":
			return scalar("!!str", r.effectiveRegion()), nil
		case "accountId":
			return scalar("!!str", awsdefault.AccountID), nil
		}
		return text("", false, "unsupported aws variable")
	case "ssm", "cf", "s3", "secretsmanager", "cloudformation":
		return nil, &varUnresolved{fmt.Sprintf("${%s}: the %s source needs AWS: left out", s, source)}
	case "file":
		return nil, &varUnresolved{fmt.Sprintf("${%s}: file(%s) is not read by the import: left out", s, param)}
	}
	return nil, &varUnresolved{fmt.Sprintf("${%s}: the %s source is not supported: left out", s, source)}
}

// self resolves ${self:address}: a dotted path into the file, numbers
// indexing lists; the value found is resolved first.
func (r *varResolver) self(at *yaml.Node, addr, whole string) (*yaml.Node, error) {
	cur := r.root
	path := ""
	if addr != "" {
		segs := strings.Split(addr, ".")
		for i, seg := range segs {
			cur = deref(cur)
			var parent *yaml.Node
			idx := -1
			switch cur.Kind {
			case yaml.MappingNode:
				r.merge(cur)
				for i := 0; i+1 < len(cur.Content); i += 2 {
					if cur.Content[i].Value == seg {
						parent, idx = cur, i+1
					}
				}
			case yaml.SequenceNode:
				if n, err := strconv.Atoi(seg); err == nil && n >= 0 && n < len(cur.Content) {
					parent, idx = cur, n
				}
			}
			if parent == nil {
				return nil, &varUnresolved{fmt.Sprintf("${%s}: %s is not in the file: left out", whole, joinPath(path, seg))}
			}
			path = joinPath(path, seg)
			child := deref(parent.Content[idx])
			if i < len(segs)-1 && (child.Kind == yaml.MappingNode || child.Kind == yaml.SequenceNode) {
				// Only what the path ends on needs resolving: a mapping on
				// the way may be the one being resolved (provider, while
				// provider.environment asks for ${sls:stage}).
				cur = child
				continue
			}
			child, ok := r.resolve(child, path)
			if !ok {
				return nil, &varUnresolved{fmt.Sprintf("${%s}: %s has no value: left out", whole, path)}
			}
			parent.Content[idx] = child
			cur = child
		}
	} else if rn, ok := r.resolve(cur, ""); ok {
		cur = rn
	}
	cur = deref(cur)
	if cur.Kind == yaml.ScalarNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: cur.Tag, Value: cur.Value, Line: at.Line, Column: at.Column}, nil
	}
	return r.copyTree(cur)
}

// copyTree deep-copies a resolved tree, marking the copy resolved.
func (r *varResolver) copyTree(n *yaml.Node) (*yaml.Node, error) {
	n = deref(n)
	r.copied++
	if r.copied > maxVarNodes {
		return nil, &varUnresolved{"variables expand to too large a file: left out"}
	}
	c := *n
	c.Content = nil
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			cc, err := r.copyTree(ch)
			if err != nil {
				return nil, err
			}
			c.Content[i] = cc
		}
	}
	r.done[&c] = true
	return &c, nil
}

// effectiveStage is the stage: --stage, else provider.stage, else dev (the
// Framework's default).
func (r *varResolver) effectiveStage() string {
	if r.opts.Stage != "" {
		return r.opts.Stage
	}
	if r.stage == "" {
		r.stage = "dev"
		if v, err := r.self(r.root, "provider.stage", "self:provider.stage"); err == nil && v.Kind == yaml.ScalarNode && v.Value != "" {
			r.stage = v.Value
		}
	}
	return r.stage
}

// effectiveRegion is provider.region, else Portico's default region.
func (r *varResolver) effectiveRegion() string {
	if r.region == "" {
		r.region = awsdefault.Region()
		if v, err := r.self(r.root, "provider.region", "self:provider.region"); err == nil && v.Kind == yaml.ScalarNode && v.Value != "" {
			r.region = v.Value
		}
	}
	return r.region
}

func (r *varResolver) note(n *yaml.Node, path, reason string) {
	r.notes = append(r.notes, Note{File: r.file, Line: n.Line, Key: path, Reason: reason})
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var numberForm = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func isNumber(s string) bool { return numberForm.MatchString(s) }

func numberTag(s string) string {
	if strings.Contains(s, ".") {
		return "!!float"
	}
	return "!!int"
}
