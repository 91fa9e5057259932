package poll_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
)

// reminders lists the mc.reminder events as "item days revision".
func reminders(evs []model.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == model.EventMessageReminder && len(e.Changes) == 1 {
			out = append(out, e.ItemID+" "+e.Changes[0].Field+" "+e.Changes[0].To)
		}
	}
	return out
}

func TestReminderRevision(t *testing.T) {
	if got := poll.ReminderRevision(time.Date(2024, 6, 30, 7, 0, 0, 0, time.UTC), 7); got != -240630007 {
		t.Errorf("ReminderRevision = %d", got)
	}
	if a, b := poll.ReminderRevision(time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), 30), poll.ReminderRevision(time.Date(2024, 7, 30, 0, 0, 0, 0, time.UTC), 30); a == b {
		t.Error("a moved date gives the same revision")
	}
}

// TestReminders: after each messages pass, a post whose action-required
// date is N days away or less (and not past) gets one mc.reminder for the
// smallest such N, once per tenant, post, date and N, across passes and
// restarts; a moved date is reminded again; each reminder gets its own
// outbox row.
func TestReminders(t *testing.T) {
	set := allOn()
	set.Reminders = []int{30, 7, 1}
	r := newRig(t, set)
	now := r.clock.now()
	msg := func(id string, action time.Time) model.Message {
		m := message(id, t0, false)
		m.ActionRequiredBy = action
		return m
	}
	r.f.set(func(f *fake) {
		f.messages = []model.Message{
			msg("MC1", now.Add(10*24*time.Hour)), // 30-day window
			msg("MC2", now.Add(3*24*time.Hour)),  // 30- and 7-day windows: the 7-day reminder only
			msg("MC3", now.Add(40*24*time.Hour)), // no window yet
			msg("MC4", now.Add(-time.Hour)),      // past
			msg("MC5", time.Time{}),              // no date
		}
	})
	at := func(d time.Duration) string { return now.Add(d).UTC().Format(time.RFC3339) }
	res := r.poll(t) // the baseline pass: posts are stored silently, reminders are due all the same
	want := []string{"MC1 30 " + at(10*24*time.Hour), "MC2 7 " + at(3*24*time.Hour)}
	if got := reminders(r.events(t)); !slices.Equal(got, want) {
		t.Fatalf("first pass reminders %v, want %v", got, want)
	}
	if res.Events != 2 || res.Sources[model.SourceMC].Events != 2 {
		t.Errorf("result %+v", res)
	}
	for _, e := range r.events(t) {
		if e.Message == nil || e.Revision >= 0 || e.Tenant != tenant || e.Source != model.SourceMC {
			t.Errorf("reminder event %+v", e)
		}
	}

	// Again, and after a restart (a new Poller on the same store): nothing new.
	r.poll(t)
	r.p = poll.New(tenant, r.f, r.st, r.set, r.clock.now, nil)
	r.poll(t)
	if got := reminders(r.events(t)); len(got) != 2 {
		t.Fatalf("reminders raised again: %v", got)
	}

	// Four days later MC1 is 6 days away: its 7-day reminder. MC2's date
	// has passed.
	r.clock.add(4 * 24 * time.Hour)
	r.poll(t)
	want = append(want, "MC1 7 "+at(10*24*time.Hour))
	if got := reminders(r.events(t)); !slices.Equal(got, want) {
		t.Fatalf("reminders %v, want %v", got, want)
	}

	// Microsoft moves MC1's date by three weeks: it is 27 days away, and
	// its 30-day reminder comes again for the new date.
	r.f.set(func(f *fake) {
		f.messages[0].ActionRequiredBy = now.Add(31 * 24 * time.Hour)
		f.messages[0].LastModified = r.clock.now()
	})
	r.clock.add(time.Minute)
	r.poll(t)
	var types []string
	for _, e := range r.events(t) {
		types = append(types, string(e.Type)+" "+e.ItemID)
	}
	if !slices.Contains(types, "mc.action_date MC1") {
		t.Errorf("the moved date raised no mc.action_date: %v", types)
	}
	want = append(want, "MC1 30 "+at(31*24*time.Hour))
	if got := reminders(r.events(t)); !slices.Equal(got, want) {
		t.Fatalf("reminders %v, want %v", got, want)
	}

	// One outbox row per reminder, keyed by the reminder's revision.
	ds, err := r.st.Deliveries(context.Background(), nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, d := range ds {
		if d.Event.Type == model.EventMessageReminder {
			keys[d.Key] = true
			if !strings.HasPrefix(d.Key, "contoso/mc/MC") || !strings.Contains(d.Key, "/-") {
				t.Errorf("reminder key %s", d.Key)
			}
		}
	}
	if len(keys) != 4 {
		t.Errorf("%d reminder deliveries, want 4: %v", len(keys), keys)
	}
}

// TestNoReminders: without reminder days the pass raises none.
func TestNoReminders(t *testing.T) {
	r := newRig(t, allOn())
	r.f.set(func(f *fake) {
		m := message("MC1", t0, false)
		m.ActionRequiredBy = r.clock.now().Add(24 * time.Hour)
		f.messages = []model.Message{m}
	})
	r.poll(t)
	if got := reminders(r.events(t)); len(got) != 0 {
		t.Errorf("reminders without days: %v", got)
	}
}
