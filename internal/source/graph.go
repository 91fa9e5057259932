package source

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
	"github.com/shdmc/shdmc/internal/model"
)

// GraphClient reads one tenant's service communications from Microsoft
// Graph. *graph.Client implements it; tests use fakes.
type GraphClient interface {
	HealthOverviews(ctx context.Context) ([]model.ServiceHealth, error)
	Issues(ctx context.Context, since time.Time) ([]model.Issue, error)
	Messages(ctx context.Context, since time.Time) ([]model.Message, error)
	Attachments(ctx context.Context, messageID string) ([]model.Attachment, error)
	IncidentReport(ctx context.Context, issueID string) ([]byte, string, error)
}

var (
	_ GraphClient = (*graph.Client)(nil)
	_ Source      = (*Health)(nil)
	_ Source      = (*Issues)(nil)
	_ Annotator   = (*Issues)(nil)
	_ Source      = (*Messages)(nil)
	_ Completer   = (*Messages)(nil)
)

// GraphSet switches a tenant's Graph sources on.
type GraphSet struct {
	Health, Issues, Messages bool
}

// Graph returns the tenant's Graph sources that on switches on, in the
// order a pass polls them: health overviews, issues, messages.
// now is the clock of retries (nil = time.Now).
func Graph(c GraphClient, on GraphSet, log *slog.Logger, now func() time.Time) []Source {
	var out []Source
	if on.Health {
		out = append(out, &Health{C: c})
	}
	if on.Issues {
		out = append(out, &Issues{C: c, Log: log})
	}
	if on.Messages {
		out = append(out, &Messages{C: c, Log: log, Now: now})
	}
	return out
}

// Health is the service health overviews (healthOverviews), listed whole
// at every pass.
type Health struct{ C GraphClient }

// Name implements Source.
func (*Health) Name() model.Source { return model.SourceHealth }

// Traits implements Source.
func (*Health) Traits() Traits { return Traits{Kind: KindService, Baseline: true} }

// Fetch implements Source; since is ignored.
func (s *Health) Fetch(ctx context.Context, _ time.Time) ([]Item, error) {
	list, err := s.C.HealthOverviews(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(list))
	for i := range list {
		out[i] = Item{Service: &list[i]}
	}
	return out, nil
}

// Issues is Service Health issues (SHD), fetched since a watermark.
type Issues struct {
	C   GraphClient
	Log *slog.Logger // nil: discard
}

// Name implements Source.
func (*Issues) Name() model.Source { return model.SourceSHD }

// Traits implements Source.
func (*Issues) Traits() Traits { return Traits{Kind: KindIssue, Incremental: true, Baseline: true} }

// Fetch implements Source.
func (s *Issues) Fetch(ctx context.Context, since time.Time) ([]Item, error) {
	list, err := s.C.Issues(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(list))
	for i := range list {
		out[i] = Item{Issue: &list[i]}
	}
	return out, nil
}

// Annotate notes the post-incident report's size and type on the event of
// an issue whose status became postIncidentReviewPublished. A failure to
// fetch it is logged, not fatal: the status change is news on its own.
func (s *Issues) Annotate(ctx context.Context, ev *model.Event, it Item) {
	if it.Issue == nil || !ev.Has(model.ChangeStatus) || it.Issue.Status != model.StatusPostIncidentReviewPublished {
		return
	}
	body, ctype, err := s.C.IncidentReport(ctx, ev.ItemID)
	if err != nil {
		if s.Log != nil {
			s.Log.Warn("incident report unavailable", "item", ev.ItemID, "err", err)
		}
		return
	}
	ev.Changes = append(ev.Changes, model.Change{
		Kind: model.ChangeIncidentReport, Field: ctype, To: strconv.Itoa(len(body)),
	})
}

// Messages is Message Center posts (MC), fetched since a watermark.
// A Messages source belongs to one tenant's poller, which polls it one
// pass at a time.
type Messages struct {
	C   GraphClient
	Log *slog.Logger
	Now func() time.Time // nil = time.Now
	// retry holds, per message whose attachments failed, when to try again.
	retry map[string]retryState
}

// Name implements Source.
func (*Messages) Name() model.Source { return model.SourceMC }

// Traits implements Source.
func (*Messages) Traits() Traits { return Traits{Kind: KindMessage, Incremental: true, Baseline: true} }

// Fetch implements Source.
func (s *Messages) Fetch(ctx context.Context, since time.Time) ([]Item, error) {
	list, err := s.C.Messages(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(list))
	for i := range list {
		out[i] = Item{Message: &list[i]}
	}
	return out, nil
}

// Complete lists the attachments of a message that has some. They cost a
// request per message: they are asked for only when the message is new or
// Microsoft modified it; otherwise the stored ones are kept. A failure
// (403 on a post the app may not read) fails only that message's
// attachments: the post is stored and announced with the error noted on
// it, and the listing is retried with backoff (1 minute, doubling up to 6
// hours; in memory, so a restart retries at once).
func (s *Messages) Complete(ctx context.Context, it *Item, prev *Stored) error {
	m := it.Message
	if m == nil || !m.HasAttachments || len(m.Attachments) != 0 {
		return nil
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	if prev != nil && prev.LastModified.Equal(m.LastModified) {
		p, err := Decode(KindMessage, prev.Data)
		if err != nil {
			return fmt.Errorf("decode stored message %s: %w", m.ID, err)
		}
		m.Attachments, m.AttachmentsError = p.Message.Attachments, p.Message.AttachmentsError
		if m.AttachmentsError == nil || now.Before(s.retry[m.ID].next) {
			return nil
		}
	}
	att, err := s.C.Attachments(ctx, m.ID)
	if err == nil {
		m.Attachments, m.AttachmentsError = att, nil
		delete(s.retry, m.ID)
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("list attachments of %s: %w", m.ID, err)
	}
	if s.retry == nil {
		s.retry = map[string]retryState{}
	}
	r := s.retry[m.ID]
	r.wait = min(max(2*r.wait, time.Minute), 6*time.Hour)
	r.next = now.Add(r.wait)
	s.retry[m.ID] = r
	since := now
	if m.AttachmentsError != nil {
		since = m.AttachmentsError.Since
	}
	m.AttachmentsError = &model.FetchError{Error: err.Error(), Since: since}
	if s.Log != nil {
		s.Log.Warn("attachments unavailable; the post is stored without them and they are tried again later",
			"item", m.ID, "retry_in", r.wait, "err", err)
	}
	return nil
}

// retryState is when a message's attachments are tried again.
type retryState struct {
	next time.Time
	wait time.Duration
}
