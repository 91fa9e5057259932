package poll_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/store"
)

// TestRelevanceStored: the read index knows whether each post concerns
// the tenant, the posts of the silent baseline included, and judges them
// again when the tenant's service health changes, without a new revision.
func TestRelevanceStored(t *testing.T) {
	r := newRig(t, allOn())
	pbi := message("MC2", t0, false)
	pbi.Services = []string{"Power BI"}
	r.f.set(func(f *fake) {
		f.messages = []model.Message{message("MC1", t0, false), pbi}
		f.health = []model.ServiceHealth{{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}}
	})
	ctx := context.Background()
	rd, _ := store.AsReader(r.st)
	keys := []model.ItemKey{{Tenant: tenant, Source: model.SourceMC, ID: "MC1"}, {Tenant: tenant, Source: model.SourceMC, ID: "MC2"}}
	verdicts := func() (mc1, mc2 model.Relevance) {
		t.Helper()
		got, err := rd.Relevance(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("verdicts on %d of 2 posts: %+v", len(got), got)
		}
		return got[keys[0]], got[keys[1]]
	}
	r.poll(t) // the baseline: no event, but a verdict on each post
	verdicts()
	r.clock.add(time.Minute)
	r.poll(t)
	mc1, mc2 := verdicts()
	if !mc1.Relevant || mc1.Basis != "service health" || mc2.Relevant || mc2.Basis != "service health" {
		t.Errorf("after the second pass: MC1 %+v, MC2 %+v; want relevant and not, by service health", mc1, mc2)
	}
	no := false
	page, err := rd.SearchItems(ctx, store.ItemQuery{Source: model.SourceMC, Relevant: &no})
	if err != nil || len(page.Items) != 1 || page.Items[0].Key.ID != "MC2" {
		t.Errorf("not relevant: %+v, %v; want MC2", page.Items, err)
	}

	// The tenant gets Power BI: MC2 is judged again, not changed.
	r.f.set(func(f *fake) {
		f.health = append(f.health, model.ServiceHealth{ID: "PowerBIcom", Service: "Power BI", Status: model.StatusServiceOperational})
	})
	for range 2 { // the health pass stores it; the next messages pass reads it
		r.clock.add(time.Minute)
		r.poll(t)
	}
	if _, mc2 = verdicts(); !mc2.Relevant || mc2.Reason != "in the tenant's service health: Power BI" {
		t.Errorf("MC2 after Power BI appeared: %+v", mc2)
	}
	its, err := r.st.Items(ctx, tenant, model.SourceMC, []string{"MC2"})
	if err != nil || its["MC2"].Revision != 1 {
		t.Errorf("MC2 revision %d, %v; judging again must not add one", its["MC2"].Revision, err)
	}
	for _, ev := range r.events(t) {
		if ev.Source == model.SourceMC {
			t.Errorf("judging again raised %s %s", ev.Type, ev.ItemID)
		}
	}
}

// licensedFake is a fake whose tenant lets the app read its licences.
type licensedFake struct {
	*fake
	skus []model.SubscribedSku
	mu   sync.Mutex
	read int
}

func (f *licensedFake) SubscribedSkus(context.Context) ([]model.SubscribedSku, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.read++
	return f.skus, nil
}

// TestRelevanceByLicences: the baseline reads no licence (it raises no
// event) and judges by service health; the first event reads them and
// every stored post is judged again by them; a restarted poller, which has
// not read them yet, keeps those verdicts.
func TestRelevanceByLicences(t *testing.T) {
	r := newRig(t, allOn())
	lf := &licensedFake{fake: r.f, skus: []model.SubscribedSku{{SkuPartNumber: "POWER_BI_PRO", ServicePlans: []model.ServicePlan{
		{ServicePlanName: "BI_AZURE_P2", ProvisioningStatus: "Success"}}}}}
	r.p = poll.New(tenant, lf, r.st, r.set, r.clock.now, nil)
	pbi := message("MC2", t0, false)
	pbi.Services = []string{"Power BI"}
	r.f.set(func(f *fake) {
		f.messages = []model.Message{pbi}
		f.health = []model.ServiceHealth{{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational}}
	})
	ctx := context.Background()
	rd, _ := store.AsReader(r.st)
	key := model.ItemKey{Tenant: tenant, Source: model.SourceMC, ID: "MC2"}
	verdict := func() model.Relevance {
		t.Helper()
		got, err := rd.Relevance(ctx, []model.ItemKey{key})
		if err != nil {
			t.Fatal(err)
		}
		return got[key]
	}
	r.poll(t)
	if v := verdict(); v.Relevant || v.Basis != "service health" || lf.read != 0 {
		t.Errorf("baseline: %+v, %d licence reads; want not relevant by service health, no read", v, lf.read)
	}
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) { f.messages = append(f.messages, message("MC3", t0.Add(time.Hour), false)) })
	r.poll(t)
	if v := verdict(); !v.Relevant || v.Reason != "licensed: Power BI (BI_AZURE_P2)" || lf.read != 1 {
		t.Errorf("after the first event: %+v, %d licence reads; want licensed, 1 read", v, lf.read)
	}
	// A restart: the new poller knows service health only, until an event.
	r.p = poll.New(tenant, lf, r.st, r.set, r.clock.now, nil)
	r.clock.add(time.Minute)
	r.poll(t)
	if v := verdict(); !v.Relevant || v.Basis != "licences" {
		t.Errorf("after a restart: %+v; want the licence verdict kept", v)
	}
}
