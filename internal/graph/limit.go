package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Size limits. Graph sends a Message Center post's body as HTML of a few
// kilobytes, rarely more than 100 KB; a page of 1,000 posts (the most Graph
// sends) is some megabytes. The limits leave room for that and bound what a
// broken or hostile endpoint can make the client hold in memory.
const (
	// DefaultMaxBodyBytes bounds a JSON page as it arrives, before long
	// strings are cut (Config.MaxBodyBytes).
	DefaultMaxBodyBytes = 64 << 20
	// DefaultMaxPageBytes bounds the part of a JSON page kept in memory,
	// after long strings were cut (Config.MaxPageBytes).
	DefaultMaxPageBytes = 32 << 20
	// DefaultMaxTextBytes is the longest string kept from a page
	// (Config.MaxTextBytes); a longer one is cut and ends with the note
	// "[truncated by shdmc: N bytes]", N being the bytes cut off as sent.
	DefaultMaxTextBytes = 1 << 20
	// DefaultMaxReportBytes bounds an incident report document
	// (Config.MaxReportBytes).
	DefaultMaxReportBytes = 20 << 20
	// MaxTokenResponseBytes bounds an answer of the token authority (token,
	// OpenID configuration, managed identity endpoint); real ones are a few
	// kilobytes.
	MaxTokenResponseBytes = 1 << 20
	// maxErrorBodyBytes bounds the body of a non-2xx Graph answer: only its
	// start is shown.
	maxErrorBodyBytes = 64 << 10
)

// errBodyTooLarge marks a response over one of the size limits; such a
// failure is not retried.
var errBodyTooLarge = errors.New("response body too large")

// truncNote starts the note appended to a cut string.
const truncNote = " [truncated by shdmc: "

// RedirectError is a redirect the client refused to follow. Neither Graph
// nor the token authority redirects the requests shdmc makes; following one
// would carry the bearer token or the client secret wherever the answer
// points, so no redirect is ever followed.
type RedirectError struct {
	// Status is the redirect's HTTP status (301, 302, 303, 307, 308).
	Status int
	// Scheme and Host (host[:port]) name where the redirect pointed; the
	// path and query are left out as they may carry anything.
	Scheme, Host string
}

// Error implements error.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("refuse to follow HTTP %d redirect to %s://%s: Graph and token requests are never redirected", e.Status, e.Scheme, e.Host)
}

// NonRetriable marks the error as final for azcore's retry policy.
func (*RedirectError) NonRetriable() {}

// refuseRedirect is the CheckRedirect of every HTTP client the package
// builds. It runs before the redirected request is sent.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	e := &RedirectError{Scheme: req.URL.Scheme, Host: req.URL.Host}
	if req.Response != nil {
		e.Status = req.Response.StatusCode
	}
	return e
}

// tooLargeError is a token authority answer over MaxTokenResponseBytes.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("token authority response too large: more than %d bytes", e.limit)
}

func (e *tooLargeError) Unwrap() error { return errBodyTooLarge }

// NonRetriable marks the error as final for azcore's retry policy.
func (*tooLargeError) NonRetriable() {}

// limitTransport is the azcore transport of the credentials: hc (which
// follows no redirect) with every response body limited to max bytes.
type limitTransport struct {
	hc  *http.Client
	max int64
}

// Do implements policy.Transporter.
func (t *limitTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, &tooLargeError{limit: t.max}
	}
	resp.Body = &limitedBody{rc: resp.Body, max: t.max}
	return resp, nil
}

