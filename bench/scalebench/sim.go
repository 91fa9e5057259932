package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/sim"
)

// The simulator runs as a separate process (this binary with -serve-sim),
// as in bench/pollbench, so that its CPU is not the workers'.

const (
	benchClientID = "5d7c0000-0000-4000-8000-0000000000bb"
	benchSecret   = "bench-secret"
)

// simInfo is what the simulator process prints when it is ready.
type simInfo struct {
	URL     string   `json:"url"`
	CAFile  string   `json:"ca_file"`
	Tenants []string `json:"tenants"`
}

// window is what the simulator saw between two times.
type window struct {
	Graph       int64     `json:"graph"`        // Graph requests
	Auth        int64     `json:"auth"`         // token and metadata requests
	Polls       int64     `json:"polls"`        // issue list requests: one per poll
	Tenants     int       `json:"tenants"`      // tenants polled at least once
	First       time.Time `json:"first"`        // first poll
	Last        time.Time `json:"last"`         // last poll
	MaxInFlight int       `json:"max_inflight"` // most requests of one tenant at once
	Errors      int64     `json:"errors"`
}

func isPoll(p string) bool {
	return strings.HasPrefix(p, "/v1.0/admin/serviceAnnouncement/issues") && !strings.Contains(p, "/issues/")
}

func summarize(recs []sim.RequestRecord, from, to time.Time) window {
	var w window
	seen := map[string]bool{}
	for _, r := range recs {
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		if strings.HasPrefix(r.Path, "/v1.0/") {
			w.Graph++
		} else {
			w.Auth++
		}
		if r.Status == 0 || r.Status >= 400 {
			w.Errors++
		}
		w.MaxInFlight = max(w.MaxInFlight, r.InFlight)
		if isPoll(r.Path) {
			w.Polls++
			seen[strings.ToLower(r.Tenant)] = true
			if w.First.IsZero() || r.Time.Before(w.First) {
				w.First = r.Time
			}
			if r.Time.After(w.Last) {
				w.Last = r.Time
			}
		}
	}
	w.Tenants = len(seen)
	return w
}

// serveSim is the simulator process: it prints a simInfo line, then answers
// each "window FROM TO" line (Unix nanoseconds) with a window line.
func serveSim(ctx context.Context, n, issues, messages int, dir string, in io.Reader, out io.Writer) error {
	start := time.Now().Add(-48 * time.Hour).Truncate(time.Second).UTC()
	sc := sim.GenerateScenario(start, issues, messages)
	s, err := sim.New(sim.Options{Clock: sim.NewSteppedClock(start.Add(24 * time.Hour)), MaxRecords: n * 40})
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	if err := s.LoadScenario(sc); err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	ids := s.AddTenants(n, sim.Tenant{ClientID: benchClientID, ClientSecret: benchSecret})
	if err := s.Start(); err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	defer s.Close()
	ca := filepath.Join(dir, "sim-ca.pem")
	if err := s.WriteCAFile(ca); err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	enc := json.NewEncoder(out)
	if err := enc.Encode(simInfo{URL: s.URL(), CAFile: ca, Tenants: ids}); err != nil {
		return err
	}
	lines := bufio.NewScanner(in)
	for lines.Scan() && ctx.Err() == nil {
		f := strings.Fields(lines.Text())
		if len(f) != 3 || f[0] != "window" {
			continue
		}
		a, _ := strconv.ParseInt(f[1], 10, 64)
		b, _ := strconv.ParseInt(f[2], 10, 64)
		if err := enc.Encode(summarize(s.Requests(), time.Unix(0, a), time.Unix(0, b))); err != nil {
			return err
		}
	}
	return nil
}

// simProc is the parent's handle on the simulator process.
type simProc struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	info simInfo
}

func spawnSim(ctx context.Context, n, issues, messages int, dir string) (*simProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, "-serve-sim", "-tenants", strconv.Itoa(n),
		"-issues", strconv.Itoa(issues), "-messages", strconv.Itoa(messages), "-dir", dir)
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 5 * time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	p := &simProc{cmd: cmd, in: in, out: bufio.NewReaderSize(outPipe, 1<<20)}
	if err := p.read(&p.info); err != nil {
		p.close()
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	return p, nil
}

func (p *simProc) read(v any) error {
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read simulator output: %w", err)
	}
	return json.Unmarshal(line, v)
}

// window asks the simulator what it saw between from and to.
func (p *simProc) window(from, to time.Time) (window, error) {
	var w window
	if _, err := fmt.Fprintf(p.in, "window %d %d\n", from.UnixNano(), to.UnixNano()); err != nil {
		return w, fmt.Errorf("ask simulator: %w", err)
	}
	return w, p.read(&w)
}

func (p *simProc) close() {
	_ = p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}
