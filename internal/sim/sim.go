// Package sim is a local Microsoft Graph (service communications API) and
// Microsoft Entra token authority for demos, tests and benchmarks.
//
// One HTTPS server serves both, from the same root: Graph under
// /v1.0/admin/serviceAnnouncement/… (also /beta/…) and the authority under
// /{tenant}/v2.0/.well-known/openid-configuration and
// /{tenant}/oauth2/v2.0/token. The certificate is issued by a CA generated at
// start; clients trust it through CACertPEM or WriteCAFile.
//
// Content comes from a Scenario (a timeline of upserts applied as the
// scenario Clock passes each step) or from a Replay directory of recorded
// Graph responses. Faults (status codes, timeouts, slow or malformed bodies,
// HTML error pages, connection resets, redirects to a Trap that records
// whether credentials reach it) and Graph's per-app-per-tenant throttling
// can be injected, as well as content faults on the lists of a scenario,
// which Graph does not document but clients must survive: a far-future
// lastModifiedDateTime, an id listed twice, an entry without an id, the
// older flat post shape and an oversized body (see FaultKind). In scenario
// files faults are a step's "faults" list, with the Fault fields in
// snake_case (kind, path_prefix, status, retry_after, count, after, delay,
// location, item, size).
//
// Accepted token scopes: the client-credentials scope must be
// "{resource}/.default" where resource is this server's root (as the client
// addressed it, or https://127.0.0.1:PORT / https://localhost:PORT), or
// https://graph.microsoft.com, or the Graph application id
// 00000003-0000-0000-c000-000000000000. The order of issues and messages in a
// list is lastModifiedDateTime descending, but like Graph the simulator does
// not promise any order.
package sim

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Options configures a Server.
type Options struct {
	// Clock is the scenario clock; nil means the wall clock.
	Clock Clock
	// TokenLifetime is the lifetime of issued access tokens (default 1h).
	TokenLifetime time.Duration
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// Addr is the listen address (default "127.0.0.1:0").
	Addr string
	// Throttle sets Graph's per-app-per-tenant limits; zero fields take
	// Graph's documented values (240 per 60 s, 800 per hour).
	Throttle ThrottleLimits
	// WallClock is the real clock used for token expiry, throttling and
	// fault windows; nil means time.Now. Tests may inject one.
	WallClock func() time.Time
	// MaxRecords bounds Requests(); the oldest records are dropped
	// (default 100000; negative keeps none).
	MaxRecords int
}

// ThrottleLimits are sliding-window request limits per client id per tenant.
// A negative limit disables that window.
type ThrottleLimits struct {
	Short       int           // requests per ShortWindow (default 240)
	ShortWindow time.Duration // default 60 s
	Long        int           // requests per LongWindow (default 800)
	LongWindow  time.Duration // default 1 h
}

// Tenant is a tenant the token authority knows, with one application.
type Tenant struct {
	// ID is the tenant id as clients put it in the authority path (a GUID
	// or a domain name).
	ID string
	// ClientID is the application (client) id.
	ClientID string
	// ClientSecret is accepted with client_secret; empty refuses secrets.
	ClientSecret string
	// CertificatePEM holds the application's certificate(s); client
	// assertions signed by a matching RSA key are accepted.
	CertificatePEM []byte
	// SubscribedSkus is what GET /subscribedSkus lists. nil stands for an
	// app without LicenseAssignment.Read.All or Organization.Read.All: the
	// request is refused with 403 Authorization_RequestDenied, as Graph does.
	SubscribedSkus []model.SubscribedSku
}

// RequestRecord is one request the server saw.
type RequestRecord struct {
	Time     time.Time     // wall time the request arrived
	Duration time.Duration // until the handler returned
	Tenant   string        // from the path (authority) or the bearer token (Graph); "" if unknown
	Client   string        // client id, "" if unknown
	Method   string
	Path     string // path and query, as sent
	Status   int    // 0 when the connection was reset
	Bytes    int64  // response body bytes written
	InFlight int    // requests of the same tenant in flight when this one started, itself included
	Fault    string // kind of the fault applied, if any
}

// TenantCounters counts the requests of one tenant.
type TenantCounters struct {
	Requests  int64 // all requests, throttled ones included
	Throttled int64 // answered 429 by the throttle (not by an injected fault)
	Faults    int64 // hit by an injected fault
	Tokens    int64 // access tokens issued
	Bytes     int64 // response body bytes
}

// Counters holds per-tenant counters and their total.
type Counters struct {
	Tenants map[string]TenantCounters
	Total   TenantCounters
}

type tenantReg struct {
	t    Tenant
	keys []any // public keys of CertificatePEM
	x5t  map[string]bool
}

type tokenInfo struct {
	tenant, client string
	expires        time.Time
}

