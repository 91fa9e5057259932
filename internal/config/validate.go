package config

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/shdmc/shdmc/internal/netsafe"
)

var (
	tenantKeyRE = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	guidRE      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// Validate checks the configuration and returns an Errors listing every
// problem, or nil. It also reads the certificate and CA files, which must
// exist and parse. Problems are located by line when the Config came from
// Load or Parse.
func (c *Config) Validate() error {
	var errs Errors
	for _, p := range c.validate() {
		if !p.Warning {
			errs = append(errs, p.Error)
		}
	}
	return errs.orNil()
}

// validator collects problems, locating each through the Config's
// positions.
type validator struct {
	c        *Config
	problems []problem
}

// problem is an Error with the keys whose own errors would explain it
// (Parse drops it when one of them was already reported).
type problem struct {
	Error
	related []string
}

// warnf records a warning at key: something that does not stop shdmc but
// is almost certainly not what was meant, such as a route no event can
// match.
func (v *validator) warnf(key, format string, args ...any) {
	v.errf(key, format, args...)
	v.problems[len(v.problems)-1].Warning = true
}

// oneOf reports value at key unless it is one of allowed (exactly).
func (v *validator) oneOf(key, what, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	v.errf(key, "%s", UnknownValue(what, value, allowed...))
}

// errf records a problem at key. A key that was not in the file is
// located at the closest enclosing key that was (a missing tenant_id at
// its tenants entry); one set by the environment overlay says so.
func (v *validator) errf(key, format string, args ...any) {
	v.errfRelated(key, nil, format, args...)
}

// errfRelated is errf for a problem that follows from problems at the
// related keys, if they have any.
func (v *validator) errfRelated(key string, related []string, format string, args ...any) {
	e := Error{File: v.c.Path, Key: key, Msg: fmt.Sprintf(format, args...)}
	for k := key; ; k = parentKey(k) {
		if p, ok := v.c.pos[k]; ok {
			e.Line, e.Column = p.line, p.col
			if p.env != "" && k == key {
				e.Msg += " (from " + p.env + ")"
			}
			break
		}
		if k == "" {
			break
		}
	}
	v.problems = append(v.problems, problem{Error: e, related: related})
}

// parentKey strips the last element of a key path: tenants[0].id →
// tenants[0] → tenants → "".
func parentKey(k string) string {
	if strings.HasSuffix(k, "]") {
		if i := strings.LastIndexByte(k, '['); i >= 0 {
			return k[:i]
		}
	}
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		return k[:i]
	}
	return ""
}

func (c *Config) validate() []problem {
	v := &validator{c: c}
	v.store()
	v.durations()
	v.timeZone("time_zone", c.TimeZone)
	v.oneOf("log.level", "level", c.Log.Level, "debug", "info", "warn", "error")
	v.oneOf("log.format", "format", c.Log.Format, "text", "json")
	if _, _, err := net.SplitHostPort(c.Serve.Addr); err != nil {
		v.errf("serve.addr", "invalid listen address %q: want host:port such as 127.0.0.1:8080", c.Serve.Addr)
	} else if host, _, _ := net.SplitHostPort(c.Serve.Addr); !netsafe.IsLoopback(host) && c.Serve.Token == "" && c.Serve.Username == "" {
		v.errf("serve.addr", "%s is reachable beyond this machine: set serve.token (or token_file) or serve.username and password first", c.Serve.Addr)
	}
	if (c.Serve.Username == "") != (c.Serve.Password == "") {
		v.errfRelated("serve.password", []string{"serve.password", "serve.password_file"}, "basic auth needs both serve.username and serve.password (or password_file)")
	}
	ids := map[string]int{}
	for i := range c.Tenants {
		v.tenant(i, ids)
	}
	names := map[string]int{}
	for i := range c.Channels {
		v.channel(i, names)
	}
	routes := map[string]int{}
	for i := range c.Routes {
		v.route(i, routes)
	}
	v.translator()
	v.outage()
	v.retention()
	v.reminders()
	return v.problems
}

func (v *validator) store() {
	s := v.c.Store
	switch {
	case strings.HasPrefix(s, "sqlite://"):
		if strings.TrimPrefix(s, "sqlite://") == "" {
			v.errf("store", "missing the database file: write sqlite://shdmc.db")
		}
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			v.errf("store", "invalid PostgreSQL URL: want postgres://user@host:5432/dbname")
		}
	default:
		v.errf("store", "unsupported store %q: use sqlite://path or postgres://user@host/dbname", netsafe.DSN(s))
	}
}

func (v *validator) durations() {
	c := v.c
	if c.Interval < MinInterval {
		v.errf("interval", "%s is below the minimum of %s: Microsoft Graph allows 800 service-communications requests per hour per app and tenant", c.Interval, MinInterval)
	}
	if !slices.Contains([]string{FastLaneAuto, FastLaneAlways, FastLaneOff}, c.FastLane) {
		v.errf("fast_lane", "unknown mode %q (want auto, always or off)", c.FastLane)
	}
	v.incidentInterval("incident_interval", c.IncidentInterval, c.Interval)
	if c.FullResync < c.Interval {
		v.errf("full_resync", "%s is shorter than interval (%s)", c.FullResync, c.Interval)
	}
	if c.Overlap < 0 {
		v.errf("overlap", "must not be negative, got %s", c.Overlap)
	}
	if c.OverlapEvery < 0 {
		v.errf("overlap_every", "must not be negative, got %s", c.OverlapEvery)
	}
}

func (v *validator) timeZone(key, name string) {
	if _, err := time.LoadLocation(name); err != nil {
		v.errf(key, "unknown time zone %q: use an IANA name such as UTC, Europe/Berlin or Asia/Tokyo", name)
	}
}

func (v *validator) tenant(i int, ids map[string]int) {
	t := &v.c.Tenants[i]
	p := fmt.Sprintf("tenants[%d]", i)
	switch {
	case t.ID == "":
		v.errf(p+".id", "missing id: a short name such as contoso (a-z, 0-9, '-' and '_')")
	case !tenantKeyRE.MatchString(t.ID):
		v.errf(p+".id", "invalid id %q: use 1 to 64 of a-z, 0-9, '-' and '_'", t.ID)
	default:
		if j, dup := ids[t.ID]; dup {
			v.errf(p+".id", "duplicate tenant id %q (also tenants[%d])", t.ID, j)
		} else {
			ids[t.ID] = i
		}
	}

	switch {
	case t.TenantID == "":
		v.errf(p+".tenant_id", "missing tenant_id: the Entra tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com")
	case !validTenantID(t.TenantID):
		v.errf(p+".tenant_id", "invalid tenant_id %q: want a GUID or a domain such as contoso.onmicrosoft.com (letters, digits, '.' and '-' only)", t.TenantID)
	}

	auth := t.Auth
	switch auth {
	case AuthClientSecret, AuthCertificate, AuthManagedIdentity, AuthWorkloadIdentity:
	case "":
		v.errfRelated(p+".auth", []string{p + ".client_secret", p + ".client_secret_file", p + ".certificate_file", p + ".auth"}, "no credentials: set client_secret (or client_secret_file), certificate_file, or auth: managed_identity or workload_identity")
	default:
		v.oneOf(p+".auth", "auth", auth, AuthClientSecret, AuthCertificate, AuthManagedIdentity, AuthWorkloadIdentity)
	}

	switch {
	case t.ClientID == "" && auth != AuthManagedIdentity:
		v.errf(p+".client_id", "missing client_id: the application (client) ID of the app registration, a GUID")
	case t.ClientID != "" && !guidRE.MatchString(t.ClientID):
		v.errf(p+".client_id", "invalid client_id %q: want a GUID like 00000000-0000-0000-0000-000000000000", t.ClientID)
	}

	if auth == AuthClientSecret && t.ClientSecret == "" {
		v.errf(p+".client_secret", "auth client_secret needs client_secret or client_secret_file")
	}
	if auth != AuthClientSecret && auth != "" && (t.ClientSecret != "" || t.ClientSecretFile != "") {
		v.errf(p+".client_secret", "a client secret is set but auth is %s; remove it or set auth: client_secret", auth)
	}
	if auth == AuthCertificate {
		if t.CertificateFile == "" {
			v.errf(p+".certificate_file", "auth certificate needs certificate_file")
		} else if err := checkCertificate(t.CertificateFile, t.CertificatePassword); err != nil {
			v.errfRelated(p+".certificate_file", []string{p + ".certificate_password"}, "%v", err)
		}
	} else if auth != "" && t.CertificateFile != "" {
		v.errf(p+".certificate_file", "certificate_file is set but auth is %s; remove it or set auth: certificate", auth)
	}
	if t.ManagedIdentityClientID != "" && auth != AuthManagedIdentity {
		v.errf(p+".managed_identity_client_id", "only used with auth: managed_identity (auth is %s)", auth)
	}

	if _, ok := canonicalCloud(t.Cloud); !ok {
		switch strings.ToLower(t.Cloud) {
		case "germany", "de", "german", "germancloud", "azuregermany":
			v.errf(p+".cloud", "Microsoft Cloud Deutschland was retired (tenants moved to the global cloud); use cloud: global")
		default:
			v.oneOf(p+".cloud", "cloud", t.Cloud, CloudGlobal, CloudGCCHigh, CloudDoD, CloudChina)
		}
	}
	if t.GraphRoot != "" {
		if err := checkURL(t.GraphRoot); err != nil {
			v.errf(p+".graph_root", "%v", err)
		}
	}
	if t.AuthorityHost != "" {
		if err := checkURL(t.AuthorityHost); err != nil {
			v.errf(p+".authority_host", "%v", err)
		}
	}
	if t.CAFile != "" {
		if err := checkCAFile(t.CAFile); err != nil {
			v.errf(p+".ca_file", "%v", err)
		}
	}
	if t.Interval != 0 && t.Interval < MinInterval {
		v.errf(p+".interval", "%s is below the minimum of %s: Microsoft Graph allows 800 service-communications requests per hour per app and tenant", t.Interval, MinInterval)
	}
	if t.FastLane != "" && !slices.Contains([]string{FastLaneAuto, FastLaneAlways, FastLaneOff}, t.FastLane) {
		v.errf(p+".fast_lane", "unknown mode %q (want auto, always or off)", t.FastLane)
	}
	switch iv, interval := Duration(v.c.IncidentIntervalFor(t)), Duration(v.c.IntervalFor(t)); {
	case t.IncidentInterval != 0:
		v.incidentInterval(p+".incident_interval", iv, interval)
	case t.Interval != 0 && iv > t.Interval && t.Interval >= MinInterval:
		v.errf(p+".interval", "%s is shorter than incident_interval (%s): set the tenant's incident_interval too", t.Interval, iv)
	}
}

// incidentInterval checks a fast lane interval against the polling
// interval it speeds up.
func (v *validator) incidentInterval(key string, iv, interval Duration) {
	switch {
	case iv < MinIncidentInterval:
		v.errf(key, "%s is below the minimum of %s", iv, MinIncidentInterval)
	case iv > interval && interval >= MinInterval:
		v.errf(key, "%s is longer than the polling interval (%s) it shortens", iv, interval)
	}
}

// validTenantID follows azidentity's rule: letters, digits, '.' and '-'.
func validTenantID(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return false
		}
	}
	return s != ""
}

// checkURL accepts https URLs, and http ones only for loopback hosts (the
// local simulator): tokens must not travel in clear text.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL such as https://graph.microsoft.com", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if netsafe.IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q must use https (http is allowed only for loopback addresses)", s)
	default:
		return fmt.Errorf("%q must be an https URL", s)
	}
}

// maxCertFile bounds certificate and CA files.
const maxCertFile = 4 << 20

// checkCertificate reads a client certificate the way the Graph client
// will (azidentity.ParseCertificates) so that a wrong file or password is
// found at startup. Errors name the file, never the password.
func checkCertificate(path string, password Secret) error {
	data, err := readLimited(path, maxCertFile)
	if err != nil {
		return fmt.Errorf("cannot read the certificate: %w", err)
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return checkPEMCertificate(path, data, password)
	}
	certs, key, err := azidentity.ParseCertificates(data, []byte(password.Reveal()))
	switch {
	case err != nil && strings.Contains(err.Error(), "unknown digest algorithm"):
		return fmt.Errorf("cannot load the PKCS#12 file %s: %v (files exported by OpenSSL 3 need 'openssl pkcs12 -export -legacy', or a PEM file)", path, err)
	case err != nil && strings.Contains(err.Error(), "password"):
		return fmt.Errorf("cannot load the PKCS#12 file %s: %v (check certificate_password)", path, err)
	case err != nil && (strings.EqualFold(filepath.Ext(path), ".pfx") || strings.EqualFold(filepath.Ext(path), ".p12")):
		return fmt.Errorf("cannot load the PKCS#12 file %s: %v", path, err)
	case err != nil:
		return fmt.Errorf("%s is neither PEM (certificate and private key) nor PKCS#12 (.pfx/.p12)", path)
	case len(certs) == 0 || key == nil:
		return fmt.Errorf("%s must hold both the certificate and its private key", path)
	}
	return nil
}

// checkPEMCertificate checks a PEM client certificate, explaining what is
// missing; azidentity reads only unencrypted keys from PEM.
func checkPEMCertificate(path string, data []byte, password Secret) error {
	if password != "" {
		return fmt.Errorf("%s is PEM, but certificate_password only decrypts PKCS#12 (.pfx/.p12) files: store the PEM key unencrypted or use a .pfx", path)
	}
	var hasCert, hasKey bool
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "CERTIFICATE":
			hasCert = true
		case b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] == "4,ENCRYPTED":
			return fmt.Errorf("%s holds an encrypted private key, which is not supported: decrypt it (openssl pkey -in key.pem -out plain.pem) or use a .pfx with certificate_password", path)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			hasKey = true
		}
	}
	switch {
	case !hasCert && !hasKey:
		return fmt.Errorf("%s holds no PEM certificate or private key", path)
	case !hasCert:
		return fmt.Errorf("%s holds a private key but no certificate: put both in one file", path)
	case !hasKey:
		return fmt.Errorf("%s holds a certificate but no private key: put both in one file", path)
	}
	if _, _, err := azidentity.ParseCertificates(data, nil); err != nil {
		return fmt.Errorf("cannot load the certificate from %s: %v", path, err)
	}
	return nil
}

// checkCAFile requires a PEM file with at least one CA certificate.
func checkCAFile(path string) error {
	data, err := readLimited(path, maxCertFile)
	if err != nil {
		return fmt.Errorf("cannot read the CA bundle: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return fmt.Errorf("%s holds no PEM certificate", path)
	}
	return nil
}

func (v *validator) channel(i int, names map[string]int) {
	ch := &v.c.Channels[i]
	p := fmt.Sprintf("channels[%d]", i)
	if ch.Name == "" {
		v.errf(p+".name", "missing name")
	} else if j, dup := names[ch.Name]; dup {
		v.errf(p+".name", "duplicate channel name %q (also channels[%d])", ch.Name, j)
	} else {
		names[ch.Name] = i
	}
	// The keys every channel has are checked whatever its type.
	if ch.TimeZone != "" {
		v.timeZone(p+".time_zone", ch.TimeZone)
	}
	if ch.Timeout < 0 {
		v.errf(p+".timeout", "must not be negative")
	}
	types := strings.Join(v.c.channelTypes, ", ")
	switch {
	case ch.Type == "" && types == "":
		v.errf(p+".type", "missing type")
		return
	case ch.Type == "":
		v.errf(p+".type", "missing type (%s)", types)
		return
	case ch.Settings == nil && types == "":
		v.errf(p+".type", "no settings for channel type %q", ch.Type)
		return
	case ch.Settings == nil:
		if s := Suggest(ch.Type, v.c.channelTypes); s != "" {
			v.errf(p+".type", "unknown channel type %q (did you mean %s?)", ch.Type, s)
		} else {
			v.errf(p+".type", "unknown channel type %q (want one of %s)", ch.Type, types)
		}
		return
	}
	for _, e := range fieldErrors(ch.Settings.Validate()) {
		related := make([]string, len(e.Related))
		for j, r := range e.Related {
			related[j] = join(p, r)
		}
		v.errfRelated(join(p, e.Key), related, "%s", e.Msg)
	}
}

// route checks one route against the channels.
func (v *validator) route(i int, names map[string]int) {
	r := &v.c.Routes[i]
	p := fmt.Sprintf("routes[%d]", i)
	if r.Name == "" {
		v.errf(p+".name", "missing name")
	} else if !tenantKeyRE.MatchString(r.Name) {
		v.errf(p+".name", "name %q may only hold a-z, 0-9, '-' and '_'", r.Name)
	} else if j, dup := names[r.Name]; dup {
		v.errf(p+".name", "duplicate route name %q (also routes[%d])", r.Name, j)
	} else {
		names[r.Name] = i
	}
	channels := map[string]bool{}
	for _, c := range v.c.Channels {
		channels[c.Name] = true
	}
	if len(r.Channels) == 0 {
		v.errf(p+".channels", "a route needs at least one channel")
	}
	for j, c := range r.Channels {
		if !channels[c] {
			v.errf(fmt.Sprintf("%s.channels[%d]", p, j), "no channel named %q", c)
		}
	}
	if r.Failover.Channel != "" {
		if !channels[r.Failover.Channel] {
			v.errf(p+".failover.channel", "no channel named %q", r.Failover.Channel)
		}
		if slices.Contains(r.Channels, r.Failover.Channel) {
			v.errf(p+".failover.channel", "the failover channel %q is already one of the route's channels", r.Failover.Channel)
		}
		if r.Failover.After <= 0 {
			v.errf(p+".failover.after", "failover needs after, e.g. 15m")
		}
	}
	if r.Language != "" && !slices.Contains(Languages(), r.Language) {
		if sug := Suggest(r.Language, Languages()); sug != "" {
			v.errf(p+".language", "unsupported language %q (did you mean %s?)", r.Language, sug)
		} else {
			v.errf(p+".language", "unsupported language %q (want %s)", r.Language, orList(Languages()))
		}
	}
	if r.Mode != "" {
		v.oneOf(p+".mode", "mode", r.Mode, "bilingual", "translated", "side-by-side")
	}
	if r.TimeZone != "" {
		v.timeZone(p+".time_zone", r.TimeZone)
	}
	if r.Template != "" {
		v.oneOf(p+".template", "template", r.Template, "full", "short")
	}
	if r.Delivery != "" {
		v.oneOf(p+".delivery", "delivery", r.Delivery, "instant", "digest")
	}
	q := r.QuietHours
	if q.From != "" || q.To != "" {
		if _, err := ParseClock(q.From); err != nil {
			v.errf(p+".quiet_hours.from", "%v", err)
		}
		if _, err := ParseClock(q.To); err != nil {
			v.errf(p+".quiet_hours.to", "%v", err)
		}
	}
	v.urgent(p, q.Urgent)
	// The digest's own values are checked whatever the delivery, so that
	// setting delivery: digest brings no new complaint.
	if r.Digest.Every != "" && r.Digest.Every != "daily" && r.Digest.Every != "weekly" {
		v.errf(p+".digest.every", "%s", UnknownValue("schedule", r.Digest.Every, "daily", "weekly"))
	}
	if r.Digest.At != "" {
		if _, err := ParseClock(r.Digest.At); err != nil {
			v.errf(p+".digest.at", "%v", err)
		}
	}
	if r.Digest.Weekday != "" {
		if _, err := ParseWeekday(r.Digest.Weekday); err != nil {
			v.errf(p+".digest.weekday", "%v", err)
		}
	}
	if r.Delivery != "digest" && r.Digest != (Digest{}) {
		v.errf(p+".digest", "digest is only used with delivery: digest")
	}
	if r.GroupTenants && !matchesMessages(r.Match) {
		v.errf(p+".group_tenants", "group_tenants groups Message Center posts, but this route matches no Message Center event "+
			"(add mc to match.sources, or mc.* to match.events)")
	}
	m := r.Match
	for key, re := range map[string]string{"title_regex": m.TitleRegex, "body_regex": m.BodyRegex} {
		if _, err := regexp.Compile(re); re != "" && err != nil {
			v.errf(p+".match."+key, "invalid regular expression: %v", err)
		}
	}
	v.match(p, m)
	v.escalate(p, r)
	if m.ActionRequiredWithin < 0 {
		v.errf(p+".match.action_required_within", "must not be negative")
	}
}

// Languages are the notice languages with a message catalog.
func Languages() []string { return []string{"en", "ja"} }

// ParseClock parses a time of day "HH:MM" into minutes after midnight.
func ParseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("invalid time of day %q (want HH:MM, e.g. 07:30)", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// ParseWeekday parses an English weekday name.
func ParseWeekday(s string) (time.Weekday, error) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(d.String(), s) || strings.EqualFold(d.String()[:3], s) {
			return d, nil
		}
	}
	var days []string
	for d := time.Sunday; d <= time.Saturday; d++ {
		days = append(days, strings.ToLower(d.String()))
	}
	if sug := Suggest(s, days); sug != "" {
		return 0, fmt.Errorf("unknown weekday %q (want monday … sunday; did you mean %s?)", s, sug)
	}
	return 0, fmt.Errorf("unknown weekday %q (want monday … sunday)", s)
}

func (v *validator) translator() {
	t := &v.c.Translator
	const p = "translator"
	switch t.Provider {
	case "":
		rest := *t
		rest.FollowUp = false // has a default, says nothing about a provider
		if rest == (Translator{}) {
			return
		}
		v.errf(p+".provider", "missing provider (deepl, azure, google, libretranslate or openai)")
	case TranslatorDeepL, TranslatorAzure, TranslatorGoogle:
		if t.Key == "" {
			v.errfRelated(p+".key", []string{p + ".key", p + ".key_file"}, "%s needs key (or key_file)", t.Provider)
		}
	case TranslatorLibreTranslate, TranslatorOpenAI:
		if t.URL == "" {
			v.errf(p+".url", "%s needs url", t.Provider)
		}
	default:
		// The other keys are still checked, so that they need no second round.
		v.oneOf(p+".provider", "provider", t.Provider, TranslatorDeepL, TranslatorAzure, TranslatorGoogle, TranslatorLibreTranslate, TranslatorOpenAI)
	}
	if t.URL != "" {
		if u, err := url.Parse(t.URL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && netsafe.IsLoopback(u.Hostname()))) {
			v.errf(p+".url", "url must be an https URL (http only for a loopback host such as a local model server)")
		}
	}
	if t.Provider == TranslatorOpenAI && t.Model == "" {
		v.errf(p+".model", "openai needs model")
	}
	if t.Provider == TranslatorAzure && t.Region == "" {
		v.errf(p+".region", "azure needs region (the Translator resource's region, e.g. japaneast)")
	}
	switch {
	case t.Plan == "":
	case t.Provider != TranslatorDeepL:
		v.errf(p+".plan", "plan is free or pro, for deepl only")
	case t.Plan != "free" && t.Plan != "pro":
		v.errf(p+".plan", "%s; plan is free or pro, for deepl only", UnknownValue("plan", t.Plan, "free", "pro"))
	}
	if t.Formality != "" && (t.Provider != TranslatorDeepL || !slices.Contains([]string{"default", "more", "less", "prefer_more", "prefer_less"}, t.Formality)) {
		v.errf(p+".formality", "formality is default, more, less, prefer_more or prefer_less, for deepl only")
	}
	if t.MonthlyCharBudget < 0 {
		v.errf(p+".monthly_char_budget", "must not be negative")
	}
	if t.GlossaryFile != "" {
		if _, err := os.Stat(t.GlossaryFile); err != nil {
			v.errf(p+".glossary_file", "cannot read %s: %v", t.GlossaryFile, errors.Unwrap(err))
		}
	}
}

// matchesMessages reports whether a route's match can select Message
// Center events: its sources (if any) include mc and its events (if any)
// include an mc.* type.
func matchesMessages(m Match) bool {
	if len(m.Sources) > 0 && !slices.ContainsFunc(m.Sources, func(s string) bool { return strings.EqualFold(s, "mc") }) {
		return false
	}
	if len(m.Events) > 0 && !slices.ContainsFunc(m.Events, func(e string) bool { return strings.HasPrefix(strings.ToLower(e), "mc.") }) {
		return false
	}
	return true
}
