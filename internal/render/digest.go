package render

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/shdmc/shdmc/internal/model"
)

// composeDigest summarizes the events a digest route collected: Message
// Center posts with an action-required date first (soonest deadline
// first), then the others grouped by category, then anything else; each
// line says whether the post is new or what changed in it. Within each
// group, posts that concern the tenant come before those that do not,
// which are marked.
func composeDigest(ev *model.Event, l *tr) Doc {
	items := ev.Items
	d := Doc{Subject: l.f("digest.subject", "count", strconv.Itoa(len(items)), "time", l.time(ev.DetectedAt))}
	d.Headline = Headline{Badge: l.t("digest.badge"), ID: l.time(ev.DetectedAt), Title: d.Subject, Tone: ToneAccent}
	line := func(it *model.Event) string {
		var b strings.Builder
		b.WriteString(it.ItemID)
		switch {
		case it.Message != nil:
			m := it.Message
			tags := []string{l.name("severity", string(m.Severity))}
			if m.IsMajorChange {
				tags = append(tags, l.t("digest.major"))
			}
			b.WriteString(" [" + strings.Join(tags, " · ") + "] " + l.quiet(oneLine(m.Title)))
			if len(m.Services) > 0 {
				b.WriteString(" (" + strings.Join(l.names("service", m.Services), l.t("punct.listSep")) + ")")
			}
		case it.Issue != nil:
			b.WriteString(" [" + l.name("status", string(it.Issue.Status)) + "] " + l.quiet(oneLine(it.Issue.Title)))
		case it.Service != nil:
			b.WriteString(" [" + l.name("status", string(it.Service.Status)) + "] " + l.serviceName(it.Service))
		}
		if it.Has(model.ChangeNew) {
			b.WriteString(" — " + l.t("digest.new"))
		} else if cs := l.changeLines(it); len(cs) > 0 {
			b.WriteString(" — " + strings.Join(cs, "; "))
		}
		if it.Tenant != "" {
			b.WriteString(" · " + it.Tenant)
		}
		if !relevant(it) {
			b.WriteString(" · " + l.t("digest.notRelevant"))
		}
		return "- " + b.String()
	}
	var action, other []*model.Event
	byCat := map[model.Category][]*model.Event{}
	for i := range items {
		it := &items[i]
		switch {
		case it.Message != nil && !it.Message.ActionRequiredBy.IsZero():
			action = append(action, it)
		case it.Message != nil:
			byCat[it.Message.Category] = append(byCat[it.Message.Category], it)
		default:
			other = append(other, it)
		}
	}
	slices.SortStableFunc(action, func(a, b *model.Event) int {
		return cmp.Or(relevantFirst(a, b), a.Message.ActionRequiredBy.Compare(b.Message.ActionRequiredBy))
	})
	for _, evs := range byCat {
		slices.SortStableFunc(evs, relevantFirst)
	}
	if len(action) > 0 {
		var lines []string
		for _, it := range action {
			lines = append(lines, line(it)+" — "+l.t("label.actionRequiredBy")+" "+l.date(it.Message.ActionRequiredBy))
		}
		d.Blocks = append(d.Blocks, Block{Title: l.t("digest.actionFirst"), Text: strings.Join(lines, "\n")})
	}
	cats := make([]model.Category, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	order := map[model.Category]int{model.CategoryPreventOrFixIssue: 0, model.CategoryPlanForChange: 1, model.CategoryStayInformed: 2}
	slices.SortFunc(cats, func(a, b model.Category) int {
		oa, ok := order[a]
		if !ok {
			oa = 3
		}
		ob, ok := order[b]
		if !ok {
			ob = 3
		}
		return cmp.Or(cmp.Compare(oa, ob), cmp.Compare(a, b))
	})
	for _, c := range cats {
		var lines []string
		for _, it := range byCat[c] {
			lines = append(lines, line(it))
		}
		d.Blocks = append(d.Blocks, Block{Title: l.name("category", string(c)), Text: strings.Join(lines, "\n")})
	}
	if len(other) > 0 {
		var lines []string
		for _, it := range other {
			lines = append(lines, line(it))
		}
		d.Blocks = append(d.Blocks, Block{Title: l.t("digest.other"), Text: strings.Join(lines, "\n")})
	}
	return d
}

// relevant reports whether an event's post concerns its tenant (unknown
// counts as relevant).
func relevant(ev *model.Event) bool { return ev.Relevance == nil || ev.Relevance.Relevant }

// relevantFirst orders relevant posts before the others.
func relevantFirst(a, b *model.Event) int {
	switch ra, rb := relevant(a), relevant(b); {
	case ra && !rb:
		return -1
	case rb && !ra:
		return 1
	}
	return 0
}
