package graph

import (
	"context"
	"time"
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
