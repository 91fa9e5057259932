package main

import (
	"testing"
	"time"
)

func TestPlanAndMatch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ids := []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"}
	tl := plan(t0, ids, 10*time.Minute, 97*time.Second, 30*time.Second)
	if _, err := tl.scenario(); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, c := range tl.changes {
		kinds[c.kind]++
		if c.at < tl.warmup || c.at > tl.duration-30*time.Second-15*time.Second {
			t.Errorf("change %+v outside [warm-up, end − interval − 15 s]", c)
		}
	}
	// Posts until 25 s before the resolution at 360 s: the first tenant's
	// at 35, 132, 229 and 326 s, the second's 48.5 s later (3); the
	// resolution each; one Message Center post each.
	if kinds["incident"] != 9 || kinds["quiet"] != 2 {
		t.Errorf("changes by kind %v, want 9 incident and 2 quiet", kinds)
	}
	var got []arrival
	for i, c := range tl.changes[1:] { // the first never arrives
		vis := t0.Add(c.at).Add(900 * time.Millisecond) // the simulator's sub-second offset; 48.5 s + 0.9 s crosses a second
		tenant := "t001"
		if c.tenant == ids[1] {
			tenant = "t002"
		}
		got = append(got, arrival{at: vis.Add(time.Duration(i+1) * time.Second), tenant: tenant, item: c.item, visible: vis})
	}
	got = append(got, arrival{at: t0, tenant: "t001", item: incidentID, visible: t0.Add(-time.Minute)}) // the baseline's
	m := match(tl, got)
	if len(m.missed) != 1 || m.extra != 0 || len(m.incident)+len(m.quiet) != len(tl.changes)-1 {
		t.Errorf("matched: %d missed, %d extra, %d + %d latencies", len(m.missed), m.extra, len(m.incident), len(m.quiet))
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 20; i++ {
		ds = append(ds, time.Duration(i)*time.Second)
	}
	s := summarize(ds)
	if s.n != 20 || s.p50 != 10*time.Second || s.p95 != 19*time.Second || s.max != 20*time.Second {
		t.Errorf("summarize = %+v", s)
	}
	if z := summarize(nil); z.n != 0 {
		t.Errorf("summarize(nil) = %+v", z)
	}
}
