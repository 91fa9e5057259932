package graph_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/sim"
)

// These tests run the real client against the simulator's hostile faults:
// redirects, oversized items, duplicate and missing ids, old shapes.

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// lines returns the log lines that contain s.
func (l *logBuf) lines(s string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

func startTrap(t *testing.T) *sim.Trap {
	t.Helper()
	trap, err := sim.StartTrap()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = trap.Close() })
	return trap
}

// certPEM returns a self-signed RSA certificate with its key, as PEM.
func certPEM(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "shdmc-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
}

func TestSimRedirectsNotFollowed(t *testing.T) {
	tests := []struct {
		name       string
		prefix     string // fault path prefix
		status     int
		cert       bool // sign in with a certificate (client_assertion) instead of the secret
		sharedHTTP bool // Config.HTTPClient from graph.NewHTTPClient, as internal/app does
		sameOrigin bool // redirect to the simulator itself instead of the trap
		wantAuth   bool // the failure is a sign-in failure
	}{
		{name: "token 307 with secret", prefix: "token", status: 307, wantAuth: true},
		{name: "token 307 with certificate", prefix: "token", status: 307, cert: true, wantAuth: true},
		{name: "token 308, shared HTTP client", prefix: "token", status: 308, sharedHTTP: true, wantAuth: true},
		{name: "openid configuration 302", prefix: "openid", status: 302, wantAuth: true},
		{name: "graph 302", prefix: "graph", status: 302},
		{name: "graph 307, shared HTTP client", prefix: "graph", status: 307, sharedHTTP: true},
		{name: "graph 301 to the same origin", prefix: "graph", status: 301, sameOrigin: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			trap := startTrap(t)
			e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 3, 0))
			var pemData []byte
			if tt.cert {
				pemData = certPEM(t)
				e.srv.AddTenant(sim.Tenant{ID: simTenant, ClientID: simClient, CertificatePEM: pemData})
			}
			loc := trap.URL()
			if tt.sameOrigin {
				loc = e.srv.URL() + "/moved"
			}
			e.srv.SetFaults([]sim.Fault{{PathPrefix: tt.prefix, Kind: sim.FaultRedirect, Status: tt.status, Location: loc}})
			c := e.client(t, func(c *graph.Config) {
				if tt.cert {
					c.Auth, c.ClientSecret, c.CertificatePEMOrPFX = graph.AuthCertificate, "", pemData
				}
				if tt.sharedHTTP {
					hc, err := graph.NewHTTPClient(e.caFile)
					if err != nil {
						t.Fatal(err)
					}
					c.HTTPClient, c.CAFile = hc, ""
				}
			})
			start := time.Now()
			is, err := c.Issues(ctxFor(t, 30*time.Second), time.Time{})
			if err == nil || is != nil {
				t.Fatalf("got %d issues, err %v; want an error", len(is), err)
			}
			t.Logf("error: %v", err)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s: a refused redirect must not be retried", took)
			}
			if got := trap.Requests(); len(got) != 0 {
				t.Errorf("the redirect was followed: trap saw %+v", got)
			}
			u, _ := url.Parse(loc)
			for _, want := range []string{"redirect", u.Host} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(tt.status)) {
				t.Errorf("error %q does not name the status %d", err, tt.status)
			}
			var auth *graph.AuthError
			if errors.As(err, &auth) != tt.wantAuth {
				t.Errorf("error %v: AuthError %t, want %t", err, errors.As(err, &auth), tt.wantAuth)
			}
			var re *graph.RedirectError
			if !tt.wantAuth && (!errors.As(err, &re) || re.Status != tt.status || re.Host != u.Host) {
				t.Errorf("error %v: want a RedirectError for %d to %s", err, tt.status, u.Host)
			}
			if strings.Contains(err.Error(), simSecret) {
				t.Errorf("secret in error %q", err)
			}
			if tt.prefix == "graph" {
				if n := len(e.graphRecords()); n != 1 {
					t.Errorf("graph requests %d, want 1 (no retry)", n)
				}
				if strings.Contains(err.Error(), "sim.") {
					t.Errorf("token in error %q", err)
				}
			}
		})
	}
}

