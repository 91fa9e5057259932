package sim

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// FaultKind names how a fault breaks a response.
type FaultKind string

// The fault kinds.
const (
	// FaultStatus answers Status (default 500) with an error body shaped like
	// Graph's or, on the authority, Entra's; RetryAfter sets the header.
	FaultStatus FaultKind = "status"
	// FaultTimeout hangs until the client gives up, the server closes, or
	// Delay passes (then 504).
	FaultTimeout FaultKind = "timeout"
	// FaultSlow sends the normal response trickled over Delay (default 3 s).
	FaultSlow FaultKind = "slow"
	// FaultMalformed sends the normal body cut in half, with status 200.
	FaultMalformed FaultKind = "malformed"
	// FaultHTML sends an HTML error page with Status (default 502; 200 works).
	FaultHTML FaultKind = "html"
	// FaultReset closes the connection without a response.
	FaultReset FaultKind = "reset"
	// FaultRedirect answers Status (default 307 for a POST such as the token
	// request, 302 otherwise) with Location set to Location followed by the
	// request's path and query. Point Location at a Trap to see whether a
	// client follows the redirect and what credentials it carries along.
	// Neither Graph nor Entra redirects these requests.
	FaultRedirect FaultKind = "redirect"
)

// The content faults change what a Graph list of issues or messages
// returns, in ways Graph's schema does not promise but clients must
// survive. They apply only to those lists (a page of
// /admin/serviceAnnouncement/issues or /messages, before $filter and
// paging, so a filter sees the altered item as Graph would); Item selects
// the item by id, "" the first item of the list, "*" every item.
const (
	// FaultFutureTime sets the item's lastModifiedDateTime to
	// 9999-12-31T23:59:59.9999999Z, as seen in Microsoft's test data.
	FaultFutureTime FaultKind = "future_time"
	// FaultDuplicateID lists the item twice: the second copy, an hour
	// older and with " (stale copy)" added to its title, at the end of the
	// list — on the same page or a later one, depending on the page size.
	FaultDuplicateID FaultKind = "duplicate_id"
	// FaultMissingID drops the item's "id" member.
	FaultMissingID FaultKind = "missing_id"
	// FaultFlatPost sends an issue's posts in an older beta shape, with
	// contentType and content on the post instead of in description.
	FaultFlatPost FaultKind = "flat_post"
	// FaultOversize pads the item's text (a message's body, an issue's
	// first post) with Size bytes of HTML (default 50 MiB), streamed
	// without holding it in memory.
	FaultOversize FaultKind = "oversize"
)

// DefaultOversize is the padding FaultOversize adds when Size is 0.
const DefaultOversize = 50 << 20

// content reports whether k is one of the content faults.
func (k FaultKind) content() bool {
	switch k {
	case FaultFutureTime, FaultDuplicateID, FaultMissingID, FaultFlatPost, FaultOversize:
		return true
	}
	return false
}

// Fault injects a failure into matching requests.
type Fault struct {
	// Tenant limits the fault to one tenant ("" = any).
	Tenant string
	// PathPrefix selects requests by path prefix ("" = all). "{tenant}" in
	// it stands for the request's tenant. Shorthands: "token" (the token
	// endpoint), "openid" (the OpenID configuration), "graph" (all of Graph),
	// "attachments" (the attachments of any message:
	// /messages/{id}/attachments and below).
	PathPrefix string
	// Kind is how the response breaks.
	Kind FaultKind
	// Status is the HTTP status for FaultStatus and FaultHTML.
	Status int
	// RetryAfter, if set, is sent verbatim as the Retry-After header.
	RetryAfter string
	// Count is how many matching requests the fault hits (0 = unlimited).
	Count int
	// After skips the first After matching requests.
	After int
	// Delay is the hang (FaultTimeout) or trickle (FaultSlow) duration.
	Delay time.Duration
	// From and Until bound the fault to a wall-time window (zero = open).
	From, Until time.Time
	// Location is where FaultRedirect sends the client: a base URL such as
	// Trap.URL(); the request's path and query are appended.
	Location string
	// Item selects the item a content fault changes: its id, "" for the
	// first item of the list, "*" for every item.
	Item string
	// Size is the padding FaultOversize adds, in bytes (0 = DefaultOversize).
	Size int64
}

type faultState struct {
	f          Fault
	stepTenant []string // from a scenario step's tenants
	seen, hits int
}

// SetFaults replaces the injected faults (scenario step faults stay) and
// resets their counts.
func (s *Server) SetFaults(f []Fault) {
	st := make([]*faultState, 0, len(f))
	for _, x := range f {
		st = append(st, &faultState{f: x})
	}
	s.mu.Lock()
	s.faults = st
	s.mu.Unlock()
}

func (fs *faultState) matches(r *http.Request, kind reqKind, tenant string, now time.Time) bool {
	f := fs.f
	if f.Tenant != "" && !strings.EqualFold(f.Tenant, tenant) {
		return false
	}
	if len(fs.stepTenant) > 0 {
		ok := false
		for _, t := range fs.stepTenant {
			ok = ok || strings.EqualFold(t, tenant)
		}
		if !ok {
			return false
		}
	}
	if !f.From.IsZero() && now.Before(f.From) || !f.Until.IsZero() && !now.Before(f.Until) {
		return false
	}
	switch p := f.PathPrefix; p {
	case "":
	case "token":
		if kind != kindToken {
			return false
		}
	case "openid":
		if kind != kindMeta {
			return false
		}
	case "graph":
		if kind != kindGraph {
			return false
		}
	case "attachments":
		if kind != kindGraph || !isAttachmentsPath(r.URL.Path) {
			return false
		}
	default:
		p = strings.ReplaceAll(p, "{tenant}", tenant)
		if len(r.URL.Path) < len(p) || !strings.EqualFold(r.URL.Path[:len(p)], p) {
			return false
		}
	}
	if f.Kind.content() && (kind != kindGraph || itemList(r.URL.Path) == "") {
		return false
	}
	fs.seen++
	if fs.seen <= f.After || f.Count > 0 && fs.hits >= f.Count {
		return false
	}
	fs.hits++
	return true
}

