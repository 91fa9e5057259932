package graph_test

import (
	"testing"

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