// Server is the simulator. Create it with New, then Start it.
type Server struct {
	opts   Options
	clock  Clock
	wall   func() time.Time
	logger *slog.Logger

	caPEM   []byte
	tlsCert tls.Certificate
	ln      net.Listener
	srv     *http.Server
	url     string
	done    chan struct{}
	closed  atomic.Bool

	mu         sync.Mutex
	tenants    map[string]*tenantReg
	tokens     map[string]tokenInfo
	faults     []*faultState
	stepFaults map[[2]int]*faultState
	records    []RequestRecord
	counters   map[string]*TenantCounters
	inflight   map[string]int
	throttle   map[string]*window2
	tokenSweep time.Time

	content atomic.Pointer[contentSource]
}

// New creates a server with a fresh CA; it does not listen yet.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	if opts.MaxRecords == 0 {
		opts.MaxRecords = 100000
	}
	tl := &opts.Throttle
	if tl.Short == 0 {
		tl.Short = 240
	}
	if tl.ShortWindow <= 0 {
		tl.ShortWindow = time.Minute
	}
	if tl.Long == 0 {
		tl.Long = 800
	}
	if tl.LongWindow <= 0 {
		tl.LongWindow = time.Hour
	}
	s := &Server{
		opts:       opts,
		clock:      opts.Clock,
		wall:       opts.WallClock,
		logger:     opts.Logger,
		done:       make(chan struct{}),
		tenants:    map[string]*tenantReg{},
		tokens:     map[string]tokenInfo{},
		stepFaults: map[[2]int]*faultState{},
		counters:   map[string]*TenantCounters{},
		inflight:   map[string]int{},
		throttle:   map[string]*window2{},
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.wall == nil {
		s.wall = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if err := s.makeCerts(); err != nil {
		return nil, fmt.Errorf("create simulator certificates: %w", err)
	}
	s.content.Store(&contentSource{})
	return s, nil
}

func (s *Server) makeCerts() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate ca key: %w", err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          randSerial(),
		Subject:               pkix.Name{CommonName: "shdmc simulator CA", Organization: []string{"shdmc"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("sign ca certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("parse ca certificate: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate leaf key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: randSerial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
	}
	if h, _, err := net.SplitHostPort(s.opts.Addr); err == nil && h != "" {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() && !ip.IsLoopback() {
				leaf.IPAddresses = append(leaf.IPAddresses, ip)
			}
		} else if h != "localhost" {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("sign leaf certificate: %w", err)
	}
	s.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	s.tlsCert = tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}
	return nil
}

func randSerial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// Start listens on Options.Addr and serves HTTPS in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	port := ln.Addr().(*net.TCPAddr).Port
	host := "127.0.0.1"
	if h, _, err := net.SplitHostPort(s.opts.Addr); err == nil {
		if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
			host = h
		} else if ip == nil && h != "" && h != "localhost" {
			host = h
		}
	}
	s.url = "https://" + net.JoinHostPort(host, strconv.Itoa(port))
	s.srv = &http.Server{
		Handler:           s,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.tlsCert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := s.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("simulator_serve_failed", "err", err)
		}
	}()
	return nil
}

// URL returns the server's root, e.g. https://127.0.0.1:PORT; empty before Start.
func (s *Server) URL() string { return s.url }

// CACertPEM returns the PEM of the CA that issued the server certificate.
func (s *Server) CACertPEM() []byte { return bytes.Clone(s.caPEM) }

// WriteCAFile writes CACertPEM to path.
func (s *Server) WriteCAFile(path string) error {
	if err := os.WriteFile(path, s.caPEM, 0o644); err != nil {
		return fmt.Errorf("write ca file: %w", err)
	}
	return nil
}

// Close stops the server, dropping open connections and releasing hanging
// fault handlers.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	if s.srv == nil {
		return nil
	}
	if err := s.srv.Close(); err != nil {
		return fmt.Errorf("close simulator: %w", err)
	}
	return nil
}

// AddTenant registers (or replaces) a tenant and its application.
func (s *Server) AddTenant(t Tenant) {
	reg := &tenantReg{t: t, x5t: map[string]bool{}}
	rest := t.CertificatePEM
	for len(rest) > 0 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			s.logger.Warn("tenant_certificate_unparsable", "tenant", t.ID, "err", err)
			continue
		}
		reg.keys = append(reg.keys, c.PublicKey)
	}
	s.mu.Lock()
	s.tenants[strings.ToLower(t.ID)] = reg
	s.mu.Unlock()
}

// AddTenants registers n generated tenants that share template's client id,
// secret and certificate, and returns their ids. The ids are deterministic
// GUIDs (00000000-0000-4000-8000-000000000001, …), offset by those already
// generated. Per-tenant memory is one small map entry; content is shared.
func (s *Server) AddTenants(n int, template Tenant) []string {
	ids := make([]string, 0, n)
	s.mu.Lock()
	base := len(s.tenants)
	s.mu.Unlock()
	for i := 1; i <= n; i++ {
		t := template
		t.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", base+i)
		s.AddTenant(t)
		ids = append(ids, t.ID)
	}
	return ids
}

func (s *Server) tenant(id string) *tenantReg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenants[strings.ToLower(id)]
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RequestRecord(nil), s.records...)
}

