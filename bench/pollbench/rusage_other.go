//go:build !linux

package main

import (
	"errors"
	"time"
)

// cpuTime is not measured on this system.
func cpuTime() time.Duration { return 0 }

// peakRSS is not measured on this system.
func peakRSS() (int64, error) { return 0, errors.New("read peak rss: only measured on linux") }
