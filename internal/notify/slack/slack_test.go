package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
	"github.com/shdmc/shdmc/internal/notify/slack"
	"github.com/shdmc/shdmc/internal/store"
)

const (
	hookPath = "/services/T0001/B0002/XXXXsecretXXXXhook"
	token    = "xoxb-1111-2222-SECRETTOKENabcdef"
)

var _ slack.ThreadStore = store.Store(nil) // the store keeps Slack threads

func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func plain(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestWebhook(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		refused   bool
		permanent bool
		contains  string // "" = success
	}{
		{name: "ok", handler: plain(200, "ok")},
		{name: "invalid_payload", handler: plain(400, "invalid_payload"), permanent: true, contains: "400 Bad Request: invalid_payload"},
		{name: "no_text", handler: plain(400, "no_text"), permanent: true, contains: "no_text"},
		{name: "action_prohibited", handler: plain(403, "action_prohibited"), permanent: true, contains: "403 Forbidden: action_prohibited"},
		{name: "channel_not_found", handler: plain(404, "channel_not_found"), permanent: true, contains: "channel_not_found"},
		{name: "no_service", handler: plain(404, "no_service"), permanent: true, contains: "no_service"},
		{name: "channel_is_archived", handler: plain(410, "channel_is_archived"), permanent: true, contains: "410 Gone: channel_is_archived"},
		{name: "200 but not ok", handler: plain(200, "<html>login</html>"), permanent: true, contains: "unexpected answer"},
		{name: "429", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "2")
			plain(429, "rate_limited")(w, r)
		}, contains: "429 Too Many Requests: rate_limited"},
		{name: "rollup_error", handler: plain(500, "rollup_error at "+hookPath), contains: "500 Internal Server Error: rollup_error at <redacted>"},
		{name: "timeout", handler: slow, contains: "deadline exceeded"},
		{name: "connection refused", refused: true, contains: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			base := "http://" + channeltest.RefusedAddr(t)
			if !tt.refused {
				base = serve(t, func(w http.ResponseWriter, r *http.Request) {
					got, _ = io.ReadAll(r.Body)
					if r.URL.Path != hookPath || r.Header.Get("Authorization") != "" {
						http.Error(w, "no_service", 404)
						return
					}
					tt.handler(w, r)
				})
			}
			url := base + hookPath
			s, err := slack.New(slack.Config{WebhookURL: url, Timeout: 200 * time.Millisecond}, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			rc, err := s.Notify(context.Background(), channeltest.Notice(2))
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("notify took %s", el)
			}
			channeltest.NoLeakResult(t, rc, err, url, hookPath)
			if tt.contains == "" {
				if err != nil || rc.Status != "200 OK" || rc.Detail != "ok" {
					t.Fatalf("receipt %+v, err %v", rc, err)
				}
				var msg struct {
					Text   string            `json:"text"`
					Blocks []json.RawMessage `json:"blocks"`
				}
				if err := json.Unmarshal(got, &msg); err != nil || !strings.Contains(msg.Text, "EX559755") || len(msg.Blocks) == 0 || len(msg.Blocks) > 50 {
					t.Errorf("payload %s (%v)", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("error %v, want %q", err, tt.contains)
			}
			if !strings.Contains(err.Error(), "http://127.0.0.1:") {
				t.Errorf("error %q does not name the redacted host", err)
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v", notify.IsPermanent(err), tt.permanent)
			}
		})
	}
}

// fakeAPI is a chat.postMessage endpoint.
type fakeAPI struct {
	mu       sync.Mutex
	posts    []map[string]any
	answer   func(n int, req map[string]any) (status int, body string)
	messages map[string]bool // ts of existing top-level messages
}

