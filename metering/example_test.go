package metering_test

import (
	"fmt"
	"time"

	"github.com/portico/portico/metering"
)

func ExampleMeter_Record() {
	m := metering.NewMeter("hello", 128, metering.Config{}) // Lambda's defaults: 1 ms, x86_64 prices
	r := m.Record(8940*time.Microsecond, 0, 18<<20)
	fmt.Printf("%q\n", metering.AppendReportLine(nil, "8f5e1a9c-0000-4000-8000-000000000001", &r))
	t := m.Totals()
	fmt.Printf("%d invocation, %.6f GB-s, $%.10f\n", t.Invocations, t.GBSeconds, t.Cost)
	// Output:
	// "REPORT RequestId: 8f5e1a9c-0000-4000-8000-000000000001\tDuration: 8.94 ms\tBilled Duration: 9 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t"
	// 1 invocation, 0.001125 GB-s, $0.0000002188
}
