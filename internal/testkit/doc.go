// Package testkit holds what tests of several packages share: Eventually,
// which waits on a condition instead of sleeping; ErrorsAre, which compares
// the messages a Validate returns; and, in its subpackages, stand-ins for
// the servers Portico talks to (jwkstest: a JWKS endpoint and token signer;
// invoketest: a Lambda Invoke API endpoint; redistest: a real
// redis-server). Only tests import it, and bench, which drives real
// servers the same way.
//
// It imports nothing of the module; its subpackages import only testkit and
// other leaves of internal/.
package testkit
