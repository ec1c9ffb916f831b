package schedule_test

import (
	"fmt"
	"time"

	"github.com/portico/portico/schedule"
)

func ExampleParse() {
	e, err := schedule.Parse("cron(30 2 * * ? *)")
	if err != nil {
		panic(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	at := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	for range 3 {
		at = e.Next(at, ny)
		fmt.Println(at.Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	// Output:
	// 2026-03-07T02:30:00-05:00 2026-03-07T07:30:00Z
	// 2026-03-09T02:30:00-04:00 2026-03-09T06:30:00Z
	// 2026-03-10T02:30:00-04:00 2026-03-10T06:30:00Z
}
