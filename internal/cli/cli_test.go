package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// version is the version the tests' command line is built with.
const version = "v0.0.0-test"

// run executes the CLI in-process and returns its stdout, stderr and error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	root := newRoot(version, &out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.yaml", `store: sqlite://shdmc.db
interval: 2m
tenants:
  - id: contoso
    tenant_id: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secret: not-a-real-secret-xyz
channels:
  - {name: out, type: stdout}
`)
	bad := write(t, dir, "bad.yaml", `intervall: 5m
tenants:
  - id: contoso
    tenant_id: contoso.onmicrosoft.com
    client_id: 11111111-2222-3333-4444-555555555555
    client_secrt: LEAKME-literal
`)
	tests := []struct {
		name     string
		file     string
		code     int
		wantOut  string
		wantErr  []string
		notInErr string
	}{
		{"good", good, 0, "good.yaml: OK (1 tenant(s), 1 channel(s), store sqlite://shdmc.db)", nil, ""},
		{"bad", bad, 2, "", []string{
			bad + ":1: intervall: unknown key (did you mean interval?)",
			bad + ":6: tenants[0].client_secrt: unknown key (did you mean client_secret?)",
		}, "LEAKME"},
		{"missing", filepath.Join(dir, "nope.yaml"), 2, "", []string{"nope.yaml", "no such file"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, "config", "validate", tt.file)
			if got := exitCode(err); got != tt.code {
				t.Fatalf("exit code %d (%v), want %d", got, err, tt.code)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q lacks %q", out, tt.wantOut)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.notInErr != "" && strings.Contains(err.Error(), tt.notInErr) {
				t.Errorf("error echoes %q: %v", tt.notInErr, err)
			}
		})
	}
}

func TestConfigSampleValidates(t *testing.T) {
	out, _, err := run(t, "config", "sample")
	if err != nil || len(out) < 200 {
		t.Fatalf("sample: %v (%d bytes)", err, len(out))
	}
	// The sample takes its secret from the environment and names a
	// certificate file next to it; provide both, as a user would.
	const secret = "sample-secret-value-123"
	t.Setenv("CONTOSO_CLIENT_SECRET", secret)
	dir := t.TempDir()
	cert, err := os.ReadFile(filepath.Join("..", "config", "testdata", "certs", "client.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "certs"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, dir, filepath.Join("certs", "fabrikam.pem"), string(cert))
	p := write(t, dir, "sample.yaml", out)
	vout, _, err := run(t, "config", "validate", p)
	if err != nil || !strings.Contains(vout, ": OK (") {
		t.Fatalf("the sample does not validate: %v\n%s", err, vout)
	}
	if strings.Contains(vout, secret) {
		t.Errorf("validate printed the secret: %s", vout)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, "version")
	if err != nil || out != "shdmc "+version+"\n" {
		t.Fatalf("version: %q, %v", out, err)
	}
}

func TestDemoThenHistory(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, "demo", "--duration", "0", "--dir", dir)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"EX559755", "Demo finished", "This is the final update for the event."} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out, "poll failed") {
		t.Errorf("a poll failed during the demo:\n%s", out)
	}
	m := regexp.MustCompile(`Demo finished: (\d+) notice`).FindStringSubmatch(out)
	if m == nil || m[1] == "0" {
		t.Errorf("demo summary: %v", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "notices.jsonl")); err != nil {
		t.Errorf("mailbox file: %v", err)
	}
	hout, _, err := run(t, "history", "EX559755", "--store", "sqlite://"+filepath.Join(dir, "shdmc.db"))
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	revs := regexp.MustCompile(`(?m)^  rev (\d+) `).FindAllStringSubmatch(hout, -1)
	if len(revs) < 10 {
		t.Fatalf("history lists %d revisions:\n%s", len(revs), hout)
	}
	for i, r := range revs {
		if r[1] != strconv.Itoa(i+1) {
			t.Errorf("revision line %d is rev %s", i+1, r[1])
		}
	}
	for _, want := range []string{"EX559755  tenant demo-1", "postIncidentReviewPublished", "Posts (", "This is the final update for the event."} {
		if !strings.Contains(hout, want) {
			t.Errorf("history lacks %q", want)
		}
	}
	// An unknown item is an error, not an empty listing.
	if _, _, err := run(t, "history", "EX000000", "--store", "sqlite://"+filepath.Join(dir, "shdmc.db")); err == nil {
		t.Error("history of an unknown item succeeded")
	}
}

func TestDemoReplay(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, "demo", "--replay", filepath.Join("..", "sim", "testdata", "replay"), "--dir", dir)
	if err != nil {
		t.Fatalf("demo --replay: %v\n%s", err, out)
	}
	// Every item of the recorded responses, page 2 of the issues included,
	// is announced: 3 issues, 1 message, 2 services.
	for _, id := range []string{"EX559755", "SP555001", "TM500001", "MC500001", "Exchange", "OSDPPlatform"} {
		if !strings.Contains(out, id) {
			t.Errorf("replay output lacks %s", id)
		}
	}
	if !strings.Contains(out, "6 notice(s) from the replay") {
		t.Errorf("replay summary missing:\n%s", out)
	}
}

func TestOutboxAndRetry(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := run(t, "demo", "--duration", "0", "--dir", dir); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite://" + filepath.Join(dir, "shdmc.db")
	out, _, err := run(t, "outbox", "--store", dsn)
	if err != nil || !strings.Contains(out, "no deliveries in that state") {
		t.Fatalf("outbox after a clean demo: %q, %v", out, err)
	}
	out, _, err = run(t, "outbox", "--store", dsn, "--state", "done", "--limit", "3", "--time-zone", "Asia/Tokyo")
	if err != nil || strings.Count(out, "\n") != 4 || !strings.Contains(out, "done") || !strings.Contains(out, "JST") {
		t.Fatalf("outbox --state done: %q, %v", out, err)
	}
	if _, _, err := run(t, "outbox", "retry", "1", "--store", dsn); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, "outbox", "--store", dsn)
	if err != nil || !regexp.MustCompile(`(?m)^1\s+(pending|retrying)\s`).MatchString(out) {
		t.Fatalf("after retry: %q, %v", out, err)
	}
	if _, _, err := run(t, "outbox", "retry", "99999", "--store", dsn); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("retry of a missing delivery: %v", err)
	}
	if _, _, err := run(t, "outbox", "--store", dsn, "--state", "lost"); exitCode(err) != 2 {
		t.Errorf("unknown state: exit %d (%v)", exitCode(err), err)
	}
}

func TestTestChannel(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, dir, "shdmc.yaml", `store: sqlite://`+filepath.Join(dir, "s.db")+`
channels:
  - {name: archive, type: file, path: `+filepath.Join(dir, "out.jsonl")+`}
