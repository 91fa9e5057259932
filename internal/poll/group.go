package poll

import (
	"slices"
	"strings"
	"unicode"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/source"
	"github.com/shdmc/shdmc/internal/store"
)

// One incident spreading to four services used to send a notice per
// service flip besides the incident's own; group makes one notice of what
// one pass detected about one incident, and one notice of the flips no
// incident explains:
//
//   - A health overview flip (a service.status event whose status
//     changed; a service first seen or gone keeps its own notice) that an
//     incident or
//     advisory of the same pass explains is folded into that issue's
//     event: the issue event lists it in Items, and the flip's own event
//     is stored without outbox rows. An issue explains a service when it
//     is filed for it, or when its title, user impact or posts name it
//     (by display name, by ID, or by a name Microsoft used before:
//     "Office Online" for Office for the web). Incidents are preferred to
//     advisories, and an issue filed for the service to one that names it.
//     A flip is folded only when every route that would announce it also
//     announces the issue, so that no route loses it.
//   - The flips no issue explains become one service.status event: the
//     one of the service with the smallest ID carries the others in Items
//     (itself included) and the outbox rows of all of them; the others are
//     stored without outbox rows.
//
// Keys stay stable: every outbox row is keyed by its event's own tenant,
// source, item and revision, exactly as before; grouping only decides
// which events get rows, and it depends on nothing but what the pass
// fetched, so a pass run again after a crash groups the same way. The
// batches of a pass that grouped across sources are committed in one
// transaction (store.CommitAll).

// group folds and gathers the health flips of a pass's batches and
// returns the batches that must be committed together: the health batch
// and the issue batches whose events took flips (none when nothing was
// folded).
func group(bs []*batch) []*batch {
	var health *batch
	var issues []*batch
	for _, b := range bs {
		switch {
		case b.kind == source.KindService && health == nil:
			health = b
		case b.kind == source.KindIssue:
			issues = append(issues, b)
		}
	}
	if health == nil {
		return nil
	}
	var cands []candidate
	for _, b := range issues {
		for i := range b.b.Events {
			if ev := &b.b.Events[i]; ev.Issue != nil && !ev.Has(model.ChangeRemoved) {
				cands = append(cands, candidate{b: b, i: i, text: issueWords(ev.Issue)})
			}
		}
	}
	touched := map[*batch]bool{}
	var rest []int
	for i := range health.b.Events {
		ev := &health.b.Events[i]
		if ev.Service == nil || !ev.Has(model.ChangeStatus) {
			continue // a service first seen or gone keeps a notice of its own
		}
		if c, ok := explain(ev.Service, cands); ok && covers(c.b, c.i, health, i) {
			iev := &c.b.b.Events[c.i]
			iev.Items = append(iev.Items, member(ev))
			health.drop(i)
			touched[c.b] = true
			continue
		}
		rest = append(rest, i)
	}
	if len(rest) > 1 {
		health.gather(rest)
	}
	if len(touched) == 0 {
		return nil
	}
	out := []*batch{}
	for _, b := range bs {
		if b == health || touched[b] {
			out = append(out, b)
		}
	}
	return out
}

// member is a flip as an issue or service status event lists it.
func member(ev *model.Event) model.Event {
	m := *ev
	m.Items = nil
	return m
}

// drop removes the outbox rows of the event at index i: it is announced
// with another event.
func (b *batch) drop(i int) {
	b.b.Deliveries = slices.DeleteFunc(b.b.Deliveries, func(d store.NewDelivery) bool { return d.Event == i })
	b.res.Events--
}

// gather makes one service status notice of the flips at indexes idx:
// the event with the smallest item ID carries them all and the outbox rows
// of every one of them.
func (b *batch) gather(idx []int) {
	carrier := idx[0]
	for _, i := range idx[1:] {
		if b.b.Events[i].ItemID < b.b.Events[carrier].ItemID {
			carrier = i
		}
	}
	cev := &b.b.Events[carrier]
	type target struct{ route, channel string }
	have := map[target]bool{}
	for _, d := range b.b.Deliveries {
		if d.Event == carrier {
			have[target{d.Route, d.Channel}] = true
		}
	}
	var members []model.Event
	var add []store.NewDelivery
	for _, i := range idx {
		members = append(members, member(&b.b.Events[i]))
		if i == carrier {
			continue
		}
		for _, d := range b.b.Deliveries {
			if t := (target{d.Route, d.Channel}); d.Event == i && !have[t] {
				have[t] = true
				add = append(add, store.NewDelivery{Event: carrier, Kind: d.Kind, Channel: d.Channel, Route: d.Route,
					Key: store.DeliveryKey(store.KindNotice, cev, d.Route, d.Channel, "")})
			}
		}
		b.drop(i)
	}
	cev.Items = members
	b.b.Deliveries = append(b.b.Deliveries, add...)
}

