package config

import "go.yaml.in/yaml/v3"

// Shorthand is implemented (pointer receiver) by a struct that may also be
// written as one scalar, which then stands for one of its fields: with
// ShorthandKey "listen", `admin: 127.0.0.1:9090` decodes as
// `admin: {listen: 127.0.0.1:9090}`, so that a key that grew from a value
// into a block keeps its first form.
type Shorthand interface {
	// ShorthandKey is the yaml name of the field a scalar stands for.
	ShorthandKey() string
}

// shorthandMapping is the mapping {key: n} that the scalar n stands for,
// placed where n is, so that problems with the value point at it.
func shorthandMapping(n *yaml.Node, key string) *yaml.Node {
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: n.Line, Column: n.Column}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{k, n}, Line: n.Line, Column: n.Column}
}
