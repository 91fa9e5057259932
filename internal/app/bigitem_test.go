package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/sim"
)

// bigScenario: a tenant with one post at the baseline, then two new posts,
// one of which the simulator pads to 50 MiB.
const bigScenario = `name: big
start: 2024-11-25T09:00:00Z
tenants:
  - id: 6f1e3c2a-0000-4000-8000-000000000002
    client_id: 5d7c0000-0000-4000-8000-0000000000bb
    client_secret: demo-secret
steps:
  - at: 0s
    messages:
      - {id: MC100001, title: Old post, category: stayInformed, severity: normal, body: "<p>Baseline.</p>"}
  - at: 10m
    messages:
      - {id: MC300001, title: Huge post, category: planForChange, severity: normal, body: "<p>Huge.</p>"}
      - {id: MC300002, title: Small post, category: planForChange, severity: normal, body: "<p>Small.</p>"}
`

// TestOversizedItem runs `shdmc check` against a Message Center post whose
// body is 50 MiB: the process stays under 256 MB of resident memory, both
// new posts are announced, and the huge one is cut with a visible note.
func TestOversizedItem(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	const size = 50 << 20
	bin := buildShdmc(t, "")
	dir := t.TempDir()
	env := startScenario(t, bigScenario, "big.yaml", dir, nil)
	sc, clock, srv, caFile := env.sc, env.clock, env.srv, env.caFile
	notices := filepath.Join(dir, "notices.jsonl")
	st := sc.Tenants[0]
	cfgPath := filepath.Join(dir, "shdmc.yaml")
	cfg := fmt.Sprintf(`store: sqlite://%s
log: {level: error}
tenants:
  - {id: contoso, tenant_id: %s, client_id: %s, client_secret: %s, graph_root: %s, authority_host: %s, ca_file: %s}
channels:
  - {name: archive, type: file, path: %s}
outage:
  public_status: {poll: never}
`, filepath.Join(dir, "shdmc.db"), st.ID, st.ClientID, st.ClientSecret, srv.URL(), srv.URL(), caFile, notices)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	check := func() (maxRSS int64) {
		c := exec.CommandContext(ctx, bin, "check", "-c", cfgPath)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("check: %v\n%s", err, out)
		}
		ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			t.Skip("no resource usage on this system")
		}
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	check() // baseline
	clock.Advance(15 * time.Minute)
	srv.SetFaults([]sim.Fault{{Kind: sim.FaultOversize, Item: "MC300001", Size: size}})
	rss := check()
	t.Logf("peak RSS with a %d MiB post: %.1f MB", size>>20, float64(rss)/1e6)
	if rss > 256<<20 {
		t.Errorf("peak RSS %.1f MB, want ≤ 256 MB", float64(rss)/1e6)
	}
	f, err := os.Open(notices)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]string{}
	sc2 := bufio.NewScanner(f)
	sc2.Buffer(nil, 64<<20)
	for sc2.Scan() {
		var rec struct {
			Event struct {
				ItemID string `json:"itemId"`
			} `json:"event"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc2.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		seen[rec.Event.ItemID] = rec.Text
	}
	if err := sc2.Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok := seen["MC300002"]; !ok {
		t.Errorf("the small post next to the huge one was not announced (got %d notices)", len(seen))
	}
	huge, ok := seen["MC300001"]
	if !ok {
		t.Fatalf("the huge post was not announced (got %d notices)", len(seen))
	}
	if len(huge) > 2<<20 {
		t.Errorf("the huge post's notice is %d bytes", len(huge))
	}
	if !strings.Contains(huge, "truncated by shdmc") {
		t.Errorf("the huge post's notice does not say it was cut:\n%.500s", huge)
	}
}
