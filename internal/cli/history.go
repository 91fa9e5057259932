package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/htmltext"
	"github.com/shdmc/shdmc/internal/model"
	"github.com/shdmc/shdmc/internal/render"
	"github.com/shdmc/shdmc/internal/store"
)

// historyCmd prints every stored revision and post of an item.
func historyCmd(g *globals) *cobra.Command {
	var (
		sf     storeFlags
		tenant string
	)
	cmd := &cobra.Command{
		Use:   "history ITEM-ID",
		Short: "Show every stored revision and post of an item (e.g. EX559755, MC123456)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dsn, loc, err := sf.resolve(g)
			if err != nil {
				return err
			}
			return printHistory(cmd.Context(), g.stdout, dsn, tenant, args[0], loc)
		},
	}
	sf.add(cmd)
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant (default: all)")
	return cmd
}

// printHistory prints every stored revision of an item and every post it
// ever had, with times in loc.
func printHistory(ctx context.Context, w io.Writer, dsn, tenant, id string, loc *time.Location) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	revs, err := st.History(ctx, tenant, id)
	if err != nil {
		return fmt.Errorf("history of %s: %w", id, err)
	}
	return WriteHistory(w, revs, loc)
}

// WriteHistory formats revisions as `shdmc history` prints them: each
// revision with its main fields, then every distinct post.
func WriteHistory(w io.Writer, revs []store.Revision, loc *time.Location) error {
	var b strings.Builder
	lastTenant := ""
	type post struct {
		tenant string
		p      model.Post
	}
	var posts []post
	seenPost := map[string]bool{}
	for _, r := range revs {
		if r.Key.Tenant != lastTenant {
			fmt.Fprintf(&b, "%s  tenant %s  (%s)\n", r.Key.ID, r.Key.Tenant, r.Key.Source)
			lastTenant = r.Key.Tenant
		}
		fmt.Fprintf(&b, "  rev %-3d seen %s  modified %s  hash %.12s", r.Revision,
			render.FormatTime(r.SeenAt, loc), render.FormatTime(r.LastModified, loc), r.Hash)
		if r.Removed {
			b.WriteString("  REMOVED")
		}
		b.WriteString("\n")
		switch r.Key.Source {
		case model.SourceSHD:
			var is model.Issue
			if err := json.Unmarshal(r.Data, &is); err != nil {
				return fmt.Errorf("decode revision %d: %w", r.Revision, err)
			}
			end := "ongoing"
			if !is.End.IsZero() {
				end = render.FormatTime(is.End, loc)
			}
			fmt.Fprintf(&b, "          %s · %s · resolved=%t · end %s · %d post(s)\n          %s\n",
				is.Status, is.Classification, is.IsResolved, end, len(is.Posts), is.Title)
			for _, p := range is.Posts {
				k := r.Key.Tenant + "|" + p.Created.String() + "|" + p.Content
				if !seenPost[k] {
					seenPost[k] = true
					posts = append(posts, post{r.Key.Tenant, p})
				}
			}
		case model.SourceMC:
			var m model.Message
			if err := json.Unmarshal(r.Data, &m); err != nil {
				return fmt.Errorf("decode revision %d: %w", r.Revision, err)
			}
			act := ""
			if !m.ActionRequiredBy.IsZero() {
				act = " · action required by " + render.FormatDate(m.ActionRequiredBy, loc)
			}
			fmt.Fprintf(&b, "          %s · %s%s · tags %s\n          %s\n",
				m.Category, m.Severity, act, strings.Join(m.Tags, ", "), m.Title)
		case model.SourceHealth:
			var s model.ServiceHealth
			if err := json.Unmarshal(r.Data, &s); err != nil {
				return fmt.Errorf("decode revision %d: %w", r.Revision, err)
			}
			fmt.Fprintf(&b, "          %s: %s\n", s.Service, s.Status)
		}
	}
	if len(posts) > 0 {
		sort.SliceStable(posts, func(i, j int) bool {
			if posts[i].tenant != posts[j].tenant {
				return posts[i].tenant < posts[j].tenant
			}
			return posts[i].p.Created.Before(posts[j].p.Created)
		})
		fmt.Fprintf(&b, "\nPosts (%d):\n", len(posts))
		for _, p := range posts {
			fmt.Fprintf(&b, "\n── %s  [%s]\n", render.FormatTime(p.p.Created, loc), p.tenant)
			b.WriteString(indent(htmltext.Text(p.p.Content), "   "))
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "\n")
}
