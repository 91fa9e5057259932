package teams_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
	"github.com/shdmc/shdmc/internal/notify/teams"
)

const (
	flowPath  = "/powerautomate/automations/direct/workflows/0123456789abcdef/triggers/manual/paths/invoke"
	flowQuery = "api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIGabcdefSECRET0123456789"
)

type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
	times  []time.Time
	url    string
}

func newReceiver(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.times = append(rc.times, time.Now())
		rc.mu.Unlock()
		if r.URL.Path != flowPath || r.URL.RawQuery != flowQuery || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "wrong request", http.StatusNotFound)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + flowPath + "?" + flowQuery
	return rc
}

func secrets(url string) []string {
	return []string{url, flowPath, flowQuery, "SIGabcdefSECRET0123456789"}
}

func accepted(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }

func TestEnvelope(t *testing.T) {
	rc := newReceiver(t, accepted)
	tm, err := teams.New(teams.Config{URL: rc.url}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	receipt, err := tm.Notify(context.Background(), channeltest.Notice(2))
	if err != nil || receipt.Status != "202 Accepted" {
		t.Fatalf("receipt %+v, err %v", receipt, err)
	}
	channeltest.NoLeakResult(t, receipt, err, secrets(rc.url)...)
	if len(rc.bodies) != 1 {
		t.Fatalf("%d requests", len(rc.bodies))
	}
	var env struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string            `json:"type"`
				Version string            `json:"version"`
				Body    []json.RawMessage `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(rc.bodies[0], &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "message" || len(env.Attachments) != 1 || env.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("envelope %s", rc.bodies[0])
	}
	c := env.Attachments[0].Content
	if v, err := strconv.ParseFloat(c.Version, 64); c.Type != "AdaptiveCard" || err != nil || v > 1.5 || len(c.Body) == 0 {
		t.Errorf("card type %q version %q, %d body elements", c.Type, c.Version, len(c.Body))
	}
	if !strings.Contains(string(rc.bodies[0]), "EX559755") || len(rc.bodies[0]) > teams.MaxMessageBytes {
		t.Errorf("card lacks the item id or is %d bytes", len(rc.bodies[0]))
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(w http.ResponseWriter, r *http.Request)
		timeout   time.Duration
		refused   bool
		permanent bool
		status    string // success
		contains  string // failure
	}{
		{name: "202", handler: accepted, status: "202 Accepted"},
		{name: "200", handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "1") }, status: "200 OK"},
		{name: "200 with a connector failure text", handler: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413")
		}, permanent: true, contains: "HTTP error 413"},
		{name: "429", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		}, contains: "429 Too Many Requests"},
		{name: "502", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway for "+flowPath+"?"+flowQuery, http.StatusBadGateway)
		}, contains: "502 Bad Gateway: bad gateway for <redacted>"},
		{name: "400 with excerpt", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"code":"TriggerInputSchemaMismatch","message":"The input body for trigger 'manual' of type 'Request' did not match its schema"}}`, http.StatusBadRequest)
		}, permanent: true, contains: "TriggerInputSchemaMismatch"},
		{name: "401", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"code":"DirectApiAuthorizationRequired"}}`, http.StatusUnauthorized)
		}, permanent: true, contains: "401 Unauthorized"},
		{name: "403", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }, permanent: true, contains: "403 Forbidden"},
		{name: "404 flow deleted", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{"code":"WorkflowNotFound"}}`, http.StatusNotFound)
		}, permanent: true, contains: "WorkflowNotFound"},
		{name: "timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, timeout: 150 * time.Millisecond, contains: "deadline exceeded"},
		{name: "connection refused", refused: true, contains: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := "http://" + channeltest.RefusedAddr(t) + flowPath + "?" + flowQuery
			if !tt.refused {
				url = newReceiver(t, tt.handler).url
			}
			tm, err := teams.New(teams.Config{URL: url, Timeout: tt.timeout}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			receipt, err := tm.Notify(context.Background(), channeltest.Notice(2))
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("notify took %s", el)
			}
			channeltest.NoLeakResult(t, receipt, err, secrets(url)...)
			if tt.status != "" {
				if err != nil || receipt.Status != tt.status {
					t.Fatalf("receipt %+v, err %v", receipt, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; receipt %+v", receipt)
			}
			if !strings.Contains(err.Error(), tt.contains) || !strings.Contains(err.Error(), "http://127.0.0.1:") {
				t.Errorf("error %q lacks %q or the redacted host", err, tt.contains)
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	rc := newReceiver(t, accepted)
	tm, err := teams.New(teams.Config{URL: rc.url, RatePerSecond: 10}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 7
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tm.Notify(context.Background(), channeltest.Notice(2)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// One token at once, then one every 100 ms: 7 requests need >= 600 ms.
	if el := time.Since(start); el < 550*time.Millisecond {
		t.Errorf("%d requests in %s: not paced to 10/s", n, el)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.times) != n {
		t.Fatalf("%d requests arrived", len(rc.times))
	}
	// Sorted arrival times: any two requests k apart are >= k*100ms apart (minus slack).
	first, last := rc.times[0], rc.times[0]
	for _, at := range rc.times {
		if at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	if last.Sub(first) < 550*time.Millisecond {
		t.Errorf("arrivals spread over %s, want >= 600ms", last.Sub(first))
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"empty", "", "url is required"},
		{"connector", "https://contoso.webhook.office.com/webhookb2/aaa@bbb/IncomingWebhook/ccc/ddd", "Office 365 connectors were retired; create a Workflows webhook"},
		{"old connector", "https://outlook.office.com/webhook/aaa@bbb/IncomingWebhook/ccc/ddd", "Office 365 connectors were retired"},
		{"plain http", "http://prod-12.westeurope.logic.azure.com/workflows/x?sig=SECRETSIG123", "must use https"},
		{"not a url", "prod-12.westeurope.logic.azure.com", "scheme must be https or http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := teams.New(teams.Config{URL: tt.url}, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			channeltest.NoLeak(t, "error", err.Error(), tt.url, "aaa@bbb", "SECRETSIG123")
		})
	}
	for _, ok := range []string{
		"https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x",
		"https://default5c07aaaa6d62.61.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=x",
	} {
		if _, err := teams.New(teams.Config{URL: ok}, nil, nil); err != nil {
			t.Errorf("New(%s): %v", ok, err)
		}
	}
}
