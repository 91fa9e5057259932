package outage

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/netsafe"
)

// Heartbeat calls the configured URL after successful cycles: a dead man's
// switch for an outside monitor (healthchecks.io and the like), which
// raises its own alarm when the calls stop.
type Heartbeat struct {
	cfg    config.Heartbeat
	client *http.Client
	log    *slog.Logger
	// every bounds how often Run pings (real time): a cycle of each
	// tenant ends at its own moment, the monitor needs far fewer calls.
	every time.Duration

	mu   sync.Mutex
	last time.Time
}

// NewHeartbeat returns nil when no heartbeat URL is configured.
func NewHeartbeat(cfg config.Heartbeat, every time.Duration, log *slog.Logger) *Heartbeat {
	if cfg.URL == "" {
		return nil
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = config.Duration(10 * time.Second)
	}
	return &Heartbeat{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout.Std()}, log: log, every: every}
}

// BeatSummary is the body of a POST heartbeat (healthchecks.io shows it).
type BeatSummary struct {
	Tenants int `json:"tenants"`
	Failing int `json:"failing"`
	Outbox  int `json:"outbox"`
}

// Ping calls the URL unless one was made less than every ago (force
// ignores that). Errors are returned for the log; they never stop shdmc.
func (h *Heartbeat) Ping(ctx context.Context, force bool, sum BeatSummary) error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	if !force && !h.last.IsZero() && time.Since(h.last) < h.every {
		h.mu.Unlock()
		return nil
	}
	h.last = time.Now()
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout.Std())
	defer cancel()
	method := strings.ToUpper(h.cfg.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if method == http.MethodPost {
		b, _ := json.Marshal(sum)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.cfg.URL.Reveal(), body)
	if err != nil {
		return fmt.Errorf("heartbeat: build request: %s", netsafe.Secrets(err.Error(), h.cfg.URL.Reveal()))
	}
	req.Header.Set("User-Agent", "shdmc")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// The URL is a secret: the error text of net/http names it.
		return fmt.Errorf("heartbeat: %s", netsafe.Secrets(err.Error(), h.cfg.URL.Reveal()))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("heartbeat: HTTP %d", resp.StatusCode)
	}
	return nil
}
