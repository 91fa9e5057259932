package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/store"
)

// The users that take actions without a name of their own.
const (
	// tokenUser is who acts with the bearer token (serve.token), which
	// names nobody.
	tokenUser = "token"
	// localUser is who acts on a dashboard without authentication: it
	// answers only on loopback, to requests addressed to a loopback name.
	localUser = "local"
)

// identity is whose credentials a request carries.
type identity struct {
	name   string
	bearer bool // the bearer token, which no browser sends by itself
}

// who names the user of a request: the basic auth user, tokenUser for the
// bearer token, localUser without authentication (the server then
// answers loopback only).
func (s *Server) who(r *http.Request) string {
	if !s.o.Auth.enabled() {
		return localUser
	}
	id, _ := s.identify(r)
	return id.name
}

// The actions on an item.
const (
	actAssign        = "assign"
	actAcknowledge   = "acknowledge"
	actDone          = "done"
	actNotApplicable = "not_applicable"
	actReopen        = "reopen"
)

// action is a change of an item's handling someone asked for.
type action struct {
	Kind string `json:"action"`
	// Owner is the owner to set; nil or "" leaves it as it is, but for
	// assign, where "" takes it away. Acknowledging an item nobody owns
	// makes the user its owner.
	Owner *string `json:"owner"`
	Note  string  `json:"note"`
	// Seq is the Seq of the handling the user saw: the action is refused
	// when someone acted in between.
	Seq int `json:"seq"`
}

// errBadAction marks an action that cannot be taken as asked (400).
var errBadAction = errors.New("bad action")

// errUnchanged marks an action that would change nothing (400).
var errUnchanged = errors.New("nothing to change")

// cleanText returns s without control characters but new lines (when
// lines), trimmed, and whether it fits in max characters.
func cleanText(s string, lines bool, max int) (string, bool) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' && lines {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	return s, len([]rune(s)) <= max
}

