package graph

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSummarizeAuth(t *testing.T) {
	tests := []struct{ in, want string }{
		{
			in: "ClientSecretCredential authentication failed. POST https://login/t/oauth2/v2.0/token\n" +
				"--------\nRESPONSE 401: 401 Unauthorized\n--------\n" +
				`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Trace ID: x Correlation ID: y"}` +
				"\n--------\nTo troubleshoot, visit https://aka.ms/x",
			want: "ClientSecretCredential authentication failed. POST https://login/t/oauth2/v2.0/token: HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided.",
		},
		{in: "no body here\nat all", want: "no body here at all"},
		{in: "broken { json", want: "broken { json"},
		{in: "x {} y", want: "x {} y"},
		{in: `{"error":"e"}`, want: "e"},
	}
	for _, tt := range tests {
		if got := summarizeAuth(tt.in); got != tt.want {
			t.Errorf("summarizeAuth(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestAuthErrorShortened(t *testing.T) {
	raw := "ClientSecretCredential: json decode error: unexpected EOF raw message was: {\"access_token\":\"" + strings.Repeat("é", 1<<19)
	e := newAuthError(context.Background(), errString(raw), "s3cr3t-value")
	if n := len(e.Error()); n > maxAuthText+100 || !strings.HasSuffix(e.Error(), "…(shortened)") || !utf8.ValidString(e.Error()) {
		t.Errorf("error of %d bytes: …%q", n, e.Error()[max(0, n-40):])
	}
	if !strings.HasPrefix(e.Error(), "acquire token: ClientSecretCredential: json decode error") {
		t.Errorf("error starts %q", e.Error()[:60])
	}
}
