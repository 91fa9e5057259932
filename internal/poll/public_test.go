package poll_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/outage"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/source/publicstatus"
	"github.com/shdmc/shdmc/internal/store"
)

// commits records every batch committed through it.
type commits struct {
	store.Store
	mu      sync.Mutex
	batches []store.Batch
}

func (c *commits) Commit(ctx context.Context, b store.Batch) ([]int64, error) {
	c.mu.Lock()
	c.batches = append(c.batches, b)
	c.mu.Unlock()
	return c.Store.Commit(ctx, b)
}

// take returns the batches committed since the last take.
func (c *commits) take() []store.Batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.batches
	c.batches = nil
	return out
}

// committed is what a test compares of a batch.
type committed struct {
	Tenant string
	Source model.Source
	Items  []string // ID@revision
	Events []string // type ID
	Keys   []string // outbox keys
}

func summarize(bs []store.Batch) []committed {
	var out []committed
	for _, b := range bs {
		c := committed{Tenant: b.Tenant, Source: b.Source}
		for _, it := range b.Items {
			c.Items = append(c.Items, fmt.Sprintf("%s@%d", it.Key.ID, it.Revision))
		}
		for _, ev := range b.Events {
			c.Events = append(c.Events, string(ev.Type)+" "+ev.ItemID)
		}
		for _, d := range b.Deliveries {
			c.Keys = append(c.Keys, d.Key)
		}
		out = append(out, c)
	}
	return out
}

