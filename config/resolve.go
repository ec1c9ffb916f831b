package config

// PathResolver is implemented (pointer receiver) by a struct some of whose
// fields are paths or not depending on other fields, so that a
// `config:"path"` tag cannot say it: a field that is a file in one form and
// a name in another. Decode calls ResolvePaths once the struct's fields are
// decoded, with the folder relative paths resolve against (see WithDir; ""
// without it, when paths stay as written).
type PathResolver interface {
	ResolvePaths(dir string)
}
