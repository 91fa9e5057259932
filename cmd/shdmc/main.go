// Command shdmc watches Microsoft 365 Service Health and Message Center for
// one or many tenants and notifies people of every change. See README.md.
// The command line is internal/cli; the program is internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/shdmc/shdmc/internal/cli"
	"github.com/shdmc/shdmc/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// "v0.3.0 (abc1234, dirty) go1.26.8", from the build info.
	v := strings.TrimPrefix(version.Read().String(), "shdmc ")
	code := cli.Execute(ctx, v, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