`)
	out, _, err := run(t, "test-channel", "archive", "-c", cfg)
	if err != nil || !strings.Contains(out, "channel archive answered: appended") {
		t.Fatalf("test-channel: %q, %v", out, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	if err != nil || !strings.Contains(string(b), "shdmc test notice") {
		t.Fatalf("the file channel got %q, %v", b, err)
	}
	if _, _, err := run(t, "test-channel", "nowhere", "-c", cfg); err == nil || !strings.Contains(err.Error(), `no channel named "nowhere"`) {
		t.Errorf("unknown channel: %v", err)
	}
}

// TestDemoJapanese checks the seed's translation flaws are gone: dates are
// ours, in the reader's zone, and only prose comes from the memory.
func TestDemoJapanese(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, "demo", "--duration", "0", "--dir", dir, "--language", "ja", "--time-zone", "Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// Bilingual: the Japanese notice first, then the original under 原文.
	final := out[strings.Index(out, "[サービスが復元されました] EX559755"):]
	final = final[:strings.Index(final, "▶ step")]
	if i, j := strings.Index(final, "──── 原文（英語） ────"), strings.Index(final, "[serviceRestored] EX559755"); i < 0 || j < i {
		t.Errorf("the English original does not follow the Japanese notice under 原文 (%d, %d)", i, j)
	}
	for _, want := range []string{
		"──── 原文（英語） ────",
		"[サービスが復元されました] EX559755 | Exchange Online",
		"開始時刻：2023年5月15日(月) 5:00 JST", // the seed's translator wrote 14年2023月8日日曜日午後00時UTC
		"終了時刻：2023年5月26日(金) 4:00 JST",
		"このイベントに関する更新はこれが最後です。",
		"デモ用シナリオのために shdmc の開発者が書いたもの",
		"This is the final update for the event.", // the English original stays
	} {
		if !strings.Contains(final, want) {
			t.Errorf("Japanese EX559755 notice lacks %q", want)
		}
	}
	if strings.Contains(final, "14年2023月") || strings.Contains(final, "午後00時UTC") {
		t.Error("the seed's mangled date is back")
	}
	sout, _, err := run(t, "translate", "stats", "--store", "sqlite://"+filepath.Join(dir, "shdmc.db"))
	if err != nil || !strings.Contains(sout, "memory") {
		t.Fatalf("translate stats: %q, %v", sout, err)
	}
}

// TestExecute: the exit status is 0, 2 for a bad config or usage, 1 for
// other failures, which are reported on stderr after "shdmc:".
func TestExecute(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "s.db")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, 0, "shdmc v9.9.9\n", ""},
		{"missing config", []string{"check", "-c", filepath.Join(dir, "nope.yaml")}, 2, "", "shdmc: load config: open " + filepath.Join(dir, "nope.yaml")},
		{"bad delivery ID", []string{"outbox", "retry", "x", "--store", dsn}, 2, "", `shdmc: delivery ID "x" is not a number`},
		{"unknown item", []string{"history", "EX000000", "--store", dsn}, 1, "", "shdmc: history of EX000000: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Execute(context.Background(), "v9.9.9", tt.args, &out, &errOut)
			if code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.code, errOut.String())
			}
			if tt.stdout != "" && out.String() != tt.stdout {
				t.Errorf("stdout %q, want %q", out.String(), tt.stdout)
			}
			if !strings.HasPrefix(errOut.String(), tt.stderr) || (tt.stderr == "") != (errOut.Len() == 0) {
				t.Errorf("stderr %q, want it to start with %q", errOut.String(), tt.stderr)
			}
		})
	}
}

// TestServeCredentialsFromEnv: `shdmc serve` takes its bearer token from
// SHDMC_SERVE_TOKEN_FILE and basic auth from SHDMC_SERVE_USERNAME and
// SHDMC_SERVE_PASSWORD, and refuses requests without them.
func TestServeCredentialsFromEnv(t *testing.T) {
	dir := t.TempDir()
	token := write(t, dir, "token", "env-token-123\n")
	t.Setenv("SHDMC_SERVE_TOKEN_FILE", token)
	t.Setenv("SHDMC_SERVE_USERNAME", "ops")
	t.Setenv("SHDMC_SERVE_PASSWORD", "env-password-456")
	cfg := write(t, dir, "shdmc.yaml", "store: sqlite://"+filepath.Join(dir, "s.db")+"\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	root := newRoot(version, &out, &errOut)
	root.SetArgs([]string{"serve", "-c", cfg, "--addr", addr})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	status := func(set func(*http.Request)) int {
		req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/v1/tenants", nil)
		if err != nil {
			t.Fatal(err)
		}
		set(req)
		for {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				return resp.StatusCode
			}
			select {
			case err := <-done:
				t.Fatalf("serve ended: %v\n%s", err, errOut.String())
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	for _, c := range []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"no credentials", func(*http.Request) {}, http.StatusUnauthorized},
		{"token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer env-token-123") }, http.StatusOK},
		{"wrong token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer env-token-124") }, http.StatusUnauthorized},
		{"basic auth", func(r *http.Request) { r.SetBasicAuth("ops", "env-password-456") }, http.StatusOK},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("ops", "env-password-457") }, http.StatusUnauthorized},
	} {
		if got := status(c.set); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if !strings.Contains(out.String(), "shdmc serve: http://"+addr+"/") {
		t.Errorf("stdout %q", out.String())
	}
}

// TestServePortZero: `shdmc serve --addr 127.0.0.1:0` prints the port it
// bound, not 0, and that address answers.
func TestServePortZero(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, dir, "shdmc.yaml", "store: sqlite://"+filepath.Join(dir, "s.db")+"\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	root := newRoot(version, pw, &errOut)
	root.SetArgs([]string{"serve", "-c", cfg, "--addr", "127.0.0.1:0"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v (%s)", err, errOut.String())
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "shdmc serve: "))
	if strings.HasSuffix(url, ":0/") || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q, want the bound port", line)
	}
	resp, err := http.Get(url + "healthz")
	if err != nil {
		t.Fatalf("GET %shealthz: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d", resp.StatusCode)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}
