package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
)

// Stamp is an item's id and last modification: what a full resync lists
// first (graph.Stamp).
type Stamp = graph.Stamp

// Stamper is implemented by incremental sources that can list only the id
// and last modification of every item and get single items by id: a full
// resync then lists the stamps, compares them with the stored revisions
// and gets only the items that are new or changed (internal/poll).
type Stamper interface {
	// Stamps lists the id and last modification of every item. It fails
	// with ErrNoStamps when the source cannot (its client lists no
	// stamps); the pass then lists the items in full.
	Stamps(ctx context.Context) ([]Stamp, error)
	// Get returns the item id. An id the source no longer has fails with
	// an error that wraps a 404 *graph.APIError.
	Get(ctx context.Context, id string) (Item, error)
	// Refetch reports whether an item whose stamp matches its stored
	// revision prev is got all the same (a message whose attachments are
	// due to be listed again).
	Refetch(id string, prev Stored) bool
}

// ErrNoStamps is returned by Stamper.Stamps when the source cannot list
// stamps.
var ErrNoStamps = errors.New("the source lists no stamps")

// StampClient is implemented by Graph clients that list stamps and get
// single items; *graph.Client does. The Graph sources are Stampers
// through it.
type StampClient interface {
	IssueStamps(ctx context.Context) ([]graph.Stamp, error)
	MessageStamps(ctx context.Context) ([]graph.Stamp, error)
	Issue(ctx context.Context, id string) (model.Issue, error)
	Message(ctx context.Context, id string) (model.Message, error)
}

var (
	_ StampClient = (*graph.Client)(nil)
	_ Stamper     = (*Issues)(nil)
	_ Stamper     = (*Messages)(nil)
)

// Stamps implements Stamper.
func (s *Issues) Stamps(ctx context.Context) ([]Stamp, error) {
	sc, ok := s.C.(StampClient)
	if !ok {
		return nil, ErrNoStamps
	}
	return sc.IssueStamps(ctx)
}

// Get implements Stamper.
func (s *Issues) Get(ctx context.Context, id string) (Item, error) {
	sc, ok := s.C.(StampClient)
	if !ok {
		return Item{}, fmt.Errorf("get issue %s: %w", id, ErrNoStamps)
	}
	is, err := sc.Issue(ctx, id)
	if err != nil {
		return Item{}, err
	}
	return Item{Issue: &is}, nil
}

// Refetch implements Stamper: an issue is got only when its stamp changed.
func (*Issues) Refetch(string, Stored) bool { return false }

// Stamps implements Stamper.
func (s *Messages) Stamps(ctx context.Context) ([]Stamp, error) {
	sc, ok := s.C.(StampClient)
	if !ok {
		return nil, ErrNoStamps
	}
	return sc.MessageStamps(ctx)
}

// Get implements Stamper.
func (s *Messages) Get(ctx context.Context, id string) (Item, error) {
	sc, ok := s.C.(StampClient)
	if !ok {
		return Item{}, fmt.Errorf("get message %s: %w", id, ErrNoStamps)
	}
	m, err := sc.Message(ctx, id)
	if err != nil {
		return Item{}, err
	}
	return Item{Message: &m}, nil
}

// attachmentsErrorKey marks a stored message whose attachments could not
// be listed (model.Message.AttachmentsError).
var attachmentsErrorKey = []byte(`"shdmcAttachmentsError"`)

// Refetch implements Stamper: a message whose attachments could not be
// listed is got again once their retry is due, as a full listing did, so
// that Complete tries them again.
func (s *Messages) Refetch(id string, prev Stored) bool {
	if !bytes.Contains(prev.Data, attachmentsErrorKey) {
		return false
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	return !now.Before(s.retry[id].next)
}
