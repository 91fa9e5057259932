package poll_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/poll"
	"github.com/shdmc/shdmc/internal/route"
	"github.com/shdmc/shdmc/internal/store"
)

// ecsHealth are the service overviews of the ECS incident of the demo
// (seed 002), all operational.
func ecsHealth() []model.ServiceHealth {
	return []model.ServiceHealth{
		{ID: "Exchange", Service: "Exchange Online", Status: model.StatusServiceOperational},
		{ID: "MicrosoftTeams", Service: "Microsoft Teams", Status: model.StatusServiceOperational},
		{ID: "OSDPPlatform", Service: "Microsoft 365 suite", Status: model.StatusServiceOperational},
		{ID: "SharePoint", Service: "SharePoint Online", Status: model.StatusServiceOperational},
		{ID: "Windows365", Service: "Windows 365", Status: model.StatusServiceOperational},
		{ID: "officeonline", Service: "Office for the web", Status: model.StatusServiceOperational},
		{ID: "OneDriveForBusiness", Service: "OneDrive for Business", Status: model.StatusServiceOperational},
	}
}

// ecsIssue is the incident filed for Microsoft 365 suite that names the
// services it spread to in its title and posts.
func ecsIssue(st model.Status, mod time.Time, posts ...string) model.Issue {
	is := issue("MO560384", st, !st.Active(), mod, posts...)
	is.Service = "Microsoft 365 suite"
	is.Title = "Users may be unable to access Microsoft Teams and multiple Microsoft 365 services"
	return is
}

// delivered lists the outbox rows of a tenant as "type item key".
func delivered(t *testing.T, st store.Store) map[string][]string {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range ds {
		out[string(d.Event.Type)+" "+d.Event.ItemID] = append(out[string(d.Event.Type)+" "+d.Event.ItemID], d.Key)
	}
	return out
}

// itemsOf lists the services an event's notice announces.
func itemsOf(ev model.Event) []string {
	var out []string
	for _, it := range ev.Items {
		out = append(out, it.ItemID+" "+string(it.Service.Status))
	}
	slices.Sort(out)
	return out
}

// TestGroupFlips: an incident and the service flips it explains are one
// notice; the flips no incident explains are one service status notice;
// every flip is still stored as its own event, and the keys are the
// events' own.
func TestGroupFlips(t *testing.T) {
	r := newRig(t, allOn())
	r.f.set(func(f *fake) { f.health = ecsHealth() })
	r.poll(t) // baseline
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{ecsIssue(model.StatusInvestigating, t0.Add(time.Hour),
			"Current status: Impact has expanded to Exchange Online, Windows 365 and Office Online.")}
		for i := range f.health {
			switch f.health[i].ID {
			case "MicrosoftTeams":
				f.health[i].Status = model.StatusServiceInterruption
			case "OSDPPlatform", "Exchange", "Windows365", "officeonline", "SharePoint", "OneDriveForBusiness":
				f.health[i].Status = model.StatusServiceDegradation
			}
		}
	})
	r.f.set(func(f *fake) {
		f.health = append(f.health, model.ServiceHealth{ID: "Intune", Service: "Microsoft Intune", Status: model.StatusServiceDegradation})
	})
	res := r.poll(t)
	if res.Sources[model.SourceSHD].Events != 1 || res.Sources[model.SourceHealth].Events != 2 || res.Events != 3 {
		t.Errorf("result %+v: want one issue notice, one service status notice and one for the new service", res)
	}
	evs := r.events(t)
	var issueEv, carrier *model.Event
	healthEvents := 0
	for i := range evs {
		switch {
		case evs[i].ItemID == "MO560384":
			issueEv = &evs[i]
		case evs[i].Source == model.SourceHealth:
			healthEvents++
			if len(evs[i].Items) > 0 {
				carrier = &evs[i]
			}
		}
	}
	if healthEvents != 8 {
		t.Errorf("%d health events stored, want every flip and the new service (8)", healthEvents)
	}
	if issueEv == nil || carrier == nil {
		t.Fatalf("no issue event or no service status event: %v", evKeys(evs))
	}
	want := []string{"Exchange serviceDegradation", "MicrosoftTeams serviceInterruption", "OSDPPlatform serviceDegradation",
		"Windows365 serviceDegradation", "officeonline serviceDegradation"}
	if diff := cmp.Diff(want, itemsOf(*issueEv)); diff != "" {
		t.Errorf("flips the incident explains (-want +got):\n%s", diff)
	}
	// SharePoint and OneDrive flip and nothing explains them; Intune is a
	// service first seen, with a notice of its own.
	if diff := cmp.Diff([]string{"OneDriveForBusiness serviceDegradation", "SharePoint serviceDegradation"}, itemsOf(*carrier)); diff != "" {
		t.Errorf("service status notice (-want +got):\n%s", diff)
	}
	if carrier.ItemID != "OneDriveForBusiness" {
		t.Errorf("service status notice carried by %s, want the smallest ID (OneDriveForBusiness)", carrier.ItemID)
	}
	got := delivered(t, r.st)
	wantKeys := map[string][]string{
		"issue.new MO560384":                 {"contoso/shd/MO560384/1/default/out"},
		"service.status Intune":              {"contoso/health/Intune/1/default/out"},
		"service.status OneDriveForBusiness": {"contoso/health/OneDriveForBusiness/2/default/out"},
	}
	if diff := cmp.Diff(wantKeys, got); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}

	// Recovery: the incident is restored and every service with it, in one
	// notice; Intune, SharePoint and OneDrive recover in one service status
	// notice, carried by Intune now.
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{ecsIssue(model.StatusServiceRestored, t0.Add(2*time.Hour),
			"Current status: Impact has expanded to Exchange Online, Windows 365 and Office Online.",
			"Final status: Microsoft Teams, Exchange Online, Windows 365 and Office for the web have recovered.")}
		for i := range f.health {
			f.health[i].Status = model.StatusServiceOperational
		}
	})
	res = r.poll(t)
	if res.Events != 2 {
		t.Errorf("recovery: %d notices, want 2", res.Events)
	}
	got = delivered(t, r.st)
	if len(got["issue.resolved MO560384"]) != 1 || len(got["service.status Intune"]) != 2 || len(got["service.status OneDriveForBusiness"]) != 1 || len(got) != 4 {
		t.Errorf("recovery outbox: %v", got)
	}
}

