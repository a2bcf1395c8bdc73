package sodra

import "time"

// degraded applies the simulator's faults to one contact version, keeping
// its updated_at (the paging key): a good contact is answered a second
// after it arrived; a bad one is abandoned at its updated_at, a wait long
// enough not to be a short abandon. A contact that ended too soon to be
// abandoned late is left as it is.
func (s *Simulator) degraded(c contact) contact {
	good, ok := s.opts.Incidents.Outcome(c.channel, c.id, time.Unix(c.arrived, 0))
	if !ok {
		return c
	}
	if good {
		if c.outcome != "answered" {
			c.outcome, c.talk, c.hold, c.acw = "answered", 0, 0, 0
		}
		c.answered = min(c.arrived+1, c.updated)
		c.ended = max(c.ended, c.answered)
		return c
	}
	const longWait = 60 // seconds: beyond the short-abandon limit and the phone and chat thresholds
	if c.updated-c.arrived < longWait {
		return c
	}
	c.outcome, c.answered, c.ended = "abandoned", 0, c.updated
	c.talk, c.hold, c.acw, c.complex, c.resolved = 0, 0, 0, false, 0
	return c
}
