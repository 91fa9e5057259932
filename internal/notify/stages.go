package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/translate"
)

// holdStage decides what waits: a Message Center post on a group_tenants
// route is handed over to its group delivery; a digest route's deliveries
// (but escalations) wait for the digest time and then go out as one
// digest job per route and channel; quiet hours defer what is not urgent.
type holdStage struct {
	st     store.Store
	router *route.Router
	loc    *time.Location // when the route names no time zone
	window time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// Exec implements Stage.
func (h *holdStage) Exec(ctx context.Context, jobs []*Job) []*Job {
	now := h.now()
	out := jobs[:0]
	type digestKey struct{ route, channel string }
	digests := map[digestKey][]*store.Delivery{}
	var order []digestKey
	for _, j := range jobs {
		dl := j.Deliveries[0]
		pol := h.router.Policy(dl.Route)
		j.Policy = pol
		if pol == nil {
			out = append(out, j)
			continue
		}
		loc := pol.Location
		if loc == nil {
			loc = h.loc
		}
		switch {
		case pol.GroupTenants && dl.Event.Message != nil && dl.Kind == store.KindNotice:
			h.handOver(ctx, dl, now)
		case pol.Digest() && dl.Kind != store.KindEscalation: // an escalation never waits for a digest
			due := pol.NextDigest(dl.CreatedAt, loc)
			if now.Before(due) {
				h.deferTo(ctx, dl, due, "held for the "+pol.DigestEvery()+" digest of "+render.FormatTime(due, loc))
				continue
			}
			k := digestKey{dl.Route, dl.Channel}
			if digests[k] == nil {
				order = append(order, k)
			}
			digests[k] = append(digests[k], dl)
		default:
			if !pol.Urgent(&dl.Event) {
				if end, in := pol.QuietUntil(now, loc); in {
					h.deferTo(ctx, dl, end, "held for quiet hours until "+render.FormatTime(end, loc))
					continue
				}
			}
			out = append(out, j)
		}
	}
	for _, k := range order {
		dls := digests[k]
		ev := &model.Event{Type: model.EventDigest, ItemID: "digest", DetectedAt: now}
		for _, dl := range dls {
			ev.Items = append(ev.Items, dl.Event)
		}
		key := store.DeliveryKey(store.KindDigest, ev, k.route, k.channel, fmt.Sprintf("%d-%d", dls[0].ID, dls[len(dls)-1].ID))
		out = append(out, &Job{Channel: k.channel, Policy: h.router.Policy(k.route), Deliveries: dls,
			Notice: &Notice{Event: ev, Route: k.route, Key: key, DeliveryID: dls[0].ID, Kind: store.KindDigest}})
	}
	return out
}

// handOver enqueues the group delivery that announces dl's post revision
// for every tenant, due when the other tenants have had their polls, and
// marks dl done. Enqueuing first means a crash in between repeats the
// hand-over, which the group key makes harmless; the group delivery is an
// outbox row like any other, retried until sent.
func (h *holdStage) handOver(ctx context.Context, dl *store.Delivery, now time.Time) {
	key := store.DeliveryKey(store.KindGroup, &dl.Event, dl.Route, dl.Channel, fingerprint.Message(dl.Event.Message))
	if _, err := h.st.EnqueueDelivery(ctx, dl.Event.ID, store.KindGroup, dl.Channel, dl.Route, key, dl.CreatedAt.Add(h.window)); err != nil {
		h.log.Error("group delivery", "delivery", dl.ID, "group", key, "err", err)
		return // still claimed: tried again when the claim lapses
	}
	if err := h.st.CompleteDelivery(ctx, dl.ID, now); err != nil {
		h.log.Error("mark grouped delivery done", "delivery", dl.ID, "err", err)
	}
}

// deferTo makes dl due at until without counting an attempt.
func (h *holdStage) deferTo(ctx context.Context, dl *store.Delivery, until time.Time, reason string) {
	if err := h.st.DeferDelivery(ctx, dl.ID, until, reason); err != nil {
		h.log.Error("hold delivery", "delivery", dl.ID, "err", err)
	}
}

// localizeStage resolves how a notice reads for its route: language,
// mode and template, the translation of the event's new prose, and for a
// group notice the other tenants it stands for. A translation failure
// never blocks the notice: the untranslated prose is shown, marked as
// such, and the translation follows later when the failure may pass.
type localizeStage struct {
	st       store.Store
	router   *route.Router
	tr       *translate.Service
	followUp bool
	tenants  *tenantNames
	log      *slog.Logger
}

// tenantNames caches the configured display names of the tenants (the
// store's tenants table), so that a notice names its tenant without a
// query per notice.
type tenantNames struct {
	st  store.Store
	now func() time.Time
	log *slog.Logger

	mu    sync.Mutex
	names map[string]string
	at    time.Time // when names was read
}

// The ages after which the tenant names are read again: always after
// tenantNamesTTL, and after tenantNamesRetry when a tenant is missing.
const (
	tenantNamesTTL   = time.Minute
	tenantNamesRetry = 5 * time.Second
)

// name returns the display name of tenant id, or "" when none is known.
func (t *tenantNames) name(ctx context.Context, id string) string {
	if t == nil || t.st == nil || id == "" {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	name, ok := t.names[id]
	age := now.Sub(t.at)
	if t.names != nil && age < tenantNamesTTL && (ok || age < tenantNamesRetry) {
		return name
	}
	list, err := t.st.Tenants(ctx)
	if err != nil {
		t.log.Warn("read tenant names; the notice names the tenant by its ID", "err", err)
		return name
	}
	t.names = make(map[string]string, len(list))
	for _, tn := range list {
		t.names[tn.ID] = tn.Name
	}
	t.at = now
	return t.names[id]
}

// followUpAfter is when a translation follow-up is first tried.
const followUpAfter = 10 * time.Minute

// Exec implements Stage.
func (l *localizeStage) Exec(ctx context.Context, jobs []*Job) []*Job {
	for _, j := range jobs {
		if j.Err == nil {
			j.Err = l.localize(ctx, j)
		}
	}
	return jobs
}

func (l *localizeStage) localize(ctx context.Context, j *Job) error {
	n, pol := j.Notice, j.Policy
	o, incomplete, err := l.options(ctx, pol, n.Event)
	followUp := n.Kind == store.KindFollowUp
	// A follow-up of a post on a group_tenants route follows its group
	// notice: plain notices of such posts are handed over, never sent.
	group := n.Kind == store.KindGroup || (followUp && pol != nil && pol.GroupTenants && n.Event.Message != nil)
	if group {
		also, aerr := l.alsoIn(ctx, n.Route, n.Event)
		if aerr != nil {
			return aerr
		}
		o.AlsoIn = also
	}
	n.Render = o
	switch {
	case followUp && incomplete:
		return fmt.Errorf("translation still unavailable: %w", err)
	case followUp:
		n.Render.Mode = render.ModeTranslated
		n.Render.NoteKey = "note.translationFollowUp"
	case incomplete && err != nil && l.followUp && !translate.Permanent(err) && !errors.Is(err, translate.ErrBudget):
		n.FollowUp = true
	}
	return nil
}

// options returns the route's render options for ev; incomplete reports
// that some prose is untranslated (err is the translator's).
func (l *localizeStage) options(ctx context.Context, pol *route.Policy, ev *model.Event) (o render.Options, incomplete bool, err error) {
	if ev != nil {
		o.TenantName = l.tenants.name(ctx, ev.Tenant)
	}
	if pol == nil {
		return o, false, nil
	}
	o.Location = pol.Location
	o.Template = pol.Template
	if !pol.Translated() {
		return o, false, nil
	}
	o.Language, o.Mode = pol.Language, pol.Mode
	if l.tr == nil || ev == nil {
		return o, false, nil
	}
	if l.tr.Provider().Name() == translate.MemoryProviderName {
		o.NoteKey = "note.demoTranslation" // written for the demo, not machine translated
	}
	segs := render.Segments(ev)
	if len(segs) == 0 {
		return o, false, nil
	}
	tr, rep, err := l.tr.TranslateAll(ctx, segs, route.SourceLanguage, pol.Language)
	if err != nil {
		l.log.Warn("translation incomplete; the notice shows the original text where it is missing",
			"item", ev.ItemID, "route", pol.Name, "provider", rep.Provider, "translated", rep.Translated,
			"untranslated", len(rep.Untranslated), "budget_exceeded", rep.BudgetExceeded, "err", err)
	}
	o.Prose = func(s string) (string, bool) {
		t, ok := tr[s]
		return t, ok
	}
	l.indexForSearch(ctx, ev, pol.Language)
	return o, len(tr) < len(segs), err
}

// indexForSearch records the translations the memory now holds of the
// event's item as the store has it, so that the dashboard's search finds
// the item in lang. A failure costs the search, not the notice.
func (l *localizeStage) indexForSearch(ctx context.Context, ev *model.Event, lang string) {
	items, err := l.st.Items(ctx, ev.Tenant, ev.Source, []string{ev.ItemID})
	if err == nil {
		it, ok := items[ev.ItemID]
		if !ok || len(it.Data) == 0 {
			return
		}
		provider, glossary := l.tr.MemoryKey()
		err = translate.IndexDocument(ctx, l.st, provider, glossary, []string{lang}, ev.Source, it.Data)
	}
	if err != nil {
		l.log.Warn("search_translation_failed", "item", ev.ItemID, "tenant", ev.Tenant, "err", err)
	}
}

// alsoIn lists the other tenants whose same post revision (same event type
// and content hash) the route announces with ev, sorted.
func (l *localizeStage) alsoIn(ctx context.Context, routeName string, ev *model.Event) ([]string, error) {
	if ev.Message == nil {
		return nil, nil
	}
	hash := fingerprint.Message(ev.Message)
	evs, err := l.st.Events(ctx, store.EventQuery{ItemID: ev.ItemID})
	if err != nil {
		return nil, fmt.Errorf("list the tenants of %s: %w", ev.ItemID, err)
	}
	seen := map[string]bool{ev.Tenant: true}
	var out []string
	for i := range evs {
		e := &evs[i]
		if seen[e.Tenant] || e.Source != ev.Source || e.Type != ev.Type || e.Message == nil || fingerprint.Message(e.Message) != hash {
			continue
		}
		if !slices.ContainsFunc(l.router.Match(e), func(t route.Target) bool { return t.Route == routeName }) {
			continue
		}
		seen[e.Tenant] = true
		out = append(out, e.Tenant)
	}
	slices.Sort(out)
	return out, nil
}

// sendStage hands each job to its channel and, when the channel has been
// failing longer than the route allows, to the route's failover channel:
// the seeds show Teams and Exchange Online failing during the very
// incidents we report.
type sendStage struct {
	notifiers map[string]Notifier
	loc       *time.Location
	chanLoc   map[string]*time.Location
	now       func() time.Time
	log       *slog.Logger

	mu      sync.Mutex
	failing map[string]time.Time // channel → start of its current run of failures
}

// Exec implements Stage.
func (s *sendStage) Exec(ctx context.Context, jobs []*Job) []*Job {
	for _, j := range jobs {
		if j.Err != nil || j.Skip {
			continue
		}
		if ctx.Err() != nil {
			j.Skip = true
			continue
		}
		s.send(ctx, j)
	}
	return jobs
}

// forChannel returns a copy of n in the time zone it reads in on
// channel: the route's, else the channel's, else the default.
func (s *sendStage) forChannel(n *Notice, channel string) *Notice {
	c := *n
	if c.Render.Location == nil {
		c.Render.Location = s.loc
		if l := s.chanLoc[channel]; l != nil {
			c.Render.Location = l
		}
	}
	return &c
}

func (s *sendStage) send(ctx context.Context, j *Job) {
	log := s.log.With("delivery", j.Deliveries[0].ID, "deliveries", len(j.Deliveries), "channel", j.Channel, "item", j.Notice.Event.ItemID)
	rc, err := s.notifiers[j.Channel].Notify(ctx, s.forChannel(j.Notice, j.Channel))
	now := s.now()
	since := s.health(j.Channel, err == nil, now)
	if fc := j.Policy.FailoverFor(j.Channel); err != nil && fc != "" && now.Sub(since) >= j.Policy.FailoverAfter && s.notifiers[fc] != nil {
		frc, ferr := s.notifiers[fc].Notify(ctx, s.forChannel(j.Notice, fc))
		s.health(fc, ferr == nil, now)
		if ferr == nil {
			log.Warn("delivered through failover channel", "failover", fc, "primary_err", err,
				"primary_failing_since", since, "status", frc.Status)
			err, rc = nil, frc
		} else {
			err = fmt.Errorf("%w; failover %s: %w", err, fc, ferr)
		}
	}
	if err == nil {
		log.Debug("delivered", "status", rc.Status, "detail", rc.Detail)
	}
	j.Err, j.Receipt = err, rc
}

// health records the outcome of a send to channel and returns since when
// the channel has been failing (zero after a success).
func (s *sendStage) health(channel string, ok bool, now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing == nil {
		s.failing = map[string]time.Time{}
	}
	if ok {
		delete(s.failing, channel)
		return time.Time{}
	}
	since, was := s.failing[channel]
	if !was {
		since = now
		s.failing[channel] = now
	}
	return since
}

// recordStage writes each job's outcome on every row it stands for: done
// (and a translation follow-up queued when one is due), or failed —
// retried with backoff (or as the far end asked), or dead when permanent
// or too old.
type recordStage struct{ d *Dispatcher }

// Exec implements Stage.
func (r *recordStage) Exec(ctx context.Context, jobs []*Job) []*Job {
	for _, j := range jobs {
		switch {
		case j.Skip:
		case j.Err == nil:
			r.done(ctx, j)
		default:
			r.failed(ctx, j)
		}
	}
	return jobs
}

func (r *recordStage) done(ctx context.Context, j *Job) {
	d := r.d
	now := d.now()
	for _, dl := range j.Deliveries {
		if err := d.st.CompleteDelivery(ctx, dl.ID, now); err != nil {
			d.log.Error("mark delivery done", "delivery", dl.ID, "err", err)
		}
	}
	if !j.Notice.FollowUp || len(j.Deliveries) != 1 {
		return
	}
	dl := j.Deliveries[0]
	key := store.DeliveryKey(store.KindFollowUp, &dl.Event, dl.Route, dl.Channel, dl.Key)
	added, err := d.st.EnqueueDelivery(ctx, dl.Event.ID, store.KindFollowUp, dl.Channel, dl.Route, key, now.Add(followUpAfter))
	switch {
	case err != nil:
		d.log.Error("queue the translation follow-up", "item", dl.Event.ItemID, "err", err)
	case added:
		d.log.Info("translation follows later", "item", dl.Event.ItemID, "route", dl.Route, "channel", dl.Channel)
	}
}

func (r *recordStage) failed(ctx context.Context, j *Job) {
	d, err := r.d, j.Err
	now := d.now()
	wait := d.delay(j.Deliveries[0].Attempts)
	if ra, ok := errors.AsType[retryAfterError](err); ok && ra.d > wait {
		wait = ra.d
	}
	retry := now.Add(wait)
	log := d.log.With("delivery", j.Deliveries[0].ID, "deliveries", len(j.Deliveries), "channel", j.Channel, "item", j.Notice.Event.ItemID)
	for _, dl := range j.Deliveries {
		dead := IsPermanent(err) || now.Sub(dl.CreatedAt) >= d.MaxAge
		log.Warn("delivery failed", "err", err, "attempt", dl.Attempts+1, "dead", dead)
		if ferr := d.st.FailDelivery(ctx, dl.ID, now, err.Error(), retry, dead); ferr != nil {
			log.Error("record failed delivery", "err", ferr)
		}
	}
}
