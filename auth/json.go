package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/portico/portico/internal/jsonbytes"
)

// decodeJSON decodes the single JSON value data into v, numbers in
// interfaces as json.Number. Anything after the value is an error.
//
// It uses encoding/json, not go-json: what it parses comes from tokens and
// authorizer functions, and the reference parser is the one to trust there
// (go-json v0.10.5 takes "[1,2]]" as valid and miscounts InputOffset after
// multi-byte characters).
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// eachMember calls fn with the raw key (without quotes, still escaped) and
// the raw value of every member of the JSON object obj, in order, until fn
// returns false. It reports whether obj was a well-formed object.
func eachMember(obj []byte, fn func(key, value []byte) bool) bool {
	s := jsonbytes.NewScanner(obj)
	if s.BeginObject() != nil {
		return false
	}
	for first := true; ; first = false {
		key, _, more, err := s.NextMember(first)
		if err != nil {
			return false
		}
		if !more {
			return true
		}
		start := s.Offset()
		if _, err := s.ReadValue(); err != nil {
			return false
		}
		if !fn(key, bytes.TrimLeft(obj[start:s.Offset()], " \t\n\r")) {
			return true
		}
	}
}

// member returns the raw value of key in obj, or nil.
func member(obj []byte, key string) []byte {
	var out []byte
	eachMember(obj, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	return out
}
