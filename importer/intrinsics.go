package importer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The pseudo parameters' local values. AWS gives the deployed stack's; a
// local run has none, so the importer picks fixed ones (overridable with
// --parameter-overrides AWS::Region=eu-west-1, as `sam local` allows):
// the account is the one Portico's requestContext.accountId defaults to.
var pseudoDefaults = map[string]string{
	"AWS::Region":    "us-east-1",
	"AWS::AccountId": "123456789012",
	"AWS::StackName": "local",
	"AWS::StackId":   "arn:aws:cloudformation:us-east-1:123456789012:stack/local/00000000-0000-0000-0000-000000000000",
	"AWS::Partition": "aws",
	"AWS::URLSuffix": "amazonaws.com",
}

// noValue is what {Ref: AWS::NoValue} evaluates to: the key or item
// holding it is left out, as CloudFormation does.
const noValue = "!NoValue"

// resource is what the evaluator needs of a template's resource to answer
// Ref and Fn::GetAtt.
type resource struct {
	typ   string
	props *yaml.Node
}

// evaluator resolves a template's intrinsic functions against its
// parameters, conditions, mappings and resources. What it cannot resolve
// as AWS would (a physical name that exists only once deployed) it stands
// in for and notes.
type evaluator struct {
	params     map[string]*yaml.Node // resolved parameter values
	conditions *yaml.Node
	condValues map[string]bool
	condBusy   map[string]bool
	mappings   *yaml.Node
	resources  map[string]*resource
	notes      *noteList
	depth      int
	// steps counts the nodes evaluated: YAML aliases can make a small
	// file a huge tree, so the work of one import is bounded.
	steps int
}

// maxSteps bounds the nodes one import evaluates.
const maxSteps = 1 << 20

// unresolvedError is a value the evaluator could not work out, saying
// where and why; the caller notes it and leaves the key out.
type unresolvedError struct{ msg string }

func (e *unresolvedError) Error() string { return e.msg }

func unresolved(format string, args ...any) error {
	return &unresolvedError{fmt.Sprintf(format, args...)}
}

