package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
	"github.com/shdmc/shdmc/internal/notify/webhook"
	"github.com/shdmc/shdmc/internal/store"
)

// dedupReceiver is a webhook receiver that processes each delivery key
// once. It fails the first attempt of every fifth key (20 % of the
// deliveries) with 503, deterministically.
type dedupReceiver struct {
	mu         sync.Mutex
	attempts   map[string]int
	delivered  map[string]time.Time // key → first accepted request
	duplicates int                  // accepted requests for a key already delivered
	requests   int
	failed     int
}

func (r *dedupReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	key := req.Header.Get(webhook.HeaderDelivery)
	var idx int
	fmt.Sscanf(key, "contoso/shd/EX%d/", &idx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.attempts[key]++
	if idx%5 == 0 && r.attempts[key] == 1 {
		r.failed++
		http.Error(w, "injected failure", http.StatusServiceUnavailable)
		return
	}
	if _, ok := r.delivered[key]; ok {
		r.duplicates++ // at-least-once: acknowledge, do not process again
	} else {
		r.delivered[key] = time.Now()
	}
	w.WriteHeader(http.StatusNoContent)
}

// BenchmarkWebhookOutbox sends 10,000 notices through the real outbox
// (SQLite) and Dispatcher to a loopback receiver failing 20 % of first
// attempts, and reports enqueue→delivered latency and throughput.
//
//	go test ./internal/notify/webhook -run XXX -bench BenchmarkWebhookOutbox -benchtime 1x
func BenchmarkWebhookOutbox(b *testing.B) {
	const total, batch, workers = 10_000, 250, 4
	for range b.N {
		rcv := &dedupReceiver{attempts: map[string]int{}, delivered: map[string]time.Time{}}
		srv := httptest.NewServer(rcv)
		st := openStore(b, time.Now)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		hook, err := webhook.New(webhook.Config{URL: srv.URL + "/hook", Secret: "bench-secret", Timeout: 5 * time.Second},
			&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		notifiers := map[string]notify.Notifier{"hook": hook}

		start := time.Now()
		var wg sync.WaitGroup
		done := make(chan struct{})
		// Producer: commit the events and their deliveries in batches, as
		// polls would, while the workers drain.
		enqueued := make(map[string]time.Time, total)
		var enqMu sync.Mutex
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := 0; first < total; first += batch {
				bt := store.Batch{Tenant: "contoso", Source: model.SourceSHD}
				for i := first; i < first+batch; i++ {
					ev := *channeltest.Event(1)
					ev.ItemID = fmt.Sprintf("EX%05d", i)
					iss := *ev.Issue
					iss.ID, ev.Issue = ev.ItemID, &iss
					bt.Events = append(bt.Events, ev)
					bt.Deliveries = append(bt.Deliveries, store.NewDelivery{Event: i - first, Channel: "hook", Route: "default",
						Key: fmt.Sprintf("contoso/shd/%s/1/default/hook", ev.ItemID)})
				}
				at := time.Now()
				if _, err := st.Commit(ctx, bt); err != nil {
					b.Error(err)
					return
				}
				enqMu.Lock()
				for _, d := range bt.Deliveries {
					enqueued[d.Key] = at
				}
				enqMu.Unlock()
			}
		}()
		// Workers: one Dispatcher each, sharing the store (claims are leased).
		errs := make(chan error, workers)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := notify.New(notify.Config{Store: st, Notifiers: notifiers})
				d.Backoff, d.MaxBackoff = 10*time.Millisecond, 2*time.Second // the dispatcher raises Backoff to 1 s
				for {
					select {
					case <-done:
						return
					case <-ctx.Done():
						errs <- ctx.Err()
						return
					default:
					}
					sent, failed, err := d.Drain(ctx)
					if err != nil {
						errs <- err
						return
					}
					if sent+failed == 0 {
						time.Sleep(5 * time.Millisecond)
					}
				}
			}()
		}
		// Wait until the receiver has every key (bounded by ctx).
		for ctx.Err() == nil {
			rcv.mu.Lock()
			n := len(rcv.delivered)
			rcv.mu.Unlock()
			if n == total {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(start)
		close(done)
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}

		dels, err := st.Deliveries(context.Background(), nil, 2*total)
		if err != nil {
			b.Fatal(err)
		}
		var lat []time.Duration
		states := map[store.DeliveryState]int{}
		for _, d := range dels {
			states[d.State]++
		}
		rcv.mu.Lock()
		var retried []time.Duration
		for k, at := range rcv.delivered {
			lat = append(lat, at.Sub(enqueued[k]))
			if rcv.attempts[k] > 1 {
				retried = append(retried, at.Sub(enqueued[k]))
			}
		}
		delivered, dups, reqs, failedReqs := len(rcv.delivered), rcv.duplicates, rcv.requests, rcv.failed
		rcv.mu.Unlock()
		srv.Close()
		cancel()
		if delivered != total || states[store.DeliveryDone] != total || len(dels) != total {
			b.Fatalf("delivered %d distinct keys, outbox %d rows in states %v; want %d done", delivered, len(dels), states, total)
		}
		slices.Sort(lat)
		slices.Sort(retried)
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		var rp50 time.Duration
		if len(retried) > 0 {
			rp50 = retried[len(retried)/2]
		}
		b.ReportMetric(float64(total)/elapsed.Seconds(), "deliveries/s")
		b.ReportMetric(float64(p50.Milliseconds()), "p50_ms")
		b.ReportMetric(float64(p99.Milliseconds()), "p99_ms")
		b.ReportMetric(float64(dups), "duplicates")
		b.ReportMetric(float64(reqs), "requests")
		b.Logf("%d notices, %d workers: %d distinct keys delivered once each (outbox: %v), %d requests (%d injected failures, %d duplicate deliveries), "+
			"enqueue→delivered p50 %s p99 %s (retried ones: p50 %s), %.0f deliveries/s over %s",
			total, workers, delivered, states, reqs, failedReqs, dups, p50.Round(time.Millisecond), p99.Round(time.Millisecond),
			rp50.Round(time.Millisecond), float64(total)/elapsed.Seconds(), elapsed.Round(time.Millisecond))
	}
}
