package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit (SQLite). Tenants share their documents, so the rows of one
// tenant's baseline land all over the indexes keyed by item ID, time or
// document; a transaction of one tenant dirtied about as many index pages
// as it wrote rows, and SQLite wrote each of them to the write-ahead log at
// every commit and again at every checkpoint. SQLite has one writer
// anyway: the commits that arrive while one runs wait for the write
// connection. The store now takes them together, in one transaction: a
// page that several tenants change is written once. Each caller still gets
// the outcome of its own batches (see run).

// maxGroup bounds the requests one group transaction takes.
const maxGroup = 32

// groupLinger is how long the committer waits for more requests when the
// previous group had several (commits are arriving together, as when many
// tenants are onboarded): at 300 tenants, waiting 5 ms doubled the average
// group and cut the bytes written by a third. A commit that comes alone
// does not wait.
const groupLinger = 5 * time.Millisecond

// groupCommitter runs the commits of a store, several in one transaction
// when they arrive together.
type groupCommitter struct {
	s     *sqlStore
	reqs  chan *groupReq
	stop  chan struct{}
	done  chan struct{}
	close sync.Once
	// last is the size of the previous group.
	last int
}

// groupReq is one Commit or CommitAll.
type groupReq struct {
	ctx context.Context
	bs  []Batch
	// state: queued, then taken by the committer or given up by the caller
	// whose ctx ended while it waited.
	state atomic.Int32
	ids   [][]int64
	err   error
	done  chan struct{}
}

const (
	reqQueued int32 = iota
	reqTaken
	reqAbandoned
)

func newGroupCommitter(s *sqlStore) *groupCommitter {
	g := &groupCommitter{s: s, reqs: make(chan *groupReq, maxGroup), stop: make(chan struct{}), done: make(chan struct{})}
	go g.loop()
	return g
}

// errStoreClosed is returned by a commit that arrives after Close.
var errStoreClosed = errors.New("store is closed")

// commit writes bs as one atomic unit, with the commits that arrive
// meanwhile, and returns the event IDs of each batch.
func (g *groupCommitter) commit(ctx context.Context, bs []Batch) ([][]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", commitWhat(bs), err)
	}
	r := &groupReq{ctx: ctx, bs: bs, done: make(chan struct{})}
	select {
	case g.reqs <- r:
	case <-g.stop:
		return nil, fmt.Errorf("%s: %w", commitWhat(bs), errStoreClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", commitWhat(bs), ctx.Err())
	}
	var err error
	select {
	case <-r.done:
		return r.ids, r.err
	case <-ctx.Done():
		err = ctx.Err()
	case <-g.done: // closed after the request was queued
		err = errStoreClosed
	}
	if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
		return nil, fmt.Errorf("%s: %w", commitWhat(bs), err)
	}
	<-r.done // taken: it is being written, and its outcome is known soon
	return r.ids, r.err
}

// shutdown stops the committer once the requests it took are written;
// requests still queued fail.
func (g *groupCommitter) shutdown() {
	g.close.Do(func() { close(g.stop) })
	<-g.done
}

func (g *groupCommitter) loop() {
	defer close(g.done)
	for {
		var first *groupReq
		select {
		case first = <-g.reqs:
		case <-g.stop:
			for {
				select {
				case r := <-g.reqs:
					if r.state.CompareAndSwap(reqQueued, reqTaken) {
						r.err = errStoreClosed
						close(r.done)
					}
				default:
					return
				}
			}
		}
		group := []*groupReq{first}
		var linger <-chan time.Time
		if g.last > 1 {
			linger = time.After(groupLinger)
		}
	more:
		for len(group) < maxGroup {
			if linger == nil {
				select {
				case r := <-g.reqs:
					group = append(group, r)
				default:
					break more
				}
				continue
			}
			select {
			case r := <-g.reqs:
				group = append(group, r)
			case <-linger:
				break more
			}
		}
		g.last = len(group)
		taken := group[:0]
		for _, r := range group {
			if r.state.CompareAndSwap(reqQueued, reqTaken) {
				taken = append(taken, r)
			}
		}
		if len(taken) > 0 {
			g.run(taken)
		}
	}
}

// run writes the requests of a group and completes them: one alone in a
// transaction of its own, several in one transaction. Should any of them
// fail, that transaction is rolled back and each is written again alone,
// so that every request has the outcome it would have had alone. (A
// savepoint per request would spare the others that work, but costs every
// group a copy of each page it changes; failures are rare: they are
// invalid batches and database errors.)
func (g *groupCommitter) run(group []*groupReq) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	if len(group) > 1 && g.runTogether(group) {
		return
	}
	for _, r := range group {
		r.ids, r.err = g.s.commitBatches(r.ctx, r.bs)
	}
}

// runTogether writes the group in one transaction and reports whether it
// committed; a request whose ctx ended before its turn gets its error and
// writes nothing.
func (g *groupCommitter) runTogether(group []*groupReq) bool {
	ctx := context.Background()
	tx, err := g.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return false
	}
	ids := make([][][]int64, len(group))
	canceled := make([]error, len(group))
	for i, r := range group {
		if canceled[i] = r.ctx.Err(); canceled[i] != nil {
			continue
		}
		ids[i] = make([][]int64, len(r.bs))
		for j, b := range r.bs {
			if ids[i][j], err = g.s.commitTx(ctx, tx, nil, b); err != nil {
				_ = tx.Rollback()
				return false
			}
		}
	}
	if err := tx.Commit(); err != nil {
		_ = tx.Rollback()
		return false
	}
	for i, r := range group {
		r.ids, r.err = ids[i], canceled[i]
	}
	return true
}

// commitBatches writes bs in a transaction of their own.
func (s *sqlStore) commitBatches(ctx context.Context, bs []Batch) (all [][]int64, err error) {
	what := commitWhat(bs)
	tx, cp, end, err := s.beginCommit(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: begin: %w", what, err)
	}
	defer end()
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	all = make([][]int64, len(bs))
	for i, b := range bs {
		if all[i], err = s.commitTx(ctx, tx, cp, b); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return all, nil
}

// commitWhat names a commit of bs in errors.
func commitWhat(bs []Batch) string {
	if len(bs) == 1 {
		return fmt.Sprintf("commit batch of %s/%s", bs[0].Tenant, bs[0].Source)
	}
	return fmt.Sprintf("commit %d batches of %s", len(bs), bs[0].Tenant)
}
