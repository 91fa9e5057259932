package poll_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/store"
)

const tenant = "contoso"

var t0 = time.Date(2023, 5, 14, 20, 0, 0, 0, time.UTC)

// fake is a Fetcher serving whatever the test puts in it and recording
// every call.
type fake struct {
	mu       sync.Mutex
	issues   []model.Issue
	messages []model.Message
	health   []model.ServiceHealth
	atts     map[string][]model.Attachment
	errs     map[string]error // by method name

	issueSince, msgSince []time.Time
	attCalls             []string
	reportCalls          []string
}

func (f *fake) HealthOverviews(context.Context) ([]model.ServiceHealth, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.errs["health"]; err != nil {
		return nil, err
	}
	return slices.Clone(f.health), nil
}

// since filters like Graph: modified at or after since.
func (f *fake) Issues(_ context.Context, since time.Time) ([]model.Issue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issueSince = append(f.issueSince, since)
	if err := f.errs["issues"]; err != nil {
		return nil, err
	}
	var out []model.Issue
	for _, i := range f.issues {
		if !i.LastModified.Before(since) {
			i.Posts = slices.Clone(i.Posts)
			out = append(out, i)
		}
	}
	return out, nil
}

func (f *fake) Messages(_ context.Context, since time.Time) ([]model.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgSince = append(f.msgSince, since)
	if err := f.errs["messages"]; err != nil {
		return nil, err
	}
	var out []model.Message
	for _, m := range f.messages {
		if !m.LastModified.Before(since) {
			m.Attachments = nil // Graph lists messages without attachments
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *fake) Attachments(_ context.Context, id string) ([]model.Attachment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attCalls = append(f.attCalls, id)
	if err := f.errs["attachments"]; err != nil {
		return nil, err
	}
	return slices.Clone(f.atts[id]), nil
}

func (f *fake) IncidentReport(_ context.Context, id string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reportCalls = append(f.reportCalls, id)
	if err := f.errs["report"]; err != nil {
		return nil, "", err
	}
	return []byte("Post Incident Report " + id), "application/octet-stream", nil
}

func (f *fake) set(fn func(f *fake)) { f.mu.Lock(); fn(f); f.mu.Unlock() }

// clock is the poller's settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func issue(id string, st model.Status, resolved bool, mod time.Time, posts ...string) model.Issue {
	is := model.Issue{ID: id, Title: "Issue " + id, Service: "Exchange Online", Classification: model.ClassificationIncident,
		Origin: model.OriginMicrosoft, Status: st, IsResolved: resolved, Start: t0.Add(-time.Hour), LastModified: mod}
	for k, p := range posts {
		is.Posts = append(is.Posts, model.Post{Created: t0.Add(time.Duration(k) * time.Minute), Type: model.PostRegular, ContentType: "html", Content: p})
	}
	return is
}

func message(id string, mod time.Time, hasAtt bool) model.Message {
	return model.Message{ID: id, Title: "Message " + id, Category: model.CategoryPlanForChange, Severity: model.SeverityNormal,
		Services: []string{"Exchange Online"}, LastModified: mod, BodyType: "html", Body: "<p>Body of " + id + "</p>", HasAttachments: hasAtt}
}

type rig struct {
	st    store.Store
	f     *fake
	clock *clock
	p     *poll.Poller
	set   poll.Settings
}

func newRig(t *testing.T, set poll.Settings) *rig {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: t0.Add(time.Hour)}
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "poll.db"), store.WithNow(c.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.UpsertTenant(ctx, model.Tenant{ID: tenant, Name: "Contoso"}); err != nil {
		t.Fatal(err)
	}
	if set.Channels == nil {
		set.Channels = []string{"out"}
	}
	r := &rig{st: st, f: &fake{atts: map[string][]model.Attachment{}, errs: map[string]error{}}, clock: c, set: set}
	r.p = poll.New(tenant, r.f, st, set, c.now, nil)
	return r
}

func (r *rig) poll(t *testing.T) poll.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.p.Poll(ctx)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return res
}

func (r *rig) events(t *testing.T) []model.Event {
	t.Helper()
	evs, err := r.st.Events(context.Background(), store.EventQuery{Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func evKeys(evs []model.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Type)+" "+e.ItemID)
	}
	return out
}

func allOn() poll.Settings {
	return poll.Settings{Issues: true, Messages: true, Health: true, Overlap: 10 * time.Minute, FullResync: 6 * time.Hour}
}

