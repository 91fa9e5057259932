package netsafe

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"", false},
		{"0.0.0.0", false},
		{"::", false},
		{"10.0.0.1", false},
		{"example.com", false},
		{"localhost.example.com", false},
		{"[::1]", false}, // callers pass host names without brackets
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.host); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET42",
			"https://prod-12.westeurope.logic.azure.com:443/…"},
		{"https://user:SECRET42@hooks.example.com/x", "https://hooks.example.com/…"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/…"},
		{"::not a url", "<url>"},
		{"hooks.example.com/x", "<url>"},
		{"", "<url>"},
	}
	for _, tt := range tests {
		if got := URL(tt.raw); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		dsn, want string
	}{
		{"postgres://user:hunter2@127.0.0.1:1/shdmc?connect_timeout=5", "postgres://user:<redacted>@127.0.0.1:1/shdmc?connect_timeout=5"},
		{"postgres://127.0.0.1:1/shdmc?user=u&password=hunter2&connect_timeout=5", "postgres://127.0.0.1:1/shdmc?user=u&password=<redacted>&connect_timeout=5"},
		{"postgres://u:p@ss:w@rd@db/shdmc", "postgres://u:<redacted>@db/shdmc"},
		{"postgresql://user:hunter2@127.0.0.1:notaport/shdmc", "postgresql://user:<redacted>@127.0.0.1:notaport/shdmc"},
		{"mysql://root:hunter2@localhost/x", "mysql://root:<redacted>@localhost/x"},
		{"postgres://shdmc@db.example.com:5432/shdmc?sslmode=verify-full", "postgres://shdmc@db.example.com:5432/shdmc?sslmode=verify-full"},
		{"postgres://db/shdmc?PASSWORD=hunter2", "postgres://db/shdmc?PASSWORD=<redacted>"},
		{"sqlite://shdmc.db", "sqlite://shdmc.db"},
		{"/var/lib/shdmc/shdmc.db", "/var/lib/shdmc/shdmc.db"},
		{"", ""},
	}
	for _, tt := range tests {
		got := DSN(tt.dsn)
		if got != tt.want {
			t.Errorf("DSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
		if strings.Contains(got, "hunter2") || strings.Contains(got, "ss:w") {
			t.Errorf("DSN(%q) = %q leaks the password", tt.dsn, got)
		}
	}
}

func TestSecrets(t *testing.T) {
	hook := "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET42"
	// A secret with characters that every encoding changes.
	const sec = `pa ss/wo+rd?&="<x>`
	b := []byte(sec)
	jsonEsc, _ := json.Marshal(sec)
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"plain", "auth failed for s3cr3t-value", []string{"s3cr3t-value"}, "auth failed for <redacted>"},
		{"empty secret ignored", "nothing to hide", []string{"", "absent"}, "nothing to hide"},
		{"several", "a=one1 b=two2", []string{"one1", "two2"}, "a=<redacted> b=<redacted>"},
		{"url whole", "failed for " + hook, []string{hook}, "failed for <redacted>"},
		{"url path", "POST /workflows/abc/triggers/manual/paths/invoke failed", []string{hook}, "POST <redacted> failed"},
		{"url query value", "bad sig=SECRET42", []string{hook}, "bad sig=<redacted>"},
		{"url short query value kept", "api-version=1 is old", []string{hook}, "api-version=1 is old"},
		{"query escaped", "q=" + url.QueryEscape(sec), []string{sec}, "q=<redacted>"},
		{"path escaped", "/x/" + url.PathEscape(sec), []string{sec}, "/x/<redacted>"},
		{"base64", "Basic " + base64.StdEncoding.EncodeToString(b), []string{sec}, "Basic <redacted>"},
		{"base64 raw", "t=" + base64.RawStdEncoding.EncodeToString(b) + ";", []string{sec}, "t=<redacted>;"},
		{"base64 url", "t=" + base64.URLEncoding.EncodeToString(b), []string{sec}, "t=<redacted>"},
		{"base64 raw url", "t=" + base64.RawURLEncoding.EncodeToString(b), []string{sec}, "t=<redacted>"},
		{"json", `{"password":` + string(jsonEsc) + `}`, []string{sec}, `{"password":"<redacted>"}`},
		{"json without html escaping", `{"password":"pa ss/wo+rd?&=\"<x>"}`, []string{sec}, `{"password":"<redacted>"}`},
		{"json in url secret", `{"url":"` + strings.ReplaceAll(hook, "&", `\u0026`) + `"}`, []string{hook}, `{"url":"<redacted>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Secrets(tt.in, tt.secrets...)
			if got != tt.want {
				t.Errorf("Secrets(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSecretsWireScrub keeps the assertion the webhook channels' Scrub
// made before it moved here.
func TestSecretsWireScrub(t *testing.T) {
	u := "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET42"
	s := Secrets("failed for "+u+" and /workflows/abc/triggers/manual/paths/invoke and sig=SECRET42", u)
	if strings.Contains(s, "SECRET") || strings.Contains(s, "/workflows/abc") {
		t.Errorf("Secrets left a secret: %q", s)
	}
}
