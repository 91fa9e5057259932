package app

import (
	"context"

	"github.com/shdmc/shdmc/internal/notify"
)

// TestChannel sends a sample notice (the final update of EX559755, marked
// as a test) through the named channel and returns what the far end
// answered.
func (a *App) TestChannel(ctx context.Context, name string) (notify.Receipt, error) {
	ev := notify.SampleEvent(a.now())
	return a.disp.Test(ctx, name, &ev)
}