func TestBaseline(t *testing.T) {
	tests := []struct {
		name     string
		announce bool
		want     []string
	}{
		{"silent", false, nil},
		{"announce active", true, []string{"issue.new EX2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := allOn()
			set.AnnounceActive = tt.announce
			r := newRig(t, set)
			r.f.set(func(f *fake) {
				f.issues = []model.Issue{
					issue("EX1", model.StatusServiceRestored, true, t0, "done"),
					issue("EX2", model.StatusInvestigating, false, t0.Add(time.Second), "looking"),
					issue("EX3", model.StatusPostIncidentReviewPublished, true, t0, "pir"),
				}
				f.messages = []model.Message{message("MC1", t0, false), message("MC2", t0, false)}
				f.health = []model.ServiceHealth{{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceDegradation}}
			})
			res := r.poll(t)
			if got := evKeys(r.events(t)); !slices.Equal(got, tt.want) {
				t.Errorf("baseline events %v, want %v", got, tt.want)
			}
			if res.Events != len(tt.want) || res.Items != 6 || !res.Full {
				t.Errorf("result %+v", res)
			}
			ctx := context.Background()
			for src, n := range map[model.Source]int{model.SourceSHD: 3, model.SourceMC: 2, model.SourceHealth: 1} {
				ids, err := r.st.ItemIDs(ctx, tenant, src)
				if err != nil || len(ids) != n {
					t.Errorf("%s: stored %v, %v; want %d items", src, ids, err, n)
				}
				cur, err := r.st.Cursor(ctx, tenant, src)
				if err != nil || !cur.Baselined {
					t.Errorf("%s: cursor %+v, %v", src, cur, err)
				}
			}
			if len(r.f.reportCalls) != 0 {
				t.Errorf("baseline fetched incident reports %v", r.f.reportCalls)
			}
			// Polling the same data again announces nothing.
			r.clock.add(time.Minute)
			if res := r.poll(t); res.Events != 0 {
				t.Errorf("second poll raised %d events", res.Events)
			}
		})
	}
}

func TestIncrementalSinceAndFullResync(t *testing.T) {
	r := newRig(t, allOn())
	wmIssue := t0.Add(3 * time.Minute)
	wmMsg := t0.Add(5 * time.Minute)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{issue("EX1", model.StatusInvestigating, false, t0, "a"), issue("EX2", model.StatusInvestigating, false, wmIssue, "b")}
		f.messages = []model.Message{message("MC1", wmMsg, false), message("MC2", t0, false)}
	})
	r.poll(t) // baseline: full
	r.clock.add(5 * time.Minute)
	r.poll(t) // incremental
	steps := []struct {
		name        string
		advance     time.Duration
		change      func(f *fake)
		wantIssue   time.Time // since asked for issues
		wantMsg     time.Time
		wantEvents  []string
		wantRemoved []string
	}{
		{"incremental since = watermark − overlap", 5 * time.Minute, nil,
			wmIssue.Add(-10 * time.Minute), wmMsg.Add(-10 * time.Minute), nil, nil},
		{"full resync notices removals", 6 * time.Hour, func(f *fake) {
			f.issues = f.issues[1:]     // EX1 gone
			f.messages = f.messages[:1] // MC2 gone
		}, time.Time{}, time.Time{}, []string{"issue.removed EX1", "mc.removed MC2"}, []string{"EX1", "MC2"}},
		{"incremental again after the resync", 5 * time.Minute, nil,
			wmIssue.Add(-10 * time.Minute), wmMsg.Add(-10 * time.Minute), nil, nil},
		{"reappearance after removal", 5 * time.Minute, func(f *fake) {
			f.issues = append(f.issues, issue("EX1", model.StatusInvestigating, false, t0.Add(2*time.Hour), "a", "back"))
		}, wmIssue.Add(-10 * time.Minute), wmMsg.Add(-10 * time.Minute), []string{"issue.new EX1"}, nil},
	}
	ctx := context.Background()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := len(r.events(t))
			r.clock.add(s.advance)
			if s.change != nil {
				r.f.set(s.change)
			}
			r.poll(t)
			r.f.mu.Lock()
			gotI, gotM := r.f.issueSince[len(r.f.issueSince)-1], r.f.msgSince[len(r.f.msgSince)-1]
			r.f.mu.Unlock()
			if !gotI.Equal(s.wantIssue) || !gotM.Equal(s.wantMsg) {
				t.Errorf("since: issues %s, messages %s; want %s, %s", gotI, gotM, s.wantIssue, s.wantMsg)
			}
			evs := r.events(t)[before:]
			if got := evKeys(evs); !slices.Equal(got, s.wantEvents) {
				t.Errorf("events %v, want %v", got, s.wantEvents)
			}
			for _, id := range s.wantRemoved {
				src := model.SourceSHD
				if id[:2] == "MC" {
					src = model.SourceMC
				}
				items, err := r.st.Items(ctx, tenant, src, []string{id})
				if err != nil || !items[id].Removed {
					t.Errorf("%s not marked removed: %+v, %v", id, items[id], err)
				}
			}
			for _, ev := range evs {
				switch ev.Type {
				case model.EventIssueRemoved:
					if ev.Issue == nil || ev.Issue.ID != ev.ItemID {
						t.Errorf("removal event without the last known issue: %+v", ev)
					}
				case model.EventIssueNew:
					if len(ev.Changes) != 1 || ev.Changes[0].Field != model.FieldReappeared {
						t.Errorf("reappeared event changes %+v", ev.Changes)
					}
					items, _ := r.st.Items(ctx, tenant, model.SourceSHD, []string{"EX1"})
					if it := items["EX1"]; it.Removed || it.Revision != 3 {
						t.Errorf("EX1 after reappearing: removed %t, revision %d", it.Removed, it.Revision)
					}
				}
			}
		})
	}
}

