package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/netsafe"
	"github.com/shdmc/shdmc/internal/store"
	"github.com/shdmc/shdmc/internal/tenants"
)

// withStore gives c the --store and --time-zone flags and makes it run fn
// with the store they name (or the config's), closed afterwards.
func withStore(g *globals, c *cobra.Command, fn func(cmd *cobra.Command, st store.Store, args []string) error) *cobra.Command {
	var sf storeFlags
	c.RunE = func(cmd *cobra.Command, args []string) error {
		dsn, _, err := sf.resolve(g)
		if err != nil {
			return err
		}
		st, err := store.Open(cmd.Context(), dsn)
		if err != nil {
			return err
		}
		defer st.Close()
		return fn(cmd, st, args)
	}
	sf.add(c)
	return c
}

// tenantsCmd manages the tenants kept in the database.
func tenantsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "tenants",
		Short: "Manage tenants kept in the database (add, list, disable, enable, remove)",
		Long: "Tenants kept in the database are polled by `shdmc run` together with those of the config file " +
			"(the config wins when both use an ID). Secrets are given by reference only: env:NAME or file:/path, " +
			"read by each worker when it starts; the database never holds a secret.",
	}
	var (
		r   tenants.Record
		off bool
	)
	add := withStore(g, &cobra.Command{
		Use:   "add ID",
		Short: "Add a tenant",
		Args:  cobra.ExactArgs(1),
	}, func(cmd *cobra.Command, st store.Store, args []string) error {
		r.ID, r.Disabled = args[0], off
		if err := notInConfig(g.configPath, r.ID); err != nil {
			return exitError{2, err}
		}
		if err := tenants.Add(cmd.Context(), st, r, time.Now()); err != nil {
			return exitError{2, err}
		}
		fmt.Fprintf(g.stdout, "added tenant %s\n", r.ID)
		return nil
	})
	f := add.Flags()
	f.StringVar(&r.Name, "name", "", "display name")
	f.StringVar(&r.TenantID, "tenant-id", "", "Entra tenant (GUID or domain)")
	f.StringVar(&r.ClientID, "client-id", "", "application (client) ID")
	f.StringVar(&r.Auth, "auth", "", "client_secret, certificate, managed_identity or workload_identity")
	f.StringVar(&r.ClientSecretRef, "client-secret", "", "the client secret by reference: env:NAME or file:/path")
	f.StringVar(&r.CertificateFile, "certificate-file", "", "PEM or PKCS#12 certificate file")
	f.StringVar(&r.CertificatePasswordRef, "certificate-password", "", "the certificate password by reference: env:NAME or file:/path")
	f.StringVar(&r.ManagedIdentityClientID, "managed-identity-client-id", "", "user-assigned managed identity")
	f.StringVar(&r.Cloud, "cloud", "", "global, gcchigh, dod or china")
	f.StringVar(&r.GraphRoot, "graph-root", "", "override the Graph root URL")
	f.StringVar(&r.AuthorityHost, "authority-host", "", "override the Entra sign-in URL")
	f.StringVar(&r.CAFile, "ca-file", "", "extra CA certificates (PEM)")
	f.Var((*durationFlag)(&r.Interval), "interval", "polling interval of this tenant (default: the config's)")
	f.BoolVar(&off, "disabled", false, "add it disabled")

	list := withStore(g, &cobra.Command{
		Use:   "list",
		Short: "List the database tenants",
		Args:  cobra.NoArgs,
	}, func(cmd *cobra.Command, st store.Store, _ []string) error {
		rs, err := tenants.List(cmd.Context(), st)
		if err != nil {
			return err
		}
		return writeTenants(g.stdout, rs)
	})
	c.AddCommand(add, list,
		tenantStateCmd(g, "disable", "Stop polling a database tenant (its history stays)", true),
		tenantStateCmd(g, "enable", "Poll a disabled database tenant again", false),
		tenantRemoveCmd(g))
	return c
}

