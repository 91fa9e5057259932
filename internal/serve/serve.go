// Package serve is shdmc's read-only web face: a server-rendered dashboard
// (a status line, every service's level from its health overview and its
// active issues, one card per active incident across tenants with its key
// facts and post timeline and translations, the Message Center and the
// issues with tabs, filters, sorting and search by words, IDs or Japanese,
// item pages with revision diffs, delivery status), a JSON API under /api/v1
// (docs/openapi.yaml), RSS 2.0, Atom and iCalendar feeds, Prometheus
// /metrics, and /healthz and /readyz. It never writes items; the one
// thing it writes is the ownership of an item (owner, acknowledged, done,
// not applicable, with a note: store.HandlingStore), through POST forms on
// the item pages and incident cards (handling.go) and the API.
//
// It listens on loopback by default and refuses any other address unless
// a bearer token or basic auth is configured. Without authentication it
// also answers only requests addressed to a loopback name (localhost,
// 127.0.0.1, [::1]) on its own port, so that a web page cannot reach it
// through DNS rebinding; /readyz names tenants only to an authenticated
// (or, without authentication, a loopback) client. A form's change is taken
// only with the page's CSRF token and from a page of this server (csrf.go);
// who made it is the authenticated user ("local" without authentication).
// Every HTML fragment that came
// from Microsoft is sanitized (render.SanitizeHTML), every response carries
// a strict Content-Security-Policy, and no secret is ever rendered.
package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shdmc/shdmc/internal/metrics"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// DefaultAddr is where the server listens when Options.Addr is empty.
const DefaultAddr = "127.0.0.1:8080"

// Auth is the optional authentication of every page but /healthz and
// /readyz (which answer without it, /readyz with counts only): a bearer
// token, basic auth, or both (either is accepted).
type Auth struct {
	Token    string // "Authorization: Bearer <Token>"
	Username string // basic auth user; needs Password
	Password string
}

// enabled reports whether any authentication is configured.
func (a Auth) enabled() bool { return a.Token != "" || (a.Username != "" && a.Password != "") }

// Options configure New.
type Options struct {
	// Store is the store to read; its engine must implement store.Reader
	// (every engine of store.Open does).
	Store store.Store
	// Addr is the listen address; "" means DefaultAddr.
	Addr string
	// Auth protects the server; required when Addr is not loopback.
	Auth Auth
	// Location is the default time zone of pages and feeds (?tz= overrides
	// it); nil means UTC.
	Location *time.Location
	// Interval is the poll interval: a source whose last successful poll is
	// older than 3 × Interval is stale (banner, /readyz 503). 0 means 1
	// minute.
	Interval time.Duration
	// Polled says whether a stored tenant and source is still polled, and
	// how often (0 means Interval). A source no longer polled — a disabled
	// or removed tenant, a source turned off — is never stale. nil counts
	// every stored source, at Interval.
	Polled func(tenant string, src model.Source) (every time.Duration, polled bool)
	// Refresh is how often an open page asks /api/v1/status whether
	// anything changed (the dashboard then reloads its content); 0 means
	// 15 seconds.
	Refresh time.Duration
	// TranslationProvider and GlossaryVersion select the translation
	// memory entries shown beside the original text ("memory" and the
	// default glossary's version when empty).
	TranslationProvider string
	GlossaryVersion     string
	// Metrics receives the poller's and dispatcher's observations; New
	// makes one when nil. Its collectors are exported on /metrics together
	// with the store's totals.
	Metrics *metrics.Metrics
	// Logger gets request errors; nil discards.
	Logger *slog.Logger
	// Now is the clock for staleness and feed stamps; nil means time.Now.
	Now func() time.Time
	// Targets returns the deliveries of an ownership event
	// (route.Router.Match), so that routes naming item.acknowledged and
	// the like announce what people do on the dashboard; nil: none.
	Targets func(ev *model.Event) []route.Target
}

// Server serves the dashboard, API, feeds and metrics.
type Server struct {
	o       Options
	st      store.Store
	rd      store.Reader
	log     *slog.Logger
	now     func() time.Time
	tmpl    *template.Template
	ui      map[string]map[string]string
	metrics *metrics.Metrics
	reg     *prometheus.Registry
	handler http.Handler
	facetsC *facetCache // the values present in each list, for its filters
	statesC statesCache // every source's state, for the staleness of pages
	// authorized reports whether a request carries valid credentials
	// (always false when no authentication is configured).
	authorized func(*http.Request) bool
	// identify names whose credentials a request carries (handling.go).
	identify func(*http.Request) (identity, bool)
	// csrf makes and checks the tokens of the dashboard's forms.
	csrf *csrf
}

