package jira

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shdmc/shdmc/internal/config"
	"github.com/shdmc/shdmc/internal/notify"
	"github.com/shdmc/shdmc/internal/notify/internal/wire"
)

// Defaults of the settings.
const (
	DefaultIssueType        = "Task"
	DefaultCloseTransition  = "Done"
	DefaultReopenTransition = "To Do"
)

// Settings are the keys of a jira channel entry.
type Settings struct {
	// Site is the Jira Cloud site, e.g. https://contoso.atlassian.net.
	Site string `yaml:"site"`
	// Email is the Atlassian account the API token belongs to.
	Email string `yaml:"email"`
	// APIToken is the account's API token (id.atlassian.com → Security →
	// API tokens). It is a secret: use ${NAME} or api_token_file.
	APIToken config.Secret `yaml:"api_token"`
	// APITokenFile is a file holding APIToken.
	APITokenFile string `yaml:"api_token_file"`
	// Project is the key of the project the issues are opened in ("OPS").
	Project string `yaml:"project"`
	// IssueType is the name of the type of the issues opened (default
	// Task).
	IssueType string `yaml:"issue_type"`
	// Labels are added to every issue opened, besides the item's own
	// label.
	Labels []string `yaml:"labels"`
	// CloseTransition is the name of the transition (or of the status it
	// leads to) that closes an issue (default Done); without one of that
	// name, the first transition to a status of the Done category.
	CloseTransition string `yaml:"close_transition"`
	// ReopenTransition is the name of the transition (or of its status)
	// that reopens an issue (default "To Do"); without one, the first
	// transition to a status of the To Do category, else none (the
	// comment is still added).
	ReopenTransition string `yaml:"reopen_transition"`
}

var _ config.ChannelSettings = (*Settings)(nil)

// projectKey is a Jira project key.
var projectKey = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// Validate checks the site, the credentials, the project and the labels.
func (s *Settings) Validate() error {
	errs := wire.CheckBaseURL("site", s.Site, "https://contoso.atlassian.net")
	if !strings.Contains(s.Email, "@") {
		errs = append(errs, config.FieldError{Key: "email", Msg: "is required: the email of the Atlassian account the API token belongs to"})
	}
	if s.APIToken.Reveal() == "" {
		errs = append(errs, config.FieldError{Key: "api_token", Related: []string{"api_token", "api_token_file"},
			Msg: "a jira channel needs api_token (or api_token_file)"})
	} else if strings.ContainsAny(s.APIToken.Reveal(), " \t\r\n") {
		errs = append(errs, config.FieldError{Key: "api_token", Msg: "contains white space"})
	}
	if !projectKey.MatchString(s.Project) {
		errs = append(errs, config.FieldError{Key: "project", Msg: fmt.Sprintf("%q is not a project key: want upper-case letters, digits and _, e.g. OPS", s.Project)})
	}
	for i, l := range s.Labels {
		if l == "" || strings.ContainsFunc(l, func(r rune) bool { return r <= ' ' }) || len(l) > maxLabel {
			errs = append(errs, config.FieldError{Key: fmt.Sprintf("labels[%d]", i), Msg: fmt.Sprintf("must be 1 to %d characters without spaces", maxLabel)})
		}
	}
	return errs.Err()
}

// Type is the jira channel type, for the channel registry.
func Type() notify.ChannelType {
	return notify.ChannelType{
		Name: "jira",
		NewSettings: func() config.ChannelSettings {
			return &Settings{IssueType: DefaultIssueType, CloseTransition: DefaultCloseTransition, ReopenTransition: DefaultReopenTransition}
		},
		New: func(ch config.Channel, env notify.Env) (notify.Notifier, error) {
			s, err := notify.SettingsOf[*Settings](ch)
			if err != nil {
				return nil, err
			}
			return New(Config{Site: s.Site, Email: s.Email, APIToken: s.APIToken.Reveal(), Project: s.Project,
				IssueType: s.IssueType, Labels: s.Labels, CloseTransition: s.CloseTransition,
				ReopenTransition: s.ReopenTransition, Timeout: time.Duration(ch.Timeout)}, env.HTTP, env.Threads, env.Now)
		},
	}
}
