package graph

import "testing"

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
