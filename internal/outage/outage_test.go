package outage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shdmc/shdmc/internal/graph"
)

func TestStateMachine(t *testing.T) {
	t0 := time.Date(2024, 11, 25, 9, 0, 0, 0, time.UTC)
	f := Failure{Class: ClassServer, Code: "503"}
	type step struct {
		at   time.Duration // after t0
		ok   bool
		want Transition
	}
	tests := []struct {
		name  string
		set   Settings
		steps []step
		// outage is the LastOutage after the last step (when restored)
		outage  time.Duration
		outages int
	}{
		{"three failures in a row", Settings{}, []step{
			{0, false, None}, {time.Minute, false, None}, {2 * time.Minute, false, Down},
			{3 * time.Minute, false, None}, {60 * time.Minute, false, None}, {61 * time.Minute, true, Restored},
		}, 61 * time.Minute, 1},
		{"five minutes with two failures", Settings{}, []step{
			{0, false, None}, {5 * time.Minute, false, Down}, {10 * time.Minute, true, Restored},
		}, 10 * time.Minute, 1},
		{"flapping below the threshold never announces", Settings{}, []step{
			{0, false, None}, {time.Minute, false, None}, {2 * time.Minute, true, None},
			{3 * time.Minute, false, None}, {4 * time.Minute, false, None}, {5 * time.Minute, true, None},
			{6 * time.Minute, false, None}, {7 * time.Minute, true, None},
		}, 0, 0},
		{"one notice per outage", Settings{Failures: 2}, []step{
			{0, false, None}, {time.Minute, false, Down}, {2 * time.Minute, false, None}, {3 * time.Minute, false, None},
			{4 * time.Minute, true, Restored}, {5 * time.Minute, true, None},
			{6 * time.Minute, false, None}, {7 * time.Minute, false, Down}, {9 * time.Minute, true, Restored},
		}, 3 * time.Minute, 2},
		{"custom threshold", Settings{Failures: 10, After: time.Hour}, []step{
			{0, false, None}, {30 * time.Minute, false, None}, {time.Hour, false, Down},
		}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s State
			for i, st := range tt.steps {
				var got Transition
				if st.ok {
					s, got = s.Succeed(t0.Add(st.at))
				} else {
					s, got = s.Fail(t0.Add(st.at), f, tt.set)
				}
				if got != st.want {
					t.Fatalf("step %d (%v ok=%v): transition %v, want %v (state %+v)", i, st.at, st.ok, got, st.want, s)
				}
			}
			if s.Outages != tt.outages {
				t.Errorf("outages = %d, want %d", s.Outages, tt.outages)
			}
			if s.LastOutage != tt.outage {
				t.Errorf("last outage = %v, want %v", s.LastOutage, tt.outage)
			}
		})
	}
}

func TestStale(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var s State
	s, _ = s.Succeed(t0)
	if got := s.Stale(t0.Add(time.Hour)); got != 0 {
		t.Errorf("stale after a success = %v, want 0", got)
	}
	s, _ = s.Fail(t0.Add(10*time.Minute), Failure{Class: ClassTimeout}, Settings{})
	if got := s.Stale(t0.Add(time.Hour)); got != time.Hour {
		t.Errorf("stale = %v, want 1h", got)
	}
	if !s.Failing() {
		t.Error("Failing() = false after a failure")
	}
}

func TestClassify(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	authErr := &graph.AuthError{Code: "AADSTS7000215"}
	tests := []struct {
		name  string
		ctx   context.Context
		err   error
		class Class
		code  string
	}{
		{"aadsts", context.Background(), fmt.Errorf("list issues: %w", authErr), ClassAuth, "AADSTS7000215"},
		{"auth timeout", context.Background(), &graph.AuthError{Timeout: true}, ClassTimeout, ""},
		{"azidentity deadline text", expired, errors.New("server response error: context deadline exceeded"), ClassTimeout, ""},
		{"429", context.Background(), fmt.Errorf("giving up: %w", &graph.APIError{Status: 429, RetryAfter: time.Hour}), ClassThrottled, "429"},
		{"503 retry-after", context.Background(), &graph.APIError{Status: 503, RetryAfter: time.Minute}, ClassServer, "503"},
		{"503", context.Background(), &graph.APIError{Status: 503}, ClassServer, "503"},
		{"500", context.Background(), &graph.APIError{Status: 500}, ClassServer, "500"},
		{"504", context.Background(), &graph.APIError{Status: 504}, ClassTimeout, "504"},
		{"403", context.Background(), &graph.APIError{Status: 403}, ClassOther, "403"},
		{"malformed", context.Background(), errors.New("get x: malformed response: unexpected end of JSON input"), ClassMalformed, ""},
		{"attempt timeout", context.Background(), errors.New("get x: attempt timed out after 1m0s: EOF"), ClassTimeout, ""},
		{"refused", context.Background(), errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), ClassNetwork, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Classify(tt.ctx, tt.err)
			if f.Class != tt.class || f.Code != tt.code {
				t.Errorf("Classify = %+v, want class %s code %q", f, tt.class, tt.code)
			}
		})
	}
}

func TestInterval(t *testing.T) {
	tests := []struct {
		name     string
		base     time.Duration
		incident bool
		reqs     int
		want     time.Duration
	}{
		{"quiet", 5 * time.Minute, false, 3, 5 * time.Minute},
		{"incident quarter", 8 * time.Minute, true, 3, 2 * time.Minute},
		{"incident quarter of 5m", 5 * time.Minute, true, 3, 75 * time.Second},
		{"incident floor", 3 * time.Minute, true, 3, time.Minute},
		{"base below floor kept", 30 * time.Second, true, 3, 30 * time.Second},
		{"budget bound", 4 * time.Minute, true, 20, 112500 * time.Millisecond},
		{"never longer than base", 2 * time.Minute, true, 200, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Interval(tt.base, tt.incident, tt.reqs)
			if got != tt.want {
				t.Errorf("Interval = %v, want %v", got, tt.want)
			}
			if tt.incident && tt.base >= Floor && got < Floor {
				t.Errorf("below the floor: %v", got)
			}
			if tt.reqs > 0 && got < tt.base && float64(time.Hour)/float64(got)*float64(tt.reqs) > HourlyBudget {
				t.Errorf("%v with %d requests per poll exceeds the budget", got, tt.reqs)
			}
		})
	}
}
