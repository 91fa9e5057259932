package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/serve"
	"github.com/shdmc/shdmc/internal/store"
)

// storeAndZone returns the store DSN (the flag, else the config's) and
// the time zone (the flag, else the config's, else UTC).
func (g *globals) storeAndZone(dsn, tz string) (string, *time.Location, error) {
	loc := time.UTC
	if dsn == "" {
		cfg, err := g.load()
		if err != nil {
			return "", nil, err
		}
		dsn = cfg.StoreDSN().Reveal()
		loc = cfg.Location()
	}
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return "", nil, exitError{2, fmt.Errorf("time zone: %w", err)}
		}
		loc = l
	}
	return dsn, loc, nil
}

// siteCmd groups the static site commands.
func siteCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "site", Short: "Publish the store as a static archive site"}
	var dsn, lang, tz, baseURL string
	var pageSize int
	build := &cobra.Command{
		Use:   "build DIR",
		Short: "Write a static archive site of every item into DIR (no server needed)",
		Long: `Write a static archive site of every stored item into DIR: index.html (service
health and active incidents), the incident and Message Center lists (every item,
--page-size rows per file), one page per item with every revision and the diff
between consecutive revisions (with --lang ja, the translation memory's Japanese
beside the English original), and RSS, Atom and iCalendar feeds under feeds/.
Links are relative: the folder works from file:// and under any path of any
static host. HTML from Microsoft is sanitized as on the dashboard.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dsn, loc, err := g.storeAndZone(dsn, tz)
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), dsn, store.WithLogger(g.logger(nil)))
			if err != nil {
				return err
			}
			defer st.Close()
			srv, err := serve.New(serve.Options{Store: st, Location: loc, Logger: g.logger(nil)})
			if err != nil {
				return exitError{2, err}
			}
			stats, err := srv.BuildSite(cmd.Context(), args[0], serve.SiteOptions{Lang: lang, BaseURL: baseURL, PageSize: pageSize})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "shdmc site build: %d item pages, %d list pages, %d feeds in %s\n", stats.Items, stats.Lists, stats.Feeds, args[0])
			return nil
		},
	}
	build.Flags().StringVar(&dsn, "store", "", "store DSN (default: from the config file)")
	build.Flags().StringVar(&lang, "lang", "en", "language of the pages: en, or ja (Japanese with the translation beside the original)")
	build.Flags().StringVar(&tz, "time-zone", "", "show times in this zone (default: the config's time_zone, else UTC)")
	build.Flags().StringVar(&baseURL, "base-url", "", "absolute URL the site will be published at, for the feeds' links (default: relative links)")
	build.Flags().IntVar(&pageSize, "page-size", 100, "rows per list page (at most 200)")
	c.AddCommand(build)
	return c
}

// exportCmd writes items as CSV or JSON.
func exportCmd(g *globals) *cobra.Command {
	var dsn, format, source, since, out string
	var tenants []string
	var revisions, excel bool
	c := &cobra.Command{
		Use:   "export",
		Short: "Export items (or every revision) as CSV, JSON or JSON Lines",
		Long: `Export the current items of the store, newest modification first (with
--revisions every stored revision of each), as CSV (RFC 4180, a header row, one
item per row; --excel adds the UTF-8 byte order mark Japanese Excel needs), as a
JSON array, or as JSON Lines (--format jsonl). JSON records carry the item's
full Graph data as "data".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "csv", "json", "jsonl":
			default:
				return exitError{2, fmt.Errorf("--format must be csv, json or jsonl, not %q", format)}
			}
			o := serve.ExportOptions{Format: format, Source: model.Source(source), Tenants: tenants, Revisions: revisions, Excel: excel}
			if since != "" {
				t, err := time.Parse("2006-01-02", since)
				if err != nil {
					if t, err = time.Parse(time.RFC3339, since); err != nil {
						return exitError{2, fmt.Errorf("--since must be a date (2006-01-02) or an RFC 3339 time: %q", since)}
					}
				}
				o.Since = t
			}
			dsn, _, err := g.storeAndZone(dsn, "")
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), dsn, store.WithLogger(g.logger(nil)))
			if err != nil {
				return err
			}
			defer st.Close()
			var w io.Writer = g.stdout
			var f *os.File
			if out != "" && out != "-" {
				// The export names tenants and their items: owner only.
				if f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				defer f.Close()
				w = f
			}
			n, err := serve.Export(cmd.Context(), w, st, o)
			if err != nil {
				return err
			}
			if f != nil {
				if err := f.Close(); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				fmt.Fprintf(g.stderr, "shdmc export: %d records to %s\n", n, out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "csv", "csv, json or jsonl")
	c.Flags().StringVar(&source, "source", "", "only this source: shd, mc or health (default: all)")
	c.Flags().StringSliceVar(&tenants, "tenant", nil, "only these tenants (repeat or comma-separate; default: all)")
	c.Flags().StringVar(&since, "since", "", "only items modified on or after this date (2006-01-02) or time (RFC 3339)")
	c.Flags().StringVar(&dsn, "store", "", "store DSN (default: from the config file)")
	c.Flags().StringVarP(&out, "output", "o", "", "write to this file (default: standard output)")
	c.Flags().BoolVar(&revisions, "revisions", false, "every stored revision of each item, oldest first")
	c.Flags().BoolVar(&excel, "excel", false, "CSV: start with a UTF-8 byte order mark for Excel")
	return c
}