// peakHeap samples the heap until stop is closed and returns the highest
// HeapAlloc and Sys seen.
func peakHeap(stop <-chan struct{}) (heap, sys uint64) {
	var ms runtime.MemStats
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		runtime.ReadMemStats(&ms)
		heap, sys = max(heap, ms.HeapAlloc), max(sys, ms.Sys)
		select {
		case <-stop:
			return heap, sys
		case <-tick.C:
		}
	}
}

func TestSimOversizedItem(t *testing.T) {
	const big = 50 << 20
	const n = 300
	e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 0, n))
	e.srv.SetFaults([]sim.Fault{{Kind: sim.FaultOversize, Item: "MC000123", Size: big}})
	c := e.client(t, func(c *graph.Config) { c.Timeout = 30 * time.Second })
	ctx := ctxFor(t, 60*time.Second)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	var peak, sys atomic.Uint64
	done := make(chan struct{})
	go func() {
		h, s := peakHeap(stop)
		peak.Store(h)
		sys.Store(s)
		close(done)
	}()
	var info graph.ListInfo
	ms, err := c.Messages(graph.WithListInfo(ctx, &info), time.Time{})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	grew := int64(peak.Load()) - int64(base.HeapAlloc)
	t.Logf("one %d MiB body among %d messages: peak heap %d MiB (+%d MiB), Sys %d MiB, %d bytes read",
		big>>20, n, peak.Load()>>20, grew>>20, sys.Load()>>20, c.Stats().BytesRead)
	if grew > 64<<20 {
		t.Errorf("heap grew by %d MiB reading one oversized item; want ≤ 64 MiB", grew>>20)
	}
	if len(ms) != n {
		t.Fatalf("%d messages, want %d", len(ms), n)
	}
	for _, m := range ms {
		if m.ID != "MC000123" {
			if m.Body != "<p>Generated body.</p>" || m.Title == "" {
				t.Errorf("%s decoded as %q %q", m.ID, m.Title, m.Body)
			}
			continue
		}
		if len(m.Body) > graph.DefaultMaxTextBytes+100 || !strings.HasPrefix(m.Body, "<p>This paragraph pads") {
			t.Errorf("oversized body kept %d bytes, starts %q", len(m.Body), m.Body[:min(40, len(m.Body))])
		}
		if !strings.Contains(m.Body, "[truncated by shdmc: ") || !strings.HasSuffix(m.Body, " bytes]</p>") {
			t.Errorf("oversized body lacks the note: …%q", m.Body[max(0, len(m.Body)-80):])
		}
		if m.Title != "Generated message 123" {
			t.Errorf("title %q", m.Title)
		}
	}
	if info.Truncated != 1 {
		t.Errorf("ListInfo.Truncated = %d, want 1", info.Truncated)
	}
}

func TestSimDuplicateIDs(t *testing.T) {
	for _, size := range []int{1000, 100} { // the copy on the same page, on the next page
		t.Run("page size "+strconv.Itoa(size), func(t *testing.T) {
			var logs logBuf
			e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 0, 150))
			e.srv.SetFaults([]sim.Fault{{Kind: sim.FaultDuplicateID, Item: "MC000005"}})
			c := e.client(t, func(c *graph.Config) { c.PageSize = size; c.Logger = logs.logger() })
			ctx := ctxFor(t, 20*time.Second)
			for poll := range 3 {
				var info graph.ListInfo
				ms, err := c.Messages(graph.WithListInfo(ctx, &info), time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				seen := map[string]model.Message{}
				for _, m := range ms {
					if _, dup := seen[m.ID]; dup {
						t.Fatalf("poll %d: %s listed twice", poll, m.ID)
					}
					seen[m.ID] = m
				}
				if len(ms) != 150 {
					t.Errorf("poll %d: %d messages, want 150", poll, len(ms))
				}
				if m := seen["MC000005"]; m.Title != "Generated message 5" {
					t.Errorf("poll %d: kept the stale copy: %q %s", poll, m.Title, m.LastModified)
				}
				if info.Duplicates != 1 {
					t.Errorf("poll %d: ListInfo.Duplicates = %d", poll, info.Duplicates)
				}
			}
			if got := logs.lines("duplicate"); len(got) != 3 || !strings.Contains(got[0], "MC000005") {
				t.Errorf("want one warning per listing naming MC000005, got %q", got)
			}
		})
	}
}

