package outage

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/shdmc/shdmc/internal/graph"
)

// maxDetail bounds Failure.Detail.
const maxDetail = 300

// Classify names why err happened. ctx is the context the failed call ran
// under: azidentity's timeout errors do not match context.DeadlineExceeded,
// so a deadline is recognized by ctx.Err() rather than by the error.
func Classify(ctx context.Context, err error) Failure {
	f := Failure{Class: ClassOther, Detail: detail(err)}
	if err == nil {
		return f
	}
	if ae, ok := errors.AsType[*graph.AuthError](err); ok {
		f.Class, f.Code = ClassAuth, ae.Code
		if ae.Timeout {
			f.Class = ClassTimeout
		}
		return f
	}
	if ctx != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		f.Class = ClassTimeout
		return f
	}
	if ae, ok := errors.AsType[*graph.APIError](err); ok {
		f.Code = strconv.Itoa(ae.Status)
		switch {
		case ae.Status == 429:
			f.Class = ClassThrottled
		case ae.Status == 408 || ae.Status == 504:
			f.Class = ClassTimeout
		case ae.Status >= 500:
			f.Class = ClassServer
		}
		return f
	}
	msg := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(msg, "timed out"),
		errors.As(err, &ne) && ne.Timeout():
		f.Class = ClassTimeout
	case strings.Contains(msg, "malformed"), strings.Contains(msg, "not a feed"), strings.Contains(msg, "unexpected end of JSON"):
		f.Class = ClassMalformed
	case errors.As(err, &ne), strings.Contains(msg, "connection refused"), strings.Contains(msg, "connection reset"),
		strings.Contains(msg, "EOF"), strings.Contains(msg, "no such host"):
		f.Class = ClassNetwork
	}
	return f
}

// detail is err's text on one line, bounded.
func detail(err error) string {
	if err == nil {
		return ""
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > maxDetail {
		s = strings.ToValidUTF8(s[:maxDetail], "") + "…"
	}
	return s
}
