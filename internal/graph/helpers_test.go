package graph

import (
	"context"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fakeCred hands out "tok-1", "tok-2", … one per GetToken call, or err.
type fakeCred struct {
	calls atomic.Int64
	err   error
	block bool // wait for ctx to end, then fail like azidentity does
}

func (f *fakeCred) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	n := f.calls.Add(1)
	if f.block {
		<-ctx.Done()
		return azcore.AccessToken{}, errString("server response error: context deadline exceeded")
	}
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	return azcore.AccessToken{Token: "tok-" + strconv.FormatInt(n, 10), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// tlsServer starts an httptest TLS server on 127.0.0.1 and writes its
// certificate as PEM to a file for Config.CAFile.
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

// recorder keeps what the server saw.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	at   []time.Time
}

func (r *recorder) add(req *http.Request) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
	r.at = append(r.at, time.Now())
	return len(r.reqs)
}

func (r *recorder) n() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func (r *recorder) get(i int) *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[i]
}

// testClient builds a client for srv with a fake credential and fast backoff.
func testClient(t *testing.T, srv *httptest.Server, caFile string, mod func(*Config)) (*Client, *fakeCred) {
	t.Helper()
	cred := &fakeCred{}
	cfg := Config{
		GraphRoot:   srv.URL,
		CAFile:      caFile,
		Credential:  cred,
		BackoffBase: time.Millisecond,
		BackoffCap:  5 * time.Millisecond,
		Timeout:     5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, cred
}

func page(next string, ids ...string) string {
	s := `{"@odata.context":"x","value":[`
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += `{"id":"` + id + `","title":"t ` + id + `","status":"investigating","lastModifiedDateTime":"2024-01-01T00:00:00.1234567Z"}`
	}
	s += `]`
	if next != "" {
		s += `,"@odata.nextLink":"` + next + `"`
	}
	return s + "}"
}

// newTestLogger logs warnings and above as text to w.
func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
