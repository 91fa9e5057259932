package sim

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const odataJSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

type wireInnerError struct {
	Code            string `json:"code,omitempty"`
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

type wireError struct {
	Error struct {
		Code       string         `json:"code"`
		Message    string         `json:"message"`
		InnerError wireInnerError `json:"innerError"`
	} `json:"error"`
}

// graphError writes an error body shaped like Graph's.
func (s *Server) graphError(w http.ResponseWriter, rc *reqCtx, status int, code, msg string) {
	var e wireError
	e.Error.Code, e.Error.Message = code, msg
	e.Error.InnerError = wireInnerError{Date: s.wall().UTC().Format("2006-01-02T15:04:05"),
		RequestID: rc.reqID, ClientRequestID: rc.clientReqID}
	if status == http.StatusTooManyRequests {
		e.Error.InnerError.Code = "429"
	}
	b, _ := marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// graphStatusError maps a status to Graph's usual code and message.
func graphStatusError(status int) (string, string) {
	switch status {
	case http.StatusBadRequest:
		return "BadRequest", "Bad request."
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
	case http.StatusForbidden:
		return "Forbidden", "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return "NotFound", "The requested resource does not exist."
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Please retry again later."
	case http.StatusBadGateway:
		return "BadGateway", "The gateway received an invalid response."
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable", "The service is temporarily unavailable. Please retry later."
	case http.StatusGatewayTimeout:
		return "GatewayTimeout", "The gateway did not receive a response in time."
	}
	return "InternalServerError", "An internal server error occurred."
}

func (s *Server) handleGraph(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	tok, ok := bearer(r)
	switch {
	case !ok || tok == "":
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		s.graphError(w, rc, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return
	case rc.token == nil:
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		s.graphError(w, rc, http.StatusUnauthorized, "InvalidAuthenticationToken",
			"IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): 'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.EncodedAuthenticationTag'.")
		return
	case !s.wall().Before(rc.token.expires):
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="invalid_token", error_description="The access token has expired"`)
		s.graphError(w, rc, http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
		return
	}
	if ok, retry := s.throttleCheck(rc.tenant+"\x00"+rc.client, s.wall()); !ok {
		rc.throttled = true
		w.Header().Set("Retry-After", formatRetryAfter(retry))
		s.graphError(w, rc, http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.graphError(w, rc, http.StatusMethodNotAllowed, "BadRequest", "Specified HTTP method is not allowed for the request uri.")
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	version, rest, _ := strings.Cut(p, "/")
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(segs) == 1 && strings.EqualFold(segs[0], "subscribedSkus") {
		s.serveSkus(w, r, rc, s.baseFor(r)+"/"+version)
		return
	}
	if len(segs) < 3 || !strings.EqualFold(segs[0], "admin") || !strings.EqualFold(segs[1], "serviceAnnouncement") {
		last := rest
		if len(segs) > 0 {
			last = segs[len(segs)-1]
		}
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", last))
		return
	}
	coll, key := segs[2], ""
	if i := strings.Index(coll, "("); i > 0 && strings.HasSuffix(coll, ")") {
		coll, key = coll[:i], strings.Trim(coll[i+1:len(coll)-1], "'")
	}
	more := segs[3:]
	if key == "" && len(more) > 0 {
		key, more = more[0], more[1:]
	}
	base := s.baseFor(r) + "/" + version
	ctxBase := base + "/$metadata#admin/serviceAnnouncement/"
	cs := s.content.Load()
	snap := cs.snapshotFor(rc.tenant, s.clock.Now())
	q := r.URL.Query()
	collName := strings.ToLower(coll)
	if cs.replay != nil && key == "" && len(more) == 0 {
		s.serveReplay(w, r, rc, cs.replay, collName)
		return
	}
	switch collName {
	case "issues":
		if key == "" {
			s.serveList(w, r, rc, snap.issues, ctxBase+"issues", q)
			return
		}
		it := s.findItem(cs, snap.issueByID, "issues", key)
		if it == nil {
			s.graphError(w, rc, http.StatusNotFound, "NotFound", fmt.Sprintf("The requested issue '%s' was not found.", key))
			return
		}
		switch {
		case len(more) == 0:
			writeEntity(w, ctxBase+"issues/$entity", it.raw)
		case len(more) == 1 && strings.EqualFold(more[0], "incidentReport"):
			if !strings.EqualFold(it.status, "postIncidentReviewPublished") {
				s.graphError(w, rc, http.StatusNotFound, "NotFound", fmt.Sprintf("Post-incident review document for issue '%s' is not available.", key))
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-PIR.txt"`, it.id))
			_, _ = fmt.Fprintf(w, "Post Incident Report\r\nIncident ID: %s\r\nService: %s\r\n\r\nThis document was generated by the shdmc simulator.\r\n", it.id, it.service)
		default:
			s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", more[0]))
		}
	case "messages":
		if key == "" {
			s.serveList(w, r, rc, snap.messages, ctxBase+"messages", q)
			return
		}
		it := s.findItem(cs, snap.msgByID, "messages", key)
		if it == nil {
			s.graphError(w, rc, http.StatusNotFound, "NotFound", fmt.Sprintf("The requested message '%s' was not found.", key))
			return
		}
		s.serveMessagePart(w, rc, it, more, ctxBase)
	case "healthoverviews":
		s.serveHealth(w, r, rc, snap, key, ctxBase, q)
	default:
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", coll))
	}
}

