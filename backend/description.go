package backend

import "time"

// Description is what the Invoke API's GetFunction and ListFunctions tell
// of a function: the fields of Lambda's FunctionConfiguration a local
// function has. Zero values are unknown and left out.
type Description struct {
	// Backend is the kind: builtin, http, process or lambda.
	Backend string
	// Runtime is Lambda's runtime name (nodejs20.x, provided.al2023, go).
	Runtime string
	// Handler is Lambda's handler setting.
	Handler string
	// Timeout is the function's own time limit.
	Timeout time.Duration
	// MemoryMB is the function's memory size.
	MemoryMB int
	// Environment is the variables the config sets for the function.
	Environment map[string]string
}

// Describer is implemented by a backend kind's config to describe its
// function.
type Describer interface {
	Describe() Description
}
