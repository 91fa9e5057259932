package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/shdmc/shdmc/internal/model"
)

// Stamp is an item's id and lastModifiedDateTime: what a full resync needs
// to find removed and changed items without downloading every body.
type Stamp struct {
	ID           string
	LastModified time.Time
}

// stampSelect asks Graph for the two properties only ($select), which
// trims a 1,000-post listing from megabytes to tens of kilobytes.
const stampSelect = "?$select=id,lastModifiedDateTime"

// IssueStamps lists the id and last modification of every service health
// issue.
func (c *Client) IssueStamps(ctx context.Context) ([]Stamp, error) {
	return list(ctx, c, "issue stamps", c.base+"issues"+stampSelect, decodeStamp, stampKey)
}

// MessageStamps lists the id and last modification of every Message
// Center post.
func (c *Client) MessageStamps(ctx context.Context) ([]Stamp, error) {
	return list(ctx, c, "message stamps", c.base+"messages"+stampSelect, decodeStamp, stampKey)
}

func stampKey(s *Stamp) (string, time.Time) { return s.ID, s.LastModified }

func decodeStamp(d *decoder, s *Stamp) (bool, error) {
	if err := d.open(); err != nil {
		return false, err
	}
	for first := true; ; first = false {
		k, more, err := d.nextKey(first)
		if err != nil {
			return false, err
		}
		if !more {
			return s.ID != "", nil
		}
		switch field(k) {
		case fID:
			err = d.text(&s.ID)
		case fLastModifiedDateTime:
			err = d.time(&s.LastModified)
		default:
			err = d.skip()
		}
		if err != nil {
			return false, err
		}
	}
}

// Issue gets one service health issue by its id (GET issues/{id}), as a
// full resync does for the issues whose stamp changed. An issue the tenant
// does not have is an *APIError with Status 404.
// https://learn.microsoft.com/graph/api/servicehealthissue-get
func (c *Client) Issue(ctx context.Context, id string) (model.Issue, error) {
	if id == "" {
		return model.Issue{}, errors.New("get issue: empty id")
	}
	return get(ctx, c, "issue "+id, c.base+"issues/"+url.PathEscape(id), decodeIssue)
}

// Message gets one Message Center post by its id (GET messages/{id}),
// without its attachments. A post the tenant does not have is an
// *APIError with Status 404.
// https://learn.microsoft.com/graph/api/serviceupdatemessage-get
func (c *Client) Message(ctx context.Context, id string) (model.Message, error) {
	if id == "" {
		return model.Message{}, errors.New("get message: empty id")
	}
	return get(ctx, c, "message "+id, c.base+"messages/"+url.PathEscape(id), decodeMessage)
}

// get fetches one entity, read within the limits of a list page (long
// strings cut alike) and decoded leniently by the decoder of its kind.
func get[T any](ctx context.Context, c *Client, what, u string, item func(*decoder, *T) (bool, error)) (T, error) {
	var out T
	err := c.fetch(ctx, u, true, func(r *response) error {
		d := decoder{scanner: scanner{data: r.body}}
		ch, err := d.value()
		if err != nil {
			return err
		}
		if ch != '{' {
			return fmt.Errorf("body is a JSON %s, not an object", kindOf(ch))
		}
		var v T
		ok, err := item(&d, &v)
		if err != nil {
			return err
		}
		if err := d.end(); err != nil {
			return err
		}
		if !ok {
			return errors.New("the entity has no id")
		}
		out = v
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("get %s: %w", what, err)
	}
	return out, nil
}