// TestPublicStatusSamePass: the public status sources go through the pass
// of every source: a degraded entry is announced (a healthy one seen first
// is stored silently), its event and outbox rows are committed with the
// item in one Commit, keyed like a Graph item's; an item gone from its feed
// is resolved; a failing source commits nothing and is recorded in the
// source health without a notice.
func TestPublicStatusSamePass(t *testing.T) {
	var mu sync.Mutex
	posts := `[{"Id":"TM1","ServiceDisplayName":"Microsoft Teams","Status":"ServiceDegradation","Title":"Teams is slow"},
{"Id":"OL1","ServiceDisplayName":"Outlook.com","Status":"Operational"}]`
	azure := `<rss version="2.0"><channel><title>Azure Status</title>
<item><guid>AZ-1</guid><title>Microsoft Entra ID - Global</title><description>Sign-in failures.</description></item></channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/posts":
			_, _ = io.WriteString(w, posts)
		case "/azure":
			_, _ = io.WriteString(w, azure)
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &clock{t: t0}
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "public.db"), store.WithNow(c.now))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &commits{Store: st}
	targets := func(*model.Event) []route.Target { return []route.Target{{Route: "ops", Channel: "chat"}} }
	f := &publicstatus.Fetcher{Client: srv.Client()}
	s := poll.NewScheduler(poll.Options{
		Store: rec, Now: c.now,
		Public: poll.Public{Targets: targets, Sources: []source.Source{
			publicstatus.NewSource(model.SourceM365Status, f, publicstatus.Endpoint{URL: srv.URL + "/posts", Kind: publicstatus.KindPosts}),
			publicstatus.NewSource(model.SourceAzureStatus, f, publicstatus.Endpoint{URL: srv.URL + "/azure", Kind: publicstatus.KindRSS}),
		}},
		SourceTargets: targets,
		Outage:        outage.Settings{Failures: 1},
	})

	if err := s.PollPublic(ctx); err != nil {
		t.Fatal(err)
	}
	want := []committed{
		{Tenant: source.PublicTenant, Source: model.SourceM365Status, Items: []string{"TM1@1", "OL1@1"},
			Events: []string{"issue.new TM1"}, Keys: []string{"public/m365status/TM1/1/ops/chat"}},
		{Tenant: source.PublicTenant, Source: model.SourceAzureStatus, Items: []string{"AZ-1@1"},
			Events: []string{"issue.new AZ-1"}, Keys: []string{"public/azurestatus/AZ-1/1/ops/chat"}},
	}
	if diff := cmp.Diff(want, summarize(rec.take())); diff != "" {
		t.Errorf("first poll (-want +got):\n%s", diff)
	}

	// The same data again: nothing to commit.
	c.add(time.Minute)
	if err := s.PollPublic(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("unchanged feeds committed %+v", summarize(got))
	}

	// The Azure feed empties; the posts page fails (an interstitial).
	mu.Lock()
	azure = `<rss version="2.0"><channel><title>Azure Status</title></channel></rss>`
	posts = `<html><body>Sign in</body></html>`
	mu.Unlock()
	c.add(time.Minute)
	if err := s.PollPublic(ctx); err == nil {
		t.Error("a failing posts page returned no error")
	}
	want = []committed{{Tenant: source.PublicTenant, Source: model.SourceAzureStatus, Items: []string{"AZ-1@2"},
		Events: []string{"issue.resolved AZ-1"}, Keys: []string{"public/azurestatus/AZ-1/2/ops/chat"}}}
	if diff := cmp.Diff(want, summarize(rec.take())); diff != "" {
		t.Errorf("after the feed emptied (-want +got):\n%s", diff)
	}
	items, err := st.Items(ctx, source.PublicTenant, model.SourceM365Status, nil)
	if err != nil || len(items) != 2 {
		t.Errorf("the failing source lost its last items: %d, %v", len(items), err)
	}
	hs, err := st.SourceHealths(ctx, source.PublicTenant)
	if err != nil {
		t.Fatal(err)
	}
	failing := map[model.Source]bool{}
	for _, h := range hs {
		var s outage.State
		if err := json.Unmarshal(h.Data, &s); err != nil {
			t.Fatal(err)
		}
		failing[h.Source] = s.Failing()
	}
	if !failing[model.SourceM365Status] || failing[model.SourceAzureStatus] {
		t.Errorf("source health failing = %v, want m365status only", failing)
	}
	evs, err := st.Events(ctx, store.EventQuery{Tenant: source.PublicTenant})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(evs, func(ev model.Event) bool { return ev.Type == model.EventSourceDown }) {
		t.Error("a failing public source raised a source.down notice")
	}

	// A Graph item of the same pass is keyed the same way.
	r := newRig(t, poll.Settings{Issues: true, Targets: targets})
	gst := &commits{Store: r.st}
	r.p = poll.New(tenant, r.f, gst, r.set, r.clock.now, nil)
	r.poll(t) // baseline
	r.f.set(func(f *fake) { f.issues = []model.Issue{issue("EX1", model.StatusInvestigating, false, t0, "a")} })
	gst.take()
	r.clock.add(time.Minute)
	r.poll(t)
	want = []committed{{Tenant: tenant, Source: model.SourceSHD, Items: []string{"EX1@1"},
		Events: []string{"issue.new EX1"}, Keys: []string{"contoso/shd/EX1/1/ops/chat"}}}
	if diff := cmp.Diff(want, summarize(gst.take())); diff != "" {
		t.Errorf("graph item (-want +got):\n%s", diff)
	}
}

// TestPublicStatusBackoff: an unreachable public status source is asked
// again only after a backoff that doubles (from the interval, capped at an
// hour), across processes (a new Scheduler per `shdmc check`, as from
// cron), and is warned about once per outage.
func TestPublicStatusBackoff(t *testing.T) {
	var mu sync.Mutex
	down := true
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		hits[r.URL.Path]++
		if down {
			http.Error(w, "unreachable", http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, `<rss version="2.0"><channel><title>Azure Status</title></channel></rss>`)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &clock{t: t0}
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "public.db"), store.WithNow(c.now))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &publicstatus.Fetcher{Client: srv.Client()}
	var logs syncBuffer
	check := func() {
		t.Helper()
		s := poll.NewScheduler(poll.Options{
			Store: st, Now: c.now, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Public: poll.Public{Always: true, Every: 5 * time.Minute, Sources: []source.Source{
				publicstatus.NewSource(model.SourceAzureStatus, f, publicstatus.Endpoint{URL: srv.URL + "/azure", Kind: publicstatus.KindRSS}),
			}},
		})
		if _, err := s.PollAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		at    time.Duration // since t0
		up    bool
		asked bool
		warns int // "public status unavailable" warnings so far
	}{
		{0, false, true, 1},
		{time.Minute, false, false, 1},      // 5 min backoff after the first failure
		{5 * time.Minute, false, true, 1},   // asked again; no second warning
		{10 * time.Minute, false, false, 1}, // now 10 min
		{15 * time.Minute, false, true, 1},
		{30 * time.Minute, false, false, 1}, // now 20 min
		{35 * time.Minute, false, true, 1},
		{70 * time.Minute, false, false, 1}, // now 40 min
		{75 * time.Minute, false, true, 1},
		{2*time.Hour + 14*time.Minute, false, false, 1}, // capped at an hour
		{2*time.Hour + 15*time.Minute, true, true, 1},   // reachable again
		{2*time.Hour + 20*time.Minute, false, true, 2},  // a new outage: warned again
	}
	for _, step := range steps {
		c.mu.Lock()
		c.t = t0.Add(step.at)
		c.mu.Unlock()
		mu.Lock()
		down = !step.up
		before := hits["/azure"]
		mu.Unlock()
		check()
		mu.Lock()
		asked := hits["/azure"] > before
		mu.Unlock()
		warns := strings.Count(logs.String(), `level=WARN msg="public status unavailable"`)
		if asked != step.asked || warns != step.warns {
			t.Errorf("at +%s: asked %v (want %v), %d warnings (want %d)", step.at, asked, step.asked, warns, step.warns)
		}
	}
	if !strings.Contains(logs.String(), `msg="public status available again"`) {
		t.Errorf("no note when the source came back:\n%s", logs.String())
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPublicStatusPausedWhenGraphWorks: a public status source polled only
// while Graph fails, which failed during that outage, is marked paused once
// Graph works again (it is not asked any more, so its failure is history,
// not a current outage); the next attempt clears the mark.
func TestPublicStatusPausedWhenGraphWorks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unreachable", http.StatusBadGateway)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &clock{t: t0}
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "public.db"), store.WithNow(c.now))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &publicstatus.Fetcher{Client: srv.Client()}
	sched := func(always bool) *poll.Scheduler {
		return poll.NewScheduler(poll.Options{Store: st, Now: c.now, Logger: slog.New(slog.DiscardHandler),
			Public: poll.Public{Always: always, Every: 5 * time.Minute, Sources: []source.Source{
				publicstatus.NewSource(model.SourceAzureStatus, f, publicstatus.Endpoint{URL: srv.URL + "/azure", Kind: publicstatus.KindRSS}),
			}}})
	}
	state := func() outage.State {
		t.Helper()
		hs, err := st.SourceHealths(ctx, source.PublicTenant)
		if err != nil || len(hs) != 1 {
			t.Fatalf("source healths: %v, %d rows", err, len(hs))
		}
		var s outage.State
		if err := json.Unmarshal(hs[0].Data, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// During a Graph outage (stood in for by an explicit poll) the page
	// fails three times.
	for i := range 3 {
		c.mu.Lock()
		c.t = t0.Add(time.Duration(i) * time.Hour)
		c.mu.Unlock()
		if err := sched(false).PollPublic(ctx); err == nil {
			t.Fatal("public poll succeeded against a failing page")
		}
	}
	if s := state(); s.Failures != 3 || s.Paused {
		t.Fatalf("after the outage: %+v", s)
	}
	// Graph works (no tenant failing): the failing-only source is paused.
	if _, err := sched(false).PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	s := state()
	if !s.Paused || s.Stale(t0.Add(10*time.Hour)) != 0 {
		t.Errorf("after a pass with Graph working: paused %v, stale %s; want paused, not stale", s.Paused, s.Stale(t0.Add(10*time.Hour)))
	}
	// Polled always, the source stays failing, not paused.
	if err := sched(true).PollPublic(ctx); err == nil {
		t.Fatal("public poll succeeded against a failing page")
	}
	if _, err := sched(true).PollAll(ctx); err != nil {
		t.Fatal(err)
	}
	if s := state(); s.Paused || s.Failures != 4 {
		t.Errorf("polled always: %+v, want failing (4) and not paused", s)
	}
}