// covers reports whether every route and channel that would announce the
// health event at index hi also announces the issue event at index ii.
func covers(ib *batch, ii int, hb *batch, hi int) bool {
	type target struct{ route, channel string }
	issue := map[target]bool{}
	for _, d := range ib.b.Deliveries {
		if d.Event == ii {
			issue[target{d.Route, d.Channel}] = true
		}
	}
	for _, d := range hb.b.Deliveries {
		if d.Event == hi && !issue[target{d.Route, d.Channel}] {
			return false
		}
	}
	return true
}

// candidate is an issue event of the pass that may explain a flip.
type candidate struct {
	b    *batch
	i    int
	text []string // the words of its title, user impact and posts
}

// explain returns the issue event that best explains a flip of s.
func explain(s *model.ServiceHealth, cands []candidate) (candidate, bool) {
	var best candidate
	bestRank := 0
	for _, c := range cands {
		is := c.b.b.Events[c.i].Issue
		score := 0
		switch {
		case serviceMatch(is.Service, s):
			score = 2
		case mentions(c.text, s):
			score = 1
		default:
			continue
		}
		rank := score
		if is.Classification == model.ClassificationIncident {
			rank += 10
		}
		if rank > bestRank || rank == bestRank && is.ID < best.b.b.Events[best.i].Issue.ID {
			best, bestRank = c, rank
		}
	}
	return best, bestRank > 0
}

// formerNames are names Microsoft used, or uses in prose, for services
// whose health overview is named otherwise, by lower-case service ID.
var formerNames = map[string][]string{
	"officeonline":        {"Office for the web", "Office Online", "Office on the web", "Microsoft 365 for the web"},
	"orgliveid":           {"Microsoft Entra", "Microsoft Entra ID", "Azure Active Directory", "Azure AD", "Identity Service"},
	"osdpplatform":        {"Microsoft 365 suite"},
	"microsoftteams":      {"Microsoft Teams", "Teams"},
	"exchange":            {"Exchange Online"},
	"sharepoint":          {"SharePoint Online"},
	"onedriveforbusiness": {"OneDrive for Business", "OneDrive"},
	"intune":              {"Microsoft Intune", "Intune"},
}

// names are the names a service goes by: display name, ID, former names.
func names(s *model.ServiceHealth) []string {
	return append([]string{s.Service, s.ID}, formerNames[strings.ToLower(s.ID)]...)
}

// serviceMatch reports whether an issue filed for service is about s.
func serviceMatch(service string, s *model.ServiceHealth) bool {
	w := strings.Join(words(service), " ")
	if w == "" {
		return false
	}
	for _, n := range names(s) {
		if nw := words(n); len(nw) > 0 && (strings.Join(nw, " ") == w || strings.Join(nw, "") == strings.ReplaceAll(w, " ", "")) {
			return true
		}
	}
	return false
}

// mentions reports whether text (words) names s: a name's words in a
// row, or an ID written as one to four words ("Office Online" for
// officeonline, "Windows 365" for Windows365).
func mentions(text []string, s *model.ServiceHealth) bool {
	for _, n := range names(s) {
		nw := words(n)
		if len(nw) == 0 {
			continue
		}
		joined := strings.Join(nw, "")
		for i := range text {
			if i+len(nw) <= len(text) && slices.Equal(text[i:i+len(nw)], nw) {
				return true
			}
			cat := ""
			for k := i; k < min(i+4, len(text)); k++ {
				cat += text[k]
				if cat == joined {
					return true
				}
				if len(cat) >= len(joined) {
					break
				}
			}
		}
	}
	return false
}

// issueWords are the words of an issue's title, user impact and posts.
func issueWords(is *model.Issue) []string {
	parts := []string{is.Title, is.ImpactDescription}
	for _, p := range is.Posts {
		parts = append(parts, htmltext.Text(p.Content))
	}
	return words(strings.Join(parts, "\n"))
}

// words splits s into lower-case words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
