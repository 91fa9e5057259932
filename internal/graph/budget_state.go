package graph

import (
	"slices"
	"time"
)

// Log returns the start times of the requests of the last hour, oldest
// first: what a worker stores so that the tenant's next holder (another
// process) starts from it instead of an empty budget.
func (b *Budget) Log() []time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.prune(b.now())
	return slices.Clone(b.log)
}

// Restore merges request times recorded elsewhere (by the tenant's previous
// holder) into the budget, so that both workers' requests count against
// the same windows. The merge is a union that keeps each time as often as
// the more frequent side has it, so restoring the same log twice counts
// nothing twice; times an hour old or older are dropped.
func (b *Budget) Restore(log []time.Time) {
	in := slices.Clone(log)
	slices.SortFunc(in, func(x, y time.Time) int { return x.Compare(y) })
	b.mu.Lock()
	defer b.mu.Unlock()
	merged := make([]time.Time, 0, len(b.log)+len(in))
	i, j := 0, 0
	for i < len(b.log) || j < len(in) {
		switch {
		case j == len(in) || i < len(b.log) && b.log[i].Before(in[j]):
			merged = append(merged, b.log[i])
			i++
		case i == len(b.log) || in[j].Before(b.log[i]):
			merged = append(merged, in[j])
			j++
		default: // the same time on both sides counts once
			merged = append(merged, b.log[i])
			i++
			j++
		}
	}
	b.log = merged
	b.prune(b.now())
	if len(b.log) > budgetPerHour {
		b.log = b.log[len(b.log)-budgetPerHour:]
	}
}
