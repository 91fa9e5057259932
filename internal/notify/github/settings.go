package github

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Settings are the keys of a github channel entry.
type Settings struct {
	// Repo is the repository the issues are opened in, "owner/name".
	Repo string `yaml:"repo"`
	// Token is a fine-grained personal access token (Issues: read and
	// write) or a classic one (repo scope), or a GitHub App installation
	// token. It is a secret: use ${NAME} or token_file.
	Token config.Secret `yaml:"token"`
	// TokenFile is a file holding Token.
	TokenFile string `yaml:"token_file"`
	// Labels are added to every issue opened, besides the item's own
	// label.
	Labels []string `yaml:"labels"`
	// APIURL is the REST API base: https://api.github.com (default), or
	// https://<host>/api/v3 for GitHub Enterprise Server.
	APIURL string `yaml:"api_url"`
}

var _ config.ChannelSettings = (*Settings)(nil)

// repoPattern is an owner/name pair as GitHub allows them.
var repoPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

// Validate checks the repository, the token, the labels and the API URL.
func (s *Settings) Validate() error {
	var errs config.FieldErrors
	if !repoPattern.MatchString(s.Repo) || strings.HasSuffix(s.Repo, "/.") || strings.HasSuffix(s.Repo, "/..") {
		errs = append(errs, config.FieldError{Key: "repo", Msg: fmt.Sprintf("%q is not a repository: want owner/name, e.g. contoso/m365-incidents", s.Repo)})
	}
	if s.Token.Reveal() == "" {
		errs = append(errs, config.FieldError{Key: "token", Related: []string{"token", "token_file"},
			Msg: "a github channel needs token (or token_file): a token that may read and write issues in the repository"})
	} else if strings.ContainsAny(s.Token.Reveal(), " \t\r\n") {
		errs = append(errs, config.FieldError{Key: "token", Msg: "contains white space"})
	}
	for i, l := range s.Labels {
		if msg := checkLabel(l); msg != "" {
			errs = append(errs, config.FieldError{Key: fmt.Sprintf("labels[%d]", i), Msg: msg})
		}
	}
	if s.APIURL != "" {
		errs = append(errs, wire.CheckBaseURL("api_url", s.APIURL, DefaultAPIURL)...)
	}
	return errs.Err()
}

// checkLabel returns what is wrong with a label, or "".
func checkLabel(l string) string {
	switch {
	case strings.TrimSpace(l) == "":
		return "must not be empty"
	case len(l) > maxLabel:
		return fmt.Sprintf("is longer than %d characters", maxLabel)
	case strings.ContainsAny(l, ",\r\n"):
		return "must not hold a comma or a line break"
	}
	return ""
}

// Type is the github channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name:        "github",
		NewSettings: func() config.ChannelSettings { return &Settings{} },
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			return New(Config{Repo: s.Repo, Token: s.Token.Reveal(), Labels: s.Labels, APIURL: s.APIURL,
				Timeout: time.Duration(ch.Timeout)}, env.HTTP, env.Threads, env.Now)
		},
	}
}
