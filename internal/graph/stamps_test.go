package graph_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/sim"
)

// TestStamps: a full resync can list ids and modification times only
// ($select), which the simulator honours as Graph does: the same ids and
// times as the full listing, a fraction of the bytes, and a 400 for a
// property the type does not have.
func TestStamps(t *testing.T) {
	e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 120, 300))
	c := e.client(t, nil)
	ctx := ctxFor(t, 60e9)
	before := c.Stats().BytesRead
	msgs, err := c.Messages(ctx, simStart.AddDate(-10, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	full := c.Stats().BytesRead - before
	before = c.Stats().BytesRead
	stamps, err := c.MessageStamps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	trimmed := c.Stats().BytesRead - before
	if len(stamps) != len(msgs) {
		t.Fatalf("%d stamps for %d messages", len(stamps), len(msgs))
	}
	byID := map[string]bool{}
	for _, m := range msgs {
		byID[m.ID+m.LastModified.String()] = true
	}
	for _, s := range stamps {
		if !byID[s.ID+s.LastModified.String()] {
			t.Errorf("stamp %s %s matches no message", s.ID, s.LastModified)
		}
	}
	if trimmed*5 > full {
		t.Errorf("stamps read %d bytes, the full listing %d: want ≤ 1/5", trimmed, full)
	}
	t.Logf("messages: full listing %d bytes, stamps %d bytes", full, trimmed)
	issues, err := c.IssueStamps(ctx)
	if err != nil || len(issues) != 120 {
		t.Fatalf("issue stamps: %d, %v", len(issues), err)
	}
}

// TestGetByID: a full resync gets the items whose stamp changed one by
// one; what it gets is what the listing holds, and an id the tenant does
// not have is a 404 *APIError.
func TestGetByID(t *testing.T) {
	e := startSim(t, sim.Options{}, sim.GenerateScenario(simStart, 20, 30))
	c := e.client(t, nil)
	ctx := ctxFor(t, 60e9)
	issues, err := c.Issues(ctx, time.Time{})
	if err != nil || len(issues) != 20 {
		t.Fatalf("issues: %d, %v", len(issues), err)
	}
	msgs, err := c.Messages(ctx, time.Time{})
	if err != nil || len(msgs) != 30 {
		t.Fatalf("messages: %d, %v", len(msgs), err)
	}
	for _, want := range []model.Issue{issues[0], issues[len(issues)-1]} {
		got, err := c.Issue(ctx, want.ID)
		if err != nil {
			t.Fatalf("issue %s: %v", want.ID, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("issue %s by id differs from the listing (-list +get):\n%s", want.ID, d)
		}
	}
	for _, want := range []model.Message{msgs[0], msgs[len(msgs)-1]} {
		got, err := c.Message(ctx, want.ID)
		if err != nil {
			t.Fatalf("message %s: %v", want.ID, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("message %s by id differs from the listing (-list +get):\n%s", want.ID, d)
		}
	}
	for _, get := range []func() error{
		func() error { _, err := c.Issue(ctx, "EX0000000"); return err },
		func() error { _, err := c.Message(ctx, "MC0/../x"); return err },
	} {
		err := get()
		if ae, ok := errors.AsType[*graph.APIError](err); !ok || ae.Status != http.StatusNotFound {
			t.Errorf("unknown id: %v, want a 404 APIError", err)
		}
	}
	if _, err := c.Issue(ctx, ""); err == nil {
		t.Error("empty id: no error")
	}
}
