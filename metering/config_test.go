package metering

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestSetDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{"empty", Config{}, Config{Granularity: time.Millisecond, Architecture: ArchX86, PricePerGBSecond: 0.0000166667, PricePerMillionRequests: 0.20}},
		{"arm64", Config{Architecture: ArchARM}, Config{Granularity: time.Millisecond, Architecture: ArchARM, PricePerGBSecond: 0.0000133334, PricePerMillionRequests: 0.20}},
		{"explicit prices win", Config{Granularity: 100 * time.Millisecond, Architecture: ArchARM, PricePerGBSecond: 1, PricePerMillionRequests: 2},
			Config{Granularity: 100 * time.Millisecond, Architecture: ArchARM, PricePerGBSecond: 1, PricePerMillionRequests: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in
			got.SetDefaults()
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if errs := got.Validate(); errs != nil {
				t.Errorf("Validate: %v", errs)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   Config
		want string
	}{
		{"granularity too small", Config{Granularity: time.Microsecond}, "[granularity: must be from 1ms to 1s, e.g. 1ms (Lambda today) or 100ms (Lambda before December 2020)]"},
		{"granularity not whole ms", Config{Granularity: 1500 * time.Microsecond}, "[granularity: must be a whole number of milliseconds, e.g. 1ms or 100ms]"},
		{"granularity too large", Config{Granularity: 2 * time.Second}, "[granularity: must be from 1ms to 1s, e.g. 1ms (Lambda today) or 100ms (Lambda before December 2020)]"},
		{"architecture", Config{Architecture: "amd64"}, "[architecture: must be x86_64 or arm64]"},
		{"negative prices", Config{PricePerGBSecond: -1, PricePerMillionRequests: -0.2}, "[pricePerGBSecond: must not be negative pricePerMillionRequests: must not be negative]"},
		{"prices not numbers", Config{PricePerGBSecond: math.NaN(), PricePerMillionRequests: math.Inf(1)},
			"[pricePerGBSecond: must be a finite number of USD, e.g. 0.20 pricePerMillionRequests: must be a finite number of USD, e.g. 0.20]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.in
			c.SetDefaults()
			if got := fmt.Sprint(c.Validate()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
