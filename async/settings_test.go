package async

import (
	"testing"
	"time"

	"github.com/portico/portico/internal/testkit"
)

func TestSettingsDefaults(t *testing.T) {
	var s Settings
	s.SetDefaults()
	if s.Workers != 16 || s.QueueSize != 10000 || s.Backoff != (Backoff{time.Second, 5 * time.Minute}) ||
		s.ClaimTimeout != 16*time.Minute || len(s.RetryDelays) != 2 || s.RetryDelays[0] != time.Minute || s.RetryDelays[1] != 2*time.Minute {
		t.Errorf("defaults: got %+v", s)
	}
	if errs := s.Validate(); len(errs) != 0 {
		t.Errorf("defaults invalid: %v", errs)
	}
}

func TestSettingsValidate(t *testing.T) {
	s := Settings{Workers: -1, QueueSize: -2, RetryDelays: []time.Duration{time.Second, 0},
		Backoff: Backoff{Min: time.Minute, Max: time.Second}, ClaimTimeout: -time.Second}
	testkit.ErrorsAre(t, s.Validate(), []string{
		"workers: must not be negative",
		"queueSize: must not be negative",
		"retryDelays[1]: must be greater than 0, got 0s",
		"backoff.max: must not be less than backoff.min (1m0s), got 1s",
		"claimTimeout: must not be negative",
	})
}
