package lambdalimit

import (
	"strconv"
	"strings"
	"testing"
)

func TestResponseTooLargeMessageNamesTheLimit(t *testing.T) {
	if want := "(" + strconv.Itoa(ResponseBytes) + " bytes)"; !strings.Contains(ResponseTooLargeMessage, want) {
		t.Errorf("got %q, want it to contain %q", ResponseTooLargeMessage, want)
	}
}
