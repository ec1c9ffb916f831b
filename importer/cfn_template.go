package importer

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseTemplate decodes a CloudFormation template, YAML or JSON, into its
// root mapping node. The short intrinsic tags (`!Ref X`, `!Sub …`,
// `!GetAtt A.B`) become the long form they stand for (`{Ref: X}`), so that
// the evaluator sees one spelling; nodes keep their lines for notes.
func parseTemplate(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a template: want a mapping at the top")
	}
	root := doc.Content[0]
	if err := expandTags(root, 0); err != nil {
		return nil, err
	}
	return root, nil
}

// maxDepth bounds the nesting the importer walks, against hostile input.
const maxDepth = 200

// expandTags rewrites every short-form intrinsic in place.
func expandTags(n *yaml.Node, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("line %d: nested more than %d levels", n.Line, maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		return nil // its anchor is expanded where it is declared
	}
	for _, c := range n.Content {
		if err := expandTags(c, depth+1); err != nil {
			return err
		}
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return nil
	}
	name := n.Tag[1:]
	inner := *n
	inner.Tag = ""
	switch {
	case name == "GetAtt" && n.Kind == yaml.ScalarNode:
		// !GetAtt A.B is the list form [A, B]; B may itself hold dots.
		a, b, _ := strings.Cut(n.Value, ".")
		inner = yaml.Node{Kind: yaml.SequenceNode, Line: n.Line, Column: n.Column, Content: []*yaml.Node{
			scalarAt(n, a), scalarAt(n, b),
		}}
	case inner.Kind == yaml.ScalarNode:
		inner.Tag = "!!str"
	}
	key := name
	if name != "Ref" && name != "Condition" {
		key = "Fn::" + name
	}
	*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column,
		Content: []*yaml.Node{scalarAt(n, key), &inner}}
	return nil
}

// scalarAt is a string scalar at n's position.
func scalarAt(n *yaml.Node, s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: n.Line, Column: n.Column}
}

// intrinsicName is the function name of a one-key mapping that is an
// intrinsic ({Ref: …}, {Fn::Sub: …}), or "". {Condition: …} is one only
// inside conditions, where the evaluator looks for it itself.
func intrinsicName(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return ""
	}
	k := n.Content[0].Value
	if k == "Ref" || strings.HasPrefix(k, "Fn::") {
		return k
	}
	return ""
}