// eval is n with every intrinsic function resolved. path names n in
// notes. AWS::NoValue entries are left out of mappings and lists.
func (e *evaluator) eval(n *yaml.Node, path string) (*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	e.depth++
	e.steps++
	defer func() { e.depth-- }()
	if e.depth > maxDepth || e.steps > maxSteps {
		return nil, unresolved("nested more than %d levels, or too large", maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		return e.eval(n.Alias, path)
	}
	if fn := intrinsicName(n); fn != "" {
		return e.call(fn, n.Content[1], n, path)
	}
	switch n.Kind {
	case yaml.MappingNode:
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		for _, p := range pairs(n) {
			v, err := e.eval(p.value, path+"."+p.key)
			if err != nil {
				return nil, err
			}
			if isNoValue(v) {
				continue
			}
			out.Content = append(out.Content, scalarAt(&yaml.Node{Line: p.line, Column: n.Column}, p.key), v)
		}
		return out, nil
	case yaml.SequenceNode:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line, Column: n.Column}
		for i, c := range n.Content {
			v, err := e.eval(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if !isNoValue(v) {
				out.Content = append(out.Content, v)
			}
		}
		return out, nil
	}
	return n, nil
}

func isNoValue(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode && n.Tag == noValue }

// evalString is n resolved to a string: a scalar, or a number or bool
// spelled as the template wrote it.
func (e *evaluator) evalString(n *yaml.Node, path string) (string, error) {
	v, err := e.eval(n, path)
	if err != nil {
		return "", err
	}
	s, ok := scalar(v)
	if !ok {
		return "", unresolved("%s: want a string", path)
	}
	return s, nil
}

// call evaluates intrinsic fn with argument arg; at is the intrinsic's node.
func (e *evaluator) call(fn string, arg, at *yaml.Node, path string) (*yaml.Node, error) {
	str := func(s string) *yaml.Node { return scalarAt(at, s) }
	switch fn {
	case "Ref":
		name, ok := scalar(arg)
		if !ok {
			return nil, unresolved("%s: Ref wants a name", path)
		}
		return e.ref(name, at, path)
	case "Fn::Sub":
		return e.sub(arg, at, path)
	case "Fn::GetAtt":
		parts, err := e.list(arg, path, 2)
		if err != nil {
			return nil, err
		}
		s, err := e.getAtt(parts[0], parts[1], at, path)
		if err != nil {
			return nil, err
		}
		return str(s), nil
	case "Fn::Join":
		args, err := e.args(arg, path, 2)
		if err != nil {
			return nil, err
		}
		sep, ok := scalar(args[0])
		if !ok && args[0].Tag != "!!null" {
			return nil, unresolved("%s: Fn::Join wants a delimiter", path)
		}
		if args[1].Kind != yaml.SequenceNode {
			return nil, unresolved("%s: Fn::Join wants a list", path)
		}
		items := make([]string, 0, len(args[1].Content))
		for _, c := range args[1].Content {
			s, ok := scalar(c)
			if !ok {
				return nil, unresolved("%s: Fn::Join wants a list of strings", path)
			}
			items = append(items, s)
		}
		return str(strings.Join(items, sep)), nil
	case "Fn::If":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			return nil, unresolved("%s: Fn::If wants [condition, then, else]", path)
		}
		name, ok := scalar(arg.Content[0])
		if !ok {
			return nil, unresolved("%s: Fn::If wants a condition name", path)
		}
		v, err := e.condition(name, path)
		if err != nil {
			return nil, err
		}
		if v {
			return e.eval(arg.Content[1], path)
		}
		return e.eval(arg.Content[2], path)
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		v, err := e.boolean(at, path)
		if err != nil {
			return nil, err
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v), Line: at.Line, Column: at.Column}, nil
	case "Fn::Select":
		args, err := e.args(arg, path, 2)
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(args[0].Value)
		if err != nil || args[1].Kind != yaml.SequenceNode || i < 0 || i >= len(args[1].Content) {
			return nil, unresolved("%s: Fn::Select index out of range", path)
		}
		return args[1].Content[i], nil
	case "Fn::Split":
		args, err := e.args(arg, path, 2)
		if err != nil {
			return nil, err
		}
		sep, ok1 := scalar(args[0])
		s, ok2 := scalar(args[1])
		if !ok1 || !ok2 || sep == "" {
			return nil, unresolved("%s: Fn::Split wants a delimiter and a string", path)
		}
		return strList(at, strings.Split(s, sep)), nil
	case "Fn::FindInMap":
		args, err := e.args(arg, path, 3)
		if err != nil {
			return nil, err
		}
		v := e.mappings
		for _, k := range args[:3] {
			s, _ := scalar(k)
			if v = get(v, s); v == nil {
				return nil, unresolved("%s: Fn::FindInMap: no %q in Mappings", path, s)
			}
		}
		return e.eval(v, path)
	case "Fn::Base64":
		s, err := e.evalString(arg, path)
		if err != nil {
			return nil, err
		}
		return str(base64.StdEncoding.EncodeToString([]byte(s))), nil
	case "Fn::GetAZs":
		r := e.pseudo("AWS::Region")
		return strList(at, []string{r + "a", r + "b", r + "c"}), nil
	case "Fn::Length":
		v, err := e.eval(arg, path)
		if err != nil {
			return nil, err
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(len(v.Content)), Line: at.Line}, nil
	case "Fn::ToJsonString":
		v, err := e.eval(arg, path)
		if err != nil {
			return nil, err
		}
		var x any
		if err := v.Decode(&x); err != nil {
			return nil, unresolved("%s: %v", path, err)
		}
		b, err := json.Marshal(x)
		if err != nil {
			return nil, unresolved("%s: %v", path, err)
		}
		return str(string(b)), nil
	}
	// Fn::ImportValue, Fn::Cidr, Fn::Transform…: only a deployed stack
	// (or another one) knows the answer.
	return nil, unresolved("%s: %s is resolved only on AWS", path, fn)
}

// args evaluates the list argument of an intrinsic, wanting at least n items.
func (e *evaluator) args(arg *yaml.Node, path string, n int) ([]*yaml.Node, error) {
	v, err := e.eval(arg, path)
	if err != nil {
		return nil, err
	}
	if v.Kind != yaml.SequenceNode || len(v.Content) < n {
		return nil, unresolved("%s: want a list of %d", path, n)
	}
	return v.Content, nil
}

// list is args as strings.
func (e *evaluator) list(arg *yaml.Node, path string, n int) ([]string, error) {
	args, err := e.args(arg, path, n)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(args))
	for i, a := range args {
		s, ok := scalar(a)
		if !ok {
			return nil, unresolved("%s: want a list of strings", path)
		}
		out[i] = s
	}
	return out, nil
}

func strList(at *yaml.Node, items []string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: at.Line, Column: at.Column}
	for _, s := range items {
		out.Content = append(out.Content, scalarAt(at, s))
	}
	return out
}

