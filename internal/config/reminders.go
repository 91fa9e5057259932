package config

import (
	"fmt"
	"slices"
	"time"
)

// maxReminder is the longest reminder, in days, before an action-required
// date.
const maxReminder = 365

// ReminderDays returns the numbers of days before a Message Center post's
// action-required date at which the scheduler raises mc.reminder events:
// those of the top-level reminders and of every route, each once,
// largest first.
func (c *Config) ReminderDays() []int {
	days := slices.Clone(c.Reminders)
	for _, r := range c.Routes {
		days = append(days, r.Reminders...)
	}
	slices.Sort(days)
	days = slices.Compact(days)
	slices.Reverse(days)
	return days
}

// inheritReminders gives every route without a reminders key the
// top-level list; a route with `reminders: []` keeps none.
func (c *Config) inheritReminders() {
	for i := range c.Routes {
		if c.Routes[i].Reminders == nil {
			c.Routes[i].Reminders = append([]int{}, c.Reminders...)
		}
	}
}

// reminders checks the top-level and the routes' reminders: whole days
// from 1 to maxReminder, and shorter than the retention of events, which
// would otherwise forget a reminder before the date and raise it again.
func (v *validator) reminders() {
	check := func(key string, days []int) {
		for j, n := range days {
			k := fmt.Sprintf("%s[%d]", key, j)
			switch {
			case n < 1 || n > maxReminder:
				v.errf(k, "%d is not a number of days from 1 to %d", n, maxReminder)
			case v.c.Retention.Events > 0 && time.Duration(n)*24*time.Hour >= time.Duration(v.c.Retention.Events):
				v.errf(k, "%d days is not shorter than retention.events (%s): the reminder would be pruned before the date and raised again", n, v.c.Retention.Events)
			}
		}
	}
	check("reminders", v.c.Reminders)
	for i, r := range v.c.Routes {
		check(fmt.Sprintf("routes[%d].reminders", i), r.Reminders)
	}
}