// act takes action a of user on an item: it checks the action against
// the item's handling, makes the action's event (with the item as it is
// now, and the deliveries of the routes that name its type) and stores
// both (store.Act). It returns the new handling.
func (s *Server) act(ctx context.Context, key model.ItemKey, user string, a action) (store.ItemHandling, error) {
	if key.Source != model.SourceSHD && key.Source != model.SourceMC {
		return store.ItemHandling{}, fmt.Errorf("%w: only incidents, advisories and Message Center posts have an owner", errBadAction)
	}
	items, err := s.st.Items(ctx, key.Tenant, key.Source, []string{key.ID})
	if err != nil {
		return store.ItemHandling{}, err
	}
	it, ok := items[key.ID]
	if !ok {
		return store.ItemHandling{}, store.ErrNotFound
	}
	cur, err := s.st.Handling(ctx, key)
	if err != nil {
		return store.ItemHandling{}, err
	}
	if a.Seq != cur.Seq {
		return cur, store.ErrConflict
	}
	note, ok := cleanText(a.Note, true, store.MaxNote)
	if !ok {
		return cur, fmt.Errorf("%w: the note is longer than %d characters", errBadAction, store.MaxNote)
	}
	owner, ownerSet := cur.Owner, false
	if a.Owner != nil {
		o, ok := cleanText(*a.Owner, false, store.MaxOwner)
		if !ok {
			return cur, fmt.Errorf("%w: the owner is longer than %d characters", errBadAction, store.MaxOwner)
		}
		if o != "" || a.Kind == actAssign {
			owner, ownerSet = o, true
		}
	}
	next := store.ItemHandling{Item: key, Status: cur.Status, Owner: owner, Note: note, By: user, At: s.now(), Seq: cur.Seq + 1}
	if next.Status == "" {
		next.Status = model.HandlingOpen
	}
	var typ model.EventType
	switch a.Kind {
	case actAssign:
		typ = model.EventItemAssigned
		if !ownerSet {
			return cur, fmt.Errorf("%w: assign needs an owner (empty takes the item away from its owner)", errBadAction)
		}
	case actAcknowledge:
		typ, next.Status = model.EventItemAcknowledged, model.HandlingAcknowledged
		if next.Owner == "" {
			next.Owner = user
		}
	case actDone:
		typ, next.Status = model.EventItemDone, model.HandlingDone
	case actNotApplicable:
		typ, next.Status = model.EventItemNotApplicable, model.HandlingNotApplicable
	case actReopen:
		typ, next.Status = model.EventItemReopened, model.HandlingOpen
	default:
		return cur, fmt.Errorf("%w: unknown action %q (want assign, acknowledge, done, not_applicable or reopen)", errBadAction, a.Kind)
	}
	var changes []model.Change
	if from := orOpen(cur.Status); next.Status != from {
		changes = append(changes, model.Change{Kind: model.ChangeHandling, From: string(from), To: string(next.Status)})
	}
	if next.Owner != cur.Owner {
		changes = append(changes, model.Change{Kind: model.ChangeOwner, From: cur.Owner, To: next.Owner})
	}
	if note != "" {
		changes = append(changes, model.Change{Kind: model.ChangeNote, To: note})
	}
	if len(changes) == 0 {
		if a.Kind == actAssign {
			return cur, fmt.Errorf("%w: the owner is %q already", errUnchanged, next.Owner)
		}
		return cur, fmt.Errorf("%w: the item is %s already", errUnchanged, next.Status)
	}
	ev := model.Event{Tenant: key.Tenant, Source: key.Source, ItemID: key.ID, Type: typ, Revision: it.Revision,
		DetectedAt: next.At, By: user, Changes: changes}
	if key.Source == model.SourceSHD {
		var is model.Issue
		if json.Unmarshal(it.Data, &is) == nil {
			ev.Issue = &is
		}
	} else {
		var m model.Message
		if json.Unmarshal(it.Data, &m) == nil {
			ev.Message = &m
		}
	}
	var ds []store.NewDelivery
	if s.o.Targets != nil {
		for _, t := range s.o.Targets(&ev) {
			ds = append(ds, store.NewDelivery{Event: 0, Kind: store.KindNotice, Channel: t.Channel, Route: t.Route,
				Key: store.DeliveryKey(store.KindNotice, &ev, t.Route, t.Channel, "act-"+strconv.Itoa(next.Seq))})
		}
	}
	if _, err := s.st.Act(ctx, next, ev, ds); err != nil {
		return cur, err
	}
	s.log.Info("item_handled", "tenant", key.Tenant, "source", key.Source, "item", key.ID, "action", a.Kind,
		"user", user, "status", next.Status, "deliveries", len(ds))
	return next, nil
}

func orOpen(h model.Handling) model.Handling {
	if h == "" {
		return model.HandlingOpen
	}
	return h
}

// actionError answers a failed action: code and a message for the user.
func actionError(err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "no such item"
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "someone changed this item's handling since the page was loaded: reload it and try again"
	case errors.Is(err, errBadAction), errors.Is(err, errUnchanged):
		return http.StatusBadRequest, strings.TrimPrefix(strings.TrimPrefix(err.Error(), errBadAction.Error()+": "), errUnchanged.Error()+": ")
	}
	return http.StatusInternalServerError, "internal error"
}

// maxForm bounds the body of an action.
const maxForm = 16 << 10

