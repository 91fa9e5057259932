package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// day is how long "N days before" a date counts per day.
const day = 24 * time.Hour

// ReminderRevision is the Revision of the mc.reminder event of a post
// whose action-required date is at, reminded days before: minus
// yymmdd·1000 + days (-240630007 for 7 days before June 30, 2024). It is
// negative, so never a revision of the item, and it makes the event's
// outbox key (store.DeliveryKey: tenant/mc/item/revision/route/channel)
// unique per tenant, post, date and days: a date that moves is reminded
// again, the same reminder never twice.
func ReminderRevision(at time.Time, days int) int {
	at = at.UTC()
	return -(((at.Year()%100)*10000+int(at.Month())*100+at.Day())*1000 + days)
}

// remind raises the mc.reminder events due after a Message Center pass:
// for each post of the tenant whose action-required date is at most N×24 h
// away and not past, for the smallest such N of Settings.Reminders, one
// event, unless it was raised before (a post seen first inside several
// windows gets the reminder of the nearest one only). The events go to
// their routes and outbox rows in one commit. It returns how many it
// raised.
func (p *Poller) remind(ctx context.Context) (int, error) {
	days := slices.Clone(p.set.Reminders)
	if len(days) == 0 {
		return 0, nil
	}
	slices.Sort(days)
	now := p.now()
	posts, err := p.remindable(ctx, now, now.Add(time.Duration(days[len(days)-1])*day))
	if err != nil {
		return 0, err
	}
	slices.SortFunc(posts, func(a, b store.Item) int { return strings.Compare(a.Key.ID, b.Key.ID) })
	b := &batch{p: p, b: store.Batch{Tenant: p.tenant, Source: model.SourceMC}}
	var raised []string
	for _, it := range posts {
		var m model.Message
		if err := json.Unmarshal(it.Data, &m); err != nil || m.ActionRequiredBy.IsZero() {
			continue
		}
		left := m.ActionRequiredBy.Sub(now)
		k := slices.IndexFunc(days, func(n int) bool { return left <= time.Duration(n)*day })
		if left <= 0 || k < 0 {
			continue
		}
		n := days[k]
		rev := ReminderRevision(m.ActionRequiredBy, n)
		key := it.Key.ID + "/" + strconv.Itoa(rev)
		if p.reminded[key] {
			continue
		}
		done, err := p.remindedBefore(ctx, it.Key.ID, rev)
		if err != nil {
			return 0, err
		}
		if done {
			p.reminded[key] = true
			continue
		}
		ev := model.Event{Tenant: p.tenant, Source: model.SourceMC, ItemID: it.Key.ID, Type: model.EventMessageReminder,
			Revision: rev, DetectedAt: now, Message: &m,
			Changes: []model.Change{{Kind: model.ChangeReminder, Field: strconv.Itoa(n), To: m.ActionRequiredBy.UTC().Format(time.RFC3339)}}}
		b.event(ctx, ev)
		raised = append(raised, key)
	}
	if len(b.b.Events) == 0 {
		return 0, nil
	}
	if _, err := p.st.Commit(ctx, b.b); err != nil {
		return 0, fmt.Errorf("commit reminders: %w", err)
	}
	for _, k := range raised {
		p.reminded[k] = true
	}
	return len(raised), nil
}

// remindable lists the tenant's current Message Center posts whose
// action-required date lies after from and before to.
func (p *Poller) remindable(ctx context.Context, from, to time.Time) ([]store.Item, error) {
	rd, ok := store.AsReader(p.st)
	if !ok {
		all, err := p.st.Items(ctx, p.tenant, model.SourceMC, nil)
		if err != nil {
			return nil, fmt.Errorf("list posts to remind: %w", err)
		}
		out := make([]store.Item, 0, len(all))
		for _, it := range all {
			if !it.Removed {
				out = append(out, it)
			}
		}
		return out, nil
	}
	q := store.ItemQuery{Tenants: []string{p.tenant}, Source: model.SourceMC, ActionAfter: from,
		ActionBefore: to.Add(time.Second), Limit: 1000, NoCount: true}
	var out []store.Item
	for {
		page, err := rd.SearchItems(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("list posts to remind: %w", err)
		}
		out = append(out, page.Items...)
		if !page.More || page.Next == "" {
			return out, nil
		}
		q.After = page.Next
	}
}

// remindedBefore reports whether the store holds the reminder event of
// revision rev of item id (raised by an earlier process, or another
// worker that held the tenant).
func (p *Poller) remindedBefore(ctx context.Context, id string, rev int) (bool, error) {
	evs, err := p.st.Events(ctx, store.EventQuery{Tenant: p.tenant, ItemID: id})
	if err != nil {
		return false, fmt.Errorf("read reminders of %s: %w", id, err)
	}
	for _, e := range evs {
		if e.Type == model.EventMessageReminder && e.Revision == rev && e.Source == model.SourceMC {
			return true, nil
		}
	}
	return false, nil
}
