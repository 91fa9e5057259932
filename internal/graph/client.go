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
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
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