// New checks the options and builds a Server.
func New(o Options) (*Server, error) {
	if o.Store == nil {
		return nil, errors.New("new server: no store")
	}
	rd, ok := store.AsReader(o.Store)
	if !ok {
		return nil, errors.New("new server: the store engine has no read index")
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if err := checkAddr(o.Addr, o.Auth); err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.Refresh <= 0 {
		o.Refresh = 15 * time.Second
	}
	if o.TranslationProvider == "" {
		o.TranslationProvider = translate.MemoryProviderName
	}
	if o.GlossaryVersion == "" {
		o.GlossaryVersion = translate.DefaultGlossary().Version()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	s := &Server{o: o, st: o.Store, rd: rd, log: o.Logger, now: o.Now, ui: uiCatalog(), metrics: o.Metrics,
		facetsC: &facetCache{m: map[model.Source]*facetVals{}, reading: map[model.Source]bool{}}}
	tmpl, err := s.parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s.tmpl = tmpl
	s.reg = prometheus.NewRegistry()
	if err := s.reg.Register(s.metrics); err != nil {
		return nil, fmt.Errorf("new server: register metrics: %w", err)
	}
	if err := s.reg.Register(&storeCollector{s: s}); err != nil {
		return nil, fmt.Errorf("new server: register metrics: %w", err)
	}
	s.identify = authChecker(o.Auth)
	s.authorized = func(r *http.Request) bool { _, ok := s.identify(r); return ok }
	if s.csrf, err = newCSRF(); err != nil {
		return nil, fmt.Errorf("new server: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// checkAddr refuses a non-loopback listen address without authentication.
func checkAddr(addr string, a Auth) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if a.enabled() || netsafe.IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("listen address %q is not loopback: configure serve.token or serve.username/password first", addr)
}

// Handler returns the HTTP handler of every page, for tests and for
// embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Metrics returns the collectors the poller and dispatcher feed.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Addr returns the configured listen address.
func (s *Server) Addr() string { return s.o.Addr }

// Listen opens Options.Addr; the listener's Addr is the address bound
// (the port chosen when Options.Addr asks for port 0).
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.o.Addr, err)
	}
	return ln, nil
}

// ListenAndServe serves on Options.Addr until ctx ends, then shuts down
// gracefully (at most 5 seconds).
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go s.indexTranslationsEvery(ctx, searchTranslationsEvery)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// searchTranslationsEvery is how often the dashboard records for search
// the translations of the documents stored since its last pass.
var searchTranslationsEvery = 10 * time.Minute

// indexTranslationsEvery runs indexTranslations now and then every every
// until ctx ends: the documents a poll stores after the start (a post that
// no notice translated, in a tenant whose routes are in English) are found
// by their translations within every, not at the next start. A pass with
// nothing to record reads the list of documents (86 ms per language at
// 100,000).
func (s *Server) indexTranslationsEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.indexTranslations(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// indexTranslations records for search the translations the memory holds
// of the documents that have none recorded yet (after an upgrade), in
// every language of the catalogs but English, so that the lists find
// items by them.
func (s *Server) indexTranslations(ctx context.Context) {
	var langs []string
	for _, l := range render.Languages() {
		if l != "en" {
			langs = append(langs, l)
		}
	}
	start := time.Now()
	n, err := translate.IndexSearch(ctx, s.st, s.o.TranslationProvider, s.o.GlossaryVersion, langs, false)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("search_translations_failed", "documents", n, "err", err)
		}
		return
	}
	if n > 0 {
		s.log.Info("search_translations_indexed", "documents", n, "took", time.Since(start).Round(time.Millisecond))
	}
}

