package graph

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeClock is a manual clock; sleep advances it.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return ctx.Err()
}

func newFakeBudget() (*Budget, *fakeClock) {
	clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := NewBudget(clk.now)
	b.sleep = clk.sleep
	return b, clk
}

// check asserts that no 60 s window holds more than 240 entries and no hour
// more than 800.
func checkWindows(t *testing.T, times []time.Time) {
	t.Helper()
	for i := range times {
		for _, w := range []struct {
			d   time.Duration
			max int
		}{{time.Minute, 240}, {time.Hour, 800}} {
			n := 0
			for j := i; j < len(times) && times[j].Sub(times[i]) < w.d; j++ {
				n++
			}
			if n > w.max {
				t.Fatalf("%d requests in the %v from %v", n, w.d, times[i])
			}
		}
	}
}

func TestBudgetMinuteWindow(t *testing.T) {
	b, clk := newFakeBudget()
	ctx := context.Background()
	start := clk.t
	for range 240 {
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(100 * time.Millisecond) // 240 in 24 s
	}
	if m, h := b.Used(); m != 240 || h != 240 {
		t.Fatalf("Used() = %d, %d", m, h)
	}
	if err := b.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	// The 241st waits until the first leaves the window: start + 60 s.
	if want := start.Add(time.Minute); !clk.t.Equal(want) {
		t.Errorf("241st request at %v, want %v", clk.t, want)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if m, h := b.Used(); m != 0 || h != 241 {
		t.Errorf("Used() after 2 min = %d, %d; want 0, 241", m, h)
	}
}

func TestBudgetHourWindow(t *testing.T) {
	b, clk := newFakeBudget()
	ctx := context.Background()
	var times []time.Time
	for range 1700 {
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		times = append(times, clk.t)
		clk.t = clk.t.Add(10 * time.Millisecond) // a greedy caller
	}
	checkWindows(t, times)
	// 800 in the first hour: 240 per minute for 3 min, then 80 in the fourth;
	// the 801st waits for the first to be an hour old.
	if got, want := times[800], times[0].Add(time.Hour); !got.Equal(want) {
		t.Errorf("801st request at %v, want %v", got, want)
	}
	if got, want := times[240], times[0].Add(time.Minute); !got.Equal(want) {
		t.Errorf("241st request at %v, want %v", got, want)
	}
}

func TestBudgetWaitHonoursContext(t *testing.T) {
	b := NewBudget(nil)
	for range 240 {
		if err := b.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := b.Wait(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	if m, _ := b.Used(); m != 240 {
		t.Errorf("a refused wait was recorded: %d", m)
	}
}

func TestCloudEndpoints(t *testing.T) {
	tests := []struct {
		cloud            Cloud
		graph, authority string
		wantErr          string
	}{
		{"", "https://graph.microsoft.com", "https://login.microsoftonline.com", ""},
		{"global", "https://graph.microsoft.com", "https://login.microsoftonline.com", ""},
		{"GCC", "https://graph.microsoft.com", "https://login.microsoftonline.com", ""},
		{"gcchigh", "https://graph.microsoft.us", "https://login.microsoftonline.us", ""},
		{"usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us", ""},
		{"usgovl4", "https://graph.microsoft.us", "https://login.microsoftonline.us", ""},
		{"dod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us", ""},
		{"usgovl5", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us", ""},
		{"china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn", ""},
		{"germany", "", "", "no longer exists"},
		{"narnia", "", "", "unknown cloud"},
	}
	for _, tt := range tests {
		t.Run(string(tt.cloud), func(t *testing.T) {
			g, a, err := CloudEndpoints(tt.cloud)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || g != tt.graph || a != tt.authority {
				t.Errorf("= %q, %q, %v; want %q, %q", g, a, err, tt.graph, tt.authority)
			}
			if !publicAuthority(a) {
				t.Errorf("%s not treated as a public authority", a)
			}
		})
	}
	if publicAuthority("https://127.0.0.1:8443") {
		t.Error("a local authority treated as public")
	}
}

func TestBudgetRestore(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old := NewBudget(clock)
	for range budgetPerMinute {
		if d := old.take(); d != 0 {
			t.Fatalf("take: wait %v", d)
		}
	}
	// The tenant moves to another worker: a fresh budget restored from the
	// old one's log must not allow a single request more in this minute.
	next := NewBudget(clock)
	next.Restore(append(old.Log(), now.Add(-2*time.Hour)))
	if d := next.take(); d <= 0 {
		t.Fatalf("restored budget took request %d of a minute", budgetPerMinute+1)
	}
	if m, h := next.Used(); m != budgetPerMinute || h != budgetPerMinute {
		t.Errorf("Used = %d, %d; want %d, %d (the 2-hour-old entry dropped)", m, h, budgetPerMinute, budgetPerMinute)
	}
	next.Restore(old.Log()) // restoring twice counts nothing twice
	if _, h := next.Used(); h != budgetPerMinute {
		t.Errorf("after a second Restore: %d in the hour, want %d", h, budgetPerMinute)
	}
	now = now.Add(time.Minute)
	if d := next.take(); d != 0 {
		t.Errorf("a minute later: wait %v, want none", d)
	}
}
