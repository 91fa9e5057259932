package serve

import (
	"net/http"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// ownView is the handling of an item as a page shows it, with the form
// that changes it (none on the static site).
type ownView struct {
	Status     string // model.Handling
	StatusWord string
	Owner      string
	Note       string
	// ByLine says who took the last action, and when; "" when nobody
	// acted on the item.
	ByLine string
	Form   *ownForm
}

// ownForm is what a handling form needs. Every field is escaped by the
// template.
type ownForm struct {
	CSRF               string
	Tenant, Source, ID string
	Seq                int
	// Back is the page the browser returns to after the action.
	Back string
	// User is who the action will be recorded as.
	User string
	// Owner prefills the owner field.
	Owner string
	// Reopen offers to reopen an item that is not open.
	Reopen bool
	// Tenants, on an incident card, are the tenants to choose from, each
	// with its own sequence; none on an item page.
	Tenants []ownTenant
}

// ownTenant is one tenant of an incident card's form.
type ownTenant struct {
	ID   string
	Seq  int
	Word string // its handling, for the choice's label
}

// ownOf is the view of handling h, without a form.
func ownOf(v view, h store.ItemHandling) *ownView {
	st := orOpen(h.Status)
	o := &ownView{Status: string(st), StatusWord: v.Enum("handling", string(st)), Owner: h.Owner, Note: h.Note}
	if h.Seq > 0 {
		o.ByLine = v.F("own.by", "user", h.By, "time", v.Time(h.At))
	}
	return o
}

// backTo is the current page as the place an action returns to, with
// anchor appended.
func backTo(r *http.Request, anchor string) string {
	u := *r.URL
	u.Fragment = ""
	return u.RequestURI() + anchor
}

// itemOwn is the handling section of an item page with its form.
func (s *Server) itemOwn(w http.ResponseWriter, r *http.Request, v view, key model.ItemKey) (*ownView, error) {
	if !owned(key.Source) {
		return nil, nil
	}
	h, err := s.st.Handling(r.Context(), key)
	if err != nil {
		return nil, err
	}
	o := ownOf(v, h)
	if v.Static {
		return o, nil
	}
	user := s.who(r)
	o.Form = &ownForm{CSRF: s.csrf.formToken(w, r, user), Tenant: key.Tenant, Source: string(key.Source), ID: key.ID,
		Seq: h.Seq, Back: backTo(r, "#handling"), User: user, Owner: h.Owner, Reopen: !h.Open()}
	return o, nil
}

// ownCards adds to the incident cards each tenant's handling (on its
// chip) and, but on the static site, a form that acts for a tenant of the
// card.
func (s *Server) ownCards(w http.ResponseWriter, r *http.Request, v view, cards []incidentCard) error {
	var keys []model.ItemKey
	for _, c := range cards {
		for _, t := range c.Tenants {
			keys = append(keys, model.ItemKey{Tenant: t.ID, Source: model.SourceSHD, ID: c.ID})
		}
	}
	if len(keys) == 0 {
		return nil
	}
	hs, err := s.st.Handlings(r.Context(), keys)
	if err != nil {
		return err
	}
	user, token := "", ""
	if !v.Static {
		user = s.who(r)
		token = s.csrf.formToken(w, r, user)
	}
	for i := range cards {
		c := &cards[i]
		var form *ownForm
		if !v.Static {
			form = &ownForm{CSRF: token, Source: string(model.SourceSHD), ID: c.ID, User: user,
				Back: backTo(r, "#incident-"+c.ID)}
		}
		for j := range c.Tenants {
			chip := &c.Tenants[j]
			h, acted := hs[model.ItemKey{Tenant: chip.ID, Source: model.SourceSHD, ID: c.ID}]
			if acted {
				o := ownOf(v, h)
				chip.Own = o
			}
			if form != nil {
				word := v.Enum("handling", string(orOpen(h.Status)))
				if h.Owner != "" {
					word += " · " + h.Owner
				}
				form.Tenants = append(form.Tenants, ownTenant{ID: chip.ID, Seq: h.Seq, Word: word})
			}
		}
		if form != nil && len(form.Tenants) > 0 {
			form.Tenant = form.Tenants[0].ID
			c.OwnForm = form
		}
	}
	return nil
}

// ownershipLines describes an ownership event for the item page's
// history: what changed and who did it.
func ownershipLines(v view, ev model.Event) string {
	var out []string
	for _, c := range ev.Changes {
		switch c.Kind {
		case model.ChangeHandling:
			out = append(out, v.F("what.handled", "to", v.Enum("handling", c.To), "by", ev.By))
		case model.ChangeOwner:
			if c.To == "" {
				out = append(out, v.F("what.unassigned", "from", c.From, "by", ev.By))
			} else {
				out = append(out, v.F("what.assigned", "to", c.To, "by", ev.By))
			}
		case model.ChangeNote:
			out = append(out, v.F("what.note", "text", c.To))
		case model.ChangeEscalation:
			after := c.To
			if d, err := time.ParseDuration(c.To); err == nil {
				after = v.Dur(d)
			}
			out = append(out, v.F("what.escalated", "after", after, "route", c.Field))
		}
	}
	return strings.Join(out, " · ")
}