// routes builds the mux with security headers and auth around it.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleDashboard)
	mux.HandleFunc("GET /messages", s.handleMessages)
	mux.HandleFunc("GET /issues", s.handleIssues)
	mux.HandleFunc("GET /items/{tenant}/{source}/{id}", s.handleItem)
	mux.HandleFunc("GET /deliveries", s.handleDeliveries)
	mux.HandleFunc("POST /handling", s.handleHandling)
	mux.HandleFunc("GET /static/style.css", s.handleCSS)
	mux.HandleFunc("GET /static/live.js", s.handleJS)

	mux.HandleFunc("GET /api/v1/tenants", s.apiTenants)
	mux.HandleFunc("GET /api/v1/services", s.apiServices)
	mux.HandleFunc("GET /api/v1/items", s.apiItems)
	mux.HandleFunc("GET /api/v1/items/{tenant}/{source}/{id}", s.apiItem)
	mux.HandleFunc("GET /api/v1/items/{tenant}/{source}/{id}/revisions", s.apiRevisions)
	mux.HandleFunc("GET /api/v1/items/{tenant}/{source}/{id}/handling", s.apiHandling)
	mux.HandleFunc("POST /api/v1/items/{tenant}/{source}/{id}/handling", s.apiAct)
	mux.HandleFunc("GET /api/v1/events", s.apiEvents)
	mux.HandleFunc("GET /api/v1/deliveries", s.apiDeliveries)
	mux.HandleFunc("GET /api/v1/sources", s.apiSources)
	mux.HandleFunc("GET /api/v1/status", s.apiStatus)

	mux.HandleFunc("GET /feeds/rss", s.handleRSS)
	mux.HandleFunc("GET /feeds/atom", s.handleAtom)
	mux.HandleFunc("GET /feeds/calendar.ics", s.handleICS)

	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	return s.secure(mux)
}

// csp is the Content-Security-Policy of every response: nothing inline,
// nothing from elsewhere, no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// authChecker returns the credential check of a, which names whose
// credentials a request carries; it compares SHA-256 sums in constant time.
func authChecker(a Auth) func(*http.Request) (identity, bool) {
	if !a.enabled() {
		return func(*http.Request) (identity, bool) { return identity{}, false }
	}
	tokenSum := sha256.Sum256([]byte(a.Token))
	userSum := sha256.Sum256([]byte(a.Username))
	passSum := sha256.Sum256([]byte(a.Password))
	return func(r *http.Request) (identity, bool) {
		if a.Token != "" {
			if tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
				sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
				if subtle.ConstantTimeCompare(sum[:], tokenSum[:]) == 1 {
					return identity{name: tokenUser, bearer: true}, true
				}
			}
		}
		if a.Username != "" && a.Password != "" {
			if u, p, found := r.BasicAuth(); found {
				us, ps := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
				if subtle.ConstantTimeCompare(us[:], userSum[:])&subtle.ConstantTimeCompare(ps[:], passSum[:]) == 1 {
					return identity{name: a.Username}, true
				}
			}
		}
		return identity{}, false
	}
}

// loopbackHost reports whether the request is addressed (Host header) to
// a loopback name or address, and, when the connection's local address is
// known, to the port it arrived on. A browser sends the name of the URL it
// was given, so a page of another site that rebinds its own name to
// 127.0.0.1 is refused. Requests the static site renders in process never
// came over the network and pass.
func loopbackHost(r *http.Request) bool {
	if _, ok := r.Context().Value(siteKey{}).(*sitePage); ok {
		return true
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]"), ""
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || !netsafe.IsLoopback(host) {
		return false
	}
	if local, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok && port != "" {
		return port == strconv.Itoa(local.Port)
	}
	return true
}

// secure sets the security headers, refuses requests for other host
// names when there is no authentication, and checks authentication.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// No referrer leaves for another site; the pages' own forms carry
		// their Origin, which the CSRF check compares (a no-referrer page
		// would send "Origin: null").
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !s.o.Auth.enabled() && r.URL.Path != "/healthz" && !loopbackHost(r) {
			s.log.Info("request_host_refused", "host", r.Host, "remote", r.RemoteAddr)
			addr := s.o.Addr
			if local, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
				addr = local.String()
			}
			http.Error(w, fmt.Sprintf("shdmc: this dashboard has no authentication, so it answers only requests addressed to "+
				"localhost, 127.0.0.1 or [::1] on the port it listens on; this request was addressed to %q. "+
				"Open it as http://%s/, or configure serve.token (or serve.username and serve.password) "+
				"to reach it under another name or through a proxy.", r.Host, addr), http.StatusMisdirectedRequest)
			return
		}
		if s.o.Auth.enabled() && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			if !s.authorized(r) {
				if s.o.Auth.Username != "" {
					h.Set("WWW-Authenticate", `Basic realm="shdmc", charset="UTF-8"`)
				} else {
					h.Set("WWW-Authenticate", `Bearer realm="shdmc"`)
				}
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