func (s *Server) findItem(cs *contentSource, m map[string]*item, coll, key string) *item {
	if cs.replay != nil {
		return cs.replay.find(coll, key)
	}
	return m[strings.ToLower(key)]
}

func writeEntity(w http.ResponseWriter, ctx string, raw []byte) {
	w.Header().Set("Content-Type", odataJSON)
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":`)
	writeJSONString(&b, ctx)
	if len(raw) > 2 {
		b.WriteByte(',')
		b.Write(raw[1:])
	} else {
		b.WriteByte('}')
	}
	_, _ = w.Write(b.Bytes())
}

func writeJSONString(b *bytes.Buffer, s string) {
	v, _ := marshal(s)
	b.Write(v)
}

func (s *Server) serveMessagePart(w http.ResponseWriter, rc *reqCtx, it *item, more []string, ctxBase string) {
	if len(more) == 0 {
		writeEntity(w, ctxBase+"messages/$entity", it.raw)
		return
	}
	switch strings.ToLower(more[0]) {
	case "attachments":
		if len(more) == 1 {
			writeCollection(w, ctxBase+"messages('"+it.id+"')/attachments", it.attRaw, "")
			return
		}
		for i, a := range it.atts {
			if !strings.EqualFold(a.ID, more[1]) {
				continue
			}
			if len(more) == 2 {
				writeEntity(w, ctxBase+"messages('"+it.id+"')/attachments/$entity", it.attRaw[i])
				return
			}
			if len(more) == 3 && strings.EqualFold(more[2], "content") {
				w.Header().Set("Content-Type", a.ContentType)
				_, _ = w.Write(attachmentContent(a.Name, a.Size))
				return
			}
		}
		s.graphError(w, rc, http.StatusNotFound, "NotFound", "The requested attachment was not found.")
	case "attachmentsarchive":
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, a := range it.atts {
			f, err := zw.Create(a.ID + ".csv")
			if err == nil {
				_, _ = f.Write(attachmentContent(a.Name, a.Size))
			}
		}
		_ = zw.Close()
		w.Header().Set("Content-Type", "application/zip")
		_, _ = w.Write(b.Bytes())
	default:
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", more[0]))
	}
}

// attachmentContent makes deterministic CSV bytes of the given size.
func attachmentContent(name string, size int64) []byte {
	if size <= 0 || size > 1<<20 {
		size = 64
	}
	line := []byte("site,url,owner\r\n")
	b := make([]byte, 0, size)
	b = append(b, fmt.Sprintf("# %s\r\n", name)...)
	for int64(len(b)) < size {
		b = append(b, line...)
	}
	return b[:size]
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request, rc *reqCtx, snap *snapshot, key, ctxBase string, q url.Values) {
	expand := strings.EqualFold(strings.TrimSpace(q.Get("$expand")), "issues")
	if e := q.Get("$expand"); e != "" && !expand {
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.serviceHealth'.", e))
		return
	}
	render := func(sv *svcItem) []byte {
		if !expand {
			return sv.raw
		}
		iss := []json.RawMessage{}
		for _, it := range snap.issues {
			if strings.EqualFold(it.service, sv.name) {
				iss = append(iss, it.raw)
			}
		}
		raw, _ := marshal(wireService{Service: sv.svc.Service, Status: string(sv.svc.Status), ID: sv.svc.ID, Issues: &iss})
		return raw
	}
	if key != "" {
		for _, sv := range snap.services {
			if strings.EqualFold(sv.name, key) {
				writeEntity(w, ctxBase+"healthOverviews/$entity", render(sv))
				return
			}
		}
		s.graphError(w, rc, http.StatusNotFound, "NotFound", fmt.Sprintf("The service '%s' was not found.", key))
		return
	}
	items := make([]*item, 0, len(snap.services))
	for _, sv := range snap.services {
		items = append(items, &item{id: sv.id, raw: render(sv)})
	}
	s.serveList(w, r, rc, items, ctxBase+"healthOverviews", q)
}

