// Package examples holds example functions written with aws-lambda-go (and
// one each in Node.js and Python), as a user would write them for AWS
// Lambda. Portico's quickstart serves them
// through the process backend, and the tests run them as real processes.
//
//   - hello: a 2.0 response greeting ?name= with $GREETING
//   - echo: returns its event unchanged
//   - slow: sleeps ?ms= milliseconds (default 1000), then answers
//   - crash: exits in the middle of an invocation
//   - initfail: fails during initialisation, before it asks for an event
//   - node-hello: hello in Node.js (index.mjs, handler index.handler), run
//     by Portico's own Node.js runtime client
//   - python-hello: hello in Python (app.py, handler app.lambda_handler), run
//     by Portico's own Python runtime client
package examples
