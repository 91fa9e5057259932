// Package profile starts the CPU profiles the benchmarks write on request
// (their -cpuprofile flags).
package profile

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// Start starts a CPU profile written to path; the function it returns
// stops it and closes the file.
func Start(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("write cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("write cpu profile: %w", err)
		}
		return nil
	}, nil
}