func TestAttachmentsFetchedOnlyForNewOrModified(t *testing.T) {
	set := allOn()
	set.Health = false
	r := newRig(t, set)
	att := []model.Attachment{{ID: "a1", Name: "Sites", ContentType: "application/csv", Size: 10}}
	r.f.set(func(f *fake) {
		f.messages = []model.Message{message("MC1", t0, true), message("MC2", t0, false)}
		f.atts["MC1"] = att
	})
	steps := []struct {
		name      string
		change    func(f *fake)
		wantCalls []string
		wantEv    []string
	}{
		{"new message", nil, []string{"MC1"}, nil},
		{"unchanged message", nil, nil, nil},
		{"modified message", func(f *fake) {
			f.messages[0].LastModified = t0.Add(time.Hour)
			f.messages[0].Title = "(Updated) Message MC1"
			f.atts["MC1"] = append(slices.Clone(att), model.Attachment{ID: "a2", Name: "More", Size: 20})
		}, []string{"MC1"}, []string{"mc.updated MC1"}},
		{"unchanged after modification", nil, nil, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := len(r.events(t))
			r.f.set(func(f *fake) {
				f.attCalls = nil
				if s.change != nil {
					s.change(f)
				}
			})
			r.clock.add(time.Minute)
			r.poll(t)
			if !slices.Equal(r.f.attCalls, s.wantCalls) {
				t.Errorf("attachment calls %v, want %v", r.f.attCalls, s.wantCalls)
			}
			evs := r.events(t)[before:]
			if got := evKeys(evs); !slices.Equal(got, s.wantEv) {
				t.Errorf("events %v, want %v", got, s.wantEv)
			}
			for _, ev := range evs {
				if !ev.Has(model.ChangeAttachments) || len(ev.Message.Attachments) != 2 {
					t.Errorf("update event lacks the new attachment: %+v", ev.Changes)
				}
			}
			items, err := r.st.Items(context.Background(), tenant, model.SourceMC, []string{"MC1"})
			if err != nil || items["MC1"].Revision == 0 {
				t.Fatalf("MC1 not stored: %v", err)
			}
		})
	}
}