// TestGroupKeepsEveryRoute: a flip whose route does not announce the
// incident is not folded into the incident's notice, which that route
// would never send.
func TestGroupKeepsEveryRoute(t *testing.T) {
	set := allOn()
	router, err := route.New([]config.Route{
		{Name: "health", Channels: []string{"ops"}, Match: config.Match{Sources: []string{"health"}}},
		{Name: "all", Channels: []string{"out"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set.Targets = router.Match
	r := newRig(t, set)
	r.f.set(func(f *fake) { f.health = ecsHealth() })
	r.poll(t)
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{ecsIssue(model.StatusInvestigating, t0.Add(time.Hour))}
		f.health[1].Status = model.StatusServiceInterruption // Teams
		f.health[2].Status = model.StatusServiceDegradation  // Microsoft 365 suite
	})
	r.poll(t)
	got := delivered(t, r.st)
	want := map[string][]string{
		"issue.new MO560384":            {"contoso/shd/MO560384/1/all/out"},
		"service.status MicrosoftTeams": {"contoso/health/MicrosoftTeams/2/all/out", "contoso/health/MicrosoftTeams/2/health/ops"},
	}
	for k := range got {
		slices.Sort(got[k])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
}

// failingCommitAll fails the joint commit of a pass.
type failingCommitAll struct {
	store.Store
	fail bool
}

func (f *failingCommitAll) CommitAll(ctx context.Context, bs []store.Batch) ([][]int64, error) {
	if f.fail {
		return nil, errors.New("disk full")
	}
	return f.Store.CommitAll(ctx, bs)
}

// TestGroupCommitsTogether: the incident and the flips folded into it are
// stored in one transaction: when it fails nothing of either is stored,
// and the next pass groups the same way, with the same keys.
func TestGroupCommitsTogether(t *testing.T) {
	r := newRig(t, allOn())
	fs := &failingCommitAll{Store: r.st}
	r.p = poll.New(tenant, r.f, fs, r.set, r.clock.now, nil)
	r.f.set(func(f *fake) { f.health = ecsHealth() })
	r.poll(t)
	r.clock.add(time.Minute)
	r.f.set(func(f *fake) {
		f.issues = []model.Issue{ecsIssue(model.StatusInvestigating, t0.Add(time.Hour))}
		f.health[1].Status = model.StatusServiceInterruption
	})
	fs.fail = true
	res, err := r.p.Poll(context.Background())
	if err == nil || res.Sources[model.SourceSHD].Err == nil || res.Sources[model.SourceHealth].Err == nil {
		t.Fatalf("poll with a failing joint commit: %+v, %v", res, err)
	}
	if evs := r.events(t); len(evs) != 0 {
		t.Errorf("events stored by a failed joint commit: %v", evKeys(evs))
	}
	if items, _ := r.st.Items(context.Background(), tenant, model.SourceHealth, []string{"MicrosoftTeams"}); items["MicrosoftTeams"].Revision != 1 {
		t.Errorf("the flip was stored without its incident: revision %d", items["MicrosoftTeams"].Revision)
	}
	fs.fail = false
	r.poll(t)
	want := map[string][]string{"issue.new MO560384": {"contoso/shd/MO560384/1/default/out"}}
	if diff := cmp.Diff(want, delivered(t, r.st)); diff != "" {
		t.Errorf("outbox after the retried pass (-want +got):\n%s", diff)
	}
}
