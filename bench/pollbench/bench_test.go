package main

import (
	"context"
	"testing"
	"time"
)

// TestSteadyBench checks the generated scenario and the measurement: the
// baseline fetches everything, an incremental poll with nothing changed
// fetches only the newest issue and message (inside the overlap window) and
// the health overview, in three Graph requests and no token request.
func TestSteadyBench(t *testing.T) {
	tests := []struct {
		name    string
		shape   scenarioShape
		smaller bool // the incremental poll downloads less than the full one
	}{
		{"small", scenarioShape{Issues: 3, Messages: 4, Posts: 2}, true},
		{"one of each", scenarioShape{Issues: 1, Messages: 1, Posts: 5}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := runSteady(ctx, tc.shape, 1, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			const services = 4
			if got, want := res.Full.Items, tc.shape.Issues+tc.shape.Messages+services; got != want {
				t.Errorf("baseline fetched %d items, want %d", got, want)
			}
			if !res.Full.Full || res.Full.Wire.GraphRequests != 3 || res.Full.Wire.AuthRequests < 1 {
				t.Errorf("baseline: full %v, %d Graph and %d auth requests; want full, 3 and at least 1",
					res.Full.Full, res.Full.Wire.GraphRequests, res.Full.Wire.AuthRequests)
			}
			in := res.Incr[0]
			if in.Full || in.Items != services || in.StoreWrites != 0 || in.Events != 0 {
				t.Errorf("quiet incremental: full %v, %d items, %d written, %d events; want incremental, %d items, nothing written",
					in.Full, in.Items, in.StoreWrites, in.Events, services)
			}
			rb := res.ReachBack
			if rb.Full || rb.Items != 1+1+services || rb.StoreWrites != 0 || rb.Events != 0 || rb.Wire.GraphRequests != 3 {
				t.Errorf("reaching back: full %v, %d items, %d written, %d events, %d requests; want incremental, %d items, nothing written, 3 requests",
					rb.Full, rb.Items, rb.StoreWrites, rb.Events, rb.Wire.GraphRequests, 2+services)
			}
			if in.Wire.GraphRequests != 3 || in.Wire.AuthRequests != 0 {
				t.Errorf("incremental: %d Graph and %d auth requests, want 3 and 0", in.Wire.GraphRequests, in.Wire.AuthRequests)
			}
			if in.Client.Requests != in.Wire.GraphRequests || in.Client.BytesRead != in.Wire.GraphBytes {
				t.Errorf("client counted %d requests %d bytes, simulator %d and %d",
					in.Client.Requests, in.Client.BytesRead, in.Wire.GraphRequests, in.Wire.GraphBytes)
			}
			if tc.smaller && in.Wire.GraphBytes >= res.Full.Wire.GraphBytes {
				t.Errorf("incremental bytes %d not below full %d", in.Wire.GraphBytes, res.Full.Wire.GraphBytes)
			}
			// The quiet full resync lists stamps only and gets nothing.
			rs := res.Resync
			if !rs.Full || rs.Items != services || rs.StoreWrites != 0 || rs.Events != 0 || rs.Wire.GraphRequests != 3 {
				t.Errorf("full resync: full %v, %d items, %d written, %d events, %d requests; want full, %d items, nothing written, 3 requests",
					rs.Full, rs.Items, rs.StoreWrites, rs.Events, rs.Wire.GraphRequests, services)
			}
			if tc.smaller && rs.Wire.GraphBytes*2 > res.Full.Wire.GraphBytes {
				t.Errorf("full resync read %d bytes, the baseline %d: want at most half", rs.Wire.GraphBytes, res.Full.Wire.GraphBytes)
			}
		})
	}
}

// BenchmarkSteadyStatePoll measures one incremental poll of a realistic
// tenant (300 issues x 5 posts, 1,000 Message Center posts) where nothing
// changed, after the baseline. Custom metrics: Graph requests and response
// bytes per poll, as the simulator saw them.
func BenchmarkSteadyStatePoll(b *testing.B) {
	ctx := context.Background()
	sb, err := newSteadyBench(ctx, scenarioShape{Issues: 300, Messages: 1000, Posts: 5}, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer sb.close()
	if _, err := sb.poll(ctx); err != nil {
		b.Fatal(err)
	}
	var reqs, bytes int64
	n := 0
	for b.Loop() {
		m, err := sb.poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if m.Full || m.Items == 0 {
			b.Fatalf("poll was full or fetched nothing")
		}
		reqs += m.Wire.GraphRequests + m.Wire.AuthRequests
		bytes += m.Wire.GraphBytes + m.Wire.AuthBytes
		n++
	}
	b.ReportMetric(float64(reqs)/float64(n), "requests/op")
	b.ReportMetric(float64(bytes)/float64(n), "wirebytes/op")
}

// BenchmarkFullPoll measures a full fetch of the same tenant (the first
// iteration is the baseline into an empty store; later ones are full
// resyncs that find nothing changed).
func BenchmarkFullPoll(b *testing.B) {
	ctx := context.Background()
	sb, err := newSteadyBench(ctx, scenarioShape{Issues: 300, Messages: 1000, Posts: 5}, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer sb.close()
	var reqs, bytes int64
	n := 0
	for b.Loop() {
		sb.poller.ForceFull()
		m, err := sb.poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		reqs += m.Wire.GraphRequests
		bytes += m.Wire.GraphBytes
		n++
	}
	b.ReportMetric(float64(reqs)/float64(n), "requests/op")
	b.ReportMetric(float64(bytes)/float64(n), "wirebytes/op")
}

// BenchmarkQuietResync measures the full resync of the same tenant with
// nothing changed, as it comes due every full_resync: stamps listed,
// nothing got.
func BenchmarkQuietResync(b *testing.B) {
	ctx := context.Background()
	sb, err := newSteadyBench(ctx, scenarioShape{Issues: 300, Messages: 1000, Posts: 5}, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer sb.close()
	if _, err := sb.poll(ctx); err != nil {
		b.Fatal(err)
	}
	var reqs, bytes int64
	n := 0
	for b.Loop() {
		sb.skew += sb.fullResync
		m, err := sb.poll(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !m.Full {
			b.Fatal("the poll was no full resync")
		}
		reqs += m.Wire.GraphRequests
		bytes += m.Wire.GraphBytes
		n++
	}
	b.ReportMetric(float64(reqs)/float64(n), "requests/op")
	b.ReportMetric(float64(bytes)/float64(n), "wirebytes/op")
}

// TestSinceSlot checks the clock the steady bench starts at: the given time
// past a resync slot, at whatever time of day it runs.
func TestSinceSlot(t *testing.T) {
	const period, offset, after = 24 * time.Hour, 7*time.Hour + 13*time.Minute, time.Minute
	base := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	for m := 0; m < 24*60; m += 17 {
		now := base.Add(time.Duration(m) * time.Minute)
		skew := sinceSlot(now, period, offset, after)
		if skew <= 0 || skew > period+after {
			t.Fatalf("at %s: skew %s, want within (0, %s]", now.Format(time.Kitchen), skew, period+after)
		}
		at := now.Add(skew)
		if r := time.Duration((at.UnixNano() - int64(offset)) % int64(period)); r != after {
			t.Fatalf("at %s: clock %s is %s past a slot, want %s", now.Format(time.Kitchen), at, r, after)
		}
	}
}