// matchFault returns the first fault that hits this request.
func (s *Server) matchFault(r *http.Request, kind reqKind, tenant string, now time.Time) *Fault {
	cs := s.content.Load()
	var stepIdx int
	var stepF []Fault
	var stepTenants []string
	if cs.scenario != nil {
		n := cs.stepsAt(s.clock.Now())
		for i := n - 1; i >= 0; i-- {
			if st := cs.scenario.Steps[i]; st.faultsSet {
				stepIdx, stepF, stepTenants = i, st.faults, st.Tenants
				break
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fs := range s.faults {
		if fs.matches(r, kind, tenant, now) {
			f := fs.f
			return &f
		}
	}
	for i, f := range stepF {
		k := [2]int{stepIdx, i}
		fs := s.stepFaults[k]
		if fs == nil {
			fs = &faultState{f: f, stepTenant: stepTenants}
			s.stepFaults[k] = fs
		}
		if fs.matches(r, kind, tenant, now) {
			f := fs.f
			return &f
		}
	}
	return nil
}

// isAttachmentsPath reports whether p is /{version}/admin/serviceAnnouncement/messages/{id}/attachments
// or below it.
func isAttachmentsPath(p string) bool {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	return len(segs) >= 6 && strings.EqualFold(segs[1], "admin") && strings.EqualFold(segs[2], "serviceAnnouncement") &&
		strings.EqualFold(segs[3], "messages") && strings.EqualFold(segs[5], "attachments")
}

// itemList returns "issues" or "messages" when p is the list of that
// collection, else "".
func itemList(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) != 4 || !strings.EqualFold(segs[1], "admin") || !strings.EqualFold(segs[2], "serviceAnnouncement") {
		return ""
	}
	switch c := strings.ToLower(segs[3]); c {
	case "issues", "messages":
		return c
	}
	return ""
}

// entraStatusError maps a status to an Entra error code and AADSTS number.
func entraStatusError(status int, client string) (string, int, string) {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."
	case http.StatusUnauthorized:
		return "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", client)
	case http.StatusForbidden:
		return "unauthorized_client", 7000112, fmt.Sprintf("Application '%s' is disabled.", client)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return "temporarily_unavailable", 90033, "A transient error has occurred. Please try again."
	}
	return "server_error", 50000, "There was an error issuing a token or an issue with our sign-in service."
}

func (s *Server) applyFault(w *recWriter, r *http.Request, kind reqKind, rc *reqCtx, f *Fault, handler func(http.ResponseWriter)) {
	writeStatus := func(status int) {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if kind == kindToken || kind == kindMeta {
			code, n, msg := entraStatusError(status, rc.client)
			s.entraError(w, rc, status, code, n, msg)
			return
		}
		code, msg := graphStatusError(status)
		s.graphError(w, rc, status, code, msg)
	}
	switch f.Kind {
	case FaultStatus:
		st := f.Status
		if st == 0 {
			st = http.StatusInternalServerError
		}
		writeStatus(st)
	case FaultTimeout:
		if f.Delay <= 0 {
			select {
			case <-r.Context().Done():
			case <-s.done:
			}
			return
		}
		if s.sleepCtx(r.Context(), f.Delay) {
			writeStatus(http.StatusGatewayTimeout)
		}
	case FaultSlow, FaultMalformed:
		buf := &bufWriter{h: http.Header{}}
		handler(buf)
		for k, v := range buf.h {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		body := buf.body.Bytes()
		if f.Kind == FaultMalformed {
			if len(body) > 1 {
				body = body[:len(body)/2]
			} else {
				body = []byte(`{"value":[{"id":`)
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
			return
		}
		w.WriteHeader(buf.status)
		d := f.Delay
		if d <= 0 {
			d = 3 * time.Second
		}
		const chunks = 20
		step := max(1, (len(body)+chunks-1)/chunks)
		for len(body) > 0 {
			n := min(step, len(body))
			if _, err := w.Write(body[:n]); err != nil {
				return
			}
			body = body[n:]
			w.Flush()
			if len(body) > 0 && !s.sleepCtx(r.Context(), d/chunks) {
				return
			}
		}
	case FaultHTML:
		st := f.Status
		if st == 0 {
			st = http.StatusBadGateway
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(st)
		_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\r\n<html><head><title>%d %s</title></head>\r\n<body><h1>%s</h1>\r\n<p>The service is temporarily unable to process your request. Please try again later.</p>\r\n<p>Reference: %s</p></body></html>\r\n",
			st, http.StatusText(st), http.StatusText(st), rc.reqID)
	case FaultRedirect:
		st := f.Status
		if st == 0 {
			st = http.StatusFound
			if r.Method == http.MethodPost {
				st = http.StatusTemporaryRedirect
			}
		}
		w.Header().Set("Location", strings.TrimRight(f.Location, "/")+r.URL.RequestURI())
		w.WriteHeader(st)
	case FaultReset:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		type netConner interface{ NetConn() net.Conn }
		var raw net.Conn = conn
		if nc, ok := conn.(netConner); ok {
			raw = nc.NetConn()
		}
		if tcp, ok := raw.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = raw.Close()
	default:
		writeStatus(http.StatusInternalServerError)
	}
}
