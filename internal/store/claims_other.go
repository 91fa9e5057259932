//go:build !unix

package store

// processAlive cannot tell on this system: every process counts as alive,
// and its claims end with their lease.
func processAlive(int) bool { return true }
