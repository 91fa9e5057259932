// Package graph is shdmc's client for the Microsoft Graph service
// communications API (/admin/serviceAnnouncement: healthOverviews, issues,
// messages, attachments, incident reports).
//
// It signs in with azidentity (client secret, certificate, managed or
// workload identity) in any of the national clouds, follows @odata.nextLink,
// keeps each tenant under Microsoft's request limits (240 per minute, 800 per
// hour) with a shared Budget, retries throttling and transient failures, and
// decodes leniently into the types of internal/model.
//
// What Graph and the token authority send is treated as untrusted: no
// redirect is followed (RedirectError), @odata.nextLink must stay on the
// Graph root, and every answer is read within a size limit (see
// DefaultMaxTextBytes and the other Default* limits); duplicate ids in a
// listing collapse to the newest copy and entries without an id are
// dropped, both with a warning.
// https://learn.microsoft.com/graph/api/resources/service-communications-api-overview
package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/netsafe"
)

// Defaults of Config.
const (
	DefaultPageSize      = 1000
	DefaultMaxRetries    = 4
	DefaultTimeout       = 60 * time.Second
	DefaultBackoffBase   = time.Second
	DefaultBackoffCap    = 60 * time.Second
	DefaultMaxRetryAfter = 5 * time.Minute
	maxPages             = 10000
)

// Config configures a Client for one tenant.
type Config struct {
	// TenantID is the Entra tenant (GUID or domain).
	TenantID string
	// ClientID is the app registration's client (application) id; for
	// workload identity it overrides AZURE_CLIENT_ID.
	ClientID string
	// Auth selects the sign-in method; "" means client_secret.
	Auth AuthKind
	// ClientSecret is the secret for AuthClientSecret.
	ClientSecret string
	// CertificatePEMOrPFX is the certificate and RSA key for AuthCertificate,
	// as PEM or PFX (parsed by azidentity.ParseCertificates).
	CertificatePEMOrPFX []byte
	// CertificatePassword decrypts a PFX or an encrypted PEM key.
	CertificatePassword string
	// ManagedIdentityClientID selects a user-assigned managed identity.
	ManagedIdentityClientID string
	// Cloud selects the Graph root and authority; "" means global.
	Cloud Cloud
	// GraphRoot and AuthorityHost override the cloud's endpoints
	// ("https://host[:port]"), e.g. for a private endpoint or the simulator.
	GraphRoot, AuthorityHost string
	// CAFile is a PEM bundle trusted, in addition to the system roots, for
	// both Graph and the authority.
	CAFile string
	// PageSize is sent as Prefer: odata.maxpagesize; 0 means 1000 (the maximum).
	PageSize int
	// Budget is the tenant's shared request budget; nil means a new one.
	Budget *Budget
	// Credential, when set, is used instead of building one from Auth. After
	// a 401 the client asks it once more for a token; a caching credential
	// must then return a fresh one (credentials built from Auth are rebuilt).
	Credential azcore.TokenCredential
	// HTTPClient is the base HTTP client; nil means a client on a clone of
	// http.DefaultTransport. CAFile is added to its transport when that is
	// an *http.Transport (or nil). The client uses a copy whose
	// CheckRedirect refuses every redirect (see RedirectError), for Graph
	// and for the credential built from Auth.
	HTTPClient *http.Client
	// Logger receives request and retry logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxRetries is the number of retries per request; 0 means 4, negative means none.
	MaxRetries int
	// Timeout bounds each HTTP attempt; 0 means 60 s.
	Timeout time.Duration
	// BackoffBase and BackoffCap shape the exponential backoff with full
	// jitter used when Graph gives no Retry-After; 0 means 1 s and 60 s.
	BackoffBase, BackoffCap time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits out itself;
	// a longer one is returned as an *APIError with RetryAfter set. 0 means 5 min.
	MaxRetryAfter time.Duration
	// MaxBodyBytes bounds a JSON page as it arrives, before long strings
	// are cut; 0 means DefaultMaxBodyBytes (64 MiB).
	MaxBodyBytes int64
	// MaxPageBytes bounds the part of a JSON page kept in memory, after
	// every string longer than MaxTextBytes was cut; a page over it fails
	// the listing. 0 means DefaultMaxPageBytes (32 MiB).
	MaxPageBytes int64
	// MaxTextBytes is the longest string kept from a page, as sent (a
	// message body, a post, any field). A longer one is cut and ends with
	// the note "[truncated by shdmc: N bytes]" (in HTML, as a paragraph of
	// its own). 0 means DefaultMaxTextBytes (1 MiB).
	MaxTextBytes int
	// MaxReportBytes bounds an incident report document; 0 means
	// DefaultMaxReportBytes (20 MiB).
	MaxReportBytes int64
}

