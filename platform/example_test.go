package platform_test

import (
	"fmt"

	"github.com/portico/portico/platform"
)

// A config with problems reports all of them at once, each with its file,
// line, column and field path.
func ExampleParse() {
	_, err := platform.Parse("portico.yaml", []byte(`
functions:
  hello: {backend: builtin, handler: mock, timout: 3s}
routes:
  - {route: "GET /pets/{id}", function: helo}
  - {route: "GET pets", function: hello}
`), nil)
	fmt.Println(err)
	// Output:
	// portico.yaml:3:44: functions.hello: unknown field "timout" (did you mean "timeout"?)
	// portico.yaml:5:41: routes[0].function: unknown function "helo" (did you mean "hello"?)
	// portico.yaml:6:13: routes[1].route: malformed route "GET pets": the path must start with /
}
