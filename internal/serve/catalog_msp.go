package serve

// mspCatalog holds the strings of the views for managed-service providers
// (issue 16): Message Center relevance per tenant, ticket links, and each
// item across tenants. Kept apart from uiCatalog's literal so that the
// two grow without touching each other; TestCatalogKeys checks both.
func mspCatalog() map[string]map[string]string {
	return map[string]map[string]string{
		"en": {
			"rel.label":          "Relevance",
			"rel.relevant":       "Relevant",
			"rel.notRelevant":    "Not relevant",
			"rel.unknown":        "Not known yet",
			"rel.filterRelevant": "Relevant (and not known yet)",
			"rel.filterNot":      "Not relevant",
			"rel.why":            "Why",
			"rel.here":           "For this tenant",
			"rel.noService":      "Names no service: concerns every tenant",
			"rel.everyone":       "{list} is part of every tenant",
			"rel.licensed":       "Licensed: {list}",
			"rel.noLicence":      "No licence for {list}",
			"rel.listed":         "In the tenant's service health: {list}",
			"rel.notListed":      "Not in the tenant's service health: {list}",
			"rel.notKnown":       "The tenant's services are not known yet",

			"ticket.label":  "Tickets",
			"ticket.in":     "in {target}",
			"ticket.github": "GitHub",
			"ticket.jira":   "Jira",
			"ticket.snow":   "ServiceNow",

			"across.title":       "Across tenants",
			"across.col":         "Tenants",
			"across.in":          "In {n} of {total} tenants",
			"across.in.one":      "In 1 of {total} tenants",
			"across.only":        "Only in this tenant",
			"across.onlyShort":   "only here",
			"across.onlyFilter":  "Only in one tenant",
			"across.same":        "Same in all {n} tenants",
			"across.versions":    "{n} versions",
			"across.dates":       "{n} action dates",
			"across.relMixed":    "relevant in {n} of {total}",
			"across.thisVersion": "This tenant's version",
			"across.otherVer":    "Another version",
			"across.sameAsThis":  "Same content",
			"across.newer":       "Newer: modified {time}",
			"across.older":       "Older: modified {time}",
			"across.withdrawn":   "Withdrawn here",
			"across.removed":     "Removed here",
			"across.action":      "Action required by {date}",
			"across.noAction":    "No action-required date",
			"across.services":    "Services: {list}",
			"across.titleDiff":   "Another title: {title}",
			"across.sections":    "Body differs: {list}",
			"across.body":        "Body differs",
			"across.status":      "Status: {status}",
			"across.posts":       "{n} more posts",
			"across.posts.one":   "1 more post",
			"across.fewer":       "{n} fewer posts",
			"across.fewer.one":   "1 fewer post",
			"across.severity":    "Severity: {value}",
			"across.category":    "Category: {value}",
			"across.end":         "End time: {time}",
			"across.more":        "and {n} more",
			"across.differs":     "What differs",
			"across.none":        "No other tenant has this item.",
		},
		"ja": {
			"rel.label":          "関連性",
			"rel.relevant":       "関連あり",
			"rel.notRelevant":    "関連なし",
			"rel.unknown":        "未判定",
			"rel.filterRelevant": "関連あり（未判定を含む）",
			"rel.filterNot":      "関連なし",
			"rel.why":            "理由",
			"rel.here":           "このテナント",
			"rel.noService":      "サービスの指定なし（すべてのテナントが対象）",
			"rel.everyone":       "{list} はすべてのテナントに含まれます",
			"rel.licensed":       "ライセンスあり: {list}",
			"rel.noLicence":      "ライセンスなし: {list}",
			"rel.listed":         "テナントのサービス正常性に表示: {list}",
			"rel.notListed":      "テナントのサービス正常性に表示なし: {list}",
			"rel.notKnown":       "テナントのサービスはまだ分かりません",

			"ticket.label":  "チケット",
			"ticket.in":     "{target}",
			"ticket.github": "GitHub",
			"ticket.jira":   "Jira",
			"ticket.snow":   "ServiceNow",

			"across.title":       "テナント間の比較",
			"across.col":         "テナント",
			"across.in":          "{total} テナント中 {n} テナント",
			"across.in.one":      "{total} テナント中 1 テナント",
			"across.only":        "このテナントのみ",
			"across.onlyShort":   "このテナントのみ",
			"across.onlyFilter":  "1 テナントのみ",
			"across.same":        "{n} テナントすべてで同じ内容",
			"across.versions":    "{n} 種類の版",
			"across.dates":       "対応期限 {n} 種類",
			"across.relMixed":    "{total} 中 {n} で関連あり",
			"across.thisVersion": "このテナントの版",
			"across.otherVer":    "別の版",
			"across.sameAsThis":  "同じ内容",
			"across.newer":       "新しい版: {time} に更新",
			"across.older":       "古い版: {time} に更新",
			"across.withdrawn":   "このテナントでは掲載終了",
			"across.removed":     "このテナントでは削除済み",
			"across.action":      "対応期限: {date}",
			"across.noAction":    "対応期限なし",
			"across.services":    "サービス: {list}",
			"across.titleDiff":   "別のタイトル: {title}",
			"across.sections":    "本文が異なります: {list}",
			"across.body":        "本文が異なります",
			"across.status":      "状態: {status}",
			"across.posts":       "投稿が {n} 件多い",
			"across.posts.one":   "投稿が 1 件多い",
			"across.fewer":       "投稿が {n} 件少ない",
			"across.fewer.one":   "投稿が 1 件少ない",
			"across.severity":    "重要度: {value}",
			"across.category":    "カテゴリ: {value}",
			"across.end":         "終了時刻: {time}",
			"across.more":        "ほか {n} 件",
			"across.differs":     "相違点",
			"across.none":        "ほかのテナントにはこの項目はありません。",
		},
	}
}

// withMSPCatalog adds mspCatalog to the dashboard's strings.
func withMSPCatalog(ui map[string]map[string]string) map[string]map[string]string {
	for lang, m := range mspCatalog() {
		if ui[lang] == nil {
			ui[lang] = map[string]string{}
		}
		for k, v := range m {
			ui[lang][k] = v
		}
	}
	return ui
}
