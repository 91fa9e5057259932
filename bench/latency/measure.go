package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/app"
	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify/channels"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/sim"
)

// Credentials shared by every simulated tenant.
const (
	clientID = "5d7c0000-0000-4000-8000-0000000000cc"
	secret   = "latency-secret"
)

// results is what one run measured.
type results struct {
	incident, quiet []time.Duration // visible in Graph → delivered
	missed          []change        // expected notices that never arrived
	extra           int             // notices of changes after t0 that were not expected
	// requestsPerTenantHour are the Graph requests (token requests
	// excluded) per tenant and hour in each phase.
	incidentRate, quietRate float64
	throttled               int // 429 answers of the simulator's throttle
	plan                    outage.Plan
	fastLaneInterval        time.Duration
}

// arrival is one notice the receiver got.
type arrival struct {
	at      time.Time
	key     string
	tenant  string // shdmc tenant ID
	item    string
	visible time.Time // lastModifiedDateTime of the item in the notice
}

// receiver is the webhook endpoint: it timestamps every notice.
type receiver struct {
	mu  sync.Mutex
	got []arrival
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	var body struct {
		ID    string       `json:"id"`
		Event *model.Event `json:"event"`
	}
	err := json.NewDecoder(io.LimitReader(req.Body, 8<<20)).Decode(&body)
	if err != nil || body.Event == nil {
		http.Error(w, "bad notice", http.StatusBadRequest)
		return
	}
	a := arrival{at: at, key: body.ID, tenant: body.Event.Tenant, item: body.Event.ItemID}
	switch {
	case body.Event.Issue != nil:
		a.visible = body.Event.Issue.LastModified
	case body.Event.Message != nil:
		a.visible = body.Event.Message.LastModified
	}
	r.mu.Lock()
	r.got = append(r.got, a)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) arrivals() []arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]arrival(nil), r.got...)
}

// measure runs the scenario and collects the latencies and request rates.
func measure(ctx context.Context, o options, dir string, stderr io.Writer) (results, error) {
	var res results
	// The simulator's tenants get deterministic IDs (AddTenants), so the
	// scenario can name them before they are registered.
	ids := make([]string, o.tenants)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1)
	}
	t0 := time.Now().Add(3 * time.Second).Truncate(time.Second)
	tl := plan(t0, ids, o.duration, o.postEvery, o.interval)
	sc, err := tl.scenario()
	if err != nil {
		return res, err
	}
	srv, err := sim.New(sim.Options{MaxRecords: 1000000}) // the wall clock: real speed
	if err != nil {
		return res, fmt.Errorf("start simulator: %w", err)
	}
	defer srv.Close()
	if err := srv.LoadScenario(sc); err != nil {
		return res, fmt.Errorf("start simulator: %w", err)
	}
	if got := srv.AddTenants(o.tenants, sim.Tenant{ClientID: clientID, ClientSecret: secret}); got[0] != ids[0] {
		return res, fmt.Errorf("start simulator: tenant IDs %v, want %v…", got[:1], ids[:1])
	}
	if err := srv.Start(); err != nil {
		return res, fmt.Errorf("start simulator: %w", err)
	}
	ca := filepath.Join(dir, "sim-ca.pem")
	if err := srv.WriteCAFile(ca); err != nil {
		return res, fmt.Errorf("start simulator: %w", err)
	}
	rcv := &receiver{}
	hook := httptest.NewServer(rcv) // 127.0.0.1
	defer hook.Close()

	cfg, err := config.Parse(configYAML(o, dir, srv.URL(), ca, hook.URL+"/notices", ids), filepath.Join(dir, "shdmc.yaml"), nil, channels.Default())
	if err != nil {
		return res, fmt.Errorf("config: %w", err)
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.New(ctx, cfg, app.Options{Logger: log, Stdout: io.Discard})
	if err != nil {
		return res, err
	}
	defer a.Close()
	plans, err := app.Plans(ctx, cfg, a.Store())
	if err != nil {
		return res, err
	}
	res.plan = plans[0]
	res.fastLaneInterval = plans[0].IncidentInterval

	fmt.Fprintf(stderr, "latency: %d tenants, %v, %d changes; running until %s\n", o.tenants, o.duration, len(tl.changes),
		t0.Add(o.duration).Format("15:04:05"))
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	// Wait for the end of the scenario, then (bounded) for the last
	// notices.
	end := t0.Add(o.duration)
	for time.Now().Before(end) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(end)):
		}
	}
	for grace := time.Now().Add(o.interval + 15*time.Second); time.Now().Before(grace) && ctx.Err() == nil; time.Sleep(500 * time.Millisecond) {
		if len(match(tl, rcv.arrivals()).missed) == 0 {
			break
		}
	}
	stopRun()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return res, fmt.Errorf("run: %w", err)
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("run: %w", ctx.Err())
	}
	m := match(tl, rcv.arrivals())
	res.incident, res.quiet, res.missed, res.extra = m.incident, m.quiet, m.missed, m.extra
	res.incidentRate, res.quietRate, res.throttled = rates(tl, srv.Requests(), o.tenants)
	return res, nil
}

