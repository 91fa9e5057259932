package poll_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/source"
)

// stampFake is a fake that also lists stamps and gets single items, as
// graph.Client does.
type stampFake struct {
	*fake
	noMod      bool            // stamps without lastModifiedDateTime (Graph ignored $select)
	goneOnGet  map[string]bool // ids that answer 404 when got
	stampCalls int
	gets       []string
}

var _ source.StampClient = (*stampFake)(nil)

func (s *stampFake) IssueStamps(context.Context) ([]graph.Stamp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stampCalls++
	if err := s.errs["issues"]; err != nil {
		return nil, err
	}
	out := []graph.Stamp{}
	for _, i := range s.issues {
		out = append(out, s.stamp(i.ID, i.LastModified))
	}
	return out, nil
}

func (s *stampFake) MessageStamps(context.Context) ([]graph.Stamp, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stampCalls++
	if err := s.errs["messages"]; err != nil {
		return nil, err
	}
	out := []graph.Stamp{}
	for _, m := range s.messages {
		out = append(out, s.stamp(m.ID, m.LastModified))
	}
	return out, nil
}

func (s *stampFake) stamp(id string, mod time.Time) graph.Stamp {
	if s.noMod {
		return graph.Stamp{ID: id}
	}
	return graph.Stamp{ID: id, LastModified: mod}
}

func (s *stampFake) Issue(_ context.Context, id string) (model.Issue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets = append(s.gets, id)
	for _, i := range s.issues {
		if i.ID == id && !s.goneOnGet[id] {
			i.Posts = slices.Clone(i.Posts)
			return i, nil
		}
	}
	return model.Issue{}, fmt.Errorf("get issue %s: %w", id, &graph.APIError{Status: http.StatusNotFound, Code: "NotFound"})
}

func (s *stampFake) Message(_ context.Context, id string) (model.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets = append(s.gets, id)
	for _, m := range s.messages {
		if m.ID == id && !s.goneOnGet[id] {
			m.Attachments = nil
			return m, nil
		}
	}
	return model.Message{}, fmt.Errorf("get message %s: %w", id, &graph.APIError{Status: http.StatusNotFound, Code: "NotFound"})
}

// calls returns the stamp listings, the gets and the full listings (since
// zero) so far, and forgets them.
func (s *stampFake) calls() (stamps int, gets []string, listings int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, since := range slices.Concat(s.issueSince, s.msgSince) {
		if since.IsZero() {
			listings++
		}
	}
	stamps, gets = s.stampCalls, s.gets
	s.stampCalls, s.gets, s.issueSince, s.msgSince = 0, nil, nil, nil
	return stamps, gets, listings
}

// newStampRig is a rig whose Graph client lists stamps.
func newStampRig(t *testing.T, set poll.Settings) (*rig, *stampFake) {
	t.Helper()
	r := newRig(t, set)
	sf := &stampFake{fake: r.f, goneOnGet: map[string]bool{}}
	r.p = poll.New(tenant, sf, r.st, r.set, r.clock.now, nil)
	return r, sf
}