func (f *fakeAPI) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat.postMessage" || r.Header.Get("Authorization") != "Bearer "+token ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		var req map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil {
			t.Errorf("request %s: %v", b, err)
		}
		f.mu.Lock()
		f.posts = append(f.posts, req)
		n := len(f.posts)
		f.mu.Unlock()
		status, body := f.answer(n, req)
		if status == 429 {
			w.Header().Set("Retry-After", "30")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestBotThreads(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &fakeAPI{answer: func(n int, req map[string]any) (int, string) {
		return 200, `{"ok":true,"channel":"C0123","ts":"1700000000.00010` + string(rune('0'+n)) + `"}`
	}}
	base := serve(t, f.handler(t)) + "/api"
	s, err := slack.New(slack.Config{BotToken: token, Channel: "C0123", BaseURL: base}, nil, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	for rev := 1; rev <= 3; rev++ {
		rc, err := s.Notify(ctx, channeltest.Notice(rev))
		channeltest.NoLeakResult(t, rc, err, token)
		if err != nil {
			t.Fatalf("revision %d: %v", rev, err)
		}
		want := "ts=1700000000.00010" + string(rune('0'+rev))
		if rev > 1 {
			want += " thread_ts=1700000000.000101"
		}
		if rc.Detail != want {
			t.Errorf("revision %d: receipt %+v, want detail %q", rev, rc, want)
		}
	}
	// Another item starts its own thread.
	other := channeltest.Notice(2)
	other.Event.ItemID = "EX000001"
	if _, err := s.Notify(ctx, other); err != nil {
		t.Fatal(err)
	}
	if len(f.posts) != 4 {
		t.Fatalf("%d posts", len(f.posts))
	}
	for i, p := range f.posts {
		if p["channel"] != "C0123" || p["text"] == "" || p["blocks"] == nil {
			t.Errorf("post %d: %v", i, p)
		}
		wantThread := i == 1 || i == 2
		if ts, ok := p["thread_ts"]; ok != wantThread || (ok && ts != "1700000000.000101") {
			t.Errorf("post %d: thread_ts %v (present %v), want present %v", i, ts, ok, wantThread)
		}
	}
	ref, err := st.ThreadRef(ctx, "slack:C0123", slack.ThreadKey(&model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX559755"}))
	if err != nil || ref != "1700000000.000101" {
		t.Errorf("stored thread %q, %v", ref, err)
	}
}

// memThreads is a ThreadStore whose ThreadRef can fail.
type memThreads struct {
	refs map[string]string
	err  error
}

func (m *memThreads) ThreadRef(_ context.Context, ch, key string) (string, error) {
	if m.err != nil {
		return "", m.err
	}
	if r, ok := m.refs[ch+"|"+key]; ok {
		return r, nil
	}
	return "", store.ErrNotFound
}

func (m *memThreads) SetThreadRef(_ context.Context, ch, key, ref string) (string, error) {
	if r, ok := m.refs[ch+"|"+key]; ok {
		return r, nil
	}
	m.refs[ch+"|"+key] = ref
	return ref, nil
}

func TestBotAnswers(t *testing.T) {
	tests := []struct {
		name      string
		answer    func(n int, req map[string]any) (int, string)
		threads   *memThreads
		refused   bool
		permanent bool
		contains  string // "" = success
		posts     int
	}{
		{name: "channel_not_found", answer: func(int, map[string]any) (int, string) {
			return 200, `{"ok":false,"error":"channel_not_found"}`
		}, permanent: true, contains: "channel_not_found", posts: 1},
		{name: "invalid_blocks", answer: func(int, map[string]any) (int, string) {
			return 200, `{"ok":false,"error":"invalid_blocks","response_metadata":{"messages":["[ERROR] must be less than 3001 characters [json-pointer:/blocks/3/text]"]}}`
		}, permanent: true, contains: "invalid_blocks ([ERROR] must be less than 3001", posts: 1},
		{name: "invalid_auth", answer: func(int, map[string]any) (int, string) {
			return 200, `{"ok":false,"error":"invalid_auth","echo":"` + token + `"}`
		}, permanent: true, contains: "invalid_auth", posts: 1},
		{name: "ratelimited 429", answer: func(int, map[string]any) (int, string) {
			return 429, `{"ok":false,"error":"ratelimited"}`
		}, contains: "429 Too Many Requests", posts: 1},
		{name: "internal_error", answer: func(int, map[string]any) (int, string) {
			return 200, `{"ok":false,"error":"internal_error"}`
		}, contains: "internal_error", posts: 1},
		{name: "503", answer: func(int, map[string]any) (int, string) { return 503, "upstream" }, contains: "503 Service Unavailable", posts: 1},
		{name: "stale thread falls back to top level", threads: &memThreads{refs: map[string]string{"slack:C0123|contoso/shd/EX559755": "1600000000.000001"}},
			answer: func(n int, req map[string]any) (int, string) {
				if req["thread_ts"] != nil {
					return 200, `{"ok":false,"error":"thread_not_found"}`
				}
				return 200, `{"ok":true,"ts":"1700000000.000200"}`
			}, posts: 2},
		{name: "thread lookup fails", threads: &memThreads{err: errors.New("database is locked")},
			answer: func(int, map[string]any) (int, string) { return 200, `{"ok":true,"ts":"1"}` }, contains: "database is locked", posts: 0},
		{name: "connection refused", refused: true, contains: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeAPI{answer: tt.answer}
			base := "http://" + channeltest.RefusedAddr(t) + "/api"
			if !tt.refused {
				base = serve(t, f.handler(t)) + "/api"
			}
			threads := tt.threads
			if threads == nil {
				threads = &memThreads{refs: map[string]string{}}
			}
			s, err := slack.New(slack.Config{BotToken: token, Channel: "C0123", BaseURL: base, Timeout: time.Second}, nil, threads, nil)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := s.Notify(context.Background(), channeltest.Notice(2))
			channeltest.NoLeakResult(t, rc, err, token)
			if len(f.posts) != tt.posts {
				t.Errorf("%d posts, want %d", len(f.posts), tt.posts)
			}
			if tt.contains == "" {
				if err != nil || rc.Status != "200 OK" {
					t.Fatalf("receipt %+v, err %v", rc, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("error %v, want %q", err, tt.contains)
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", notify.IsPermanent(err), tt.permanent, err)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  slack.Config
		want string
	}{
		{"nothing", slack.Config{}, "a webhook url or a bot token with a channel is required"},
		{"both", slack.Config{WebhookURL: "https://hooks.slack.com" + hookPath, BotToken: token, Channel: "C1"}, "not both"},
		{"token without channel", slack.Config{BotToken: token}, "needs a channel"},
		{"webhook with channel", slack.Config{WebhookURL: "https://hooks.slack.com" + hookPath, Channel: "C1"}, "channel cannot be set"},
		{"http webhook", slack.Config{WebhookURL: "http://hooks.slack.com" + hookPath}, "must use https"},
		{"bad base", slack.Config{BotToken: token, Channel: "C1", BaseURL: "http://slack.example.com/api"}, "must use https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := slack.New(tt.cfg, nil, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			channeltest.NoLeak(t, "error", err.Error(), token, hookPath)
		})
	}
}
