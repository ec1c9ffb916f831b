package config

import (
	"reflect"
	"slices"
	"strings"
	"sync"
)

// fieldOpts are the options of a field's `config:"..."` tag.
type fieldOpts struct {
	path       bool // "path": a relative path, made absolute (see WithDir)
	scalarList bool // "scalarlist": a single value stands for a one-item list
}

// field is a decodable field of a struct type.
type field struct {
	index []int // for reflect.Value.FieldByIndex
	opts  fieldOpts
}

// structFields lists the decodable fields of a struct type.
type structFields struct {
	byName map[string]field // yaml name → field
	names  []string         // yaml names in field order
}

var fieldsCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if info, ok := fieldsCache.Load(t); ok {
		return info.(*structFields)
	}
	info := &structFields{byName: map[string]field{}}
	info.add(t, nil)
	actual, _ := fieldsCache.LoadOrStore(t, info)
	return actual.(*structFields)
}

func (info *structFields) add(t reflect.Type, index []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		name, yamlOpts, _ := strings.Cut(tag, ",")
		idx := append(slices.Clip(index), i)
		if slices.Contains(strings.Split(yamlOpts, ","), "inline") && f.Type.Kind() == reflect.Struct {
			info.add(f.Type, idx)
			continue
		}
		if name == "" || !f.IsExported() {
			continue
		}
		if _, dup := info.byName[name]; dup {
			continue
		}
		opts := strings.Split(f.Tag.Get("config"), ",")
		info.byName[name] = field{index: idx, opts: fieldOpts{
			path:       slices.Contains(opts, "path"),
			scalarList: slices.Contains(opts, "scalarlist"),
		}}
		info.names = append(info.names, name)
	}
}
