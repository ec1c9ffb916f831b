// Package importer owns turning an application described for AWS — a SAM
// or CloudFormation template, a serverless.yml, an OpenAPI document with
// API Gateway's extensions — into a Portico config: the YAML `portico
// import` prints and `portico serve --template` serves, and the list of
// what could not be carried over, each with its file, line and why. It
// produces config text only; the config package and the platform check
// and run it like any config a user wrote.
package importer
