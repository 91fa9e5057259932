package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/cli"
	"github.com/shdmc/shdmc/internal/demo/scenario"
	"github.com/shdmc/shdmc/internal/sim"
)

// readmeBlock is a shell block of README.md marked to be run:
//
//	<!-- readme-test: WORD WORD … (a comment for readers) -->
//	```sh
//	…
//	```
//
// with these words:
//
//	dir=repo       run in the repository root (go run, go build); `-o shdmc`
//	               writes into the test's bin directory, which is first on PATH
//	quick          `demo` plays without pauses (--duration 0)
//	skip=PREFIX    lines starting with PREFIX are not run (quote a PREFIX with
//	               spaces); the comment says why
//	sim            after `shdmc config sample > shdmc.yaml` the user's edit is
//	               made: the tenant points at a simulator on loopback that
//	               knows its IDs and the secret the block exports
//	background=P   a line starting with P runs for ever: it is started,
//	               interrupted after its first notice and must exit 0
//
// Every other line must exit 0. Blocks run in README order, in one working
// directory, with the environment a user's shell would have: the exports
// of earlier blocks persist, SHDMC_* variables of the test's own
// environment do not.
type readmeBlock struct {
	line       int // of the fence
	dir        string
	quick, sim bool
	skip       []string
	background string
	lines      []string
}

var (
	markerRE = regexp.MustCompile(`^<!-- readme-test(?::\s*(.*?))?\s*-->$`)
	wordRE   = regexp.MustCompile(`(\w+)(?:=("[^"]*"|\S+))?`)
	exportRE = regexp.MustCompile(`^export ([A-Za-z_][A-Za-z0-9_]*)=`)
)