// pseudo is a pseudo parameter's value: an override, else the default.
func (e *evaluator) pseudo(name string) string {
	if v, ok := e.params[name]; ok && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return pseudoDefaults[name]
}

// ref is {Ref: name}: a parameter's value, a pseudo parameter, or a
// resource's name (see refResource).
func (e *evaluator) ref(name string, at *yaml.Node, path string) (*yaml.Node, error) {
	if name == "AWS::NoValue" {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: noValue, Line: at.Line}, nil
	}
	if v, ok := e.params[name]; ok {
		c := *v
		c.Line, c.Column = at.Line, at.Column
		return &c, nil
	}
	if name == "AWS::NotificationARNs" {
		return strList(at, nil), nil
	}
	if v, ok := pseudoDefaults[name]; ok {
		return scalarAt(at, v), nil
	}
	if r, ok := e.resources[name]; ok {
		return scalarAt(at, e.refResource(name, r, at, path)), nil
	}
	return nil, unresolved("%s: Ref to %q: no such parameter or resource", path, name)
}

// physicalName is the name a resource stands in for locally: its own
// name property when the template gives one (TableName of a table,
// QueueName of a queue), else its logical ID.
func (e *evaluator) physicalName(id string, r *resource) string {
	typ := r.typ[strings.LastIndex(r.typ, ":")+1:]
	for _, key := range []string{typ + "Name", "Name"} {
		n := get(r.props, key)
		if n == nil {
			continue
		}
		// The name may itself be an intrinsic ({Fn::Sub: "orders-${Env}"});
		// one that cannot be resolved leaves the logical ID.
		if s, err := e.evalString(n, "Resources."+id+".Properties."+key); err == nil && s != "" {
			return s
		}
	}
	return id
}

// refResource is what Ref gives for a resource. A function's is its
// Portico function name (its logical ID), the name it is invoked by
// locally; an API's is Portico's apiId; a queue's is its URL on AWS, as
// Ref gives it there. Another resource's is its physical name, and a
// note says it exists only on AWS.
func (e *evaluator) refResource(id string, r *resource, at *yaml.Node, path string) string {
	switch r.typ {
	case typeSAMFunction, typeLambdaFunction:
		return id
	case typeSAMApi, typeSAMHttpApi, "AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi":
		return "local"
	case "AWS::SQS::Queue":
		return sqsURL(e.pseudo("AWS::Region"), e.pseudo("AWS::AccountId"), e.physicalName(id, r))
	case "AWS::ApiGatewayV2::Integration", "AWS::ApiGatewayV2::Authorizer", "AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Stage":
		return id // read back by the CloudFormation importer (integrations/{id})
	}
	name := e.physicalName(id, r)
	e.notes.add(at.Line, path, fmt.Sprintf("Ref to %s %s: the resource exists only on AWS; %q stands in for its name", r.typ, id, name))
	return name
}

// getAtt is {Fn::GetAtt: [id, attr]}. A function's Arn names it by its
// logical ID (the importer maps that ARN back to the function); a queue's
// Arn and QueueName and an API's ApiEndpoint are worked out; anything
// else stands in and is noted.
func (e *evaluator) getAtt(id, attr string, at *yaml.Node, path string) (string, error) {
	r, ok := e.resources[id]
	if !ok {
		return "", unresolved("%s: Fn::GetAtt on %q: no such resource", path, id)
	}
	region, account := e.pseudo("AWS::Region"), e.pseudo("AWS::AccountId")
	switch {
	case (r.typ == typeSAMFunction || r.typ == typeLambdaFunction) && attr == "Arn":
		return lambdaARN(region, account, id), nil
	case r.typ == "AWS::SQS::Queue" && attr == "Arn":
		return "arn:aws:sqs:" + region + ":" + account + ":" + e.physicalName(id, r), nil
	case r.typ == "AWS::SQS::Queue" && attr == "QueueName":
		return e.physicalName(id, r), nil
	case r.typ == "AWS::SQS::Queue" && attr == "QueueUrl":
		return sqsURL(region, account, e.physicalName(id, r)), nil
	}
	name := e.physicalName(id, r)
	v := name
	if strings.HasSuffix(attr, "Arn") {
		service := "resource"
		if parts := strings.Split(r.typ, "::"); len(parts) > 1 {
			service = strings.ToLower(parts[1])
		}
		v = "arn:aws:" + service + ":" + region + ":" + account + ":" + name
	}
	e.notes.add(at.Line, path, fmt.Sprintf("Fn::GetAtt %s.%s: known only on AWS; %q stands in", id, attr, v))
	return v, nil
}

// lambdaARN is a function's ARN as GetAtt gives it.
func lambdaARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}