func TestSourceErrorIsolated(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		errKey  string
		failSrc model.Source
		okSrc   []model.Source
	}{
		{"issues fail", "issues", model.SourceSHD, []model.Source{model.SourceMC, model.SourceHealth}},
		{"messages fail", "messages", model.SourceMC, []model.Source{model.SourceSHD, model.SourceHealth}},
		{"health fails", "health", model.SourceHealth, []model.Source{model.SourceSHD, model.SourceMC}},
		// A failing attachments call fails only its message:
		// TestAttachmentsFailPerMessage.
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, allOn())
			r.f.set(func(f *fake) {
				f.issues = []model.Issue{issue("EX1", model.StatusInvestigating, false, t0, "a")}
				f.messages = []model.Message{message("MC1", t0.Add(time.Second), false), message("MC2", t0, false)}
				f.health = []model.ServiceHealth{{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}}
			})
			r.poll(t) // baseline
			ctx := context.Background()
			snapshot := func(src model.Source) (map[string]store.Item, store.Cursor) {
				items, err := r.st.Items(ctx, tenant, src, nil)
				if err != nil {
					t.Fatal(err)
				}
				cur, err := r.st.Cursor(ctx, tenant, src)
				if err != nil {
					t.Fatal(err)
				}
				return items, cur
			}
			prevItems, prevCur := snapshot(tt.failSrc)
			r.clock.add(time.Minute)
			r.f.set(func(f *fake) {
				f.issues = append(f.issues, issue("EX2", model.StatusInvestigating, false, t0.Add(time.Hour), "new"))
				f.messages[0].LastModified = t0.Add(time.Hour)
				f.messages[0].Title = "(Updated) Message MC1"
				f.messages[1].LastModified = t0.Add(time.Hour)
				f.messages[1].HasAttachments = true
				f.messages = append(f.messages, message("MC3", t0.Add(time.Hour), false))
				f.health[0].Status = model.StatusServiceDegradation
				f.errs[tt.errKey] = boom
			})
			res, err := r.p.Poll(ctx)
			if !errors.Is(err, boom) {
				t.Fatalf("poll error %v, want boom", err)
			}
			if sr := res.Sources[tt.failSrc]; !errors.Is(sr.Err, boom) {
				t.Errorf("source %s result %+v", tt.failSrc, sr)
			}
			// EX2 is new; MC1 is updated and MC3 new (MC2's new
			// attachment flag with no attachment is no news); Exchange
			// is degraded, which EX2 (an Exchange Online issue)
			// explains: its notice announces the flip, unless the issues
			// failed (group).
			wantEvents := map[model.Source]int{model.SourceSHD: 1, model.SourceMC: 2, model.SourceHealth: 0}
			if tt.failSrc == model.SourceSHD {
				wantEvents[model.SourceHealth] = 1
			}
			for _, src := range tt.okSrc {
				if sr := res.Sources[src]; sr.Err != nil || sr.Events != wantEvents[src] {
					t.Errorf("source %s: %+v, want %d event(s) and no error", src, sr, wantEvents[src])
				}
			}
			items, cur := snapshot(tt.failSrc)
			if len(items) != len(prevItems) || cur != prevCur {
				t.Errorf("failed source %s changed the store: %d → %d items, cursor %+v → %+v", tt.failSrc, len(prevItems), len(items), prevCur, cur)
			}
			for id, it := range items {
				if it.Revision != prevItems[id].Revision || it.Hash != prevItems[id].Hash {
					t.Errorf("%s changed: rev %d → %d", id, prevItems[id].Revision, it.Revision)
				}
			}
			for _, ev := range r.events(t) {
				if ev.Source == tt.failSrc {
					t.Errorf("event from the failed source: %s %s", ev.Type, ev.ItemID)
				}
			}
			// Once the fault is gone the next pass catches up.
			r.f.set(func(f *fake) { delete(f.errs, tt.errKey) })
			r.clock.add(time.Minute)
			res = r.poll(t)
			if sr := res.Sources[tt.failSrc]; sr.Events == 0 {
				t.Errorf("after recovery %s raised no events: %+v", tt.failSrc, sr)
			}
		})
	}
}

func TestIncidentReportOnTransition(t *testing.T) {
	set := allOn()
	set.Messages, set.Health = false, false
	r := newRig(t, set)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{issue("EX1", model.StatusServiceRestored, true, t0, "done")}
	})
	r.poll(t)
	steps := []struct {
		name       string
		change     func(f *fake)
		wantCalls  int
		wantReport bool
	}{
		{"to postIncidentReviewPublished", func(f *fake) {
			f.issues[0].Status = model.StatusPostIncidentReviewPublished
			f.issues[0].LastModified = t0.Add(time.Hour)
		}, 1, true},
		{"post added while already published", func(f *fake) {
			f.issues[0].Posts = append(f.issues[0].Posts, model.Post{Created: t0.Add(2 * time.Hour), Content: "pir out"})
			f.issues[0].LastModified = t0.Add(2 * time.Hour)
		}, 0, false},
		{"new issue already restored", func(f *fake) {
			f.issues = append(f.issues, issue("EX2", model.StatusServiceRestored, true, t0.Add(3*time.Hour), "done"))
		}, 0, false},
		// The status change is news on its own: the event is raised
		// without the report.
		{"report unavailable is not fatal", func(f *fake) {
			f.issues[1].Status = model.StatusPostIncidentReviewPublished
			f.issues[1].LastModified = t0.Add(4 * time.Hour)
			f.errs["report"] = errors.New("404")
		}, 1, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := len(r.events(t))
			r.f.set(func(f *fake) { f.reportCalls = nil; s.change(f) })
			r.clock.add(time.Minute)
			r.poll(t)
			if len(r.f.reportCalls) != s.wantCalls {
				t.Errorf("report calls %v, want %d", r.f.reportCalls, s.wantCalls)
			}
			evs := r.events(t)[before:]
			if s.wantCalls > 0 && len(evs) != 1 {
				t.Fatalf("events %v", evKeys(evs))
			}
			has := false
			for _, ev := range evs {
				has = has || ev.Has("incident_report")
			}
			if has != s.wantReport {
				t.Errorf("incident_report change %t, want %t (%+v)", has, s.wantReport, evs)
			}
		})
	}
}