// notInConfig refuses a database tenant id that the config file (if there
// is one) already has: the config's tenant would win, so the database one
// would never be polled.
func notInConfig(path, id string) error {
	ids, err := config.TenantIDs(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add tenant %s: check the ids of the config file: %w", id, err)
	}
	if line, ok := ids[id]; ok {
		return fmt.Errorf("add tenant %s: %s:%d already has a tenant %s, and the config's tenant wins over a database "+
			"tenant with the same id, so this one would never be polled: choose another id, or remove it from the config first",
			id, path, line, id)
	}
	return nil
}

// writeTenants prints database tenants as `shdmc tenants list` shows
// them: secrets by reference only.
func writeTenants(w io.Writer, rs []tenants.Record) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tTENANT\tCLIENT\tAUTH\tCLOUD\tSECRET")
	for _, r := range rs {
		state, cloud, auth := "enabled", r.Cloud, r.Auth
		if r.Disabled {
			state = "disabled"
		}
		if cloud == "" {
			cloud = "global"
		}
		if auth == "" {
			auth = "-"
		}
		ref := r.ClientSecretRef
		if ref == "" {
			ref = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, state, r.TenantID, r.ClientID, auth, cloud, ref)
	}
	return tw.Flush()
}

func tenantStateCmd(g *globals, use, short string, disabled bool) *cobra.Command {
	return withStore(g, &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
	}, func(cmd *cobra.Command, st store.Store, args []string) error {
		if err := tenants.SetDisabled(cmd.Context(), st, args[0], disabled, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%sd tenant %s\n", use, args[0])
		return nil
	})
}

func tenantRemoveCmd(g *globals) *cobra.Command {
	return withStore(g, &cobra.Command{
		Use:   "remove ID",
		Short: "Delete a database tenant's settings (its items, events and history stay)",
		Args:  cobra.ExactArgs(1),
	}, func(cmd *cobra.Command, st store.Store, args []string) error {
		if err := tenants.Remove(cmd.Context(), st, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "removed tenant %s\n", args[0])
		return nil
	})
}

// durationFlag is a config.Duration as a flag.
type durationFlag config.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }
func (d *durationFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationFlag(v)
	return nil
}
func (d *durationFlag) Type() string { return "duration" }

// storeCmd holds store maintenance: copy.
func storeCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "store", Short: "Store maintenance (copy between SQLite and PostgreSQL)"}
	var force bool
	cp := &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy everything from one store to another, e.g. sqlite://shdmc.db postgres://…",
		Long: "Copy tenants, items with every revision, cursors, events, the outbox, threads, translations, " +
			"usage counters, leases, source health, workers, Graph budgets and database tenants from SRC to DST, " +
			"keeping event and delivery IDs. Both stores are migrated first. DST is written in one transaction " +
			"and must be empty unless --force (which replaces its contents). Stop the workers first.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			src, err := store.Open(ctx, args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := store.Open(ctx, args[1])
			if err != nil {
				return err
			}
			defer dst.Close()
			st, err := store.Copy(ctx, src, dst, store.CopyOptions{Force: force})
			if err != nil {
				return err
			}
			for _, t := range st.Tables {
				fmt.Fprintf(g.stdout, "%-18s %d\n", t, st.Rows[t])
			}
			return nil
		},
	}
	cp.Flags().BoolVar(&force, "force", false, "replace the contents of a non-empty destination")
	c.AddCommand(cp)
	c.AddCommand(storeStatsCmd(g), storePruneCmd(g))
	return c
}

// migrateCmd applies the store's migrations and exits.
func migrateCmd(g *globals) *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the store's schema up to date and exit (workers do it too when they start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, _, err := sf.resolve(g)
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), dsn, store.WithLogger(g.logger(nil)))
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "store %s is up to date\n", netsafe.DSN(dsn))
			return st.Close()
		},
	}
	sf.add(c)
	return c
}