// TestFullResyncByStamps: once a tenant is baselined, a full resync lists
// only stamps and gets the items that are new, changed or back; it marks
// removed what is no longer listed, announces as a full listing did, and
// a touched but unchanged item is got once, not at every resync.
func TestFullResyncByStamps(t *testing.T) {
	set := allOn()
	set.Health = false
	r, sf := newStampRig(t, set)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{issue("EX1", model.StatusServiceRestored, true, t0, "a"),
			issue("EX2", model.StatusInvestigating, false, t0.Add(time.Minute), "b"),
			issue("EX3", model.StatusServiceRestored, true, t0, "c")}
		f.messages = []model.Message{message("MC1", t0, false), message("MC2", t0.Add(2*time.Minute), false),
			message("MC3", t0, false)}
	})
	ctx := context.Background()
	steps := []struct {
		name      string
		advance   time.Duration
		change    func(f *fake)
		stamped   bool
		wantGets  []string
		wantEv    []string
		wantItems int // fetched in full
	}{
		{"baseline lists in full", 0, nil, false, nil, nil, 6},
		{"quiet resync gets nothing", 6 * time.Hour, nil, true, nil, nil, 0},
		{"resync gets what changed", 6 * time.Hour, func(f *fake) {
			// EX2 got a post stamped before the watermark (late), EX3 went,
			// MC4 is new with an old date, MC1 was touched without a change.
			f.issues[1] = issue("EX2", model.StatusInvestigating, false, t0.Add(30*time.Second), "b", "more")
			f.issues = f.issues[:2]
			f.messages = append(f.messages, message("MC4", t0.Add(-time.Hour), false))
			f.messages[0].LastModified = t0.Add(time.Second)
		}, true, []string{"EX2", "MC1", "MC4"}, []string{"issue.post EX2", "issue.removed EX3", "mc.new MC4"}, 3},
		{"a touched item is not got again", 6 * time.Hour, nil, true, nil, nil, 0},
		{"a removed item is got when it is back", 6 * time.Hour, func(f *fake) {
			f.issues = append(f.issues, issue("EX3", model.StatusServiceRestored, true, t0, "c"))
		}, true, []string{"EX3"}, []string{"issue.new EX3"}, 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := len(r.events(t))
			r.clock.add(s.advance)
			if s.change != nil {
				r.f.set(s.change)
			}
			res := r.poll(t)
			stamps, gets, listings := sf.calls()
			if s.stamped && (stamps != 2 || listings != 0) || !s.stamped && (stamps != 0 || listings != 2) {
				t.Errorf("%d stamp listings and %d full listings, want stamps %t", stamps, listings, s.stamped)
			}
			slices.Sort(gets)
			if !slices.Equal(gets, s.wantGets) {
				t.Errorf("got %v by id, want %v", gets, s.wantGets)
			}
			if got := evKeys(r.events(t)[before:]); !slices.Equal(got, s.wantEv) {
				t.Errorf("events %v, want %v", got, s.wantEv)
			}
			if !res.Full || res.Items != s.wantItems {
				t.Errorf("result: full %t, %d items; want full, %d", res.Full, res.Items, s.wantItems)
			}
			for _, src := range []model.Source{model.SourceSHD, model.SourceMC} {
				if res.Sources[src].Stamped != s.stamped {
					t.Errorf("%s: stamped %t, want %t", src, res.Sources[src].Stamped, s.stamped)
				}
				cur, err := r.st.Cursor(ctx, tenant, src)
				if err != nil || !cur.LastFull.Equal(r.clock.now()) {
					t.Errorf("%s: last full %s, %v; want %s", src, cur.LastFull, err, r.clock.now())
				}
			}
		})
	}
	items, err := r.st.Items(ctx, tenant, model.SourceMC, []string{"MC1"})
	if it := items["MC1"]; err != nil || it.Revision != 1 || !it.LastModified.Equal(t0.Add(time.Second)) {
		t.Errorf("touched MC1: revision %d, last modified %s, %v; want revision 1 with the new date", it.Revision, it.LastModified, err)
	}
	items, err = r.st.Items(ctx, tenant, model.SourceSHD, []string{"EX2", "EX3"})
	if err != nil || items["EX2"].Revision != 2 || items["EX3"].Removed || items["EX3"].Revision != 3 {
		t.Errorf("EX2 %+v, EX3 %+v, %v", items["EX2"], items["EX3"], err)
	}
}

