// Package admin owns the admin page served on the admin listener at `/`:
// its HTML, CSS and JavaScript (embedded, no build step, nothing fetched
// from elsewhere), its JSON API (/api/routes, /api/functions, /api/stats,
// /api/config, POST /api/reload, POST /api/try), and the traffic sampler
// behind its live numbers.
//
// It knows nothing of how Portico is put together: what it shows comes
// through Source, which the platform implements, and it imports no other
// package of this module but internal/. The gateway serves its Handler
// behind the admin listener's one guard (admin.token, same-origin POSTs).
//
// It costs the request path nothing: the sampler reads the gateway's
// Prometheus series (which /metrics reads too) once a second, while the
// admin listener runs, and keeps five minutes of per-second deltas.
package admin