// limitedBody fails a read past max bytes.
type limitedBody struct {
	rc  io.ReadCloser
	n   int64
	max int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if left := b.max - b.n + 1; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return 0, &tooLargeError{limit: b.max}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// ListInfo describes one listing (Issues, Messages, HealthOverviews,
// Attachments). Pass a pointer with WithListInfo; the client fills it in
// during the call, so read it when the call has returned.
type ListInfo struct {
	// Start is the client's clock (Config.Now) just before the first page
	// was requested. Nothing Graph returns can have been modified after
	// Start plus the skew between the two clocks; a watermark should not
	// pass it.
	Start time.Time
	// ServerDate is the Date header of the first page's answer (Graph's
	// clock, whole seconds), zero when absent or unparsable.
	ServerDate time.Time
	// Pages is the number of pages read.
	Pages int
	// Duplicates is the number of items dropped because another item of
	// the listing had the same id (the newest by lastModifiedDateTime was
	// kept, on a tie the later one).
	Duplicates int
	// Skipped is the number of entries dropped for lack of a string id.
	Skipped int
	// Truncated is the number of strings cut to Config.MaxTextBytes.
	Truncated int
}

type listInfoKey struct{}

// WithListInfo returns a context that makes a listing made with it record
// its ListInfo in info. Every listing made with the context overwrites info.
func WithListInfo(ctx context.Context, info *ListInfo) context.Context {
	return context.WithValue(ctx, listInfoKey{}, info)
}

func listInfoFrom(ctx context.Context) *ListInfo {
	if info, ok := ctx.Value(listInfoKey{}).(*ListInfo); ok && info != nil {
		return info
	}
	return &ListInfo{}
}

// readJSON reads a JSON body in chunks and keeps it with every string
// longer than maxText bytes (as sent) cut. It fails when more than maxWire
// bytes arrive or more than maxKept bytes would be kept. size is the
// body's length if known (Content-Length), else -1. It returns the kept
// bytes, the number of strings cut and the bytes read.
//
// The kept bytes are in a buffer of pagePool: give it back with putPage
// once nothing refers to it any more.
func readJSON(r io.Reader, size, maxWire, maxKept int64, maxText int) ([]byte, int, int64, error) {
	s := &shrinker{maxText: maxText, maxKept: maxKept, out: getPage()}
	if size > 0 {
		// A body with a huge string keeps much less than its length.
		s.out = slices.Grow(s.out, int(min(size, maxKept, 8<<20)+1))
	}
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	lr := io.LimitReader(r, maxWire+1)
	var wire int64
	for {
		n, err := lr.Read(buf)
		wire += int64(n)
		if wire > maxWire {
			return nil, 0, wire, fmt.Errorf("%w: more than %d bytes", errBodyTooLarge, maxWire)
		}
		if n > 0 {
			if werr := s.write(buf[:n]); werr != nil {
				return nil, 0, wire, werr
			}
		}
		if err == io.EOF {
			return s.out, s.cut, wire, nil
		}
		if err != nil {
			return nil, 0, wire, err
		}
	}
}

// Buffers reused between responses: a baseline of thousands of tenants
// reads pages of hundreds of kilobytes each, and growing a new buffer for
// every page was a twentieth of the worker's CPU (copying and clearing
// memory, and collecting it after).
var (
	readBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
	pagePool sync.Pool // *[]byte of length 0
)

// maxPooledPage is the largest page buffer kept for reuse: a rare huge
// page is left to the collector rather than held.
const maxPooledPage = 4 << 20

func getPage() []byte {
	if p, ok := pagePool.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return nil
}

// putPage gives a buffer of readJSON back, once the page is decoded: the
// decoders copy every string they keep.
func putPage(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledPage {
		return
	}
	b = b[:0]
	pagePool.Put(&b)
}

// shrinker copies a JSON text, cutting strings over maxText bytes. It
// follows strings and escapes only; the decoder checks everything else (the
// cut part of a string is not checked).
type shrinker struct {
	maxText int
	maxKept int64
	out     []byte
	cut     int

	inStr     bool
	escChar   bool // the next byte is the character of an escape
	hexLeft   int  // hex digits of a \u escape still to come
	strStart  int  // offset in out of the current string's content
	strWire   int  // content bytes of the current string as sent
	cutting   bool // the current string is over maxText; its bytes are dropped
	lastEsc   int  // offset in out of the current string's last escape, -1 none
	lastHigh  bool // that escape is a complete \u escape of a high surrogate
	pairStart int  // offset of a high surrogate escape right before lastEsc, -1 none
}

func (s *shrinker) write(p []byte) error {
	nq, nb := -2, -2 // next '"' and '\\' at or after i: -1 none, -2 not searched
	next := func(c byte, cached *int, i int) int {
		if *cached == -1 || *cached >= i {
			return *cached
		}
		if j := bytes.IndexByte(p[i:], c); j >= 0 {
			*cached = i + j
		} else {
			*cached = -1
		}
		return *cached
	}
	for i := 0; i < len(p); {
		switch {
		case !s.inStr:
			j := next('"', &nq, i)
			if j < 0 {
				s.add(p[i:])
				i = len(p)
				break
			}
			s.add(p[i : j+1])
			i = j + 1
			s.inStr, s.strStart, s.strWire, s.cutting = true, len(s.out), 0, false
			s.lastEsc, s.lastHigh, s.pairStart = -1, false, -1
		case s.escChar:
			s.escChar = false
			if p[i] == 'u' {
				s.hexLeft = 4
			}
			s.text(p[i : i+1])
			i++
		case s.hexLeft > 0:
			if _, ok := hexVal(p[i]); !ok {
				return fmt.Errorf("invalid character %s in \\u hexadecimal character escape", quoteChar(p[i]))
			}
			s.hexLeft--
			s.text(p[i : i+1])
			i++
			if s.hexLeft == 0 && !s.cutting {
				r, _ := hex4(s.out[len(s.out)-4:])
				s.lastHigh = r >= 0xD800 && r < 0xDC00
			}
		default:
			q, b := next('"', &nq, i), next('\\', &nb, i)
			j := q
			if b >= 0 && (q < 0 || b < q) {
				j = b
			}
			if j < 0 {
				s.text(p[i:])
				i = len(p)
				break
			}
			s.text(p[i:j])
			i = j + 1
			if p[j] == '\\' {
				s.escChar = true
				if !s.cutting {
					s.pairStart = -1
					if s.lastHigh && s.lastEsc+6 == len(s.out) {
						s.pairStart = s.lastEsc
					}
					s.lastEsc, s.lastHigh = len(s.out), false
				}
				s.text(p[j : j+1])
				break
			}
			s.inStr = false
			if s.cutting {
				s.cut++
				kept := len(s.out) - s.strStart
				s.out = append(s.out, truncNote...)
				s.out = strconv.AppendInt(s.out, int64(s.strWire-kept), 10)
				s.out = append(s.out, " bytes]"...)
			}
			s.out = append(s.out, '"')
		}
		if int64(len(s.out)) > s.maxKept {
			return fmt.Errorf("%w: page over %d bytes after cutting strings longer than %d bytes", errBodyTooLarge, s.maxKept, s.maxText)
		}
	}
	return nil
}

// text adds content bytes of the current string, keeping at most maxText
// of them.
func (s *shrinker) text(b []byte) {
	s.strWire += len(b)
	if s.cutting {
		return
	}
	room := s.maxText - (len(s.out) - s.strStart)
	if len(b) <= room {
		s.add(b)
		return
	}
	s.add(b[:room])
	s.cutting = true
	// Cut where the kept text is whole: not inside an escape (a \u escape
	// is 6 bytes), not after half a surrogate pair, not inside a UTF-8
	// sequence.
	end := len(s.out)
	if s.lastEsc >= 0 {
		escEnd := s.lastEsc + 6
		if s.lastEsc+1 < end && s.out[s.lastEsc+1] != 'u' {
			escEnd = s.lastEsc + 2
		}
		if escEnd > end || (escEnd == end && s.lastHigh) {
			end = s.lastEsc
			if s.pairStart >= 0 {
				end = s.pairStart
			}
		}
	}
	for k := end - 1; k >= max(s.strStart, end-utf8.UTFMax); k-- {
		if c := s.out[k]; c < utf8.RuneSelf {
			break
		} else if utf8.RuneStart(c) {
			if !utf8.FullRune(s.out[k:end]) {
				end = k
			}
			break
		}
	}
	s.out = s.out[:end]
}

// add appends b to out, doubling its capacity when it must grow (append
// grows large slices by a quarter, which copies a page several times).
func (s *shrinker) add(b []byte) {
	if cap(s.out)-len(s.out) < len(b) {
		s.out = slices.Grow(s.out, max(len(b), cap(s.out), 4096))
	}
	s.out = append(s.out, b...)
}

// cutHTML finishes HTML text that ends with the shrinker's note: the note
// becomes a paragraph of its own, after dropping a tag or an entity the cut
// left open, so that it shows.
func cutHTML(content string) string {
	if !strings.HasSuffix(content, " bytes]") {
		return content
	}
	i := strings.LastIndex(content, truncNote)
	if i < 0 {
		return content
	}
	n := content[i+len(truncNote) : len(content)-len(" bytes]")]
	if _, err := strconv.ParseUint(n, 10, 64); err != nil {
		return content
	}
	text := content[:i]
	if lt := strings.LastIndexByte(text, '<'); lt > strings.LastIndexByte(text, '>') {
		text = text[:lt]
	}
	if amp := strings.LastIndexByte(text, '&'); amp >= 0 && amp > strings.LastIndexByte(text, ';') && len(text)-amp <= 10 {
		text = text[:amp]
	}
	return text + "<p>" + strings.TrimPrefix(truncNote, " ") + n + " bytes]</p>"
}