// TestStampResyncFallsBack: a resync lists in full when the stamps lack
// their date, when too many items changed, and when an item went between
// the stamps and its get; it still finds the changes.
func TestStampResyncFallsBack(t *testing.T) {
	tests := []struct {
		name     string
		change   func(sf *stampFake)
		wantGets []string
		wantEv   int
		listed   []model.Source // the sources listed in full; the others resync by stamps
	}{
		{"stamps without dates", func(sf *stampFake) {
			sf.noMod = true
			sf.issues[0] = issue("EX1", model.StatusInvestigating, false, t0.Add(-time.Hour), "a", "b")
		}, nil, 1, []model.Source{model.SourceSHD, model.SourceMC}},
		{"more changes than gets", func(sf *stampFake) {
			for i := range 30 {
				sf.messages = append(sf.messages, message(fmt.Sprintf("MC%d", 100+i), t0.Add(-time.Hour), false))
			}
		}, nil, 30, []model.Source{model.SourceMC}},
		{"an item went while got", func(sf *stampFake) {
			sf.issues[0] = issue("EX1", model.StatusInvestigating, false, t0.Add(-time.Hour), "a", "b")
			sf.messages = append(sf.messages, message("MC9", t0.Add(-time.Hour), false))
			sf.goneOnGet["MC9"] = true
		}, []string{"EX1", "MC9"}, 2, []model.Source{model.SourceMC}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := allOn()
			set.Health = false
			r, sf := newStampRig(t, set)
			r.f.set(func(f *fake) {
				f.issues = []model.Issue{issue("EX1", model.StatusInvestigating, false, t0, "a")}
				f.messages = []model.Message{message("MC1", t0, false)}
			})
			r.poll(t)
			sf.calls()
			r.clock.add(6 * time.Hour)
			sf.mu.Lock()
			tt.change(sf)
			sf.mu.Unlock()
			before := len(r.events(t))
			res := r.poll(t)
			_, gets, listings := sf.calls()
			if listings != len(tt.listed) || !slices.Equal(gets, tt.wantGets) {
				t.Errorf("%d full listings, gets %v; want %d listings and gets %v", listings, gets, len(tt.listed), tt.wantGets)
			}
			if n := len(r.events(t)) - before; n != tt.wantEv || !res.Full {
				t.Errorf("%d events, full %t; want %d, full", n, res.Full, tt.wantEv)
			}
			for _, src := range []model.Source{model.SourceSHD, model.SourceMC} {
				if got, want := res.Sources[src].Stamped, !slices.Contains(tt.listed, src); got != want {
					t.Errorf("%s: stamped %t, want %t", src, got, want)
				}
			}
		})
	}
}

// TestStampResyncWatermark: a resync by stamps sets the watermark as a full
// listing does: to the newest stamp (also below the stored one), never past
// the time of the listing.
func TestStampResyncWatermark(t *testing.T) {
	set := allOn()
	set.Health, set.Messages = false, false
	r, _ := newStampRig(t, set)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{issue("EX1", model.StatusServiceRestored, true, t0, "a"),
			issue("EX2", model.StatusServiceRestored, true, t0.Add(10*time.Minute), "b")}
	})
	r.poll(t)
	ctx := context.Background()
	wm := func() time.Time {
		cur, err := r.st.Cursor(ctx, tenant, model.SourceSHD)
		if err != nil {
			t.Fatal(err)
		}
		return cur.Watermark
	}
	if got := wm(); !got.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("baseline watermark %s", got)
	}
	// Microsoft corrected EX2's date backwards: the resync follows it.
	r.f.set(func(f *fake) { f.issues[1].LastModified = t0.Add(5 * time.Minute) })
	r.clock.add(6 * time.Hour)
	r.poll(t)
	if got := wm(); !got.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("watermark after a resync %s, want %s", got, t0.Add(5*time.Minute))
	}
	// An item dated in the future moves it only to the time of the listing.
	r.f.set(func(f *fake) { f.issues[0].LastModified = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) })
	r.clock.add(6 * time.Hour)
	r.poll(t)
	if got := wm(); got.After(r.clock.now()) || !got.After(t0.Add(5*time.Minute)) {
		t.Errorf("watermark %s after a future stamp, want at most %s", got, r.clock.now())
	}
}

