package wire

import (
	"net/http"
	"testing"
	"time"
)

func TestRateLimitDelay(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, time.Minute},
		{"retry-after wins", http.Header{"Retry-After": {"30"}, "X-Ratelimit-Reset": {"1772366700"}}, 30 * time.Second},
		{"unix reset", http.Header{"X-Ratelimit-Reset": {"1772366700"}}, 5 * time.Minute},
		{"ISO reset (Jira)", http.Header{"X-Ratelimit-Reset": {"2026-03-01T12:07Z"}}, 7 * time.Minute},
		{"past reset", http.Header{"X-Ratelimit-Reset": {"1772366000"}}, time.Minute},
		{"capped", http.Header{"X-Ratelimit-Reset": {"1772460000"}}, time.Hour},
		{"at least a second", http.Header{"Retry-After": {"0.2"}}, time.Second},
	}
	for _, tt := range tests {
		if got := RateLimitDelay(tt.h, now, time.Minute); got != tt.want {
			t.Errorf("%s: RateLimitDelay = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	tests := map[string]string{
		"https://contoso.atlassian.net":      "",
		"http://127.0.0.1:8080":              "",
		"":                                   "site: is required, e.g. https://x",
		"contoso.atlassian.net":              "site: must be an absolute URL, e.g. https://x",
		"http://contoso.atlassian.net":       "site: must use https (http only for a loopback host)",
		"https://u:p@contoso.atlassian.net":  "site: must not hold credentials; set them in their own keys",
		"https://contoso.atlassian.net/?x=1": "site: must not have a query or fragment",
	}
	for in, want := range tests {
		got := CheckBaseURL("site", in, "https://x").Err()
		if (got == nil) != (want == "") || (got != nil && got.Error() != want) {
			t.Errorf("CheckBaseURL(%q) = %v, want %q", in, got, want)
		}
	}
}