func TestSimMissingIDs(t *testing.T) {
	var logs logBuf
	e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 0, 150))
	e.srv.SetFaults([]sim.Fault{{Kind: sim.FaultMissingID, Item: "MC000010"}, {Kind: sim.FaultMissingID, Item: "MC000140"}})
	c := e.client(t, func(c *graph.Config) { c.PageSize = 100; c.Logger = logs.logger() })
	var info graph.ListInfo
	ms, err := c.Messages(graph.WithListInfo(ctxFor(t, 20*time.Second), &info), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// The first matching fault applies to a request: MC000010 loses its id.
	if len(ms) != 149 {
		t.Fatalf("%d messages, want 149", len(ms))
	}
	for _, m := range ms {
		if m.ID == "MC000010" || m.ID == "" {
			t.Errorf("message %q listed", m.ID)
		}
	}
	got := logs.lines("without an id")
	if len(got) != 1 || !strings.Contains(got[0], "page=") || !strings.Contains(got[0], "position=") {
		t.Errorf("want one warning with page and position, got %q", got)
	}
	if info.Skipped != 1 {
		t.Errorf("ListInfo.Skipped = %d", info.Skipped)
	}
}

func TestSimFlatPostShape(t *testing.T) {
	e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 5, 0))
	e.srv.SetFaults([]sim.Fault{{Kind: sim.FaultFlatPost, Item: "*"}})
	c := e.client(t, nil)
	is, err := c.Issues(ctxFor(t, 20*time.Second), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	checkUnique(t, is, 5)
	for _, i := range is {
		if len(i.Posts) != 1 || i.Posts[0].ContentType != "html" || !strings.HasPrefix(i.Posts[0].Content, "Title: Generated issue") {
			t.Errorf("%s posts %+v", i.ID, i.Posts)
		}
	}
}

func TestSimFutureTimestamp(t *testing.T) {
	e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 5, 0))
	e.srv.SetFaults([]sim.Fault{{Kind: sim.FaultFutureTime, Item: "GN000002"}})
	c := e.client(t, nil)
	before := time.Now()
	var info graph.ListInfo
	is, err := c.Issues(graph.WithListInfo(ctxFor(t, 20*time.Second), &info), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range is {
		if far := i.LastModified.Year() == 9999; far != (i.ID == "GN000002") {
			t.Errorf("%s modified %s", i.ID, i.LastModified)
		}
	}
	// What a poller caps its watermark with: the listing's start on the
	// client's clock, and Graph's own Date.
	if info.Start.Before(before) || info.Start.After(time.Now()) {
		t.Errorf("ListInfo.Start %s not within the call", info.Start)
	}
	if d := info.ServerDate.Sub(before); d < -2*time.Second || d > 5*time.Second {
		t.Errorf("ListInfo.ServerDate %s, want about %s", info.ServerDate, before)
	}
	if info.Pages != 1 {
		t.Errorf("ListInfo.Pages = %d", info.Pages)
	}
}

func TestSimAttachmentsForbidden(t *testing.T) {
	const sc = `
name: att
start: 2023-05-14T19:45:00Z
steps:
  - at: 0s
    messages:
      - id: MC9
        title: privacy post
        body: "<p>x</p>"
        attachments: [{name: "Users affected", contentType: application/csv, size: 300}]
      - {id: MC8, title: other, body: "<p>y</p>"}
`
	s, err := sim.ParseScenario([]byte(sc), "att.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := startSim(t, sim.Options{}, s)
	e.srv.SetFaults([]sim.Fault{{PathPrefix: "attachments", Kind: sim.FaultStatus, Status: 403}})
	c := e.client(t, nil)
	ctx := ctxFor(t, 20*time.Second)
	ms, err := c.Messages(ctx, time.Time{})
	if err != nil || len(ms) != 2 {
		t.Fatalf("messages %d, %v", len(ms), err)
	}
	_, err = c.Attachments(ctx, "MC9")
	var ae *graph.APIError
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Retryable() {
		t.Fatalf("attachments: %v, want a 403 APIError", err)
	}
	if st := c.Stats(); st.Retries != 0 {
		t.Errorf("a 403 was retried: %+v", st)
	}
}
