package demo

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSimDefaultSpeedShowsChange: at the default speed the built-in
// scenario's first change after the baseline shows within 10 seconds.
func TestSimDefaultSpeedShowsChange(t *testing.T) {
	sc, err := loadScenario("")
	if err != nil {
		t.Fatal(err)
	}
	if wait := time.Duration(float64(sc.Steps[1].At) / DefaultSimSpeed); wait > 10*time.Second {
		t.Errorf("at the default speed the first change shows after %s", wait)
	}
}

// TestSimAnnouncesSteps: `shdmc sim` prints each step when it shows and
// when the next one is due.
func TestSimAnnouncesSteps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- Sim(ctx, SimOptions{Stdout: &out, Addr: "127.0.0.1:0", Speed: 20000, CAOut: filepath.Join(t.TempDir(), "ca.pem")})
	}()
	for !strings.Contains(out.String(), "▶ step 3/") {
		select {
		case err := <-done:
			t.Fatalf("sim stopped: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("step 3 was not announced:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"▶ step 1/", "Baseline", "next change in ", "(step 2/", "▶ step 2/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("sim output lacks %q:\n%s", want, out.String())
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