// TestStampResyncRetriesAttachments: a message whose attachments failed is
// got again at a resync once their retry is due, and its attachments are
// listed again, as a full listing did.
func TestStampResyncRetriesAttachments(t *testing.T) {
	set := allOn()
	set.Health, set.Issues = false, false
	r, sf := newStampRig(t, set)
	r.f.set(func(f *fake) {
		f.messages = []model.Message{message("MC1", t0, true), message("MC2", t0, false)}
		f.atts["MC1"] = []model.Attachment{{ID: "a1", Name: "Sites", Size: 10}}
		f.errs["attachments"] = fmt.Errorf("forbidden")
	})
	r.poll(t)
	r.f.set(func(f *fake) { delete(f.errs, "attachments"); f.attCalls = nil })
	sf.calls()
	r.clock.add(6 * time.Hour)
	r.poll(t)
	if _, gets, _ := sf.calls(); !slices.Equal(gets, []string{"MC1"}) {
		t.Errorf("gets %v, want [MC1]", gets)
	}
	if !slices.Equal(r.f.attCalls, []string{"MC1"}) {
		t.Errorf("attachment calls %v, want [MC1]", r.f.attCalls)
	}
	items, err := r.st.Items(context.Background(), tenant, model.SourceMC, []string{"MC1"})
	if err != nil {
		t.Fatal(err)
	}
	it, err := source.Decode(source.KindMessage, items["MC1"].Data)
	if err != nil || it.Message.AttachmentsError != nil || len(it.Message.Attachments) != 1 {
		t.Errorf("MC1 after the resync: %+v, %v", it.Message, err)
	}
}

// TestSpreadResyncPhase: with SpreadResync a tenant's full resyncs fall at
// its own phase of full_resync (poll.ResyncOffset), the first one sooner
// than full_resync after the baseline, the next ones full_resync apart;
// the stored LastFull carries the phase across a restart (a new Poller).
func TestSpreadResyncPhase(t *testing.T) {
	const period = 6 * time.Hour
	set := allOn()
	set.Health, set.Messages, set.SpreadResync = false, false, true
	r := newRig(t, set)
	r.f.set(func(f *fake) { f.issues = []model.Issue{issue("EX1", model.StatusServiceRestored, true, t0, "a")} })
	r.poll(t) // baseline at t0+1h
	off := poll.ResyncOffset(tenant, period)
	slot := time.Unix(0, 0).UTC().Add(off)
	for !slot.After(r.clock.now()) {
		slot = slot.Add(period)
	}
	for slot.Sub(r.clock.now()) < 10*time.Minute { // room for a poll before the slot
		slot = slot.Add(period)
	}
	steps := []struct {
		at   time.Time
		full bool
	}{
		{slot.Add(-5 * time.Minute), false},
		{slot.Add(time.Minute), true},
		{slot.Add(6 * time.Minute), false},
		{slot.Add(period - time.Minute), false},
		{slot.Add(period + 2*time.Minute), true},
		{slot.Add(2*period - 3*time.Minute), false},
	}
	for i, s := range steps {
		r.clock.add(s.at.Sub(r.clock.now()))
		if i == 3 { // a restart: the phase comes from the stored cursor
			r.p = poll.New(tenant, r.f, r.st, set, r.clock.now, nil)
		}
		if res := r.poll(t); res.Full != s.full {
			t.Errorf("poll %d at slot%+v: full %t, want %t", i, s.at.Sub(slot), res.Full, s.full)
		}
	}
}

// TestHealthCursorQuiet: the health overview is listed whole at every
// pass; a listing that changes nothing leaves its cursor as stored (so a
// quiet poll commits nothing), one that stores a change moves LastFull.
func TestHealthCursorQuiet(t *testing.T) {
	set := allOn()
	set.Issues, set.Messages = false, false
	r := newRig(t, set)
	r.f.set(func(f *fake) {
		f.health = []model.ServiceHealth{{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}}
	})
	r.poll(t)
	base := r.clock.now()
	lastFull := func() time.Time {
		cur, err := r.st.Cursor(context.Background(), tenant, model.SourceHealth)
		if err != nil || !cur.Baselined {
			t.Fatalf("cursor %+v, %v", cur, err)
		}
		return cur.LastFull
	}
	r.clock.add(time.Minute)
	r.poll(t)
	if got := lastFull(); !got.Equal(base) {
		t.Errorf("last full %s after a quiet listing, want %s (the baseline)", got, base)
	}
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) { f.health[0].Status = model.StatusServiceDegradation })
	if res := r.poll(t); res.Events != 1 {
		t.Errorf("%d events for a status change", res.Events)
	}
	if got := lastFull(); !got.Equal(r.clock.now()) {
		t.Errorf("last full %s after a change, want %s", got, r.clock.now())
	}
}
