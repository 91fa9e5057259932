// Package config loads shdmc's YAML configuration strictly: every unknown
// key, wrong type or invalid value is reported with the file, line and key
// path where it occurs (for example
// "shdmc.yaml:14: tenants[0].client_secrt: unknown key (did you mean client_secret?)"),
// and all problems are reported together rather than one at a time.
//
// Values of the form ${NAME} in any string setting are replaced by the
// environment variable NAME (an unset variable is an error; write $${ for a
// literal "${"). Secrets can also be read from files (client_secret_file,
// certificate_password_file, store_password_file, and the *_file keys of
// channels such as url_file), which suits container secret mounts. Relative paths of files that are read (secret files,
// certificate_file, ca_file) are resolved against the directory of the
// configuration file; the store path and output file paths are relative to
// the working directory.
//
// After the file, an environment overlay is applied: SHDMC_STORE,
// SHDMC_INTERVAL, SHDMC_TIME_ZONE and SHDMC_LOG_LEVEL, when set and not
// empty, replace the top-level keys store, interval, time_zone and log.level.
// When the file sets neither serve.token (or token_file) nor serve.username,
// the dashboard's credentials come from SHDMC_SERVE_TOKEN (or
// SHDMC_SERVE_TOKEN_FILE), SHDMC_SERVE_USERNAME and SHDMC_SERVE_PASSWORD (or
// SHDMC_SERVE_PASSWORD_FILE), a *_FILE variable naming a file that holds
// the value.
//
// Top-level keys starting with "x-" are ignored, so that they can hold YAML
// anchors shared through merge keys ("<<: *common").
//
// Config knows no channel type. A channel entry holds the keys every
// channel has (Channel) and those of its type, which the channel's own
// package declares as a settings struct; Load and Parse take the list of
// types (ChannelTypes, internal/notify/channels.Default()) and decode each
// entry through its type as strictly as the rest of the file.
//
// Secrets are held in the Secret type, which prints "<secret>" whichever way
// it is formatted, encoded or logged.
package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	// Embedded zone data makes time_zone validation, and Location, work on
	// hosts without a zoneinfo database (Windows, scratch containers).
	_ "time/tzdata"
)

// Defaults, exported through Default.
const (
	defaultStore        = "sqlite://shdmc.db"
	defaultInterval     = Duration(5 * time.Minute)
	defaultFullResync   = Duration(6 * time.Hour)
	defaultOverlap      = Duration(10 * time.Minute)
	defaultOverlapEvery = Duration(30 * time.Minute)
	defaultTimeZone     = "UTC"
	defaultAddr         = "127.0.0.1:8080"
	// MinInterval is the shortest accepted polling interval. Microsoft
	// Graph allows 800 service-communications requests per hour per app and
	// tenant; one poll costs several requests (issues, messages, health,
	// pages), so polling faster than every 30 s runs into throttling.
	MinInterval = Duration(30 * time.Second)
	// defaultIncidentInterval is how often the issues of a tenant with an
	// active incident are polled (the fast lane).
	defaultIncidentInterval = Duration(15 * time.Second)
	// MinIncidentInterval is the shortest incident_interval accepted. The
	// request plan of each tenant may raise it further (see
	// internal/outage.PlanBudget), so that the whole plan stays within 80 %
	// of Graph's hourly limit.
	MinIncidentInterval = Duration(5 * time.Second)
)

// The fast lane modes (Config.FastLane, Tenant.FastLane).
const (
	// FastLaneAuto polls a tenant's issues every incident_interval while
	// it has an active incident (the default).
	FastLaneAuto = "auto"
	// FastLaneAlways polls a tenant's issues every incident_interval
	// whether or not an incident is active.
	FastLaneAlways = "always"
	// FastLaneOff polls the issues with the other sources.
	FastLaneOff = "off"
)

