package jsonbytes

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkScanString reads a 1 KB JSON string holding escaped JSON text,
// the body of a typical function result.
func BenchmarkScanString(b *testing.B) {
	doc, _ := json.Marshal(`{"items":[` + strings.Repeat(`{"id":"pet-0001","name":"Rex","tags":["a","b"]},`, 20) + `{}]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		s := NewScanner(doc)
		if _, _, err := s.readString(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	s := strings.Repeat(`Tom & "Jerry" é `, 64)
	dst := make([]byte, 0, 4*len(s))
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		dst = AppendString(dst[:0], s)
	}
}

// BenchmarkAppendStringToken is a header value that needs no escaping, as
// a bearer token in an event's headers.
func BenchmarkAppendStringToken(b *testing.B) {
	s := []byte("Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImJlbmNoIn0." + strings.Repeat("eyJhdWQiOiJhcGkiLCJleHAiOjE3", 20))
	dst := make([]byte, 0, 2*len(s))
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		dst = AppendString(dst[:0], s)
	}
}