// Stats are a client's cumulative request counters.
type Stats struct {
	// Requests is the number of HTTP requests sent to Graph (attempts, pages).
	Requests int64
	// BytesRead is the number of response body bytes read.
	BytesRead int64
	// Throttled counts 429 and 503 answers that the client waited out or gave up on.
	Throttled int64
	// ThrottledWait is the time spent waiting on their Retry-After.
	ThrottledWait time.Duration
	// Retries counts repeated attempts, including the one after a token refresh.
	Retries int64
	// TokenRefreshes counts fresh tokens fetched after a 401.
	TokenRefreshes int64
	// ByStatus counts answers per HTTP status code.
	ByStatus map[int]int64
}

// Client reads the service communications API of one tenant. It is safe
// for concurrent use.
type Client struct {
	root          *url.URL // scheme and host that nextLinks must keep
	base          string   // {root}/v1.0/admin/serviceAnnouncement/
	httpc         *http.Client
	tokens        *tokenSource
	budget        *Budget
	logger        *slog.Logger
	now           func() time.Time
	pageSize      int
	maxRetries    int
	timeout       time.Duration
	backoffBase   time.Duration
	backoffCap    time.Duration
	maxRetryAfter time.Duration
	maxBody       int64
	maxPage       int64
	maxText       int
	maxReport     int64

	mu    sync.Mutex
	stats Stats
}

