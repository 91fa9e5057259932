package app_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/app"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestRunServesDashboard: with Options.Dashboard, Run serves the dashboard
// and /metrics fed by its polls (the Observe hook still called), and stops
// serving before it returns; serve.disabled turns it off, and an address
// beyond loopback without credentials is an ErrDashboard from New.
func TestRunServesDashboard(t *testing.T) {
	get := func(url string) (string, error) {
		resp, err := http.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	// run runs an App until check returns; check fails the test through
	// wait when Run ends early.
	run := func(t *testing.T, disabled bool, check func(addr string, polls func() int64, wait func())) {
		e := newEnv(t)
		e.cfg.Serve.Disabled = disabled
		addr := freeAddr(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var polls atomic.Int64
		a, err := app.New(ctx, e.cfg, app.Options{Now: e.clock.Now, Dashboard: true, DashboardAddr: addr,
			Observe: func(app.Observation) { polls.Add(1) }})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		wait := func() {
			select {
			case err := <-done:
				t.Fatalf("Run ended early: %v", err)
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
		check(addr, polls.Load, wait)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if _, err := get("http://" + addr + "/healthz"); err == nil {
			t.Error("the dashboard still answers after Run returned")
		}
	}
	t.Run("served", func(t *testing.T) {
		run(t, false, func(addr string, polls func() int64, wait func()) {
			for {
				body, err := get("http://" + addr + "/metrics")
				if err == nil && strings.Contains(body, "shdmc_poll_duration_seconds_count") && strings.Contains(body, `shdmc_graph_requests_total{code="200"}`) {
					break
				}
				wait()
			}
			if polls() == 0 {
				t.Error("Options.Observe was not called beside the metrics")
			}
		})
	})
	t.Run("serve.disabled", func(t *testing.T) {
		run(t, true, func(addr string, polls func() int64, wait func()) {
			for polls() == 0 {
				wait()
			}
			if _, err := get("http://" + addr + "/healthz"); err == nil {
				t.Error("serve.disabled: the dashboard answers")
			}
		})
	})
	t.Run("beyond loopback without credentials", func(t *testing.T) {
		e := newEnv(t)
		_, err := app.New(context.Background(), e.cfg, app.Options{Dashboard: true, DashboardAddr: "0.0.0.0:0"})
		if !errors.Is(err, app.ErrDashboard) || !strings.Contains(err.Error(), "not loopback") {
			t.Fatalf("New: %v, want an ErrDashboard about the address", err)
		}
	})
}
