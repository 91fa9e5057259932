package email_test

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/notify/email"
	"github.com/shdmc/shdmc/internal/notify/internal/channeltest"
)

// TestControlCharactersInHeaders: an item ID with CR/LF reaches no header
// as a line break: X-Shdmc-Key is one plain line with the control
// characters percent-encoded, Message-ID and References are hashes, and
// no header is added.
func TestControlCharactersInHeaders(t *testing.T) {
	e, err := email.New(email.Config{Host: "127.0.0.1", Port: 25, TLS: email.TLSNone, From: "shdmc <shdmc@example.com>",
		To: []string{"ops@example.com"}, Timeout: time.Second}, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, rev := range []int{1, 2} {
		n := channeltest.Notice(rev)
		id := "EX1\r\nBcc: evil@example.com\r\nX-Injected: yes"
		n.Event.ItemID, n.Event.Issue.ID = id, id
		n.Key = "contoso/shd/" + id + "/2/default/ch"
		m, err := e.Message(n)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := m.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(&b)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"Bcc", "X-Injected"} {
			if v := msg.Header.Get(h); v != "" {
				t.Errorf("revision %d: header %s injected: %q", rev, h, v)
			}
		}
		if got, want := msg.Header.Get(email.HeaderKey), "contoso/shd/EX1%0D%0ABcc: evil@example.com%0D%0AX-Injected: yes/2/default/ch"; got != want {
			t.Errorf("revision %d: %s = %q, want %q", rev, email.HeaderKey, got, want)
		}
		for _, h := range []string{"Message-Id", "In-Reply-To", "References"} {
			if v := msg.Header.Get(h); v != "" && !strings.HasSuffix(v, "@shdmc>") || strings.ContainsAny(v, "\r\n") || strings.Contains(v, "evil") {
				t.Errorf("revision %d: %s = %q", rev, h, v)
			}
		}
	}
}
