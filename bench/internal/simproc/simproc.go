// Package simproc runs the Graph simulator in a separate process for the
// benchmark commands, so that the simulator's CPU is not the measured
// program's. The command re-executes itself with a flag that makes it call
// Serve; the parent holds a Proc and asks it questions, one line each, and
// reads one JSON line back per question.
package simproc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/shdmc/shdmc/internal/sim"
)

// Credentials shared by every simulated tenant.
const (
	ClientID = "5d7c0000-0000-4000-8000-0000000000bb"
	Secret   = "bench-secret"
)

// Info is what the simulator process prints when it is ready.
type Info struct {
	URL      string   `json:"url"`
	CAFile   string   `json:"ca_file"`
	Tenants  []string `json:"tenants"`
	ClientID string   `json:"client_id"`
	Secret   string   `json:"secret"`
}

// Start creates a simulator with opts, loads sc, adds n tenants with the
// shared credentials, starts it and writes its CA certificate into dir.
// The caller closes the server.
func Start(opts sim.Options, sc *sim.Scenario, n int, dir string) (*sim.Server, Info, error) {
	s, err := sim.New(opts)
	if err != nil {
		return nil, Info{}, fmt.Errorf("start simulator: %w", err)
	}
	if err := s.LoadScenario(sc); err != nil {
		return nil, Info{}, fmt.Errorf("start simulator: %w", err)
	}
	ids := s.AddTenants(n, sim.Tenant{ClientID: ClientID, ClientSecret: Secret})
	if err := s.Start(); err != nil {
		return nil, Info{}, fmt.Errorf("start simulator: %w", err)
	}
	ca := filepath.Join(dir, "sim-ca.pem")
	if err := s.WriteCAFile(ca); err != nil {
		_ = s.Close()
		return nil, Info{}, fmt.Errorf("start simulator: %w", err)
	}
	return s, Info{URL: s.URL(), CAFile: ca, Tenants: ids, ClientID: ClientID, Secret: Secret}, nil
}

// Serve is the simulator process's side: it prints info as a JSON line, then
// passes each line read from in to answer and prints what answer returns as
// a JSON line (lines for which answer reports false are ignored), until in
// closes or ctx ends.
func Serve(ctx context.Context, info Info, in io.Reader, out io.Writer, answer func(line string) (any, bool)) error {
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
			v, ok := answer(l)
			if !ok {
				continue
			}
			if err := enc.Encode(v); err != nil {
				return fmt.Errorf("print simulator answer: %w", err)
			}
		}
	}
}

// Proc is the parent's handle on the simulator process.
type Proc struct {
	// Info is what the simulator printed when it was ready.
	Info Info

	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// Spawn re-executes this binary with args (which must make it call Serve)
// and waits for the simulator's Info.
func Spawn(ctx context.Context, args ...string) (*Proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
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
	p := &Proc{cmd: cmd, in: in, out: bufio.NewReaderSize(outPipe, 1<<20)}
	if err := p.read(&p.Info); err != nil {
		p.Close()
		return nil, fmt.Errorf("spawn simulator: %w", err)
	}
	return p, nil
}

// Ask sends the question q (one line, without its newline) to the
// simulator and decodes its one-line JSON answer into v.
func (p *Proc) Ask(q string, v any) error {
	if _, err := io.WriteString(p.in, q+"\n"); err != nil {
		return fmt.Errorf("ask simulator: %w", err)
	}
	if err := p.read(v); err != nil {
		return fmt.Errorf("ask simulator: %w", err)
	}
	return nil
}

func (p *Proc) read(v any) error {
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read simulator output: %w", err)
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("decode simulator output: %w", err)
	}
	return nil
}

// Close ends the simulator: closing its stdin makes it return; after five
// seconds it is killed.
func (p *Proc) Close() {
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

// Pid is the simulator process's ID (to read its CPU time from /proc).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }
