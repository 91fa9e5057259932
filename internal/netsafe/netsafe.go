// Package netsafe keeps secrets off the wire and out of messages. It tells
// loopback hosts, the only ones to which shdmc sends in clear text (plain
// http to the simulator or a test server, SMTP without TLS to a local
// relay), from every other host; and it redacts what may end up in an
// error or a log line: URLs whose path or query is a credential (webhook
// URLs), database DSNs with a password, and known secret values in any
// text, including their usual encodings.
//
// It imports nothing of shdmc's, so that every package can use it.
package netsafe

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Mask is what replaces a secret in text.
const Mask = "<redacted>"

// IsLoopback reports whether host, a host name or an IP address without
// port or brackets (url.URL.Hostname, net.SplitHostPort), names only this
// machine: "localhost" in any case, or a loopback address (127.0.0.0/8,
// ::1).
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL returns the scheme and host of a URL followed by "/…", e.g.
// "https://prod-12.westeurope.logic.azure.com/…": the path and query of a
// webhook URL carry its credential, and user info a password. An
// unparsable URL, or one without scheme or host, becomes "<url>".
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "<url>"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// DSN returns a URL-like database DSN (scheme://user:password@host/db?…)
// with the password of its user info and every password query parameter
// replaced by Mask; the user name, host, database and other parameters
// stay, as they are what a reader needs to tell which database is meant.
// It works on the text rather than a parsed URL, so that a DSN that does
// not parse cannot slip through. A DSN without "://" (a SQLite path) is
// returned as it is.
func DSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if slash := strings.Index(rest, "/"); slash < 0 || at < slash {
			if user, _, hasPassword := strings.Cut(rest[:at], ":"); hasPassword {
				rest = user + ":" + Mask + rest[at:]
			}
		}
	}
	if base, query, ok := strings.Cut(rest, "?"); ok {
		params := strings.Split(query, "&")
		for i, p := range params {
			if name, _, _ := strings.Cut(p, "="); strings.EqualFold(name, "password") {
				params[i] = name + "=" + Mask
			}
		}
		rest = base + "?" + strings.Join(params, "&")
	}
	return scheme + "://" + rest
}

// minQueryValue is the length from which a query value of a secret URL
// is taken for a credential (a signature), not a version such as "1.0".
const minQueryValue = 6

// Secrets returns s with every non-empty secret replaced by Mask: the
// secret as it is, and as it reads once encoded the usual ways: URL query
// escaped, URL path escaped, base64 (standard and URL alphabets, with and
// without padding) and inside a JSON string (with and without HTML
// escaping). For a secret that is an absolute URL, its query, the query
// values of six characters or more and its path are replaced too, since a
// server or library may quote them apart from the URL.
func Secrets(s string, secrets ...string) string {
	var forms []string
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		forms = append(forms, encodings(sec)...)
		if u, err := url.Parse(sec); err == nil && u.Host != "" {
			if u.RawQuery != "" {
				forms = append(forms, u.RawQuery)
				for _, vs := range u.Query() {
					for _, v := range vs {
						if len(v) >= minQueryValue {
							forms = append(forms, encodings(v)...)
						}
					}
				}
			}
			if len(u.Path) > 1 {
				forms = append(forms, u.EscapedPath())
			}
		}
	}
	// Longest first, so that a form containing another is replaced whole.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	for _, f := range slices.Compact(forms) {
		s = strings.ReplaceAll(s, f, Mask)
	}
	return s
}

// encodings returns sec and its encoded forms.
func encodings(sec string) []string {
	b := []byte(sec)
	forms := []string{
		sec,
		url.QueryEscape(sec),
		url.PathEscape(sec),
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		jsonString(sec, true),
		jsonString(sec, false),
	}
	return slices.DeleteFunc(forms, func(f string) bool { return f == "" })
}

// jsonString returns sec as it reads inside a JSON string, without the
// quotes.
func jsonString(sec string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(sec); err != nil {
		return ""
	}
	out := strings.TrimSuffix(b.String(), "\n")
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}
