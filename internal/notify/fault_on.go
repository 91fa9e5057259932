//go:build shdmc_faulty_dispatcher

package notify

import (
	"context"
	"sync/atomic"
)

// faulty wraps the send stage with the faults the crash test must catch:
// every notice of an item's second revision is recorded as sent without
// being sent, and every other notice is sent twice. Only a binary built
// with the tag shdmc_faulty_dispatcher has it (internal/app's crash test
// builds one to show that it fails).
func faulty(s Stage) Stage { return &faultyStage{next: s} }

type faultyStage struct {
	next Stage
	n    atomic.Int64
}

// Exec implements Stage.
func (f *faultyStage) Exec(ctx context.Context, jobs []*Job) []*Job {
	var pass []*Job
	for _, j := range jobs {
		if j.Err == nil && !j.Skip && j.Notice.Event.Revision == 2 {
			continue // dropped: the record stage marks it done
		}
		pass = append(pass, j)
	}
	f.next.Exec(ctx, pass)
	for _, j := range pass {
		if j.Err == nil && !j.Skip && f.n.Add(1)%2 == 0 {
			f.next.Exec(ctx, []*Job{j}) // sent again
		}
	}
	return jobs
}