// sqsURL is a queue's URL on AWS.
func sqsURL(region, account, name string) string {
	return "https://sqs." + region + ".amazonaws.com/" + account + "/" + name
}

// sub is Fn::Sub: "${Name}" is Ref Name (or a variable of the second
// form), "${Id.Attr}" GetAtt, "${!Literal}" the literal "${Literal}".
func (e *evaluator) sub(arg, at *yaml.Node, path string) (*yaml.Node, error) {
	tmpl := arg
	vars := map[string]*yaml.Node{}
	if arg.Kind == yaml.SequenceNode {
		if len(arg.Content) != 2 {
			return nil, unresolved("%s: Fn::Sub wants a string or [string, variables]", path)
		}
		tmpl = arg.Content[0]
		for _, p := range pairs(arg.Content[1]) {
			v, err := e.eval(p.value, path+"."+p.key)
			if err != nil {
				return nil, err
			}
			vars[p.key] = v
		}
	}
	s, ok := scalar(tmpl)
	if !ok {
		return nil, unresolved("%s: Fn::Sub wants a string", path)
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		name := strings.TrimSpace(s[i+2 : i+end])
		s = s[i+end+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		if v, ok := vars[name]; ok {
			vs, ok := scalar(v)
			if !ok {
				return nil, unresolved("%s: Fn::Sub variable %s is not a string", path, name)
			}
			b.WriteString(vs)
			continue
		}
		if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v, err := e.getAtt(id, attr, at, path)
			if err != nil {
				return nil, err
			}
			b.WriteString(v)
			continue
		}
		v, err := e.ref(name, at, path)
		if err != nil {
			return nil, err
		}
		if v.Kind == yaml.SequenceNode { // a list parameter, as Sub joins it
			var items []string
			for _, c := range v.Content {
				items = append(items, c.Value)
			}
			b.WriteString(strings.Join(items, ","))
			continue
		}
		b.WriteString(v.Value)
	}
	return scalarAt(at, b.String()), nil
}

// condition is the value of the template's condition name.
func (e *evaluator) condition(name, path string) (bool, error) {
	if v, ok := e.condValues[name]; ok {
		return v, nil
	}
	def := get(e.conditions, name)
	if def == nil {
		return false, unresolved("%s: no condition %q", path, name)
	}
	if e.condBusy[name] {
		return false, unresolved("%s: condition %q refers to itself", path, name)
	}
	e.condBusy[name] = true
	v, err := e.boolean(def, "Conditions."+name)
	delete(e.condBusy, name)
	if err != nil {
		return false, err
	}
	e.condValues[name] = v
	return v, nil
}

// boolean evaluates a condition expression.
func (e *evaluator) boolean(n *yaml.Node, path string) (bool, error) {
	e.depth++
	defer func() { e.depth-- }()
	if e.depth > maxDepth {
		return false, unresolved("nested more than %d levels", maxDepth)
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		arg := n.Content[1]
		items := func() []*yaml.Node {
			if arg.Kind == yaml.SequenceNode {
				return arg.Content
			}
			return nil
		}
		switch n.Content[0].Value {
		case "Condition":
			name, _ := scalar(arg)
			return e.condition(name, path)
		case "Fn::Equals":
			args, err := e.args(arg, path, 2)
			if err != nil {
				return false, err
			}
			return sameValue(args[0], args[1]), nil
		case "Fn::Not":
			if len(items()) != 1 {
				return false, unresolved("%s: Fn::Not wants one condition", path)
			}
			v, err := e.boolean(items()[0], path)
			return !v, err
		case "Fn::And", "Fn::Or":
			and := n.Content[0].Value == "Fn::And"
			if len(items()) == 0 {
				return false, unresolved("%s: %s wants conditions", path, n.Content[0].Value)
			}
			for _, c := range items() {
				v, err := e.boolean(c, path)
				if err != nil {
					return false, err
				}
				if v != and {
					return v, nil
				}
			}
			return and, nil
		}
	}
	v, err := e.eval(n, path)
	if err != nil {
		return false, err
	}
	if s, ok := scalar(v); ok && (s == "true" || s == "false") {
		return s == "true", nil
	}
	return false, unresolved("%s: not a condition", path)
}

// sameValue is Fn::Equals on evaluated values: scalars compare as text
// (CloudFormation compares "1" and 1 equal), lists item by item.
func sameValue(a, b *yaml.Node) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == yaml.ScalarNode {
		return a.Value == b.Value
	}
	return slices.EqualFunc(a.Content, b.Content, sameValue)
}
