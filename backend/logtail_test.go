package backend

import (
	"bytes"
	"testing"
)

func TestLogTailKeepsTheLastBytes(t *testing.T) {
	var tail LogTail
	line := bytes.Repeat([]byte("x"), 1000)
	for i := range 5 {
		line[0] = byte('0' + i)
		tail.Write(line)
	}
	got := tail.Bytes()
	if len(got) != LogTailSize {
		t.Fatalf("tail holds %d bytes, want %d", len(got), LogTailSize)
	}
	if want := append(bytes.Repeat([]byte("x"), 96), '1'); !bytes.HasPrefix(got, want) {
		t.Errorf("tail starts %q, want the end of line 0 then line 1", got[:100])
	}
	tail.Write(bytes.Repeat([]byte("y"), 2*LogTailSize))
	if got := tail.Bytes(); !bytes.Equal(got, bytes.Repeat([]byte("y"), LogTailSize)) {
		t.Errorf("after a write larger than the tail, it holds %q…", got[:20])
	}
}
