package config

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"all", Error{File: "c.yaml", Line: 31, Col: 14, Path: "functions.hello.timeout", Msg: "must be greater than 0"},
			"c.yaml:31:14: functions.hello.timeout: must be greater than 0"},
		{"no path", Error{File: "c.yaml", Line: 3, Col: 1, Msg: "m"}, "c.yaml:3:1: m"},
		{"no column", Error{File: "c.yaml", Line: 3, Col: 0, Msg: "m"}, "c.yaml:3: m"},
		{"no position", Error{File: "c.yaml", Path: "listen", Msg: "m"}, "c.yaml: listen: m"},
		{"no file", Error{Line: 2, Col: 5, Path: "p", Msg: "m"}, "2:5: p: m"},
		{"message only", Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSortByPosition(t *testing.T) {
	errs := []error{
		&Error{Line: 3, Col: 1, Msg: "c"},
		&Error{Line: 1, Col: 9, Msg: "b"},
		fmt.Errorf("wrapped: %w", &Error{Line: 1, Col: 2, Msg: "a"}),
		&Error{Line: 3, Col: 1, Msg: "d"},
		errors.New("plain"),
	}
	sortErrors(errs)
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	want := []string{"plain", "wrapped: 1:2: a", "1:9: b", "3:1: c", "3:1: d"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMerge(t *testing.T) {
	decodeErr := errors.Join(
		&Error{File: "c.yaml", Line: 2, Col: 5, Path: "limits.timeout", Msg: "invalid duration"},
		&Error{File: "c.yaml", Line: 9, Col: 3, Path: "routes[1]", Msg: "unknown field"},
	)
	more := []error{
		&Error{File: "c.yaml", Line: 1, Col: 6, Path: "api", Msg: "want http or rest"},
		&Error{File: "c.yaml", Line: 2, Col: 5, Path: "limits.timeout", Msg: "must not be negative"}, // same path
		&Error{File: "c.yaml", Line: 9, Col: 5, Path: "routes[1].route", Msg: "required"},            // inside
		&Error{File: "c.yaml", Line: 8, Col: 5, Path: "routes[10].route", Msg: "required"},           // a sibling
		&Error{File: "c.yaml", Line: 2, Col: 5, Path: "limits.timeoutMore", Msg: "a sibling too"},
	}
	got := Merge(decodeErr, more).Error()
	want := "c.yaml:1:6: api: want http or rest\n" +
		"c.yaml:2:5: limits.timeout: invalid duration\n" +
		"c.yaml:2:5: limits.timeoutMore: a sibling too\n" +
		"c.yaml:8:5: routes[10].route: required\n" +
		"c.yaml:9:3: routes[1]: unknown field"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if err := Merge(nil, nil); err != nil {
		t.Errorf("Merge(nil, nil): got %v, want nil", err)
	}
	fileErr := errors.Join(&Error{File: "c.yaml", Line: 1, Msg: "did not find expected key"})
	if got := Merge(fileErr, more).Error(); got != "c.yaml:1: did not find expected key" {
		t.Errorf("a problem with the whole file: got %q, want it alone", got)
	}
}