// Counters returns a snapshot of the per-tenant counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counters{Tenants: make(map[string]TenantCounters, len(s.counters))}
	for k, v := range s.counters {
		c.Tenants[k] = *v
		c.Total.Requests += v.Requests
		c.Total.Throttled += v.Throttled
		c.Total.Faults += v.Faults
		c.Total.Tokens += v.Tokens
		c.Total.Bytes += v.Bytes
	}
	return c
}

func (s *Server) counter(tenant string) *TenantCounters {
	c := s.counters[tenant]
	if c == nil {
		c = &TenantCounters{}
		s.counters[tenant] = c
	}
	return c
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// recWriter records status and bytes of a response.
type recWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *recWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufWriter captures a response to replay it slowly or truncated.
type bufWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (b *bufWriter) Header() http.Header { return b.h }
func (b *bufWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

type reqKind int

const (
	kindOther reqKind = iota
	kindToken
	kindMeta
	kindGraph
)

// classify names what a request is for and which tenant the path names.
func classify(r *http.Request) (reqKind, string) {
	p := r.URL.Path
	if strings.HasPrefix(p, "/v1.0/") || strings.HasPrefix(p, "/beta/") {
		return kindGraph, ""
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(parts) >= 2 {
		rest := strings.Join(parts[1:], "/")
		switch rest {
		case "oauth2/v2.0/token", "oauth2/token":
			return kindToken, parts[0]
		case "v2.0/.well-known/openid-configuration", ".well-known/openid-configuration",
			"discovery/v2.0/keys", "oauth2/v2.0/authorize":
			return kindMeta, parts[0]
		}
	}
	return kindOther, ""
}

// ServeHTTP implements http.Handler: record, faults, auth, throttle, route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.wall()
	reqID := newID()
	crid := r.Header.Get("client-request-id")
	if crid == "" {
		crid = newID()
	}
	w.Header().Set("request-id", reqID)
	w.Header().Set("client-request-id", crid)
	rc := &reqCtx{reqID: reqID, clientReqID: crid}
	kind, tenant := classify(r)
	client := ""
	switch kind {
	case kindToken:
		_ = r.ParseForm()
		client = r.PostForm.Get("client_id")
	case kindGraph:
		if tok, ok := bearer(r); ok {
			s.mu.Lock()
			if ti, ok := s.tokens[tok]; ok {
				tenant, client = ti.tenant, ti.client
				rc.token = &ti
			}
			s.mu.Unlock()
		}
	}
	rc.tenant, rc.client = tenant, client

	s.mu.Lock()
	s.inflight[tenant]++
	inflight := s.inflight[tenant]
	s.mu.Unlock()

	rw := &recWriter{ResponseWriter: w}
	var faultKind string
	defer func() {
		s.mu.Lock()
		s.inflight[tenant]--
		if s.inflight[tenant] <= 0 {
			delete(s.inflight, tenant)
		}
		c := s.counter(tenant)
		c.Requests++
		c.Bytes += rw.bytes
		if faultKind != "" {
			c.Faults++
		}
		if rc.throttled {
			c.Throttled++
		}
		if rc.issuedToken {
			c.Tokens++
		}
		if s.opts.MaxRecords > 0 {
			if len(s.records) >= s.opts.MaxRecords {
				n := copy(s.records, s.records[len(s.records)/10+1:])
				s.records = s.records[:n]
			}
			s.records = append(s.records, RequestRecord{
				Time: start, Duration: s.wall().Sub(start), Tenant: tenant, Client: client,
				Method: r.Method, Path: r.URL.RequestURI(), Status: rw.status, Bytes: rw.bytes,
				InFlight: inflight, Fault: faultKind,
			})
		}
		s.mu.Unlock()
		s.logger.Debug("sim_request", "method", r.Method, "path", r.URL.Path, "tenant", tenant,
			"status", rw.status, "fault", faultKind)
	}()

	handler := func(w http.ResponseWriter) { s.route(w, r, kind, rc) }
	if f := s.matchFault(r, kind, tenant, start); f != nil {
		faultKind = string(f.Kind)
		if f.Kind.content() {
			rc.alter = f
			handler(rw)
			return
		}
		s.applyFault(rw, r, kind, rc, f, handler)
		return
	}
	handler(rw)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, kind reqKind, rc *reqCtx) {
	switch kind {
	case kindToken:
		s.handleToken(w, r, rc)
	case kindMeta:
		s.handleMeta(w, r, rc)
	case kindGraph:
		s.handleGraph(w, r, rc)
	default:
		if r.URL.Path == "/" || r.URL.Path == "/healthz" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "shdmc simulator\n")
			return
		}
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("Invalid version: %s", strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]))
	}
}

// reqCtx carries per-request facts between the middleware and handlers.
type reqCtx struct {
	reqID, clientReqID string
	tenant, client     string
	token              *tokenInfo
	throttled          bool
	issuedToken        bool
	alter              *Fault // a content fault for the list this request reads
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// sleepCtx waits d, or until ctx is done or the server closes; it reports
// whether the full duration passed.
func (s *Server) sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}
