// Package source defines what shdmc polls. A Source yields the normalized
// items of one tenant: Service Health issues, Message Center posts and
// service health overviews from Microsoft Graph (graph.go), and Microsoft's
// public status pages, stored under the tenant PublicTenant
// (source/publicstatus). The poll pass (internal/poll) treats them alike:
// it asks a source for its items, compares each with its stored revision
// through the item's kind, and commits what changed.
package source

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shdmc/shdmc/internal/fingerprint"
	"github.com/shdmc/shdmc/internal/model"
)

// PublicTenant is the tenant the public status items are stored and
// announced under: they belong to no tenant.
const PublicTenant = "public"

// Source yields the items of one tenant's source.
type Source interface {
	// Name is what the items are stored and announced under.
	Name() model.Source
	// Traits say how the poll pass treats the source.
	Traits() Traits
	// Fetch returns the items modified at or after since; the zero since
	// asks for all of them. A source that is not Incremental ignores since
	// and always returns all of its items.
	Fetch(ctx context.Context, since time.Time) ([]Item, error)
}

// Traits describe a source to the poll pass.
type Traits struct {
	// Kind is the shape of the source's items.
	Kind Kind
	// Incremental sources honour Fetch's since: the pass keeps a
	// watermark and fetches everything only at the baseline and at a full
	// resync. Other sources are listed whole at every pass.
	Incremental bool
	// Baseline stores what the first full fetch finds silently (see
	// the detect package's Options.Baseline). Sources without it announce from the
	// first sight, except Quiet items.
	Baseline bool
}

// Stored is the last stored revision of an item, as a Completer sees it.
type Stored struct {
	LastModified time.Time
	Data         []byte // its JSON; Decode reads it
}

// Completer is implemented by sources whose listing leaves parts of an
// item out that cost a request each (Message Center attachments). The pass
// calls Complete for every fetched item before hashing it; prev is the
// stored revision, nil when the item is new or was removed.
type Completer interface {
	Complete(ctx context.Context, it *Item, prev *Stored) error
}

// Annotator is implemented by sources that add to an event what only a
// further request tells (the post-incident report of an issue). A failure
// is the source's to log: the event is news without the annotation.
type Annotator interface {
	Annotate(ctx context.Context, ev *model.Event, it Item)
}

// Resolver is implemented by sources whose lists show only what is current
// (status feeds): an item gone from a full fetch is not removed but
// resolved. Resolve returns the item's resolved form, or false when prev
// needs no change.
type Resolver interface {
	Resolve(prev Item, now time.Time) (Item, bool)
}

// Kind is the shape of an item.
type Kind int

// The kinds of items.
const (
	KindIssue   Kind = iota + 1 // model.Issue
	KindMessage                 // model.Message
	KindService                 // model.ServiceHealth
)

// String names the kind in errors.
func (k Kind) String() string {
	switch k {
	case KindIssue:
		return "issue"
	case KindMessage:
		return "message"
	case KindService:
		return "service"
	}
	return fmt.Sprintf("kind %d", int(k))
}

// Item is one normalized item of a source: exactly one of Issue, Message
// and Service is set.
type Item struct {
	Issue   *model.Issue
	Message *model.Message
	Service *model.ServiceHealth
	// Quiet stores the item without an event when it is seen for the
	// first time (a healthy entry of a status page is the normal state).
	Quiet bool
}

// Kind returns the item's kind, 0 for an empty item.
func (it Item) Kind() Kind {
	switch {
	case it.Issue != nil:
		return KindIssue
	case it.Message != nil:
		return KindMessage
	case it.Service != nil:
		return KindService
	}
	return 0
}

// ID returns the item's ID.
func (it Item) ID() string {
	switch {
	case it.Issue != nil:
		return it.Issue.ID
	case it.Message != nil:
		return it.Message.ID
	case it.Service != nil:
		return it.Service.ID
	}
	return ""
}

// LastModified returns when the source last modified the item; zero for
// service health overviews, which carry no such time.
func (it Item) LastModified() time.Time {
	switch {
	case it.Issue != nil:
		return it.Issue.LastModified
	case it.Message != nil:
		return it.Message.LastModified
	}
	return time.Time{}
}

// Hash returns the item's content hash (internal/fingerprint).
func (it Item) Hash() string {
	switch {
	case it.Issue != nil:
		return fingerprint.Issue(it.Issue)
	case it.Message != nil:
		return fingerprint.Message(it.Message)
	case it.Service != nil:
		return fingerprint.Service(it.Service)
	}
	return ""
}

// Value returns what is stored as the item's JSON.
func (it Item) Value() any {
	switch {
	case it.Issue != nil:
		return it.Issue
	case it.Message != nil:
		return it.Message
	case it.Service != nil:
		return it.Service
	}
	return nil
}

// AttachTo sets the item as ev's snapshot (Issue, Message or Service).
func (it Item) AttachTo(ev *model.Event) {
	switch {
	case it.Issue != nil:
		ev.Issue = it.Issue
	case it.Message != nil:
		ev.Message = it.Message
	case it.Service != nil:
		ev.Service = it.Service
	}
}

// Decode reads a stored item of kind k from its JSON.
func Decode(k Kind, data []byte) (Item, error) {
	var (
		it  Item
		err error
	)
	switch k {
	case KindIssue:
		it.Issue = new(model.Issue)
		err = json.Unmarshal(data, it.Issue)
	case KindMessage:
		it.Message = new(model.Message)
		err = json.Unmarshal(data, it.Message)
	case KindService:
		it.Service = new(model.ServiceHealth)
		err = json.Unmarshal(data, it.Service)
	default:
		return Item{}, fmt.Errorf("decode %s: unknown kind", k)
	}
	if err != nil {
		return Item{}, err
	}
	return it, nil
}