// Config is the whole configuration of shdmc. Build it with Load or Parse;
// Default returns the values used for every key that is left out.
type Config struct {
	// Path is the file the configuration was read from ("" when built in
	// code); error messages name it.
	Path string `yaml:"-"`
	// Store is the database URL: "sqlite://path" (relative to the working
	// directory) or "postgres://user@host/db". A password in the URL is moved
	// to StorePassword so that Store can be shown and logged.
	Store string `yaml:"store"`
	// StorePassword is the database password: from the store URL, the
	// store_password key or the store_password_file key. StoreDSN puts it
	// back into the URL.
	StorePassword Secret `yaml:"store_password"`
	// StorePasswordFile is the file StorePassword was read from, if any.
	StorePasswordFile string `yaml:"store_password_file"`
	// Interval is how often each tenant is polled (at least MinInterval).
	Interval Duration `yaml:"interval"`
	// FastLane says when a tenant's Service Health issues are polled on
	// their own, every IncidentInterval: auto (while the tenant has an
	// active incident; the default), always, or off.
	FastLane string `yaml:"fast_lane"`
	// IncidentInterval is how often the fast lane polls the issues
	// (default 15s, at least MinIncidentInterval, at most Interval); the
	// tenant's request plan may raise it.
	IncidentInterval Duration `yaml:"incident_interval"`
	// FullResync is how often a full listing replaces the incremental
	// fetch, to notice items Microsoft removed.
	FullResync Duration `yaml:"full_resync"`
	// Overlap is subtracted from the stored watermark (the last
	// lastModifiedDateTime seen) on incremental fetches, so that items
	// modified while the previous poll ran are not missed.
	Overlap Duration `yaml:"overlap"`
	// OverlapEvery is how often an incremental fetch reaches back by
	// Overlap; the polls in between ask only for items modified after the
	// watermark's second, which keeps a quiet poll to a few hundred bytes.
	// 0 reaches back on every poll.
	OverlapEvery Duration `yaml:"overlap_every"`
	// TimeZone is the IANA zone (e.g. "Asia/Tokyo") in which dates are
	// shown, unless a channel overrides it.
	TimeZone string `yaml:"time_zone"`
	// Baseline controls the first poll of a tenant.
	Baseline Baseline `yaml:"baseline"`
	// Log configures the process log.
	Log Log `yaml:"log"`
	// Tenants are the Microsoft 365 tenants to watch.
	Tenants []Tenant `yaml:"tenants"`
	// Channels are where notices go.
	Channels []Channel `yaml:"channels"`
	// Routes decide which events reach which channels.
	Routes []Route `yaml:"routes"`
	// Reminders are the numbers of days before a Message Center post's
	// action-required date at which an mc.reminder event is raised, once
	// per tenant, post, date and number (e.g. [30, 7, 1]); routes without
	// their own reminders key get these.
	Reminders []int `yaml:"reminders"`
	// Translator translates the prose of notices for routes whose language
	// is not English.
	Translator Translator `yaml:"translator"`
	// Serve configures the dashboard and API listener.
	Serve Serve `yaml:"serve"`
	// Outage configures what happens while a source fails: the outage
	// threshold, the public status pages, the heartbeat.
	Outage Outage `yaml:"outage"`
	// Retention says how long history is kept.
	Retention Retention `yaml:"retention"`

	pos map[string]position // where each key path was set; see errAt
	// channelTypes names the channel types Parse knew, for messages.
	channelTypes []string
	// deprecated lists keys read under an old name, for Warnings.
	deprecated []string
}

// Baseline controls what happens the first time a tenant is polled: the
// items found are stored silently, so that adding a tenant does not flood
// the channels with years of history.
type Baseline struct {
	// AnnounceActive, when true (the default), still announces service
	// health issues that are active (not resolved) at first sight.
	AnnounceActive bool `yaml:"announce_active"`
}

// Log configures the process log.
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text (default) or json.
	Format string `yaml:"format"`
}