// readmeBlocks returns the marked blocks of README.md.
func readmeBlocks(t *testing.T, readme string) []readmeBlock {
	t.Helper()
	lines := strings.Split(readme, "\n")
	var out []readmeBlock
	for i := 0; i < len(lines); i++ {
		m := markerRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		b := readmeBlock{line: i + 2}
		words := m[1]
		if j := strings.Index(words, " ("); j >= 0 {
			words = words[:j] // the comment for readers
		}
		for _, w := range wordRE.FindAllStringSubmatch(words, -1) {
			v := strings.Trim(w[2], `"`)
			switch w[1] {
			case "dir":
				b.dir = v
			case "quick":
				b.quick = true
			case "sim":
				b.sim = true
			case "skip":
				b.skip = append(b.skip, v)
			case "background":
				b.background = v
			default:
				t.Fatalf("README.md:%d: unknown readme-test word %q", i+1, w[1])
			}
		}
		if i+1 >= len(lines) || lines[i+1] != "```sh" {
			t.Fatalf("README.md:%d: a readme-test marker must stand right before a ```sh fence", i+1)
		}
		cmd := ""
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			l := strings.TrimSpace(lines[i])
			if c, ok := strings.CutSuffix(l, `\`); ok {
				cmd += c + " "
				continue
			}
			cmd += l
			if cmd != "" && !strings.HasPrefix(cmd, "#") {
				b.lines = append(b.lines, cmd)
			}
			cmd = ""
		}
		out = append(out, b)
	}
	return out
}

// TestReadmeCommands runs the shell blocks of README.md that a user runs,
// against the binary built as the README says, on loopback only (see
// readmeBlock): the quick start, the install and release builds, writing,
// validating, checking and running the sample config, the database
// tenants, the static site and the exports.
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds shdmc twice and runs the demo")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, string(readme))
	if len(blocks) < 5 {
		t.Fatalf("README.md has %d marked blocks, want the quick start, the builds, the config, tenants and the site", len(blocks))
	}
	work, bin := t.TempDir(), t.TempDir()
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "SHDMC_") {
			env[k] = v
		}
	}
	env["PATH"] = bin + string(os.PathListSeparator) + env["PATH"]
	environ := func() []string {
		var out []string
		for k, v := range env {
			out = append(out, k+"="+v)
		}
		return out
	}
	shell := func(dir, line string) *exec.Cmd {
		c := exec.CommandContext(ctx, "sh", "-c", line)
		c.Dir, c.Env = dir, environ()
		return c
	}
	var srv *sim.Server
	var clock *sim.SteppedClock
	var sc *sim.Scenario

	for _, b := range blocks {
		dir := work
		if b.dir == "repo" {
			dir = repo
		}
		// The secrets the block exports, for the simulator's tenant.
		exports := map[string]string{}
		for _, l := range b.lines {
			if m := exportRE.FindStringSubmatch(l); m != nil {
				out, err := shell(dir, l+"\nprintf %s \"$"+m[1]+"\"").Output()
				if err != nil {
					t.Fatalf("README.md:%d: %s: %v", b.line, l, err)
				}
				exports[m[1]] = string(out)
			}
		}
	lines:
		for _, l := range b.lines {
			for _, p := range b.skip {
				if strings.HasPrefix(l, p) {
					t.Logf("README.md:%d: skipped: %s", b.line, l)
					continue lines
				}
			}
			if m := exportRE.FindStringSubmatch(l); m != nil {
				env[m[1]] = exports[m[1]]
				continue
			}
			run := l
			if b.dir == "repo" {
				run = regexp.MustCompile(`-o shdmc\b`).ReplaceAllString(run, "-o "+filepath.Join(bin, "shdmc"))
			}
			if b.quick && strings.Contains(run, " demo") {
				cmd, comment, _ := strings.Cut(run, "  #")
				run = strings.TrimRight(cmd, " ") + " --duration 0  #" + comment
			}
			if b.background != "" && strings.HasPrefix(l, b.background) {
				// New items since the check, for the first poll to announce.
				clock.Set(sc.Steps[1].Time)
				runBackground(ctx, t, b.line, shell(dir, "exec "+run), "EX559755")
				continue
			}
			out, err := shell(dir, run).CombinedOutput()
			t.Logf("README.md:%d: $ %s\n%s", b.line, run, out)
			if err != nil {
				t.Fatalf("README.md:%d: %s: %v\n%s", b.line, l, err, out)
			}
			switch {
			case strings.Contains(l, " demo"):
				// The closing hint must work as printed.
				m := regexp.MustCompile(`(?m)^Try: (.+)$`).FindSubmatch(out)
				if m == nil {
					t.Fatalf("README.md:%d: the demo printed no hint:\n%s", b.line, out)
				}
				if !bytes.HasPrefix(m[1], []byte("go run ./cmd/shdmc history ")) {
					t.Errorf("the demo run by go run hints %q, not go run ./cmd/shdmc history …", m[1])
				}
				hint, err := shell(dir, string(m[1])).CombinedOutput()
				if err != nil || !bytes.Contains(hint, []byte("EX559755")) {
					t.Fatalf("the demo's hint %q: %v\n%s", m[1], err, hint)
				}
			case strings.Contains(l, "config validate") && !bytes.Contains(out, []byte(": OK (")):
				t.Fatalf("README.md:%d: %s said:\n%s", b.line, l, out)
			case b.sim && strings.HasPrefix(l, "shdmc config sample > shdmc.yaml"):
				srv, clock, sc = startReadmeSim(t, work, exports)
				pointAtSim(t, filepath.Join(work, "shdmc.yaml"), srv, filepath.Join(work, "sim-ca.pem"))
			}
		}
	}
	if srv == nil {
		t.Fatal("no block wrote and ran the sample config")
	}
}

// startReadmeSim starts the simulator with the demo scenario at its start,
// knowing the sample's tenant with the secret the README exports.
func startReadmeSim(t *testing.T, dir string, exports map[string]string) (*sim.Server, *sim.SteppedClock, *sim.Scenario) {
	t.Helper()
	secret, ok := exports["CONTOSO_CLIENT_SECRET"]
	if !ok {
		t.Fatal("the config block exports no CONTOSO_CLIENT_SECRET, which the sample reads")
	}
	sc, err := sim.ParseScenario(scenario.Demo, "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := sim.NewSteppedClock(sc.Start)
	srv, err := sim.New(sim.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadScenario(sc); err != nil {
		t.Fatal(err)
	}
	srv.AddTenant(sim.Tenant{ID: "contoso.onmicrosoft.com", ClientID: "11111111-2222-3333-4444-555555555555", ClientSecret: secret})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if err := srv.WriteCAFile(filepath.Join(dir, "sim-ca.pem")); err != nil {
		t.Fatal(err)
	}
	return srv, clock, sc
}

// pointAtSim makes the edit a user makes to the sample, here pointing
// its tenant at the simulator, and serves the dashboard on a free port.
func pointAtSim(t *testing.T, path string, srv *sim.Server, ca string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, r := range [][2]string{
		{"    cloud: global ", fmt.Sprintf("    graph_root: %s\n    authority_host: %s\n    ca_file: %s\n    cloud: global ", srv.URL(), srv.URL(), ca)},
		{"  addr: 127.0.0.1:8080", "  addr: 127.0.0.1:0"},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("the sample has no %q to edit", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runBackground starts a command that runs for ever, waits until its
// output shows want, interrupts it and requires exit status 0.
func runBackground(ctx context.Context, t *testing.T, line int, c *exec.Cmd, want string) {
	t.Helper()
	var out lockedBuffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(60 * time.Second)
	for !strings.Contains(out.String(), want) {
		select {
		case <-deadline:
			_ = c.Process.Kill()
			_ = c.Wait()
			t.Fatalf("README.md:%d: %s showed no %q in a minute:\n%s", line, c.Args, want, out.String())
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("README.md:%d: %s after Ctrl-C: %v\n%s", line, c.Args, err, out.String())
	}
	t.Logf("README.md:%d: %s\n%s", line, c.Args, out.String())
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

// TestReadmeCommandTable checks the table of commands in README.md against
// the command line: every command exists and has every flag shown.
func TestReadmeCommandTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rowRE := regexp.MustCompile("(?m)^\\| `shdmc ([^`]+)` \\|")
	rows := rowRE.FindAllStringSubmatch(string(readme), -1)
	if len(rows) < 15 {
		t.Fatalf("found %d rows of commands in README.md", len(rows))
	}
	for _, row := range rows {
		usage := strings.ReplaceAll(row[1], `\|`, "|")
		// The command path: the words before the first placeholder or flag;
		// "add|list|…" are alternatives.
		paths := [][]string{nil}
		for _, w := range strings.Fields(usage) {
			if strings.HasPrefix(w, "[") || strings.HasPrefix(w, "-") || w != strings.ToLower(w) {
				break
			}
			var next [][]string
			for _, p := range paths {
				for _, alt := range strings.Split(w, "|") {
					next = append(next, append(append([]string(nil), p...), alt))
				}
			}
			paths = next
		}
		flags := regexp.MustCompile(`--[a-z][a-z-]*`).FindAllString(usage, -1)
		for _, p := range paths {
			var out, errOut bytes.Buffer
			code := cli.Execute(context.Background(), "test", append(p, "--help"), &out, &errOut)
			help := out.String()
			if code != 0 || !strings.Contains(help, "Usage:") {
				t.Errorf("shdmc %s: exit %d\n%s%s", strings.Join(p, " "), code, help, errOut.String())
				continue
			}
			for _, f := range flags {
				if !strings.Contains(help, f+" ") {
					t.Errorf("README shows `shdmc %s` with %s, which it does not have", strings.Join(p, " "), f)
				}
			}
		}
	}
}
