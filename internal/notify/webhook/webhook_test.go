package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/shdmc/shdmc/internal/notify/webhook"
)

const (
	hookPath  = "/hooks/s3cr3t-path-9f8e7d"
	hookQuery = "sig=SIGSECRET1234567890"
	hmacKey   = "hmac-key-QWERTY-123"
	authValue = "Bearer tok-abcdef-987654"
)

// received is one request as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an httptest server answering with handler and recording
// every request.
type receiver struct {
	mu   sync.Mutex
	reqs []received
	srv  *httptest.Server
	url  string
}

func newReceiver(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{r.Header.Clone(), b})
		rc.mu.Unlock()
		if r.URL.Path != hookPath || r.URL.RawQuery != hookQuery {
			http.Error(w, "wrong path", http.StatusNotFound)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(rc.srv.Close)
	rc.url = rc.srv.URL + hookPath + "?" + hookQuery
	return rc
}

func secrets(url string) []string { return []string{url, hmacKey, authValue, hookPath, hookQuery} }

// verify is an independent check of the documented signature scheme.
func verify(t *testing.T, h http.Header, body []byte, now time.Time) {
	t.Helper()
	sig := h.Get("X-Shdmc-Signature")
	ts, v1, ok := strings.Cut(sig, ",")
	if !ok || !strings.HasPrefix(ts, "t=") || !strings.HasPrefix(v1, "v1=") {
		t.Fatalf("signature header %q", sig)
	}
	sec, err := strconv.ParseInt(strings.TrimPrefix(ts, "t="), 10, 64)
	if err != nil || sec != now.Unix() {
		t.Errorf("signature time %q, want %d", ts, now.Unix())
	}
	mac := hmac.New(sha256.New, []byte(hmacKey))
	mac.Write([]byte(strings.TrimPrefix(ts, "t=") + "." + string(body)))
	want := mac.Sum(nil)
	got, err := hex.DecodeString(strings.TrimPrefix(v1, "v1="))
	if err != nil || !hmac.Equal(got, want) {
		t.Errorf("signature %q does not verify (want v1=%x)", sig, want)
	}
	// A tampered body must not verify.
	mac2 := hmac.New(sha256.New, []byte(hmacKey))
	mac2.Write([]byte(strings.TrimPrefix(ts, "t=") + "." + string(body) + " "))
	if hmac.Equal(got, mac2.Sum(nil)) {
		t.Error("signature verifies a tampered body")
	}
}

