package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/store"
)

// cluster returns s as a ClusterStore or fails.
func cluster(t *testing.T, s store.Store) store.ClusterStore {
	t.Helper()
	c := s
	return c
}

func testWorkers(t *testing.T, s store.Store) {
	c, ctx := cluster(t, s), ctxT(t)
	now := base()
	tests := []struct {
		name   string
		worker string
		at     time.Time
		ttl    time.Duration
		want   []string
	}{
		{"first", "w2", now, time.Minute, []string{"w2"}},
		{"second", "w1", now.Add(10 * time.Second), time.Minute, []string{"w1", "w2"}},
		{"renewal keeps one row", "w2", now.Add(20 * time.Second), time.Minute, []string{"w1", "w2"}},
		{"w1 ended at 70s", "w2", now.Add(75 * time.Second), time.Minute, []string{"w2"}},
		{"w1 comes back", "w1", now.Add(80 * time.Second), time.Minute, []string{"w1", "w2"}},
	}
	for _, tt := range tests {
		got, err := c.RegisterWorker(ctx, tt.worker, tt.at, tt.ttl)
		if err != nil {
			t.Fatalf("%s: RegisterWorker: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: live workers (-want +got):\n%s", tt.name, diff)
		}
	}
	if err := c.UnregisterWorker(ctx, "w1"); err != nil {
		t.Fatalf("UnregisterWorker: %v", err)
	}
	got, err := c.RegisterWorker(ctx, "w2", now.Add(90*time.Second), time.Minute)
	if err != nil || !slices.Equal(got, []string{"w2"}) {
		t.Errorf("after unregister: %v, %v; want [w2]", got, err)
	}
	if _, err := c.RegisterWorker(ctx, "", now, time.Minute); err == nil {
		t.Error("RegisterWorker with an empty ID: no error")
	}
	if _, err := c.RegisterWorker(ctx, "w3", now, 0); err == nil {
		t.Error("RegisterWorker with ttl 0: no error")
	}
}

func testBudgetLog(t *testing.T, s store.Store) {
	c, ctx := cluster(t, s), ctxT(t)
	if got, err := c.BudgetLog(ctx, "tid/app"); err != nil || got != nil {
		t.Fatalf("BudgetLog of nothing = %v, %v; want nil, nil", got, err)
	}
	log := []time.Time{base(), base().Add(time.Second), base().Add(time.Minute)}
	if err := c.SaveBudgetLog(ctx, "tid/app", log, base()); err != nil {
		t.Fatalf("SaveBudgetLog: %v", err)
	}
	if err := c.SaveBudgetLog(ctx, "other/app", log[:1], base()); err != nil {
		t.Fatalf("SaveBudgetLog: %v", err)
	}
	got, err := c.BudgetLog(ctx, "tid/app")
	if err != nil {
		t.Fatalf("BudgetLog: %v", err)
	}
	want := make([]time.Time, len(log))
	for i, l := range log {
		want[i] = l.UTC()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BudgetLog (-want +got):\n%s", diff)
	}
	if err := c.SaveBudgetLog(ctx, "tid/app", log[2:], base()); err != nil {
		t.Fatalf("SaveBudgetLog: %v", err)
	}
	if got, _ := c.BudgetLog(ctx, "tid/app"); len(got) != 1 || !got[0].Equal(log[2]) {
		t.Errorf("after replacing: %v, want [%v]", got, log[2])
	}
}

func testManagedTenants(t *testing.T, s store.Store) {
	r := s
	ctx := ctxT(t)
	for _, id := range []string{"contoso", "adatum"} {
		if err := r.AddManagedTenant(ctx, store.ManagedTenant{ID: id, Data: []byte(`{"id":"` + id + `"}`), CreatedAt: base()}); err != nil {
			t.Fatalf("AddManagedTenant %s: %v", id, err)
		}
	}
	if err := r.AddManagedTenant(ctx, store.ManagedTenant{ID: "contoso", Data: []byte(`{}`)}); !errors.Is(err, store.ErrExists) {
		t.Errorf("adding contoso twice: %v, want ErrExists", err)
	}
	if err := r.SetManagedTenantDisabled(ctx, "adatum", true, base().Add(time.Hour)); err != nil {
		t.Fatalf("SetManagedTenantDisabled: %v", err)
	}
	if err := r.SetManagedTenantDisabled(ctx, "nobody", true, base()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("disabling an unknown tenant: %v, want ErrNotFound", err)
	}
	got, err := r.ManagedTenants(ctx)
	if err != nil {
		t.Fatalf("ManagedTenants: %v", err)
	}
	want := []store.ManagedTenant{
		{ID: "adatum", Data: []byte(`{"id":"adatum"}`), Disabled: true, CreatedAt: base().UTC(), UpdatedAt: base().Add(time.Hour).UTC()},
		{ID: "contoso", Data: []byte(`{"id":"contoso"}`), CreatedAt: base().UTC(), UpdatedAt: base().UTC()},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ManagedTenants (-want +got):\n%s", diff)
	}
	if err := r.RemoveManagedTenant(ctx, "adatum"); err != nil {
		t.Fatalf("RemoveManagedTenant: %v", err)
	}
	if err := r.RemoveManagedTenant(ctx, "adatum"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing twice: %v, want ErrNotFound", err)
	}
	if got, _ := r.ManagedTenants(ctx); len(got) != 1 || got[0].ID != "contoso" {
		t.Errorf("after remove: %v", got)
	}
}
