package store_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// deadPID returns the PID of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	return c.ProcessState.Pid()
}

func TestWorkerGone(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	self := fmt.Sprintf("%s-%d-aaaa", host, os.Getpid())
	tests := []struct {
		id   string
		gone bool
	}{
		{self, false},
		{fmt.Sprintf("%s-%d-bbbb", host, os.Getpid()), true}, // an earlier life of this PID (a container's PID 1)
		{fmt.Sprintf("%s-%d-cccc", host, deadPID(t)), true},
		{fmt.Sprintf("%s-%d-dddd", host, os.Getppid()), false}, // alive
		{fmt.Sprintf("elsewhere-%d-eeee", deadPID(t)), false},  // another machine: its lease decides
		{"", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		if got := store.WorkerGone(tt.id, self); got != tt.gone {
			t.Errorf("WorkerGone(%q) = %v, want %v", tt.id, got, tt.gone)
		}
	}
}

// TestReclaimDeliveries: deliveries claimed by a process that died on this
// machine are claimable again at once; those of a live process or of
// another machine wait for their lease.
func TestReclaimDeliveries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	host, _ := os.Hostname()
	path := filepath.Join(t.TempDir(), "claims.db")
	open := func(worker string) store.Store {
		st, err := store.Open(ctx, path, store.WithWorker(worker))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	dead := open(fmt.Sprintf("%s-%d-dead", host, deadPID(t)))
	remote := open(fmt.Sprintf("elsewhere-%d-far", deadPID(t)))
	me := open(store.NewWorkerID())
	ev := model.Event{Tenant: "contoso", Source: model.SourceSHD, ItemID: "EX1", Type: model.EventIssueNew, Revision: 1, DetectedAt: time.Now()}
	var nd []store.NewDelivery
	for _, ch := range []string{"a", "b"} {
		nd = append(nd, store.NewDelivery{Event: 0, Channel: ch, Route: "r", Key: store.DeliveryKey(store.KindNotice, &ev, "r", ch, "")})
	}
	if _, err := me.Commit(ctx, store.Batch{Tenant: "contoso", Source: model.SourceSHD, Events: []model.Event{ev}, Deliveries: nd}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got, err := dead.ClaimDeliveries(ctx, []string{"a"}, now, time.Hour, 10); err != nil || len(got) != 1 {
		t.Fatalf("claim by the dead process: %v, %v", got, err)
	}
	if got, err := remote.ClaimDeliveries(ctx, []string{"b"}, now, time.Hour, 10); err != nil || len(got) != 1 {
		t.Fatalf("claim by the remote process: %v, %v", got, err)
	}
	if got, _ := me.ClaimDeliveries(ctx, nil, now, time.Hour, 10); len(got) != 0 {
		t.Fatalf("claimed %d leased deliveries", len(got))
	}
	n, err := me.ReclaimDeliveries(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("ReclaimDeliveries = %d, %v; want 1 (the dead process's)", n, err)
	}
	got, err := me.ClaimDeliveries(ctx, nil, now, time.Hour, 10)
	if err != nil || len(got) != 1 || got[0].Channel != "a" {
		t.Fatalf("after the reclaim, claimed %+v, %v; want channel a only", got, err)
	}
}

// TestGoneProcessLeases: the tenant leases of a process that died on this
// machine are taken over at once, not when they end (an hour here); those
// of a live process and of another machine's are not.
func TestGoneProcessLeases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	host, _ := os.Hostname()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "leases.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	holders := map[string]string{
		fmt.Sprintf("%s-%d-dead", host, deadPID(t)):     "t1",
		fmt.Sprintf("%s-%d-parent", host, os.Getppid()): "t2", // alive
		fmt.Sprintf("elsewhere-%d-far", deadPID(t)):     "t3", // another machine: its lease decides
	}
	for w, tenant := range holders {
		if got, err := st.AcquireTenantLeases(ctx, w, []string{tenant}, now, time.Hour, 0, 0); err != nil || len(got) != 1 {
			t.Fatalf("%s takes %s: %v, %v", w, tenant, got, err)
		}
	}
	me := store.NewWorkerID()
	got, err := st.AcquireTenantLeases(ctx, me, []string{"t1", "t2", "t3"}, now.Add(time.Second), time.Hour, 0, 0)
	if err != nil || len(got) != 1 || got[0] != "t1" {
		t.Errorf("a new process takes %v, %v; want [t1] (the dead process's)", got, err)
	}
}
