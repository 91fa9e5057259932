package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

var t0 = time.Date(2023, 5, 25, 20, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// script is a Notifier that returns its errors in turn, then succeeds.
type script struct {
	mu    sync.Mutex
	errs  []error
	calls int
	got   []string
}

func (s *script) Notify(_ context.Context, n *notify.Notice) (notify.Receipt, error) {
	ev := n.Event
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.got = append(s.got, ev.ItemID)
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return notify.Receipt{}, err
	}
	return notify.Receipt{Status: "ok"}, nil
}

func sampleEvent() model.Event {
	return model.Event{
		Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX559755", Type: model.EventIssueStatus, Revision: 2,
		Changes:    []model.Change{{Kind: model.ChangeStatus, From: "investigating", To: "serviceRestored"}},
		DetectedAt: t0,
		Issue: &model.Issue{ID: "EX559755", Title: "Users’ OME email may be unable to be accessed", Service: "Exchange Online",
			Classification: model.ClassificationAdvisory, Status: model.StatusServiceRestored, LastModified: t0,
			Posts: []model.Post{{Created: t0, Type: model.PostRegular, Content: "This is the final update for the event."}}},
	}
}

// outbox opens a store holding one event with one delivery to channel "ch".
func outbox(t *testing.T, c *clock) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "n.db"), store.WithNow(c.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.UpsertTenant(ctx, model.Tenant{ID: "contoso"}); err != nil {
		t.Fatal(err)
	}
	ev := sampleEvent()
	if _, err := st.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{ev},
		Deliveries: []store.NewDelivery{{Event: 0, Channel: "ch", Route: "default", Key: "contoso/shd/EX559755/2/default/ch"}}}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDispatcherRetries(t *testing.T) {
	transient := errors.New("HTTP 503 from the channel")
	type drain struct {
		advance  time.Duration
		sent     int
		failed   int
		state    store.DeliveryState
		attempts int
		lastErr  string
	}
	tests := []struct {
		name   string
		errs   []error
		maxAge time.Duration
		drains []drain
		calls  int
	}{
		{"fails twice then succeeds", []error{transient, transient}, 24 * time.Hour, []drain{
			{0, 0, 1, store.DeliveryRetrying, 1, "HTTP 503"},
			{0, 0, 0, store.DeliveryRetrying, 1, "HTTP 503"}, // not due yet
			{time.Hour, 0, 1, store.DeliveryRetrying, 2, "HTTP 503"},
			{time.Hour, 1, 0, store.DeliveryDone, 3, ""},
			{time.Hour, 0, 0, store.DeliveryDone, 3, ""}, // done stays done
		}, 3},
		{"permanent error is dead at once", []error{notify.Permanent(errors.New("HTTP 404 webhook gone"))}, 24 * time.Hour, []drain{
			{0, 0, 1, store.DeliveryDead, 1, "404 webhook gone"},
			{2 * time.Hour, 0, 0, store.DeliveryDead, 1, "404 webhook gone"},
		}, 1},
		{"too old is dead", []error{transient, transient, transient}, 90 * time.Minute, []drain{
			{0, 0, 1, store.DeliveryRetrying, 1, "HTTP 503"},
			{time.Hour, 0, 1, store.DeliveryRetrying, 2, "HTTP 503"},
			{time.Hour, 0, 1, store.DeliveryDead, 3, "HTTP 503"},
			{time.Hour, 0, 0, store.DeliveryDead, 3, "HTTP 503"},
		}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: t0}
			st := outbox(t, c)
			n := &script{errs: tt.errs}
			d := notify.New(notify.Config{Store: st, Notifiers: map[string]notify.Notifier{"ch": n}, Now: c.now})
			d.Backoff, d.MaxBackoff, d.MaxAge = time.Minute, 30*time.Minute, tt.maxAge
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i, dr := range tt.drains {
				c.add(dr.advance)
				sent, failed, err := d.Drain(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if sent != dr.sent || failed != dr.failed {
					t.Errorf("drain %d: sent %d failed %d, want %d %d", i, sent, failed, dr.sent, dr.failed)
				}
				dels, err := st.Deliveries(ctx, nil, 10)
				if err != nil || len(dels) != 1 {
					t.Fatalf("deliveries %+v, %v", dels, err)
				}
				dl := dels[0]
				if dl.State != dr.state || dl.Attempts != dr.attempts || !strings.Contains(dl.LastError, dr.lastErr) {
					t.Errorf("drain %d: state %s attempts %d error %q; want %s %d %q", i, dl.State, dl.Attempts, dl.LastError, dr.state, dr.attempts, dr.lastErr)
				}
				if dl.State == store.DeliveryRetrying && !dl.NextAttempt.After(c.now()) {
					t.Errorf("drain %d: next attempt %s is not after now %s", i, dl.NextAttempt, c.now())
				}
				if dl.Event.ItemID != "EX559755" {
					t.Errorf("delivery event %+v", dl.Event)
				}
			}
			if n.calls != tt.calls {
				t.Errorf("notifier called %d times, want %d", n.calls, tt.calls)
			}
		})
	}
}

