// Package deploy holds no code Portico runs: its folder has the container
// image (Dockerfile), the compose file and the Kubernetes manifests, and
// its tests check them. The tests decode every manifest strictly into the
// Kubernetes API types and check what refers to what (selectors, ports,
// probes, the config's key and mount, the grace period against the
// config's drainTimeout), lint the Dockerfile with BuildKit's parser,
// validate each config with the portico binary, and run two replicas
// behind nginx with one redis-server.
//
// It is a module of its own, so that the Kubernetes and BuildKit modules
// never become dependencies of Portico's: `make test` runs it with
// `cd deploy && go test ./...`.
package deploy