// TestOverlapEvery checks that quiet polls start after the watermark's
// second and that the overlap is applied again once OverlapEvery passed.
func TestOverlapEvery(t *testing.T) {
	set := allOn()
	set.OverlapEvery = 30 * time.Minute
	r := newRig(t, set)
	wm := t0.Add(3*time.Minute + 250*time.Millisecond)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{issue("EX1", model.StatusInvestigating, false, wm, "a")}
		f.messages = []model.Message{message("MC1", wm, false)}
	})
	r.poll(t) // baseline: full
	back := wm.Add(-10 * time.Minute)
	after := t0.Add(3*time.Minute + time.Second)
	steps := []struct {
		name    string
		advance time.Duration
		want    time.Time
		fetched int // items the fake returned to this poll
	}{
		{"the full fetch counts as reaching back", 5 * time.Minute, after, 0},
		{"quiet poll asks from the next second", 5 * time.Minute, after, 0},
		{"still quiet", 10 * time.Minute, after, 0},
		{"reaches back again after 30m", 15 * time.Minute, back, 2},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r.clock.add(s.advance)
			res := r.poll(t)
			r.f.mu.Lock()
			gotI, gotM := r.f.issueSince[len(r.f.issueSince)-1], r.f.msgSince[len(r.f.msgSince)-1]
			r.f.mu.Unlock()
			if !gotI.Equal(s.want) || !gotM.Equal(s.want) {
				t.Errorf("since: issues %s, messages %s; want %s", gotI, gotM, s.want)
			}
			if n := res.Sources[model.SourceSHD].Fetched + res.Sources[model.SourceMC].Fetched; n != s.fetched {
				t.Errorf("fetched %d items, want %d", n, s.fetched)
			}
		})
	}
	// A restarted poller (new process, same store) reaches back first.
	r.p = poll.New(tenant, r.f, r.st, set, r.clock.now, nil)
	r.clock.add(time.Minute)
	if res := r.poll(t); res.Sources[model.SourceSHD].Full || res.Sources[model.SourceSHD].Fetched != 1 {
		t.Errorf("restarted poller: full %t, fetched %d issues; want an incremental reaching back", res.Sources[model.SourceSHD].Full, res.Sources[model.SourceSHD].Fetched)
	}
	// A new item in the watermark's own second but after it is caught by
	// the next reaching-back poll (late visibility), announced once.
	r.f.set(func(f *fake) {
		f.issues = append(f.issues, issue("EX2", model.StatusInvestigating, false, wm.Add(100*time.Millisecond), "late"))
	})
	r.clock.add(5 * time.Minute)
	r.poll(t)
	r.clock.add(30 * time.Minute)
	before := len(r.events(t))
	r.poll(t)
	if got := evKeys(r.events(t)[before:]); !slices.Equal(got, []string{"issue.new EX2"}) {
		t.Errorf("late item: events %v", got)
	}
}