func TestDispatcherFailover(t *testing.T) {
	down := errors.New("HTTP 502 from the Teams webhook")
	many := []error{down, down, down, down, down, down}
	tests := []struct {
		name       string
		after      time.Duration
		advance    []time.Duration // clock steps before each drain
		wantBackup int             // notices the failover channel got
		wantState  store.DeliveryState
	}{
		{"failover once the primary failed long enough", 15 * time.Minute,
			[]time.Duration{0, 10 * time.Minute, 10 * time.Minute}, 1, store.DeliveryDone},
		{"not before", time.Hour, []time.Duration{0, 10 * time.Minute, 10 * time.Minute}, 0, store.DeliveryRetrying},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: t0}
			st := outbox(t, c)
			primary, backup := &script{errs: slices.Clone(many)}, &script{}
			router, err := route.New([]config.Route{{Name: "default", Channels: []string{"ch"},
				Failover: config.Failover{Channel: "mail", After: config.Duration(tt.after)}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			d := notify.New(notify.Config{Store: st, Router: router, Now: c.now,
				Notifiers: map[string]notify.Notifier{"ch": primary, "mail": backup}})
			d.Backoff, d.MaxBackoff = time.Minute, time.Minute
			for _, adv := range tt.advance {
				c.add(adv)
				if _, _, err := d.Drain(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if backup.calls != tt.wantBackup {
				t.Errorf("failover channel got %d notices, want %d", backup.calls, tt.wantBackup)
			}
			ds, err := st.Deliveries(context.Background(), nil, 10)
			if err != nil || len(ds) != 1 || ds[0].State != tt.wantState {
				t.Fatalf("deliveries %+v, %v; want one %s", ds, err, tt.wantState)
			}
		})
	}
}

// capture is a Notifier that keeps the notices it gets.
type capture struct {
	mu  sync.Mutex
	got []notify.Notice
}

func (c *capture) Notify(_ context.Context, n *notify.Notice) (notify.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, *n)
	return notify.Receipt{Status: "ok"}, nil
}

// TestNoticeNamesTenantAndTemplate: the localize stage gives the renderer
// the tenant's configured name (read from the store, cached, read again
// after a minute) and the route's template, and Preview localizes for a
// route exactly as a delivery does.
func TestNoticeNamesTenantAndTemplate(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	st := outbox(t, c)
	if err := st.UpsertTenant(ctx, model.Tenant{ID: "contoso", Name: "Contoso Ltd"}); err != nil {
		t.Fatal(err)
	}
	router, err := route.New([]config.Route{{Name: "default", Channels: []string{"ch"}, Language: "ja", Template: "short", TimeZone: "Asia/Tokyo"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := &capture{}
	d := notify.New(notify.Config{Store: st, Router: router, Now: c.now, Notifiers: map[string]notify.Notifier{"ch": got}})
	if sent, _, err := d.Drain(ctx); err != nil || sent != 1 {
		t.Fatalf("drain: sent %d, %v", sent, err)
	}
	n := got.got[0]
	if n.Render.TenantName != "Contoso Ltd" || n.Render.Template != "short" || n.Render.Language != "ja" {
		t.Errorf("render options: tenant %q, template %q, language %q", n.Render.TenantName, n.Render.Template, n.Render.Language)
	}
	if _, body := render.Notice(n.Event, n.Render); !strings.Contains(body, "テナント：") || !strings.Contains(body, "Contoso Ltd (contoso)") {
		t.Errorf("notice does not name the tenant:\n%s", body)
	}

	// A renamed tenant is named anew once the cache has aged.
	if err := st.UpsertTenant(ctx, model.Tenant{ID: "contoso", Name: "Contoso Japan"}); err != nil {
		t.Fatal(err)
	}
	ev := sampleEvent()
	pv := &capture{}
	if _, err := d.Preview(ctx, "default", "preview", pv, &ev); err != nil {
		t.Fatal(err)
	}
	if name := pv.got[0].Render.TenantName; name != "Contoso Ltd" {
		t.Errorf("tenant name read again within a minute: %q", name)
	}
	c.add(2 * time.Minute)
	if _, err := d.Preview(ctx, "default", "preview", pv, &ev); err != nil {
		t.Fatal(err)
	}
	if p := pv.got[1].Render; p.TenantName != "Contoso Japan" || p.Template != "short" || p.Location == nil || p.Location.String() != "Asia/Tokyo" {
		t.Errorf("preview options: tenant %q, template %q, zone %v", p.TenantName, p.Template, p.Location)
	}
}
