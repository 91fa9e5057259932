package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateWarningsAndStrict: a route no event can match is a warning
// with file, line and key; validate exits 0 with it, 2 with --strict, and
// run and check log it at start-up.
func TestValidateWarningsAndStrict(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "shdmc.yaml", `store: sqlite://`+filepath.Join(dir, "shdmc.db")+`
tenants:
  - id: contoso
    tenant_id: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: not-a-real-secret-xyz
    disabled: true
channels:
  - {name: out, type: stdout}
routes:
  - name: restored
    channels: [out]
    match: {status_to: [restored]}
  - name: mc-incidents
    channels: [out]
    match: {sources: [mc], classifications: [incident]}
`)
	wantWarnings := []string{
		p + `:13: routes[0].match.status_to[0]: "restored" is not a status Microsoft Graph sends (did you mean serviceRestored?)`,
		p + ":13: routes[0].match: no event can match this route",
		p + ":16: routes[1].match: no event can match this route: match.sources [mc] and match.classifications",
	}

	out, _, err := run(t, "config", "validate", p)
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	for _, w := range wantWarnings {
		if !strings.Contains(out, "warning: "+w) {
			t.Errorf("validate output lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(out, ": OK (1 tenant(s), 1 channel(s), store sqlite://") || !strings.Contains(out, "3 warning(s))") {
		t.Errorf("validate summary:\n%s", out)
	}

	out, _, err = run(t, "config", "validate", "--strict", p)
	if code := exitCode(err); code != 2 || !strings.Contains(err.Error(), "3 warning(s), and --strict treats them as errors") {
		t.Errorf("validate --strict: exit %d, %v", code, err)
	}
	if !strings.Contains(out, "warning: "+wantWarnings[0]) {
		t.Errorf("validate --strict did not print the warnings:\n%s", out)
	}

	// A config that also has an error shows its warnings in the same run.
	bad := write(t, dir, "bad.yaml", strings.Replace(mustRead(t, p), "type: stdout", "type: stdot", 1))
	_, _, err = run(t, "config", "validate", bad)
	if code := exitCode(err); code != 2 || !strings.Contains(err.Error(), `channels[0].type: unknown channel type "stdot" (did you mean stdout?)`) ||
		!strings.Contains(err.Error(), "warning: "+bad+":16: routes[1].match: no event can match") {
		t.Errorf("validate with an error: exit %d, %v", code, err)
	}

	// The only tenant is disabled: run stops at once, after the warnings.
	for _, args := range [][]string{{"check", "-c", p}, {"run", "-c", p, "--no-serve"}} {
		_, stderr, _ := run(t, args...)
		if !strings.Contains(stderr, "config warning") || !strings.Contains(stderr, "routes[1].match: no event can match") {
			t.Errorf("%s did not log the warnings:\n%s", args[0], stderr)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOutboxRetryMissing: retrying a delivery that does not exist says so
// once and exits 1.
func TestOutboxRetryMissing(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "s.db")
	if _, _, err := run(t, "migrate", "--store", dsn); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(t, "outbox", "retry", "999", "--store", dsn)
	if code := exitCode(err); code != 1 || err == nil {
		t.Fatalf("exit %d (%v), want 1", code, err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "no delivery 999: not found") || strings.Count(msg, "999") != 1 {
		t.Errorf("error %q, want one \"no delivery 999: not found\"", msg)
	}
}

// TestSelfCommand: the demo's closing hint names a command that works: go
// run's when go run built the binary, shdmc when that is on the PATH,
// else the binary's path.
func TestSelfCommand(t *testing.T) {
	dir := t.TempDir()
	bin := write(t, dir, "shdmc", "binary")
	other := write(t, dir, "other-shdmc", "binary")
	exe := func(p string) func() (string, error) { return func() (string, error) { return p, nil } }
	look := func(p string) func(string) (string, error) {
		return func(string) (string, error) {
			if p == "" {
				return "", os.ErrNotExist
			}
			return p, nil
		}
	}
	tests := []struct {
		name, arg0, tmp string
		exe             func() (string, error)
		look            func(string) (string, error)
		want            string
	}{
		{"go run", "/tmp/go-build2960183747/b001/exe/shdmc", "/tmp", exe("/tmp/go-build2960183747/b001/exe/shdmc"), look(""), "go run ./cmd/shdmc"},
		{"go run, other TMPDIR", "/var/tmp/x/go-build1/b001/exe/shdmc", "/var/tmp/x", exe("/var/tmp/x/go-build1/b001/exe/shdmc"), look(bin), "go run ./cmd/shdmc"},
		{"go run, build cache", "/root/.cache/go-build/be/be5c1e8ce0b0d314e399b3a8588d2b4a-d/shdmc", "/tmp", exe("/root/.cache/go-build/be/be5c1e8ce0b0d314e399b3a8588d2b4a-d/shdmc"), look(""), "go run ./cmd/shdmc"},
		{"on the PATH", "shdmc", "/tmp", exe(bin), look(bin), "shdmc"},
		{"another shdmc on the PATH", "./other-shdmc", "/tmp", exe(other), look(bin), other},
		{"not on the PATH", "./shdmc", "/tmp", exe(bin), look(""), bin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := selfCommand(tt.arg0, tt.tmp, tt.exe, tt.look); got != tt.want {
				t.Errorf("selfCommand = %q, want %q", got, tt.want)
			}
		})
	}
}