// handleHandling takes an action from a dashboard form (the item page,
// an incident card) and sends the browser back to the page it came from.
func (s *Server) handleHandling(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "shdmc: unreadable form", http.StatusBadRequest)
		return
	}
	user := s.who(r)
	if err := s.csrf.check(r, user); err != nil {
		s.log.Warn("handling_refused", "reason", err.Error(), "user", user, "remote", r.RemoteAddr)
		http.Error(w, "shdmc: this change was refused: "+err.Error()+". Open the page again from this server and retry.", http.StatusForbidden)
		return
	}
	f := r.PostForm
	key := model.ItemKey{Tenant: f.Get("tenant"), Source: model.Source(f.Get("source")), ID: f.Get("id")}
	seqText := f.Get("seq")
	if v := f.Get("seq-" + key.Tenant); v != "" { // an incident card: one per tenant
		seqText = v
	}
	seq, err := strconv.Atoi(seqText)
	if err != nil || key.Tenant == "" || key.ID == "" {
		http.Error(w, "shdmc: the form lacks the item or its sequence", http.StatusBadRequest)
		return
	}
	a := action{Kind: f.Get("action"), Note: f.Get("note"), Seq: seq}
	if _, ok := f["owner"]; ok {
		o := f.Get("owner")
		a.Owner = &o
	}
	if _, err := s.act(r.Context(), key, user, a); err != nil {
		code, msg := actionError(err)
		if code == http.StatusInternalServerError {
			s.fail(w, r, err)
			return
		}
		http.Error(w, "shdmc: "+msg, code)
		return
	}
	back := localPath(f.Get("back"))
	if back == "" {
		back = itemPath(key) + "#handling"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// localPath returns p when it is a path of this server (with its query
// and fragment), else "": a form must not send the browser elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return p
}

// apiHandlingJSON is an item's handling in the JSON API.
type apiHandlingJSON struct {
	Status string    `json:"status"`
	Owner  string    `json:"owner,omitempty"`
	Note   string    `json:"note,omitempty"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Seq    int       `json:"seq"`
}

func handlingJSON(h store.ItemHandling) *apiHandlingJSON {
	return &apiHandlingJSON{Status: string(orOpen(h.Status)), Owner: h.Owner, Note: h.Note, By: h.By, At: h.At, Seq: h.Seq}
}

// resolveMine makes ?handling=mine keep the items assigned to the
// request's user.
func (s *Server) resolveMine(r *http.Request, iq *store.ItemQuery) {
	if r.URL.Query().Get("handling") == "mine" {
		iq.Owner = s.who(r)
	}
}

// handlings returns the handling of those of items someone acted on.
func (s *Server) handlings(ctx context.Context, items []store.Item) (map[model.ItemKey]store.ItemHandling, error) {
	var keys []model.ItemKey
	for _, it := range items {
		if owned(it.Key.Source) {
			keys = append(keys, it.Key)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return s.st.Handlings(ctx, keys)
}

// owned reports whether items of a source have a handling.
func owned(src model.Source) bool { return src == model.SourceSHD || src == model.SourceMC }

// apiHandling answers an item's handling.
func (s *Server) apiHandling(w http.ResponseWriter, r *http.Request) {
	key := model.ItemKey{Tenant: r.PathValue("tenant"), Source: model.Source(r.PathValue("source")), ID: r.PathValue("id")}
	m, err := s.st.Items(r.Context(), key.Tenant, key.Source, []string{key.ID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, ok := m[key.ID]; !ok || !owned(key.Source) {
		apiError(w, http.StatusNotFound, "no such item")
		return
	}
	h, err := s.st.Handling(r.Context(), key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeJSON(w, handlingJSON(h))
}

// apiAct takes an action from a JSON body. It needs the bearer token: a
// browser sends basic auth (and a loopback dashboard's requests) by
// itself, so those take actions only through the forms, with their CSRF
// token.
func (s *Server) apiAct(w http.ResponseWriter, r *http.Request) {
	id, ok := s.identify(r)
	if !ok || !id.bearer {
		apiError(w, http.StatusForbidden, "actions through the API need the bearer token (serve.token); use the dashboard's forms otherwise")
		return
	}
	key := model.ItemKey{Tenant: r.PathValue("tenant"), Source: model.Source(r.PathValue("source")), ID: r.PathValue("id")}
	var a action
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxForm))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		apiError(w, http.StatusBadRequest, "body must be JSON: {\"action\": \"acknowledge\", \"owner\": \"…\", \"note\": \"…\", \"seq\": 0}")
		return
	}
	h, err := s.act(r.Context(), key, id.name, a)
	if err != nil {
		code, msg := actionError(err)
		if code == http.StatusInternalServerError {
			s.fail(w, r, err)
			return
		}
		apiError(w, code, msg)
		return
	}
	s.writeJSON(w, handlingJSON(h))
}
