package publicstatus

import (
	"net/http"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/source"
)

// Sources builds the public status sources of the config: Microsoft 365
// status (its JSON posts and RSS feed read as one source), then Azure
// status; none when polling is off.
func Sources(c config.PublicStatus) []source.Source {
	if c.Poll == config.PublicStatusNever {
		return nil
	}
	f := &Fetcher{Client: &http.Client{Timeout: 30 * time.Second}}
	var m365 []Endpoint
	if c.M365URL != "" {
		m365 = append(m365, Endpoint{URL: c.M365URL, Kind: KindPosts})
	}
	if c.M365FeedURL != "" {
		m365 = append(m365, Endpoint{URL: c.M365FeedURL, Kind: KindRSS})
	}
	var srcs []source.Source
	if len(m365) > 0 {
		srcs = append(srcs, NewSource(model.SourceM365Status, f, m365...))
	}
	if c.AzureURL != "" {
		srcs = append(srcs, NewSource(model.SourceAzureStatus, f, Endpoint{URL: c.AzureURL, Kind: KindRSS}))
	}
	return srcs
}
