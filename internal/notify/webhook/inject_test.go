package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
	"github.com/shdmc/shdmc/internal/notify/webhook"
)

// TestControlCharactersInKey: an item ID with CR/LF (or any control
// character) reaches the receiver percent-encoded, in the header and the
// body alike, instead of failing the request on every retry for a day.
func TestControlCharactersInKey(t *testing.T) {
	tests := []struct {
		name, itemID, key, want string
	}{
		{"crlf in key", "EX1\r\nX-Injected: yes", "contoso/shd/EX1\r\nX-Injected: yes/2/default/ch",
			"contoso/shd/EX1%0D%0AX-Injected: yes/2/default/ch"},
		{"nul and tab", "EX1\x00\tx", "contoso/shd/EX1\x00\tx/2/default/ch", "contoso/shd/EX1%00%09x/2/default/ch"},
		{"percent stays distinct", "EX1%0D%0A", "contoso/shd/EX1%0D%0A/2/default/ch", "contoso/shd/EX1%250D%250A/2/default/ch"},
		{"test notice without a key", "EX1\nX-Injected: yes", "", "contoso/shd/EX1%0AX-Injected: yes/2/test"},
		{"plain key unchanged", "EX559755", "contoso/shd/EX559755/2/default/ch", "contoso/shd/EX559755/2/default/ch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
			w, err := webhook.New(webhook.Config{URL: rc.url, Secret: hmacKey}, nil, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			n := channeltest.Notice(2)
			n.Event.ItemID, n.Event.Issue.ID, n.Key = tt.itemID, tt.itemID, tt.key
			if _, err := w.Notify(context.Background(), n); err != nil {
				t.Fatalf("Notify: %v (permanent %v)", err, notify.IsPermanent(err))
			}
			if len(rc.reqs) != 1 {
				t.Fatalf("%d requests", len(rc.reqs))
			}
			got := rc.reqs[0]
			if k := got.header.Get(webhook.HeaderDelivery); k != tt.want {
				t.Errorf("delivery header %q, want %q", k, tt.want)
			}
			if v := got.header.Get("X-Injected"); v != "" {
				t.Errorf("injected header arrived: %q", v)
			}
			var p webhook.Payload
			if err := json.Unmarshal(got.body, &p); err != nil {
				t.Fatal(err)
			}
			if p.ID != tt.want {
				t.Errorf("body id %q, want the header's %q", p.ID, tt.want)
			}
			if p.Event.ItemID != tt.itemID {
				t.Errorf("event item ID %q, want %q as it is", p.Event.ItemID, tt.itemID)
			}
			verify(t, got.header, got.body, fixedNow())
		})
	}
}

// TestInvalidHeaderIsPermanent: a header value no request can carry fails
// the delivery once, naming it, instead of being retried.
func TestInvalidHeaderIsPermanent(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	w, err := webhook.New(webhook.Config{URL: rc.url, Headers: map[string]string{"X-Tenant-Token": "tok\x00" + authValue}}, nil, fixedNow)
	if err != nil {
		t.Skipf("New refuses the header already: %v", err)
	}
	_, err = w.Notify(context.Background(), channeltest.Notice(2))
	if err == nil || !notify.IsPermanent(err) {
		t.Fatalf("error %v: want a permanent error", err)
	}
	if !strings.Contains(err.Error(), "delivery contoso/shd/EX559755/2/default/ch") || !strings.Contains(err.Error(), "X-Tenant-Token") {
		t.Errorf("error %q does not name the delivery and the header", err)
	}
	channeltest.NoLeakResult(t, notify.Receipt{}, err, secrets(rc.url)...)
	if len(rc.reqs) != 0 {
		t.Errorf("%d requests sent", len(rc.reqs))
	}
}