// New checks cfg and returns a Client. It builds the credential (without
// signing in yet) unless cfg.Credential is set.
func New(cfg Config) (*Client, error) {
	graphRoot, authority, err := CloudEndpoints(cfg.Cloud)
	if err != nil {
		return nil, fmt.Errorf("new graph client: %w", err)
	}
	if cfg.GraphRoot != "" {
		graphRoot = strings.TrimRight(cfg.GraphRoot, "/")
	}
	if cfg.AuthorityHost != "" {
		authority = strings.TrimRight(cfg.AuthorityHost, "/")
	}
	root, err := url.Parse(graphRoot)
	if err != nil || root.Host == "" || (root.Scheme != "https" && !(root.Scheme == "http" && netsafe.IsLoopback(root.Hostname()))) {
		return nil, fmt.Errorf("new graph client: graph root %q must be an https URL", graphRoot)
	}
	if root.RawQuery != "" || root.Fragment != "" {
		return nil, fmt.Errorf("new graph client: graph root %q must not have a query or fragment", graphRoot)
	}
	c := &Client{
		root:          root,
		base:          graphRoot + "/v1.0/admin/serviceAnnouncement/",
		budget:        cfg.Budget,
		logger:        cfg.Logger,
		now:           cfg.Now,
		pageSize:      cfg.PageSize,
		maxRetries:    cfg.MaxRetries,
		timeout:       cfg.Timeout,
		backoffBase:   cfg.BackoffBase,
		backoffCap:    cfg.BackoffCap,
		maxRetryAfter: cfg.MaxRetryAfter,
		maxBody:       cfg.MaxBodyBytes,
		maxPage:       cfg.MaxPageBytes,
		maxText:       cfg.MaxTextBytes,
		maxReport:     cfg.MaxReportBytes,
		stats:         Stats{ByStatus: map[int]int64{}},
	}
	switch {
	case c.pageSize == 0:
		c.pageSize = DefaultPageSize
	case c.pageSize < 0 || c.pageSize > 1000:
		return nil, fmt.Errorf("new graph client: page size %d out of range 1..1000", c.pageSize)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.budget == nil {
		c.budget = NewBudget(c.now)
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.backoffBase <= 0 {
		c.backoffBase = DefaultBackoffBase
	}
	if c.backoffCap <= 0 {
		c.backoffCap = DefaultBackoffCap
	}
	if c.maxRetryAfter <= 0 {
		c.maxRetryAfter = DefaultMaxRetryAfter
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	if c.maxPage <= 0 {
		c.maxPage = DefaultMaxPageBytes
	}
	if c.maxText <= 0 {
		c.maxText = DefaultMaxTextBytes
	}
	if c.maxReport <= 0 {
		c.maxReport = DefaultMaxReportBytes
	}
	c.httpc, err = httpClient(cfg.HTTPClient, cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("new graph client: %w", err)
	}
	c.tokens = &tokenSource{
		scope:   graphRoot + "/.default",
		secrets: []string{cfg.ClientSecret, cfg.CertificatePassword},
		cred:    cfg.Credential,
	}
	if cfg.Credential == nil {
		build, err := credentialFactory(&cfg, authority, c.httpc)
		if err != nil {
			return nil, fmt.Errorf("new graph client: %s", netsafe.Secrets(err.Error(), c.tokens.secrets...))
		}
		cred, err := build()
		if err != nil {
			return nil, fmt.Errorf("new graph client: build credential: %s", netsafe.Secrets(err.Error(), c.tokens.secrets...))
		}
		c.tokens.build, c.tokens.cred = build, cred
	}
	return c, nil
}

// NewHTTPClient returns an HTTP client on its own transport that trusts the
// system roots plus the certificates in caFile (none when ""), and that
// follows no redirect (see RedirectError). Clients of many tenants should
// share one: a transport holds the connections and a copy of the
// certificate pool.
func NewHTTPClient(caFile string) (*http.Client, error) { return httpClient(nil, caFile) }

// httpClient returns a copy of base (or a new client) whose transport also
// trusts the certificates in caFile and which follows no redirect.
func httpClient(base *http.Client, caFile string) (*http.Client, error) {
	hc := &http.Client{}
	if base != nil {
		*hc = *base
	}
	hc.CheckRedirect = refuseRedirect
	if caFile == "" {
		if hc.Transport == nil {
			hc.Transport = http.DefaultTransport.(*http.Transport).Clone()
		}
		return hc, nil
	}
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("read CA file %s: no PEM certificate in it", caFile)
	}
	var tr *http.Transport
	switch t := hc.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, fmt.Errorf("CA file %s needs an *http.Transport, the HTTP client has a %T", caFile, hc.Transport)
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tr.TLSClientConfig.RootCAs = pool
	hc.Transport = tr
	return hc, nil
}

// Stats returns a snapshot of the cumulative counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.ByStatus = maps.Clone(c.stats.ByStatus)
	return s
}

func (c *Client) count(f func(s *Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

// HealthOverviews lists the health of every service of the tenant.
func (c *Client) HealthOverviews(ctx context.Context) ([]model.ServiceHealth, error) {
	return list(ctx, c, "health overviews", c.base+"healthOverviews", decodeHealth,
		func(h *model.ServiceHealth) (string, time.Time) { return h.ID, time.Time{} })
}

// Issues lists service health issues. A zero since lists all of them;
// otherwise only those modified at or after since (to the second).
func (c *Client) Issues(ctx context.Context, since time.Time) ([]model.Issue, error) {
	return list(ctx, c, "issues", c.base+"issues"+sinceFilter(since), decodeIssue,
		func(i *model.Issue) (string, time.Time) { return i.ID, i.LastModified })
}

// Messages lists Message Center posts, all of them or those modified at or
// after since.
func (c *Client) Messages(ctx context.Context, since time.Time) ([]model.Message, error) {
	return list(ctx, c, "messages", c.base+"messages"+sinceFilter(since), decodeMessage,
		func(m *model.Message) (string, time.Time) { return m.ID, m.LastModified })
}

// Attachments lists the attachments (metadata) of one Message Center post.
// The attachments' content is not downloaded.
func (c *Client) Attachments(ctx context.Context, messageID string) ([]model.Attachment, error) {
	if messageID == "" {
		return nil, errors.New("list attachments: empty message id")
	}
	what := "attachments of " + messageID
	return list(ctx, c, what, c.base+"messages/"+url.PathEscape(messageID)+"/attachments", decodeAttachment,
		func(a *model.Attachment) (string, time.Time) { return a.ID, a.LastModified })
}

// IncidentReport downloads the post-incident review document of an issue
// (only published for issues in status postIncidentReviewPublished) and
// returns its bytes and content type. A document over Config.MaxReportBytes
// is an error.
func (c *Client) IncidentReport(ctx context.Context, issueID string) (body []byte, contentType string, err error) {
	if issueID == "" {
		return nil, "", errors.New("get incident report: empty issue id")
	}
	u := c.base + "issues/" + url.PathEscape(issueID) + "/incidentReport"
	err = c.fetch(ctx, u, false, func(r *response) error {
		body, contentType = r.body, r.header.Get("Content-Type")
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("get incident report of %s: %w", issueID, err)
	}
	return body, contentType, nil
}

// sinceFilter returns the $filter query for an incremental list.
func sinceFilter(since time.Time) string {
	if since.IsZero() {
		return ""
	}
	expr := "lastModifiedDateTime ge " + since.UTC().Format("2006-01-02T15:04:05Z")
	return "?$filter=" + url.PathEscape(expr)
}

// maxLoggedIDs bounds the ids named in one duplicate warning, and
// maxLoggedSkips the entries without an id logged one by one per listing.
const (
	maxLoggedIDs   = 20
	maxLoggedSkips = 10
)

// list fetches every page of a collection. It is all or nothing: a page that
// still fails after retries fails the whole list. Entries without an id are
// dropped with a warning; of items sharing an id the one with the newest
// modification time (by key) is kept, on a tie the later one, with one
// warning per listing.
func list[T any](ctx context.Context, c *Client, what, first string, item func(*decoder, *T) (bool, error), key func(*T) (string, time.Time)) ([]T, error) {
	info := listInfoFrom(ctx)
	*info = ListInfo{Start: c.now()}
	var all []T
	seen := map[string]bool{first: true}
	u := first
	for page := 1; page <= maxPages; page++ {
		var items []T
		var next string
		var skipped []int
		err := c.fetch(ctx, u, true, func(r *response) error {
			var err error
			items, next, skipped, err = decodePage(what, r.body, item)
			if err == nil {
				info.Truncated += r.cut
				if page == 1 {
					info.ServerDate, _ = http.ParseTime(r.header.Get("Date"))
				}
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: page %d: %w", what, page, err)
		}
		info.Pages = page
		for _, pos := range skipped {
			if info.Skipped++; info.Skipped <= maxLoggedSkips {
				c.logger.Warn("graph entry without an id skipped", "list", what, "page", page, "position", pos)
			}
		}
		if all == nil {
			all = items
		} else {
			all = append(all, items...)
		}
		if next == "" {
			if all == nil {
				all = []T{}
			}
			if info.Skipped > maxLoggedSkips {
				c.logger.Warn("graph entries without an id skipped", "list", what, "skipped", info.Skipped, "logged", maxLoggedSkips)
			}
			var dups []string
			all, dups, info.Duplicates = dedupe(all, key)
			if len(dups) > 0 {
				c.logger.Warn("graph list has duplicate ids, kept the newest of each", "list", what,
					"ids", strings.Join(dups[:min(len(dups), maxLoggedIDs)], ","), "distinct", len(dups), "dropped", info.Duplicates)
			}
			return all, nil
		}
		if u, err = c.checkNextLink(u, next); err != nil {
			return nil, fmt.Errorf("list %s: page %d: %w", what, page, err)
		}
		if seen[u] {
			return nil, fmt.Errorf("list %s: page %d: @odata.nextLink %s repeats an earlier page", what, page, u)
		}
		seen[u] = true
	}
	return nil, fmt.Errorf("list %s: more than %d pages", what, maxPages)
}

// dedupe keeps one item per id, in the place of the id's first occurrence:
// the one modified last, on a tie the later one. It returns the items, the
// ids that occurred more than once and the number of items dropped.
func dedupe[T any](items []T, key func(*T) (string, time.Time)) ([]T, []string, int) {
	at := make(map[string]int, len(items))
	out := items[:0]
	var dups []string
	var dupSeen map[string]bool
	dropped := 0
	for i := range items {
		id, mod := key(&items[i])
		j, ok := at[id]
		if !ok {
			at[id] = len(out)
			out = append(out, items[i])
			continue
		}
		if dupSeen == nil {
			dupSeen = map[string]bool{}
		}
		if !dupSeen[id] {
			dupSeen[id] = true
			dups = append(dups, id)
		}
		dropped++
		if _, prev := key(&out[j]); !mod.Before(prev) {
			out[j] = items[i]
		}
	}
	return out, dups, dropped
}

// checkNextLink returns the URL of the next page: next verbatim when it is
// absolute, else resolved against the current page. It refuses a link to
// another origin (scheme, host, port; an explicit default port is the same
// origin) than the Graph root, and one with user info, so the token goes
// nowhere else.
func (c *Client) checkNextLink(current, next string) (string, error) {
	nu, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("parse @odata.nextLink: %w", err)
	}
	if !nu.IsAbs() {
		cu, err := url.Parse(current)
		if err != nil {
			return "", fmt.Errorf("parse page url: %w", err)
		}
		nu = cu.ResolveReference(nu)
		next = nu.String()
	}
	if !sameOrigin(nu, c.root) || nu.User != nil {
		return "", fmt.Errorf("refuse @odata.nextLink to %s://%s: not the graph root %s://%s", nu.Scheme, nu.Host, c.root.Scheme, c.root.Host)
	}
	return next, nil
}

// sameOrigin compares scheme, host and port, an absent port being the
// scheme's default.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
			return "443"
		case "http":
			return "80"
		}
		return ""
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// attempt is the outcome of one HTTP request.
type attempt struct {
	status int
	response
	err error // transport or body read failure
}

// response is a 2xx answer: its body (for a list, with long strings cut),
// its header and the number of strings cut.
type response struct {
	body   []byte
	header http.Header
	cut    int
}

// fetch GETs u until accept takes the body of a 2xx answer, within the
// retry policy: Retry-After on 429/503, backoff with full jitter on 5xx,
// timeouts, broken connections and bodies accept rejects (malformed JSON),
// one fresh token on 401, no retry on other statuses, on redirects (which
// are never followed) and on bodies over a size limit. Every attempt passes
// the budget.
func (c *Client) fetch(ctx context.Context, u string, isList bool, accept func(r *response) error) error {
	retries, refreshed, fresh := 0, false, false
	for n := 0; n < c.maxRetries+2; n++ {
		if n > 0 {
			c.count(func(s *Stats) { s.Retries++ })
		}
		if err := c.budget.Wait(ctx); err != nil {
			return err
		}
		tok, err := c.tokens.token(ctx, fresh)
		if err != nil {
			return err
		}
		fresh = false
		a := c.do(ctx, u, tok, isList)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("get %s: %w", u, err)
		}
		var wait time.Duration
		var lastErr error
		var re *RedirectError
		switch {
		case errors.As(a.err, &re):
			return fmt.Errorf("get %s: %w", u, re)
		case errors.Is(a.err, errBodyTooLarge):
			return fmt.Errorf("get %s: %w", u, a.err)
		case a.err != nil:
			lastErr = fmt.Errorf("get %s: %w", u, a.err)
		case a.status >= 200 && a.status < 300:
			err := accept(&a.response)
			if err == nil {
				return nil
			}
			lastErr = fmt.Errorf("get %s: malformed response: %w", u, err)
		case a.status == http.StatusUnauthorized && !refreshed:
			refreshed, fresh = true, true
			c.count(func(s *Stats) { s.TokenRefreshes++ })
			c.logger.Warn("graph token rejected, refreshing", "url", u)
			continue
		default:
			apiErr := DecodeError(a.status, a.body)
			apiErr.Message = netsafe.Secrets(apiErr.Message, tok) // a server echoing the header must not leak it
			apiErr.RetryAfter = parseRetryAfter(a.header.Get("Retry-After"), c.now())
			lastErr = fmt.Errorf("get %s: %w", u, apiErr)
			if !apiErr.Retryable() {
				return lastErr
			}
			if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
				c.count(func(s *Stats) { s.Throttled++ })
			}
			if apiErr.RetryAfter > c.maxRetryAfter {
				return lastErr
			}
			wait = apiErr.RetryAfter
			if a.status == http.StatusTooManyRequests || a.status == http.StatusServiceUnavailable {
				w := wait
				if w <= 0 {
					w = c.backoff(retries)
					wait = w
				}
				c.count(func(s *Stats) { s.ThrottledWait += w })
			}
		}
		if retries >= c.maxRetries {
			return fmt.Errorf("giving up after %d attempts: %w", n+1, lastErr)
		}
		if wait <= 0 {
			wait = c.backoff(retries)
		}
		retries++
		c.logger.Warn("graph request failed, retrying", "url", u, "status", a.status, "wait", wait, "retry", retries, "error", lastErr.Error())
		if err := sleepCtx(ctx, wait); err != nil {
			return fmt.Errorf("wait to retry: %w (last error: %v)", err, lastErr)
		}
	}
	return fmt.Errorf("get %s: retries exhausted", u)
}

// backoff returns a full-jitter wait for the given retry: uniform in
// [0, min(cap, base·2^retry)].
func (c *Client) backoff(retry int) time.Duration {
	d := c.backoffCap
	if retry < 30 {
		if e := c.backoffBase << retry; e > 0 && e < d {
			d = e
		}
	}
	return rand.N(d + 1)
}

// do sends one GET and reads the body within the per-attempt timeout and
// the size limits: a list page through readJSON, a document up to
// maxReport bytes, an error body up to maxErrorBodyBytes.
func (c *Client) do(ctx context.Context, u, token string, isList bool) attempt {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u, nil)
	if err != nil {
		return attempt{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "shdmc")
	if isList {
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Prefer", "odata.maxpagesize="+strconv.Itoa(c.pageSize))
	}
	start := time.Now()
	resp, err := c.httpc.Do(req)
	c.count(func(s *Stats) { s.Requests++ })
	if err != nil {
		var re *RedirectError
		if errors.As(err, &re) {
			c.count(func(s *Stats) { s.ByStatus[re.Status]++ })
			return attempt{status: re.Status, err: re}
		}
		if actx.Err() != nil && ctx.Err() == nil {
			return attempt{err: fmt.Errorf("attempt timed out after %s: %w", c.timeout, err)}
		}
		return attempt{err: err}
	}
	defer resp.Body.Close()
	a := attempt{status: resp.StatusCode, response: response{header: resp.Header}}
	var n int64
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case ok && isList:
		if resp.ContentLength > c.maxBody {
			err = fmt.Errorf("%w: more than %d bytes", errBodyTooLarge, c.maxBody)
			break
		}
		a.body, a.cut, n, err = readJSON(resp.Body, resp.ContentLength, c.maxBody, c.maxPage, c.maxText)
	case ok:
		if resp.ContentLength > c.maxReport {
			err = fmt.Errorf("%w: document over %d bytes", errBodyTooLarge, c.maxReport)
			break
		}
		a.body, err = io.ReadAll(io.LimitReader(resp.Body, c.maxReport+1))
		n = int64(len(a.body))
		if err == nil && n > c.maxReport {
			err = fmt.Errorf("%w: document over %d bytes", errBodyTooLarge, c.maxReport)
		}
	default:
		a.body, err = io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
		n = int64(len(a.body))
	}
	c.count(func(s *Stats) {
		s.BytesRead += n
		s.ByStatus[resp.StatusCode]++
	})
	c.logger.Debug("graph request", "url", u, "status", resp.StatusCode, "bytes", n, "duration", time.Since(start))
	switch {
	case errors.Is(err, errBodyTooLarge):
		a.err = err
	case err != nil:
		a.err = fmt.Errorf("read response body (HTTP %d): %w", resp.StatusCode, err)
	}
	return a
}

// parseRetryAfter reads a Retry-After header: seconds, possibly fractional
// ("2.128"), or an HTTP date. It returns 0 when absent or unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f <= 0 || f != f || f > 86400*7 {
			return 0
		}
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
