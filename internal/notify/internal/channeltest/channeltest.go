// Package channeltest holds test helpers shared by the channel packages:
// sample events, a refused loopback address, and the secret-leak check
// every channel test applies to its errors and receipts.
package channeltest

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/notify"
)

// T0 is the time of the sample events.
var T0 = time.Date(2023, 5, 25, 20, 0, 0, 0, time.UTC)

// Event returns a sample issue event at the given revision; revision 1 is
// the first sight of the issue.
func Event(rev int) *model.Event {
	typ := model.EventIssuePost
	changes := []model.Change{{Kind: model.ChangePostAdded}}
	if rev <= 1 {
		typ, changes = model.EventIssueNew, []model.Change{{Kind: model.ChangeNew}}
	}
	return &model.Event{
		Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX559755", Type: typ, Revision: rev,
		Changes: changes, DetectedAt: T0.Add(time.Duration(rev) * time.Hour),
		Issue: &model.Issue{ID: "EX559755", Title: "Users’ OME email may be unable to be accessed", Service: "Exchange Online",
			Classification: model.ClassificationAdvisory, Status: model.StatusServiceDegradation, LastModified: T0,
			Posts: []model.Post{{Created: T0, Type: model.PostRegular,
				Content: "<p>We're investigating.</p><script>alert('x')</script><p>Next update by 21:00 UTC.</p>"}}},
	}
}

// Notice wraps Event(rev) in a notice with an idempotency key.
func Notice(rev int) *notify.Notice {
	ev := Event(rev)
	return &notify.Notice{Event: ev, Route: "default", Key: "contoso/shd/EX559755/" + strconv.Itoa(rev) + "/default/ch"}
}

// RefusedAddr returns a loopback host:port on which nothing listens.
func RefusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// NoLeak fails the test when s contains a secret, or the path or query of
// a secret URL.
func NoLeak(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		parts := []string{sec}
		if u, err := url.Parse(sec); err == nil && u.Host != "" {
			if len(u.Path) > 1 {
				parts = append(parts, u.Path)
			}
			if u.RawQuery != "" {
				parts = append(parts, u.RawQuery)
				for _, vs := range u.Query() {
					for _, v := range vs {
						if len(v) >= 6 {
							parts = append(parts, v)
						}
					}
				}
			}
		}
		for _, p := range parts {
			if strings.Contains(s, p) {
				t.Errorf("%s leaks a secret (%q): %s", what, p, s)
			}
		}
	}
}

// NoLeakResult applies NoLeak to a Notify result.
func NoLeakResult(t *testing.T, rc notify.Receipt, err error, secrets ...string) {
	t.Helper()
	NoLeak(t, "receipt", rc.Status+" "+rc.Detail, secrets...)
	if err != nil {
		NoLeak(t, "error", err.Error(), secrets...)
	}
}
