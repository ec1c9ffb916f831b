// Package bench is Portico's load generator and its bundled scenarios.
//
// The generator (Run) drives any HTTP target over fasthttp's client, either
// closed-loop (each connection sends its next request as soon as the last
// one answered) or open-loop at a fixed rate with coordinated-omission
// correction: a request's latency is measured from when it was due, not
// from when it was sent, as wrk2 does, so a stalled server cannot hide its
// stall by slowing the load down. Latencies go into an HDR histogram.
//
// Scenarios (RunScenario) start their own targets — a gateway, a function
// server, and a bare fasthttp server answering with the same bytes as the
// baseline — as child processes on free 127.0.0.1 ports, pinned to other
// cores than the generator where taskset allows, and report each row and
// the gateway-to-baseline ratio from the same run. Each row also gives the
// CPU time every process serving it used per request, read from
// /proc/PID/stat for the process's whole group over the row's measured
// window, so a gain in throughput that costs more CPU shows up, and so a
// comparison still holds when other work shares the machine.
//
// bench may import gateway and backend, to start targets.
package bench