// TestAttachmentsFailPerMessage: a message whose attachments cannot be
// listed (403 on a post the app may not read) is stored and announced with
// the error on it; the other new posts of the pass are stored too; the
// listing is retried with backoff, and once it works the attachments
// arrive as an update.
func TestAttachmentsFailPerMessage(t *testing.T) {
	boom := errors.New("HTTP 403 Forbidden")
	r := newRig(t, allOn())
	r.f.set(func(f *fake) {
		f.messages = []model.Message{message("MC1", t0, false)}
	})
	r.poll(t) // baseline
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) {
		secret := message("MC2", t0.Add(time.Hour), false)
		secret.HasAttachments = true
		f.messages = append(f.messages, secret, message("MC3", t0.Add(time.Hour), false))
		f.errs["attachments"] = boom
	})
	res := r.poll(t)
	if sr := res.Sources[model.SourceMC]; sr.Err != nil || sr.Events != 2 {
		t.Fatalf("messages: %+v, want 2 events (MC2 and MC3) and no error", sr)
	}
	ctx := context.Background()
	items, err := r.st.Items(ctx, tenant, model.SourceMC, []string{"MC2", "MC3"})
	if err != nil || len(items) != 2 {
		t.Fatalf("stored %d of MC2, MC3: %v", len(items), err)
	}
	var m model.Message
	if err := json.Unmarshal(items["MC2"].Data, &m); err != nil || m.AttachmentsError == nil || !strings.Contains(m.AttachmentsError.Error, "403") {
		t.Fatalf("MC2 stored without its attachment error: %+v, %v", m.AttachmentsError, err)
	}
	calls := func() int { r.f.mu.Lock(); defer r.f.mu.Unlock(); return len(r.f.attCalls) }
	before := calls()
	r.clock.add(30 * time.Second) // within the first backoff: not asked again
	r.poll(t)
	if calls() != before {
		t.Errorf("attachments asked again %d time(s) within the backoff", calls()-before)
	}
	r.f.set(func(f *fake) {
		delete(f.errs, "attachments")
		f.atts = map[string][]model.Attachment{"MC2": {{ID: "a1", Name: "plan.pdf", Size: 1000}}}
	})
	r.clock.add(2 * time.Minute)
	res = r.poll(t)
	if sr := res.Sources[model.SourceMC]; sr.Err != nil || sr.Events != 1 {
		t.Fatalf("after recovery: %+v, want MC2 updated with its attachments", sr)
	}
	items, _ = r.st.Items(ctx, tenant, model.SourceMC, []string{"MC2"})
	m = model.Message{}
	if err := json.Unmarshal(items["MC2"].Data, &m); err != nil || m.AttachmentsError != nil || len(m.Attachments) != 1 {
		t.Errorf("MC2 after recovery: attachments %+v, error %+v", m.Attachments, m.AttachmentsError)
	}
}

// TestFutureDateDoesNotBlind: one post dated 9999-12-31 does not move the
// watermark past the fetch, so posts that come later are still found by
// incremental polls; once Microsoft corrects the date, the next full
// listing brings the watermark back to the newest real date.
func TestFutureDateDoesNotBlind(t *testing.T) {
	set := allOn()
	set.Issues, set.Health = false, false
	set.FullResync = 6 * time.Hour
	r := newRig(t, set)
	r.f.set(func(f *fake) { f.messages = []model.Message{message("MC1", t0, false)} })
	r.poll(t) // baseline
	far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) { f.messages = append(f.messages, message("MC2", far, false)) })
	if res := r.poll(t); res.Sources[model.SourceMC].Events != 1 {
		t.Fatalf("MC2 not announced: %+v", res.Sources[model.SourceMC])
	}
	ctx := context.Background()
	cur, err := r.st.Cursor(ctx, tenant, model.SourceMC)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Watermark.After(r.clock.now()) {
		t.Fatalf("watermark %s is after the fetch (%s)", cur.Watermark, r.clock.now())
	}
	for i := range 3 {
		r.clock.add(time.Minute)
		id := fmt.Sprintf("MC%d", 3+i)
		r.f.set(func(f *fake) { f.messages = append(f.messages, message(id, r.clock.now(), false)) })
		if res := r.poll(t); res.Full || res.Sources[model.SourceMC].Events != 1 {
			t.Fatalf("%s not announced by an incremental poll: %+v", id, res.Sources[model.SourceMC])
		}
	}
	// Microsoft corrects the date; an older shdmc may also have stored a
	// watermark in the future: the next full listing recomputes it.
	r.f.set(func(f *fake) { f.messages[1].LastModified = t0.Add(2 * time.Minute) })
	r.clock.add(7 * time.Hour)
	if res := r.poll(t); !res.Full {
		t.Fatalf("expected a full resync: %+v", res)
	}
	cur, _ = r.st.Cursor(ctx, tenant, model.SourceMC)
	if cur.Watermark.After(r.clock.now()) || cur.Watermark.Before(t0) {
		t.Errorf("watermark after the resync: %s", cur.Watermark)
	}
}
