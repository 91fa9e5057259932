// Command shdmc watches Microsoft 365 Service Health and Message Center for
// one or many tenants and notifies people of every change. See README.md.
// The command line is internal/cli; the program is internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/shdmc/shdmc/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, version, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
