//go:build ignore

// Command printversion prints version.Read for TestLinkTimeValues, which
// builds it with -ldflags -X.
package main

import (
	"fmt"

	"github.com/shdmc/shdmc/internal/version"
)

func main() {
	i := version.Read()
	fmt.Printf("%s|%s|%s\n", i.Version, i.Revision, i)
}
