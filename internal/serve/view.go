package serve

import (
	"net/http"
	"net/url"
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

// Enum renders an enum value (prefix "status", "category", …) through the
// catalogs, or verbatim when they do not know it.
func (v view) Enum(prefix, value string) string {
	if value == "" {
		return ""
	}
	key := prefix + "." + value
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

// uiCatalog holds the dashboard's own strings; labels shared with notices
// come from render's catalogs through view.T.
func uiCatalog() map[string]map[string]string {
	return map[string]map[string]string{
		"en": {
			"app":               "shdmc",
			"nav.dashboard":     "Health",
			"nav.issues":        "Incidents and advisories",
			"nav.messages":      "Message Center",
			"nav.deliveries":    "Deliveries",
			"grid.title":        "Service health",
			"grid.tenant":       "Tenant",
			"grid.none":         "No service health is stored yet.",
			"stale.banner":      "Stale data: these sources have not been polled successfully for more than three intervals. What you see may be out of date.",
			"stale.last":        "last success",
			"stale.never":       "never",
			"active.title":      "Active incidents and advisories",
			"active.none":       "No active incidents or advisories.",
			"timeline":          "Timeline",
			"original":          "Original",
			"translation":       "Translation (from the translation memory)",
			"notranslation":     "No translation in the memory.",
			"filter.search":     "Search",
			"filter.apply":      "Filter",
			"filter.any":        "any",
			"filter.tenant":     "Tenant",
			"filter.actionBy":   "Action required before",
			"filter.majorOnly":  "Major changes only",
			"filter.activeOnly": "Active only",
			"results":           "results",
			"prev":              "Previous",
			"next":              "Next",
			"feeds":             "Feeds",
			"item.revisions":    "Revisions",
			"item.revision":     "Revision",
			"item.seen":         "Seen",
			"item.modified":     "Modified",
			"item.compare":      "Compare",
			"item.diff":         "Changes from revision {from} to {to}",
			"item.nodiff":       "No differences.",
			"item.events":       "Events",
			"item.body":         "Body",
			"item.posts":        "Posts",
			"item.removed":      "Removed from the source",
			"deliv.title":       "Deliveries",
			"deliv.channel":     "Channel",
			"deliv.route":       "Route",
			"deliv.state":       "State",
			"deliv.attempts":    "Attempts",
			"deliv.created":     "Created",
			"deliv.next":        "Next attempt",
			"deliv.error":       "Last error",
			"deliv.item":        "Item",
			"deliv.none":        "No deliveries.",
			"col.id":            "ID",
			"col.title":         "Title",
			"language":          "Language",
			"timezone":          "Time zone",
		},
		"ja": {
			"app":               "shdmc",
			"nav.dashboard":     "正常性",
			"nav.issues":        "インシデントとアドバイザリ",
			"nav.messages":      "メッセージ センター",
			"nav.deliveries":    "配信",
			"grid.title":        "サービスの正常性",
			"grid.tenant":       "テナント",
			"grid.none":         "サービスの正常性はまだ保存されていません。",
			"stale.banner":      "データが古くなっています: 次のソースは 3 回の間隔を超えてポーリングに成功していません。表示内容は最新でない可能性があります。",
			"stale.last":        "最終成功",
			"stale.never":       "なし",
			"active.title":      "対応中のインシデントとアドバイザリ",
			"active.none":       "対応中のインシデントやアドバイザリはありません。",
			"timeline":          "経過",
			"original":          "原文",
			"translation":       "翻訳（翻訳メモリより）",
			"notranslation":     "翻訳メモリに翻訳がありません。",
			"filter.search":     "検索",
			"filter.apply":      "絞り込み",
			"filter.any":        "すべて",
			"filter.tenant":     "テナント",
			"filter.actionBy":   "対応期限がこの日より前",
			"filter.majorOnly":  "主要な変更のみ",
			"filter.activeOnly": "対応中のみ",
			"results":           "件",
			"prev":              "前へ",
			"next":              "次へ",
			"feeds":             "フィード",
			"item.revisions":    "改訂履歴",
			"item.revision":     "改訂",
			"item.seen":         "検出",
			"item.modified":     "更新",
			"item.compare":      "比較",
			"item.diff":         "改訂 {from} から {to} への変更",
			"item.nodiff":       "差分はありません。",
			"item.events":       "イベント",
			"item.body":         "本文",
			"item.posts":        "投稿",
			"item.removed":      "ソースから削除されました",
			"deliv.title":       "配信",
			"deliv.channel":     "チャネル",
			"deliv.route":       "ルート",
			"deliv.state":       "状態",
			"deliv.attempts":    "試行回数",
			"deliv.created":     "作成",
			"deliv.next":        "次の試行",
			"deliv.error":       "最後のエラー",
			"deliv.item":        "項目",
			"deliv.none":        "配信はありません。",
			"col.id":            "ID",
			"col.title":         "タイトル",
			"language":          "言語",
			"timezone":          "タイム ゾーン",
		},
	}
}
