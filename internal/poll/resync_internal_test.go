package poll

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// tenantIDs returns n tenant IDs of the shapes configs use: GUIDs and
// domain names.
func tenantIDs(n int) []string {
	rng := rand.New(rand.NewPCG(14, 6))
	out := make([]string, n)
	for i := range out {
		if i%2 == 0 {
			out[i] = fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff,
				rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
		} else {
			out[i] = fmt.Sprintf("customer%d.onmicrosoft.com", i)
		}
	}
	return out
}

// TestResyncOffsetSpread: the offsets of many tenants fill the period
// evenly, and a tenant's offset is the same in every process (a fixed
// hash, no seed).
func TestResyncOffsetSpread(t *testing.T) {
	const period, buckets, n = 6 * time.Hour, 24, 10000
	var count [buckets]int
	for _, id := range tenantIDs(n) {
		off := ResyncOffset(id, period)
		if off < 0 || off >= period {
			t.Fatalf("offset %s of %s outside [0, %s)", off, id, period)
		}
		count[off*buckets/period]++
	}
	mean := n / buckets
	for i, c := range count {
		// ±25 % is five standard deviations of a uniform spread.
		if c < mean*3/4 || c > mean*5/4 {
			t.Errorf("window %d of %d: %d tenants, want %d ± 25 %%", i, buckets, c, mean)
		}
	}
	// Stable across restarts and workers: FNV-1a of the ID.
	for id, want := range map[string]time.Duration{
		"00000000-0000-0000-0000-000000000000": 3*time.Hour + 37*time.Minute + 23*time.Second + 607919089,
	} {
		if got := ResyncOffset(id, period); got != want {
			t.Errorf("offset of %s = %s, want %s", id, got, want)
		}
	}
	if got := ResyncOffset("contoso", 0); got != 0 {
		t.Errorf("offset in a zero period = %s", got)
	}
}

// TestResyncSpread runs the resync rule of 1,000 tenants that were all
// baselined at the same moment (a process started with them), polled
// every 5 minutes for a day: spread, no 5-minute round has more than
// three times its share of resyncs (a random spread's peak is about twice), and no tenant goes longer than full_resync
// without one; without the spread they all resync in the same round.
func TestResyncSpread(t *testing.T) {
	const period, interval, n = 6 * time.Hour, 5 * time.Minute, 1000
	start := time.Date(2026, 3, 1, 9, 7, 0, 0, time.UTC)
	for _, spread := range []bool{true, false} {
		t.Run(fmt.Sprintf("spread=%t", spread), func(t *testing.T) {
			ids := tenantIDs(n)
			last := make([]time.Time, n)
			for i := range last {
				last[i] = start
			}
			var now time.Time
			ps := make([]*Poller, n)
			for i, id := range ids {
				ps[i] = &Poller{tenant: id, set: Settings{FullResync: period, SpreadResync: spread},
					now: func() time.Time { return now }}
			}
			most, longest := 0, time.Duration(0)
			for now = start.Add(interval); now.Before(start.Add(24 * time.Hour)); now = now.Add(interval) {
				round := 0
				for i, p := range ps {
					if p.resyncDue(last[i]) {
						longest = max(longest, now.Sub(last[i]))
						last[i] = now
						round++
					}
				}
				most = max(most, round)
			}
			share := n * int(interval) / int(period) // resyncs per round when spread evenly
			if spread && (most > 3*share || longest > period) {
				t.Errorf("spread: at most %d resyncs in a round (share %d), longest gap %s; want ≤ %d and ≤ %s",
					most, share, longest, 3*share, period)
			}
			if !spread && most != n {
				t.Errorf("without the spread %d tenants resynced together, want all %d", most, n)
			}
			t.Logf("spread %t: at most %d of %d tenants resync in one 5-minute round (even share %d); longest gap %s",
				spread, most, n, share, longest)
		})
	}
}
