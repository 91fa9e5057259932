package serve

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/render"
)

// view is what every page needs to know about its reader: language, time
// zone, and the query parameters that links keep.
type view struct {
	Lang string // "en" or "ja"
	TZ   string // IANA name when chosen by ?tz=, else ""
	loc  *time.Location
	ui   map[string]map[string]string
	Path string
	// Static is set when the page is rendered into the static site
	// (BuildSite): links are relative files, forms and server-only pages
	// are left out.
	Static bool
	site   *sitePage
}

// viewOf reads ?lang= (else Accept-Language) and ?tz= (else the server's
// zone) from a request.
func (s *Server) viewOf(r *http.Request) view {
	v := view{Lang: pickLang(r), loc: s.o.Location, ui: s.ui, Path: r.URL.Path}
	if sp, ok := r.Context().Value(siteKey{}).(*sitePage); ok {
		v.site, v.Static = sp, true
	}
	if tz := r.URL.Query().Get("tz"); tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			v.loc, v.TZ = l, tz
		}
	}
	return v
}

// pickLang chooses "ja" or "en".
func pickLang(r *http.Request) string {
	if l := strings.ToLower(r.URL.Query().Get("lang")); l != "" {
		if strings.HasPrefix(l, "ja") {
			return "ja"
		}
		return "en"
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		switch {
		case strings.HasPrefix(tag, "ja"):
			return "ja"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// T returns the dashboard text of key in the reader's language; keys
// shared with notices ("label.status") come from render's catalogs.
func (v view) T(key string) string {
	if m, ok := v.ui[v.Lang][key]; ok {
		return m
	}
	if m, ok := v.ui["en"][key]; ok {
		return m
	}
	return render.Phrase(v.Lang, key)
}

// F is T with its {name} arguments filled in; kv alternates names and
// values (any type, printed with fmt).
func (v view) F(key string, kv ...any) string {
	s := v.T(key)
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(kv[i])+"}", fmt.Sprint(kv[i+1]))
	}
	return s
}

// N is F for a count: key+".one" when n is 1 and the catalog has it,
// else key, with {n} filled in.
func (v view) N(key string, n int, kv ...any) string {
	if n == 1 {
		if _, ok := v.ui[v.Lang][key+".one"]; ok {
			key += ".one"
		}
	}
	return v.F(key, append([]any{"n", n}, kv...)...)
}

// Enum renders an enum value (prefix "status", "category", …) through the
// catalogs, or verbatim when they do not know it: English from the
// dashboard's own friendly words ("Service degradation" rather than the
// wire's serviceDegradation), other languages from render's catalogs.
func (v view) Enum(prefix, value string) string {
	if value == "" {
		return ""
	}
	key := prefix + "." + value
	if v.Lang == "en" {
		if m, ok := v.ui["en"][key]; ok {
			return m
		}
	}
	if p := render.Phrase(v.Lang, key); p != key {
		return p
	}
	return value
}

// Time formats t in the reader's zone and language; the zero time is "—".
func (v view) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return render.FormatTimeIn(t, v.loc, v.Lang)
}

// Date formats a date without its time ("2023-06-13", "2023年6月13日(火)"):
// Microsoft's action-required dates are midnight UTC, which is the date
// meant in every zone, so a midnight in UTC is shown as its UTC date;
// any other time as its date in the reader's zone.
func (v view) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	u := v.day(t)
	if v.Lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日(%s)", u.Year(), int(u.Month()), u.Day(), render.Phrase("ja", "weekday."+strconv.Itoa(int(u.Weekday()))))
	}
	return u.Format("2006-01-02")
}

// day is the calendar day Date shows for t, as midnight UTC.
func (v view) day(t time.Time) time.Time {
	u := t.UTC()
	if u.Hour() != 0 || u.Minute() != 0 || u.Second() != 0 {
		u = t.In(v.loc)
	}
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// ISO is t in RFC 3339 (UTC) for machine-readable attributes.
func (v view) ISO(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Ago says how long before now t was ("12 s ago"); a t after now is
// "just now" (the clocks of the poller and the dashboard may differ).
func (v view) Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 5*time.Second:
		return v.T("ago.now")
	case d < time.Minute:
		return v.N("ago.s", int(d/time.Second))
	case d < time.Hour:
		return v.N("ago.m", int(d/time.Minute))
	case d < 48*time.Hour:
		return v.N("ago.h", int(d/time.Hour))
	}
	return v.N("ago.d", int(d/(24*time.Hour)))
}

// Dur is a duration for people: "45 min", "2 h 5 min", "3 days 4 h".
func (v view) Dur(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Minute)
	switch {
	case d < time.Hour:
		return v.F("dur.min", "m", int(d/time.Minute))
	case d < 48*time.Hour:
		return v.F("dur.h", "h", int(d/time.Hour), "m", int(d%time.Hour/time.Minute))
	}
	return v.F("dur.d", "d", int(d/(24*time.Hour)), "h", int(d%(24*time.Hour)/time.Hour))
}

// Due is the countdown to a date ("in 12 days", "overdue by 3 days") and
// its class: "overdue" (today or past), "soon" (within 7 days) or "".
func (v view) Due(t, now time.Time) (string, string) {
	if t.IsZero() {
		return "", ""
	}
	today := now.In(v.loc)
	n := int(v.day(t).Sub(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)).Hours() / 24)
	switch {
	case n < 0:
		return v.N("due.over", -n), "overdue"
	case n == 0:
		return v.T("due.today"), "overdue"
	case n <= 7:
		return v.N("due.in", n), "soon"
	}
	return v.N("due.in", n), ""
}

// Link returns path with the reader's lang and tz and the given
// name/value pairs as query parameters (empty values are left out).
func (v view) Link(path string, kv ...string) string {
	if v.site != nil {
		return v.site.href(path, kv...)
	}
	q := url.Values{}
	if v.Lang != "" && v.Lang != "en" {
		q.Set("lang", v.Lang)
	}
	if v.TZ != "" {
		q.Set("tz", v.TZ)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// Asset is the link of a file of the server (the style sheet).
func (v view) Asset(path string) string {
	if v.site != nil {
		return v.site.href(path)
	}
	return path
}

// LangLink is the current page in the other language.
func (v view) LangLink(raw url.Values, lang string) string {
	q := url.Values{}
	for k, vs := range raw {
		q[k] = vs
	}
	q.Set("lang", lang)
	return v.Path + "?" + q.Encode()
}