// Serve configures the HTTP listener of the dashboard, API and feeds.
type Serve struct {
	// Addr is the listen address, by default 127.0.0.1:8080. Any address
	// other than loopback needs Token or Username/Password.
	Addr string `yaml:"addr"`
	// Disabled stops `shdmc run` from serving (`shdmc serve` still does).
	Disabled bool `yaml:"disabled"`
	// Token (or TokenFile) is a bearer token required by every request.
	Token     Secret `yaml:"token"`
	TokenFile string `yaml:"token_file"`
	// Username and Password (or PasswordFile) enable basic auth.
	Username     string `yaml:"username"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// Sources selects what is fetched from a tenant; each is on unless set to
// false. After Load none of the pointers is nil.
type Sources struct {
	// Issues are the Service Health issues (incidents and advisories).
	Issues *bool `yaml:"issues"`
	// Messages are the Message Center posts.
	Messages *bool `yaml:"messages"`
	// Health is the per-service health overview.
	Health *bool `yaml:"health"`
}

// Authentication kinds of a tenant (Tenant.Auth).
const (
	AuthClientSecret     = "client_secret"
	AuthCertificate      = "certificate"
	AuthManagedIdentity  = "managed_identity"
	AuthWorkloadIdentity = "workload_identity"
)

// Clouds (Tenant.Cloud), after aliases are resolved.
const (
	CloudGlobal  = "global"
	CloudGCCHigh = "gcchigh"
	CloudDoD     = "dod"
	CloudChina   = "china"
)

// Tenant is one Microsoft 365 tenant and the app registration (or managed
// identity) used to read its service communications through Microsoft
// Graph. The app needs the ServiceHealth.Read.All and
// ServiceMessage.Read.All application permissions with admin consent.
type Tenant struct {
	// ID is shdmc's short name for the tenant: 1–64 of a-z, 0-9, '-' and
	// '_', unique in the file. It is stored with every item, so renaming it
	// starts a new baseline.
	ID string `yaml:"id"`
	// Name is the display name used in notices; ID when empty.
	Name string `yaml:"name"`
	// TenantID is the Entra tenant: a GUID or a domain such as
	// contoso.onmicrosoft.com.
	TenantID string `yaml:"tenant_id"`
	// ClientID is the application (client) ID of the app registration.
	ClientID string `yaml:"client_id"`
	// Auth is client_secret, certificate, managed_identity or
	// workload_identity. When left out it is client_secret if a client
	// secret is given, certificate if a certificate file is given.
	Auth string `yaml:"auth"`
	// ClientSecret is the app's client secret (auth client_secret).
	ClientSecret Secret `yaml:"client_secret"`
	// ClientSecretFile is the file ClientSecret was read from (trimmed of
	// surrounding white space), if any.
	ClientSecretFile string `yaml:"client_secret_file"`
	// CertificateFile is a PEM file holding the certificate and its
	// unencrypted private key, or a PKCS#12 (.pfx/.p12) file (auth
	// certificate). After Load the path is resolved.
	CertificateFile string `yaml:"certificate_file"`
	// CertificatePassword decrypts a PKCS#12 certificate file.
	CertificatePassword Secret `yaml:"certificate_password"`
	// CertificatePasswordFile is the file CertificatePassword was read
	// from, if any.
	CertificatePasswordFile string `yaml:"certificate_password_file"`
	// ManagedIdentityClientID selects a user-assigned managed identity
	// (auth managed_identity); empty means the system-assigned one.
	ManagedIdentityClientID string `yaml:"managed_identity_client_id"`
	// Cloud is global (default, also Microsoft 365 GCC), gcchigh, dod or
	// china. Aliases: gcc → global, usgov and usgovl4 → gcchigh,
	// usgovl5 → dod. Microsoft Cloud Deutschland was retired and is
	// rejected.
	Cloud string `yaml:"cloud"`
	// GraphRoot overrides the cloud's Microsoft Graph root URL
	// (https, or http only to a loopback address such as the simulator).
	GraphRoot string `yaml:"graph_root"`
	// AuthorityHost overrides the cloud's Entra sign-in URL (same rule).
	AuthorityHost string `yaml:"authority_host"`
	// CAFile is a PEM bundle of extra CA certificates to trust, for
	// TLS-inspecting proxies. After Load the path is resolved.
	CAFile string `yaml:"ca_file"`
	// Sources selects what is fetched from the tenant.
	Sources Sources `yaml:"sources"`
	// Interval overrides the global polling interval when not zero.
	Interval Duration `yaml:"interval"`
	// FastLane overrides the global fast_lane when not empty.
	FastLane string `yaml:"fast_lane"`
	// IncidentInterval overrides the global incident_interval when not
	// zero.
	IncidentInterval Duration `yaml:"incident_interval"`
	// Disabled keeps the tenant in the file without polling it.
	Disabled bool `yaml:"disabled"`
}

// Route says which events go to which channels and how they read. Every
// route that matches an event delivers it; with no routes configured, every
// event goes to every channel.
type Route struct {
	// Name identifies the route in idempotency keys and logs; unique.
	Name string `yaml:"name"`
	// Match selects events; an empty Match selects every event.
	Match Match `yaml:"match"`
	// Channels receive the matched events.
	Channels []string `yaml:"channels"`
	// Failover is used when a channel of this route has failed for a while.
	Failover Failover `yaml:"failover"`
	// Language of the notices: en (default) or ja.
	Language string `yaml:"language"`
	// Mode for a language other than English: bilingual (the translation,
	// then the English original under 原文; default), translated,
	// side-by-side.
	Mode string `yaml:"mode"`
	// TimeZone overrides the channel's and the global time zone.
	TimeZone string `yaml:"time_zone"`
	// Template is full (default) or short (no post text, for chat).
	Template string `yaml:"template"`
	// QuietHours holds non-urgent notices until the quiet time ends.
	QuietHours QuietHours `yaml:"quiet_hours"`
	// Delivery is instant (default) or digest.
	Delivery string `yaml:"delivery"`
	// Digest schedules digest delivery.
	Digest Digest `yaml:"digest"`
	// GroupTenants announces a Message Center post that arrives with the
	// same content in several tenants once, naming the other tenants,
	// instead of once per tenant.
	GroupTenants bool `yaml:"group_tenants"`
	// Reminders are the mc.reminder days this route delivers (a subset
	// is raised for it); without the key, the top-level reminders; an
	// empty list, none.
	Reminders []int `yaml:"reminders"`
	// Escalate sends an incident, or a Message Center post with an
	// action-required date, that this route announced and nobody
	// acknowledged on the dashboard in time to other channels, once;
	// nil: no escalation.
	Escalate *Escalate `yaml:"escalate" json:",omitempty"`
}

// Escalate is a route's escalation: what stays unacknowledged for
// UnacknowledgedAfter after the route's first notice of it goes to To.
type Escalate struct {
	// UnacknowledgedAfter is how long after the route's first notice of
	// an item nobody may have acknowledged it (nor marked it done or not
	// applicable), e.g. 4h.
	UnacknowledgedAfter Duration `yaml:"unacknowledged_after"`
	// To are the channels the escalation goes to.
	To []string `yaml:"to"`
}

// Match filters events. Lists match when any element matches
// (case-insensitive); all given keys must match.
type Match struct {
	Tenants         []string `yaml:"tenants"`
	Sources         []string `yaml:"sources"` // shd, mc, health
	Events          []string `yaml:"events"`  // event types, e.g. issue.new, mc.updated
	Services        []string `yaml:"services"`
	Features        []string `yaml:"features"` // feature or featureGroup
	Classifications []string `yaml:"classifications"`
	// StatusTo matches issue events whose status changed to (or, for a new
	// issue, is) one of these; StatusFrom those whose status changed from.
	StatusTo   []string `yaml:"status_to"`
	StatusFrom []string `yaml:"status_from"`
	Origins    []string `yaml:"origins"`
	Categories []string `yaml:"categories"`
	Severities []string `yaml:"severities"`
	Tags       []string `yaml:"tags"`
	// MajorChange, when set, matches MC posts with that isMajorChange.
	MajorChange *bool `yaml:"major_change"`
	// Relevant matches Message Center posts that concern the tenant (true)
	// or not (false), judged from its licences or its service health.
	Relevant *bool `yaml:"relevant"`
	// ActionRequiredWithin matches MC posts whose action-required date is
	// within this duration of the event (e.g. 720h).
	ActionRequiredWithin Duration `yaml:"action_required_within"`
	// Keywords match case-insensitively in the title or body; TitleRegex
	// and BodyRegex are Go regular expressions.
	Keywords   []string `yaml:"keywords"`
	TitleRegex string   `yaml:"title_regex"`
	BodyRegex  string   `yaml:"body_regex"`
}

// The translation providers.
const (
	TranslatorDeepL          = "deepl"
	TranslatorAzure          = "azure"
	TranslatorGoogle         = "google"
	TranslatorLibreTranslate = "libretranslate"
	TranslatorOpenAI         = "openai"
)

// Translator configures machine translation. Only the prose Microsoft
// wrote is sent; labels, dates, IDs and product names never are. Without
// a provider, notices in another language show translated labels and
// dates and the English prose, marked as such.
type Translator struct {
	// Provider is deepl, azure, google, libretranslate or openai.
	Provider string `yaml:"provider"`
	// Key (or KeyFile) is the API key; libretranslate and openai may not
	// need one.
	Key     Secret `yaml:"key"`
	KeyFile string `yaml:"key_file"`
	// Plan is free or pro for DeepL (default: from the key's ":fx" suffix).
	Plan string `yaml:"plan"`
	// Region is the Azure resource's region (e.g. japaneast).
	Region string `yaml:"region"`
	// URL is the endpoint: required for libretranslate and openai (the
	// base URL ending in /v1, so a local model server works), optional for
	// the others.
	URL string `yaml:"url"`
	// Model is the openai model name.
	Model string `yaml:"model"`
	// Formality is DeepL's formality: default, more, less, prefer_more or
	// prefer_less (default: prefer_more for Japanese, です・ます).
	Formality string `yaml:"formality"`
	// MonthlyCharBudget caps the characters sent per calendar month; past
	// it, notices go out untranslated with a visible note. 0 = no cap.
	MonthlyCharBudget int `yaml:"monthly_char_budget"`
	// GlossaryFile replaces the shipped glossary: names never translated
	// and, per language, terms with their translation (see README).
	GlossaryFile string `yaml:"glossary_file"`
	// FollowUp sends the translation as an update when it was not ready
	// for the notice (the translator was down): true by default.
	FollowUp bool `yaml:"follow_up"`
}

// Failover names a channel to use when a primary channel of the route has
// been failing for After.
type Failover struct {
	Channel string   `yaml:"channel"`
	After   Duration `yaml:"after"`
}

// QuietHours is a daily window (in the route's time zone) during which
// non-urgent notices are held; From "22:00", To "07:00" spans midnight.
type QuietHours struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// Urgent lists what is sent even in quiet hours: issue statuses
	// (serviceInterruption, …) and MC severities (critical). Default:
	// serviceInterruption and critical.
	Urgent []string `yaml:"urgent"`
}

// Digest schedules a digest route.
type Digest struct {
	// Every is daily (default) or weekly.
	Every string `yaml:"every"`
	// At is the local time of day, e.g. "08:00" (default).
	At string `yaml:"at"`
	// Weekday for weekly digests, e.g. monday (default).
	Weekday string `yaml:"weekday"`
}

// position is where a key path was set: a line and column in the file, or
// the environment variable of the overlay.
type position struct {
	line, col int
	env       string
}

// Default returns the configuration used when a key is left out: a SQLite
// store in the working directory, polling every 5 minutes, UTC, info logs,
// the dashboard on 127.0.0.1:8080, no tenants and no channels.
func Default() *Config {
	return &Config{
		Store:        defaultStore,
		Interval:     defaultInterval,
		FullResync:   defaultFullResync,
		Overlap:      defaultOverlap,
		OverlapEvery: defaultOverlapEvery,
		TimeZone:     defaultTimeZone,
		Baseline:     Baseline{AnnounceActive: true},
		Log:          Log{Level: "info", Format: "text"},
		Serve:        Serve{Addr: defaultAddr},
		Outage:       defaultOutage(),
		Retention:    defaultRetention(),
		Translator:   Translator{FollowUp: true},

		FastLane:         FastLaneAuto,
		IncidentInterval: defaultIncidentInterval,
	}
}

// Load reads the configuration file at path with the process environment
// (for ${NAME} values and the SHDMC_* overlay), decodes it strictly,
// applies defaults and validates it. channels are the channel types the
// file may use (internal/notify/channels.Default()). When the file cannot
// be read the error wraps the os error (errors.Is(err, fs.ErrNotExist)
// works); otherwise a failure is an Errors listing every problem found.
func Load(path string, channels ChannelTypes) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(data, path, os.LookupEnv, channels)
}

// Location returns the time zone of TimeZone, or UTC if it is not valid
// (Validate reports that).
func (c *Config) Location() *time.Location {
	return loadLocation(c.TimeZone)
}

func loadLocation(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// IntervalFor returns the polling interval of a tenant: its own when set,
// the global one otherwise.
func (c *Config) IntervalFor(t *Tenant) time.Duration {
	if t.Interval > 0 {
		return t.Interval.Std()
	}
	return c.Interval.Std()
}

// FastLaneFor returns the fast lane mode of a tenant: its own when set,
// the global one otherwise.
func (c *Config) FastLaneFor(t *Tenant) string {
	if t.FastLane != "" {
		return t.FastLane
	}
	return c.FastLane
}

// IncidentIntervalFor returns the fast lane interval a tenant asks for:
// its own when set, the global one otherwise. Its request plan may raise
// it.
func (c *Config) IncidentIntervalFor(t *Tenant) time.Duration {
	if t.IncidentInterval > 0 {
		return t.IncidentInterval.Std()
	}
	return c.IncidentInterval.Std()
}

// StoreDSN returns the store URL with StorePassword put back in, for the
// store to connect with. It is a Secret because it holds the password.
func (c *Config) StoreDSN() Secret {
	if c.StorePassword == "" {
		return Secret(c.Store)
	}
	u, err := url.Parse(c.Store)
	if err != nil || u.Host == "" {
		return Secret(c.Store)
	}
	user := ""
	if u.User != nil {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, c.StorePassword.Reveal())
	return Secret(u.String())
}

// Enabled reports whether a source flag is on (nil means on).
func Enabled(b *bool) bool { return b == nil || *b }

// cloudEndpoints returns the Microsoft Graph root and Entra authority
// host of a cloud (Microsoft Graph "national cloud deployments").
func cloudEndpoints(cloud string) (graphRoot, authorityHost string) {
	switch cloud {
	case CloudGCCHigh:
		return "https://graph.microsoft.us", "https://login.microsoftonline.us"
	case CloudDoD:
		return "https://dod-graph.microsoft.us", "https://login.microsoftonline.us"
	case CloudChina:
		return "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"
	default:
		return "https://graph.microsoft.com", "https://login.microsoftonline.com"
	}
}

// canonicalCloud resolves a cloud name or alias; ok is false for unknown
// clouds.
func canonicalCloud(name string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "global", "public", "gcc":
		return CloudGlobal, true
	case "gcchigh", "gcc-high", "usgov", "usgovl4":
		return CloudGCCHigh, true
	case "dod", "usgovl5":
		return CloudDoD, true
	case "china":
		return CloudChina, true
	}
	return "", false
}

// Endpoints returns the Microsoft Graph root and the Entra authority host
// for the tenant: the overrides when set, its cloud's otherwise.
func (t *Tenant) Endpoints() (graphRoot, authorityHost string) {
	c, ok := canonicalCloud(t.Cloud)
	if !ok {
		c = CloudGlobal
	}
	graphRoot, authorityHost = cloudEndpoints(c)
	if t.GraphRoot != "" {
		graphRoot = strings.TrimRight(t.GraphRoot, "/")
	}
	if t.AuthorityHost != "" {
		authorityHost = t.AuthorityHost
	}
	return graphRoot, authorityHost
}

// DisplayName returns Name, or ID when Name is empty.
func (t *Tenant) DisplayName() string {
	if t.Name != "" {
		return t.Name
	}
	return t.ID
}

// resolvePath makes p relative to dir unless it is absolute.
func resolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}
