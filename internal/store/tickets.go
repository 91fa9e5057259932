package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// TicketChannelPrefix starts the thread channel of every ticket channel:
// "ticket:<type>:<target>", e.g. "ticket:github:contoso/m365" or
// "ticket:jira:https://contoso.atlassian.net/OPS". Tickets lists the
// threads under it.
const TicketChannelPrefix = "ticket:"

// Ticket is a ticket that a ticket channel (GitHub Issues, Jira,
// ServiceNow) opened for one item of one tenant: what the dashboard links
// to. The channel keeps it as a thread reference (ThreadRef) under the
// item's ThreadKey.
type Ticket struct {
	// Channel is the thread channel, "ticket:<type>:<target>".
	Channel string `json:"channel"`
	// ID is the tracker's own name of the ticket: a GitHub issue number,
	// a Jira key (OPS-12), a ServiceNow sys_id.
	ID string `json:"id"`
	// URL is the ticket's page in the tracker.
	URL string `json:"url"`
	// Name is what people call the ticket, when it differs from ID: "#42",
	// "INC0010001"; "" otherwise.
	Name string `json:"name,omitempty"`
}

// ThreadKey is the thread key of an item in the threads table: the same
// for every channel that threads by item ("<tenant>/<source>/<item id>").
func ThreadKey(item model.ItemKey) string {
	return item.Tenant + "/" + string(item.Source) + "/" + item.ID
}

// TicketRef encodes a ticket's ID, URL and name (none of which holds a
// space) as a thread reference: "<id> <url>[ <name>]".
func TicketRef(id, url, name string) string {
	return strings.TrimSuffix(id+" "+url+" "+name, " ")
}

// ParseTicketRef splits a thread reference written by TicketRef.
func ParseTicketRef(ref string) (id, url, name string) {
	id, rest, _ := strings.Cut(ref, " ")
	url, name, _ = strings.Cut(rest, " ")
	return id, url, name
}

// Tickets returns the tickets opened for an item, ordered by channel.
func (s *sqlStore) Tickets(ctx context.Context, item model.ItemKey) ([]Ticket, error) {
	key := ThreadKey(item)
	rows, err := s.rdb.QueryContext(ctx, `SELECT channel, ref FROM threads
		WHERE thread_key = $1 AND channel LIKE $2 ORDER BY channel`, key, TicketChannelPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("list tickets of %s: %w", key, err)
	}
	defer rows.Close()
	var out []Ticket
	for rows.Next() {
		var ch, ref string
		if err := rows.Scan(&ch, &ref); err != nil {
			return nil, fmt.Errorf("list tickets of %s: %w", key, err)
		}
		id, url, name := ParseTicketRef(ref)
		out = append(out, Ticket{Channel: ch, ID: id, URL: url, Name: name})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tickets of %s: %w", key, err)
	}
	return out, nil
}

// TicketsOf returns the tickets of several items in one statement, keyed
// by item (items without a ticket are absent), each list ordered by
// channel: what a list of items shows beside each row.
func (s *sqlStore) TicketsOf(ctx context.Context, items []model.ItemKey) (map[model.ItemKey][]Ticket, error) {
	out := map[model.ItemKey][]Ticket{}
	if len(items) == 0 {
		return out, nil
	}
	byKey := make(map[string]model.ItemKey, len(items))
	keys := make([]string, 0, len(items))
	for _, it := range items {
		k := ThreadKey(it)
		if _, ok := byKey[k]; !ok {
			byKey[k] = it
			keys = append(keys, k)
		}
	}
	list, err := s.d.listArg(keys)
	if err != nil {
		return nil, fmt.Errorf("list tickets of %d items: %w", len(items), err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT thread_key, channel, ref FROM threads
		WHERE `+s.d.inList("thread_key", 1)+` AND channel LIKE $2 ORDER BY thread_key, channel`, list, TicketChannelPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("list tickets of %d items: %w", len(items), err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, ch, ref string
		if err := rows.Scan(&key, &ch, &ref); err != nil {
			return nil, fmt.Errorf("list tickets of %d items: %w", len(items), err)
		}
		it, ok := byKey[key]
		if !ok {
			continue
		}
		id, url, name := ParseTicketRef(ref)
		out[it] = append(out[it], Ticket{Channel: ch, ID: id, URL: url, Name: name})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tickets of %d items: %w", len(items), err)
	}
	return out, nil
}
