// Package config decodes YAML (and JSON) configuration files strictly into Go
// structs and reports every problem at once, each as
// FILE:LINE:COL: path: message.
//
// It owns the file format's rules, and nothing of what a file configures:
// which keys a struct accepts (its `yaml:"name"` tags, ",inline" for embedded
// structs), ${VAR} and ${VAR:-default} expansion of values, relative paths
// made absolute against the file's folder (`config:"path"`), a single value
// standing for a one-item list (`config:"scalarlist"`), blocks whose keys
// depend on one key's value (Union), a struct that resolves its own paths
// because whether a field is a path depends on another (PathResolver), a
// block that may also be written as the value of one of its fields
// (Shorthand), the positions of decoded values
// (Positions) for messages about them, and caps on the size of what one file
// may expand to. A package that owns a part of a config needs only struct
// tags (and, for Union, PathResolver or Shorthand, methods), and so no import of this
// one.
//
// It imports nothing of this module and must not: it knows no Portico
// semantics. It is not on any request path; Decode allocates freely.
package config
