package wire

import (
	"strings"
	"testing"
	"time"
)

func TestRetryAfterDelay(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {"1.5", 1500 * time.Millisecond}, {"-3", 0}, {"soon", 0},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second}, {"Sun, 01 Mar 2026 11:00:00 GMT", 0}, {"86400", time.Hour},
	}
	for _, tt := range tests {
		if got := RetryAfterDelay(tt.in, now); got != tt.want {
			t.Errorf("RetryAfterDelay(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// Redact and Scrub moved to internal/netsafe (URL and Secrets), with their
// assertions (TestURL, TestSecretsWireScrub).
func TestExcerpt(t *testing.T) {
	u := "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRET42"
	if s := Excerpt([]byte("failed for "+u+" and sig=SECRET42"), 300, u); strings.Contains(s, "SECRET") || strings.Contains(s, "/workflows/abc") {
		t.Errorf("Excerpt left a secret: %q", s)
	}
	ex := Excerpt([]byte("障害\n  情報です"), 7)
	if ex != "障害…" { // 7 bytes would cut "情" in the middle
		t.Errorf("Excerpt = %q", ex)
	}
}
