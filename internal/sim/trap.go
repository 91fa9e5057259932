package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Trap is a plain-HTTP listener on loopback for FaultRedirect to point at:
// it records every request that reaches it and which credentials the
// request carried (never their values), and answers 404. A client that
// follows a redirect from Graph or the token endpoint to it would send its
// bearer token or client secret to another port over plain HTTP.
type Trap struct {
	ln  net.Listener
	srv *http.Server
	url string

	mu   sync.Mutex
	reqs []TrapRequest
}

// TrapRequest is one request a Trap received.
type TrapRequest struct {
	Method, Path string
	// Authorization is true when the request had an Authorization header.
	Authorization bool
	// ClientSecret and ClientAssertion are true when the form body held a
	// client_secret or a client_assertion.
	ClientSecret, ClientAssertion bool
}

// Credential reports whether the request carried any credential.
func (r TrapRequest) Credential() bool {
	return r.Authorization || r.ClientSecret || r.ClientAssertion
}

// StartTrap listens on 127.0.0.1 at a free port.
func StartTrap() (*Trap, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start trap: %w", err)
	}
	t := &Trap{ln: ln, url: "http://" + ln.Addr().String()}
	t.srv = &http.Server{Handler: t, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

// URL returns the trap's root, http://127.0.0.1:PORT.
func (t *Trap) URL() string { return t.url }

// Requests returns the requests received so far, oldest first.
func (t *Trap) Requests() []TrapRequest {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TrapRequest(nil), t.reqs...)
}

// Close stops the listener.
func (t *Trap) Close() error {
	if err := t.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("close trap: %w", err)
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (t *Trap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := TrapRequest{Method: r.Method, Path: r.URL.RequestURI(), Authorization: r.Header.Get("Authorization") != ""}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if form, err := url.ParseQuery(string(body)); err == nil {
		rec.ClientSecret = form.Get("client_secret") != ""
		rec.ClientAssertion = form.Get("client_assertion") != ""
	} else {
		rec.ClientSecret = strings.Contains(string(body), "client_secret=")
		rec.ClientAssertion = strings.Contains(string(body), "client_assertion=")
	}
	t.mu.Lock()
	t.reqs = append(t.reqs, rec)
	t.mu.Unlock()
	http.NotFound(w, r)
}