// configYAML is the default config plus the tenants, the webhook channel
// and the polling interval; no dashboard, no public status pages (no
// network beyond loopback).
func configYAML(o options, dir, graphURL, caFile, hookURL string, ids []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "store: sqlite://%s\ninterval: %s\nincident_interval: %s\nfast_lane: %s\n", filepath.Join(dir, "shdmc.db"),
		o.interval, o.incidentInterval, o.fastLane)
	b.WriteString("serve: {disabled: true}\noutage:\n  public_status: {poll: never}\ntenants:\n")
	for i, id := range ids {
		fmt.Fprintf(&b, "  - {id: t%03d, tenant_id: %s, client_id: %s, client_secret: %s, graph_root: %q, authority_host: %q, ca_file: %q}\n",
			i+1, id, clientID, secret, graphURL, graphURL, caFile)
	}
	fmt.Fprintf(&b, "channels:\n  - {name: hook, type: webhook, url: %q}\n", hookURL)
	return []byte(b.String())
}

// matched is the arrivals sorted against the expected changes.
type matched struct {
	incident, quiet []time.Duration
	missed          []change
	extra           int
}

// match pairs each expected change with its notice: the first about the
// same tenant and item whose lastModifiedDateTime is the change's time or
// less than a second after it (the simulator adds a sub-second offset).
func match(tl timeline, got []arrival) matched {
	var m matched
	type key struct{ tenant, item string }
	byItem := map[key][]arrival{}
	for _, a := range got {
		if a.visible.Before(tl.t0) {
			continue // the baseline's announcement of the active incident
		}
		k := key{tenantOf(a.tenant), a.item}
		byItem[k] = append(byItem[k], a)
	}
	used := map[*arrival]bool{}
	for _, c := range tl.changes {
		vis := tl.t0.Add(c.at)
		var first *arrival
		as := byItem[key{c.tenant, c.item}]
		for i := range as {
			a := &as[i]
			if !a.visible.Before(vis) && a.visible.Before(vis.Add(time.Second)) {
				used[a] = true
				if first == nil || a.at.Before(first.at) {
					first = a
				}
			}
		}
		if first == nil {
			m.missed = append(m.missed, c)
			continue
		}
		d := first.at.Sub(vis)
		if c.kind == "incident" {
			m.incident = append(m.incident, d)
		} else {
			m.quiet = append(m.quiet, d)
		}
	}
	for _, as := range byItem {
		for i := range as {
			if !used[&as[i]] {
				m.extra++
			}
		}
	}
	return m
}

// tenantOf maps shdmc's tenant ID (t001) to the simulator's.
func tenantOf(id string) string {
	var n int
	if _, err := fmt.Sscanf(id, "t%03d", &n); err != nil {
		return id
	}
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
}

// rates counts the Graph requests per tenant and hour in the fast lane
// phase (from the warm-up, when every tenant has polled, to the
// resolution) and the quiet phase (from 5 s after the resolution to the
// end), and the throttled answers.
func rates(tl timeline, recs []sim.RequestRecord, tenants int) (incident, quiet float64, throttled int) {
	inFrom, inTo := tl.t0.Add(tl.warmup), tl.t0.Add(tl.resolve)
	qFrom, qTo := tl.t0.Add(tl.resolve+5*time.Second), tl.t0.Add(tl.duration)
	var nIn, nQ int
	for _, r := range recs {
		if !strings.HasPrefix(r.Path, "/v1.0/") {
			continue // token and metadata requests do not count against Graph's limit
		}
		if r.Status == http.StatusTooManyRequests && r.Fault == "" {
			throttled++
		}
		switch {
		case !r.Time.Before(inFrom) && r.Time.Before(inTo):
			nIn++
		case !r.Time.Before(qFrom) && r.Time.Before(qTo):
			nQ++
		}
	}
	perHour := func(n int, from, to time.Time) float64 {
		return float64(n) / float64(tenants) / to.Sub(from).Hours()
	}
	return perHour(nIn, inFrom, inTo), perHour(nQ, qFrom, qTo), throttled
}