func fixedNow() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func TestFormats(t *testing.T) {
	tests := []struct {
		format string
		ctype  string
		check  func(t *testing.T, body []byte)
	}{
		{"json", "application/json", func(t *testing.T, body []byte) {
			var p webhook.Payload
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if p.ID != "contoso/shd/EX559755/2/default/ch" || p.Event == nil || p.Event.ItemID != "EX559755" ||
				!strings.Contains(p.Subject, "EX559755") || p.Text == "" {
				t.Errorf("payload %+v", p)
			}
		}},
		{"cloudevents", "application/cloudevents+json", func(t *testing.T, body []byte) {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"specversion": "1.0", "id": "contoso/shd/EX559755/2/default/ch", "source": "shdmc/contoso",
				"type": "com.shdmc.issue.post", "subject": "EX559755", "datacontenttype": "application/json",
				"time": "2023-05-25T22:00:00Z"}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %v, want %q", k, m[k], v)
				}
			}
			data, _ := m["data"].(map[string]any)
			if data["id"] != want["id"] || data["event"] == nil || data["subject"] == "" {
				t.Errorf("data %v", data)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
			w, err := webhook.New(webhook.Config{URL: rc.url, Secret: hmacKey, Format: tt.format,
				Headers: map[string]string{"authorization": authValue}}, nil, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			receipt, err := w.Notify(context.Background(), channeltest.Notice(2))
			if err != nil {
				t.Fatal(err)
			}
			if receipt.Status != "202 Accepted" {
				t.Errorf("receipt %+v", receipt)
			}
			channeltest.NoLeakResult(t, receipt, err, secrets(rc.url)...)
			if len(rc.reqs) != 1 {
				t.Fatalf("%d requests", len(rc.reqs))
			}
			got := rc.reqs[0]
			if ct := got.header.Get("Content-Type"); ct != tt.ctype {
				t.Errorf("content type %q, want %q", ct, tt.ctype)
			}
			if k := got.header.Get("X-Shdmc-Delivery"); k != "contoso/shd/EX559755/2/default/ch" {
				t.Errorf("delivery header %q", k)
			}
			if a := got.header.Get("Authorization"); a != authValue {
				t.Errorf("configured header %q", a)
			}
			verify(t, got.header, got.body, fixedNow())
			tt.check(t, got.body)
		})
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name      string
		handler   func(w http.ResponseWriter, r *http.Request)
		timeout   time.Duration
		refused   bool
		permanent bool
		retryIn   time.Duration // > 0: the dispatcher must wait at least this
		contains  string
	}{
		{name: "200 ok", handler: func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "thanks") }},
		{name: "429 retry after", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, retryIn: 7 * time.Second, contains: "429 Too Many Requests: slow down"},
		{name: "503", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream failed at "+hookPath+"?"+hookQuery, http.StatusServiceUnavailable)
		}, contains: "503 Service Unavailable: upstream failed at <redacted>"},
		{name: "400 permanent with excerpt", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "schema error: field event missing; auth "+authValue, http.StatusBadRequest)
		}, permanent: true, contains: "400 Bad Request: schema error: field event missing; auth <redacted>"},
		{name: "404 permanent", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no such hook", http.StatusNotFound)
		}, permanent: true, contains: "404 Not Found"},
		{name: "redirect is not followed", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere"+hookPath, http.StatusFound)
		}, permanent: true, contains: "302 Found"},
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
			url := "http://" + channeltest.RefusedAddr(t) + hookPath + "?" + hookQuery
			if !tt.refused {
				url = newReceiver(t, tt.handler).url
			}
			w, err := webhook.New(webhook.Config{URL: url, Secret: hmacKey, Timeout: tt.timeout,
				Headers: map[string]string{"Authorization": authValue}}, nil, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			receipt, err := w.Notify(context.Background(), channeltest.Notice(3))
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("notify took %s", el)
			}
			channeltest.NoLeakResult(t, receipt, err, secrets(url)...)
			if tt.contains == "" {
				if err != nil || receipt.Status != "200 OK" || receipt.Detail != "thanks" {
					t.Fatalf("receipt %+v, err %v", receipt, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; receipt %+v", receipt)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q lacks %q", err, tt.contains)
			}
			if !strings.Contains(err.Error(), "http://127.0.0.1:") {
				t.Errorf("error %q does not name the redacted host", err)
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			if tt.retryIn > 0 {
				if got := retryDelay(t, err); got < tt.retryIn {
					t.Errorf("dispatcher retries after %s, want >= %s", got, tt.retryIn)
				}
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	secretURL := "https://hooks.example.com/x/" + hookPath + "?" + hookQuery
	tests := []struct {
		name string
		cfg  webhook.Config
		want string
	}{
		{"no url", webhook.Config{}, "url is required"},
		{"ftp", webhook.Config{URL: "ftp://example.com/" + hookPath}, "scheme must be https or http"},
		{"format", webhook.Config{URL: secretURL, Format: "xml"}, `format "xml"`},
		{"reserved header", webhook.Config{URL: secretURL, Headers: map[string]string{"x-shdmc-delivery": "x"}}, "X-Shdmc-Delivery is set by shdmc"},
		{"bad header", webhook.Config{URL: secretURL, Headers: map[string]string{"a b": "x"}}, "invalid header"},
		{"negative timeout", webhook.Config{URL: secretURL, Timeout: -time.Second}, "negative timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.New(tt.cfg, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			channeltest.NoLeak(t, "error", err.Error(), secretURL, hookPath, hookQuery)
		})
	}
}

func TestSign(t *testing.T) {
	// A fixed vector, so that the documented scheme cannot drift silently.
	got := webhook.Sign("key", time.Unix(1700000000, 0), []byte(`{"a":1}`))
	mac := hmac.New(sha256.New, []byte("key"))
	mac.Write([]byte(`1700000000.{"a":1}`))
	if want := "t=1700000000,v1=" + hex.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}
