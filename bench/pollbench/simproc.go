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

// Credentials shared by every simulated tenant.
const (
	benchClientID = "5d7c0000-0000-4000-8000-0000000000bb"
	benchSecret   = "bench-secret"
)

// simInfo is what the simulator process prints when it is ready.
type simInfo struct {
	URL      string   `json:"url"`
	CAFile   string   `json:"ca_file"`
	Tenants  []string `json:"tenants"`
	ClientID string   `json:"client_id"`
	Secret   string   `json:"secret"`
}

// wireTotals are what went over the wire, split by kind, as the simulator
// recorded it (response bodies only: no headers, no TLS framing).
type wireTotals struct {
	GraphRequests int64         `json:"graph_requests"`
	GraphBytes    int64         `json:"graph_bytes"`
	AuthRequests  int64         `json:"auth_requests"` // token and metadata requests
	AuthBytes     int64         `json:"auth_bytes"`
	Throttled     int64         `json:"throttled"`
	Errors        int64         `json:"errors"` // status 0 or >= 400
	CPU           time.Duration `json:"cpu"`    // the simulator's own user+sys time
}

func (w wireTotals) sub(o wireTotals) wireTotals {
	return wireTotals{
		GraphRequests: w.GraphRequests - o.GraphRequests, GraphBytes: w.GraphBytes - o.GraphBytes,
		AuthRequests: w.AuthRequests - o.AuthRequests, AuthBytes: w.AuthBytes - o.AuthBytes,
		Throttled: w.Throttled - o.Throttled, Errors: w.Errors - o.Errors, CPU: w.CPU - o.CPU,
	}
}

// isGraphPath reports whether a recorded request path is a Graph call.
func isGraphPath(p string) bool {
	return strings.HasPrefix(p, "/v1.0/") || strings.HasPrefix(p, "/beta/")
}

// totalsOf sums the records by kind.
func totalsOf(recs []sim.RequestRecord) wireTotals {
	var w wireTotals
	for _, r := range recs {
		if isGraphPath(r.Path) {
			w.GraphRequests++
			w.GraphBytes += r.Bytes
		} else {
			w.AuthRequests++
			w.AuthBytes += r.Bytes
		}
		if r.Status == 429 && r.Fault == "" {
			w.Throttled++
		}
		if r.Status == 0 || r.Status >= 400 {
			w.Errors++
		}
	}
	return w
}

// startSim creates and starts an in-process simulator serving shape to n
// tenants, with Graph's real throttling limits and a clock that stands still
// after the newest change.
func startSim(shape scenarioShape, n int, dir string) (*sim.Server, simInfo, error) {
	sc, end, err := genScenario(shape, time.Now())
	if err != nil {
		return nil, simInfo{}, err
	}
	// Records: a cycle of n tenants costs about 5 requests each.
	s, err := sim.New(sim.Options{Clock: sim.NewSteppedClock(end.Add(time.Hour)), MaxRecords: max(100000, n*40)})
	if err != nil {
		return nil, simInfo{}, fmt.Errorf("start simulator: %w", err)
	}
	if err := s.LoadScenario(sc); err != nil {
		return nil, simInfo{}, fmt.Errorf("start simulator: %w", err)
	}
	ids := s.AddTenants(n, sim.Tenant{ClientID: benchClientID, ClientSecret: benchSecret})
	if err := s.Start(); err != nil {
		return nil, simInfo{}, fmt.Errorf("start simulator: %w", err)
	}
	ca := filepath.Join(dir, "sim-ca.pem")
	if err := s.WriteCAFile(ca); err != nil {
		_ = s.Close()
		return nil, simInfo{}, fmt.Errorf("start simulator: %w", err)
	}
	return s, simInfo{URL: s.URL(), CAFile: ca, Tenants: ids, ClientID: benchClientID, Secret: benchSecret}, nil
}

// serveSim is the simulator process (-serve-sim): it prints a simInfo line,
// then answers each "totals" line on stdin with a wireTotals line, until
// stdin closes or ctx ends.
func serveSim(ctx context.Context, shape scenarioShape, n int, dir string, in io.Reader, out io.Writer) error {
	s, info, err := startSim(shape, n, dir)
	if err != nil {
		return err
	}
	defer s.Close()
	enc := json.NewEncoder(out)
	if err := enc.Encode(info); err != nil {
		return fmt.Errorf("print simulator info: %w", err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			if strings.TrimSpace(l) != "totals" {
				continue
			}
			w := totalsOf(s.Requests())
			w.CPU = cpuTime()
			if err := enc.Encode(w); err != nil {
				return fmt.Errorf("print totals: %w", err)
			}
		}
	}
}

// simProc is the parent's handle on the simulator process.
type simProc struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	info simInfo
}

// spawnSim re-executes this binary with -serve-sim and waits for its info.
func spawnSim(ctx context.Context, shape scenarioShape, n int, dir string) (*simProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, "-serve-sim",
		"-tenants", strconv.Itoa(n), "-issues", strconv.Itoa(shape.Issues),
		"-messages", strconv.Itoa(shape.Messages), "-posts", strconv.Itoa(shape.Posts),
		"-sim-dir", dir)
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
	if err := p.readJSON(&p.info); err != nil {
		p.close()
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	if len(p.info.Tenants) != n {
		p.close()
		return nil, fmt.Errorf("spawn simulator: got %d tenants, want %d", len(p.info.Tenants), n)
	}
	return p, nil
}

func (p *simProc) readJSON(v any) error {
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read simulator output: %w", err)
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("decode simulator output: %w", err)
	}
	return nil
}

// totals asks the simulator for its cumulative wire totals.
func (p *simProc) totals() (wireTotals, error) {
	var w wireTotals
	if _, err := io.WriteString(p.in, "totals\n"); err != nil {
		return w, fmt.Errorf("ask simulator totals: %w", err)
	}
	if err := p.readJSON(&w); err != nil {
		return w, fmt.Errorf("ask simulator totals: %w", err)
	}
	return w, nil
}

// close ends the simulator: closing stdin makes it return.
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