// serveList filters and pages a collection. A content fault of the request
// (rc.alter) changes the items first.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request, rc *reqCtx, all []*item, ctx string, q url.Values) {
	isHealth := strings.HasSuffix(ctx, "healthOverviews")
	pred, err := parseFilter(q.Get("$filter"), !isHealth)
	if err != nil {
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	size, applied := 100, ""
	if !isHealth {
		if n, ok := preferMaxPageSize(r.Header.Values("Prefer")); ok {
			size, applied = min(n, 1000), fmt.Sprintf("odata.maxpagesize=%d", min(n, 1000))
		}
	}
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value '%s' for $top query option found. The $top query option requires a non-negative integer value.", t))
			return
		}
		size, applied = min(max(n, 1), 1000), ""
	}
	skip := 0
	for _, k := range []string{"$skip", "$skiptoken"} {
		if v := q.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				s.graphError(w, rc, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid value '%s' for %s query option.", v, k))
				return
			}
			skip = n
		}
	}
	sel, err := parseSelect(q.Get("$select"), ctx)
	if err != nil {
		s.graphError(w, rc, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	var pad map[*item]int64
	if rc.alter != nil && !isHealth {
		all, pad = alterList(rc.alter, all)
	}
	var matched []*item
	for _, it := range all {
		if pred(it) {
			matched = append(matched, it)
		}
	}
	var page []*item
	if skip < len(matched) {
		page = matched[skip:min(len(matched), skip+size)]
	}
	next := ""
	if skip+size < len(matched) {
		next = nextLink(s.baseFor(r)+r.URL.EscapedPath(), r.URL.RawQuery, skip+size)
	}
	if applied != "" {
		w.Header().Set("Preference-Applied", applied)
	}
	raws := make([][]byte, len(page))
	for i, it := range page {
		raws[i] = it.raw
	}
	if sel != nil {
		// Graph answers $select with the selected properties only, and
		// names them in the context URL.
		for i := range raws {
			if raws[i], err = selectProps(raws[i], sel); err != nil {
				s.graphError(w, rc, http.StatusInternalServerError, "InternalServerError", err.Error())
				return
			}
		}
		writeCollection(w, ctx+"("+strings.Join(sel, ",")+")", raws, next)
		return
	}
	if len(pad) == 0 {
		writeCollection(w, ctx, raws, next)
		return
	}
	writeCollectionPadded(w, ctx, page, next, pad)
}

func writeCollection(w http.ResponseWriter, ctx string, page [][]byte, next string) {
	b := pageBufs.Get().(*bytes.Buffer)
	defer putPageBuf(b)
	n := 64 + 2*(len(ctx)+len(next)) + len(page)
	for _, raw := range page {
		n += len(raw)
	}
	b.Grow(n)
	collectionHead(b, ctx, next)
	for i, raw := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", odataJSON)
	_, _ = w.Write(b.Bytes())
}

// pageBufs holds the buffers pages are written from: a page of a thousand
// posts is megabytes, and a buffer grown anew for each (the Graph client
// polling thousands of tenants asks for many) was most of the simulator's
// own work in bench/scalebench.
var pageBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putPageBuf returns b to pageBufs, unless it is too big to keep.
func putPageBuf(b *bytes.Buffer) {
	if b.Cap() > 16<<20 {
		return
	}
	b.Reset()
	pageBufs.Put(b)
}

func collectionHead(b *bytes.Buffer, ctx, next string) {
	b.WriteString(`{"@odata.context":`)
	writeJSONString(b, ctx)
	if next != "" {
		b.WriteString(`,"@odata.nextLink":`)
		writeJSONString(b, next)
	}
	b.WriteString(`,"value":[`)
}

// writeCollectionPadded writes a page whose items in pad get padded text
// (FaultOversize), streaming the padding.
func writeCollectionPadded(w http.ResponseWriter, ctx string, page []*item, next string, pad map[*item]int64) {
	w.Header().Set("Content-Type", odataJSON)
	var b bytes.Buffer
	collectionHead(&b, ctx, next)
	for i, it := range page {
		if i > 0 {
			b.WriteByte(',')
		}
		n, ok := pad[it]
		if !ok {
			b.Write(it.raw)
			continue
		}
		if _, err := w.Write(b.Bytes()); err != nil {
			return
		}
		b.Reset()
		if err := writePadded(w, it.raw, n); err != nil {
			return
		}
		flush(w)
	}
	b.WriteString("]}")
	_, _ = w.Write(b.Bytes())
}

// nextLink keeps every query option but the skip, and appends $skip=n.
func nextLink(base, rawQuery string, n int) string {
	var parts []string
	for _, p := range strings.Split(rawQuery, "&") {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if dk, err := url.QueryUnescape(k); err == nil && (dk == "$skip" || dk == "$skiptoken") {
			continue
		}
		parts = append(parts, p)
	}
	parts = append(parts, fmt.Sprintf("$skip=%d", n))
	return base + "?" + strings.Join(parts, "&")
}

func preferMaxPageSize(vals []string) (int, bool) {
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "odata.maxpagesize") {
				if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`)); err == nil && n > 0 {
					return n, true
				}
			}
		}
	}
	return 0, false
}

// parseFilter supports "lastModifiedDateTime ge|gt|le|lt <time>" and
// "id eq 'X'" clauses joined by "and"; anything else is an invalid clause.
func parseFilter(f string, allowTime bool) (func(*item) bool, error) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(*item) bool { return true }, nil
	}
	var preds []func(*item) bool
	for _, cl := range splitAnd(f) {
		fs := strings.Fields(cl)
		if len(fs) < 3 {
			return nil, fmt.Errorf("Invalid filter clause: syntax error at position %d in '%s'.", len(cl), f)
		}
		field, op, val := fs[0], strings.ToLower(fs[1]), strings.Join(fs[2:], " ")
		switch {
		case strings.EqualFold(field, "id") && op == "eq":
			if len(val) < 2 || val[0] != '\'' || val[len(val)-1] != '\'' {
				return nil, fmt.Errorf("Invalid filter clause: the value for id must be a quoted string in '%s'.", f)
			}
			id := strings.ReplaceAll(val[1:len(val)-1], "''", "'")
			preds = append(preds, func(it *item) bool { return strings.EqualFold(it.id, id) })
		case strings.EqualFold(field, "lastModifiedDateTime") && allowTime && (op == "ge" || op == "gt" || op == "le" || op == "lt"):
			t, err := time.Parse(time.RFC3339Nano, val)
			if err != nil {
				t, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(val, " ", "+"))
			}
			if err != nil {
				return nil, fmt.Errorf("Invalid filter clause: the DateTimeOffset text '%s' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zz|Z)?' and each field value is within valid range.", val)
			}
			preds = append(preds, func(it *item) bool {
				switch op {
				case "ge":
					return !it.lastMod.Before(t)
				case "gt":
					return it.lastMod.After(t)
				case "le":
					return !it.lastMod.After(t)
				}
				return it.lastMod.Before(t)
			})
		default:
			return nil, fmt.Errorf("Invalid filter clause: unsupported filter '%s'.", cl)
		}
	}
	return func(it *item) bool {
		for _, p := range preds {
			if !p(it) {
				return false
			}
		}
		return true
	}, nil
}

// splitAnd splits on " and " outside quotes, case-insensitively.
func splitAnd(f string) []string {
	var out []string
	inQ, start := false, 0
	low := strings.ToLower(f)
	for i := 0; i < len(f); i++ {
		if f[i] == '\'' {
			inQ = !inQ
		}
		if !inQ && strings.HasPrefix(low[i:], " and ") {
			out = append(out, strings.TrimSpace(f[start:i]))
			start = i + 5
			i += 4
		}
	}
	return append(out, strings.TrimSpace(f[start:]))
}

// window2 holds the request times of one app in one tenant.
type window2 struct{ times []time.Time }

// throttleCheck records a request at now unless it exceeds a limit, in
// which case it reports how long until the oldest counted request leaves
// the window.
func (s *Server) throttleCheck(key string, now time.Time) (bool, time.Duration) {
	lim := s.opts.Throttle
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.throttle[key]
	if w == nil {
		w = &window2{}
		s.throttle[key] = w
	}
	longest := max(lim.ShortWindow, lim.LongWindow)
	if lim.Long < 0 {
		longest = lim.ShortWindow
	}
	drop := 0
	for drop < len(w.times) && !w.times[drop].After(now.Add(-longest)) {
		drop++
	}
	if drop > 0 {
		w.times = append(w.times[:0], w.times[drop:]...)
	}
	var retry time.Duration
	check := func(limit int, win time.Duration) {
		if limit < 0 {
			return
		}
		cut := now.Add(-win)
		n, first := 0, -1
		for i := len(w.times) - 1; i >= 0 && w.times[i].After(cut); i-- {
			n++
			first = i
		}
		if n >= limit && limit >= 0 {
			// The request that must leave the window for one more to fit.
			idx := first + (n - limit)
			if d := w.times[idx].Add(win).Sub(now); d > retry {
				retry = d
			}
		}
	}
	check(lim.Short, lim.ShortWindow)
	check(lim.Long, lim.LongWindow)
	if retry > 0 {
		return false, retry
	}
	w.times = append(w.times, now)
	return true, 0
}

// formatRetryAfter gives fractional seconds below 10 s (as Graph sometimes
// does, e.g. "2.128") and whole seconds above.
func formatRetryAfter(d time.Duration) string {
	sec := d.Seconds()
	if sec < 10 {
		sec = math.Max(sec, 0.001)
		return strconv.FormatFloat(math.Ceil(sec*1000)/1000, 'f', -1, 64)
	}
	return strconv.Itoa(int(math.Ceil(sec)))
}
