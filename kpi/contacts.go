package kpi

// ContactCounts are the sums a contact KPI is computed from, for one group
// (institution, unit, channel) and window. They roll up by adding, except
// MaxWaitS, which rolls up by taking the largest.
type ContactCounts struct {
	Offered           float64 // contacts that arrived in the window (answered + abandoned + open)
	Answered          float64
	Abandoned         float64
	ShortAbandoned    float64 // abandoned with wait < S
	AnsweredWithinT   float64 // A: answered with wait ≤ T
	AbandonedWithinT  float64 // B: abandoned, not short, wait ≤ T
	AbandonedNotShort float64 // abandoned with wait ≥ S
	LongWaits         float64 // wait > L
	AnswerWaitSumS    float64 // sum of waits of answered contacts
	// Handled counts the answered contacts whose source carries handling
	// times, HandleSumS their talk + hold + acw; AcwCounted the answered
	// contacts whose source carries after-contact work, AcwSumS its sum.
	// Contacts without the measure are in neither (absent is not zero).
	Handled    float64
	HandleSumS float64
	AcwCounted float64
	AcwSumS    float64
	MaxWaitS   float64
	Days       float64 // calendar days of the window, for per-day rates
}

// Add returns the roll-up of c and o.
func (c ContactCounts) Add(o ContactCounts) ContactCounts {
	r := ContactCounts{
		Offered:           c.Offered + o.Offered,
		Answered:          c.Answered + o.Answered,
		Abandoned:         c.Abandoned + o.Abandoned,
		ShortAbandoned:    c.ShortAbandoned + o.ShortAbandoned,
		AnsweredWithinT:   c.AnsweredWithinT + o.AnsweredWithinT,
		AbandonedWithinT:  c.AbandonedWithinT + o.AbandonedWithinT,
		AbandonedNotShort: c.AbandonedNotShort + o.AbandonedNotShort,
		LongWaits:         c.LongWaits + o.LongWaits,
		AnswerWaitSumS:    c.AnswerWaitSumS + o.AnswerWaitSumS,
		Handled:           c.Handled + o.Handled,
		HandleSumS:        c.HandleSumS + o.HandleSumS,
		AcwCounted:        c.AcwCounted + o.AcwCounted,
		AcwSumS:           c.AcwSumS + o.AcwSumS,
		MaxWaitS:          c.MaxWaitS,
		Days:              c.Days,
	}
	if o.MaxWaitS > r.MaxWaitS {
		r.MaxWaitS = o.MaxWaitS
	}
	if o.Days > r.Days {
		r.Days = o.Days
	}
	return r
}

// Value is one KPI value with the numerator and denominator it came from.
// A value whose denominator is zero is absent (Valid false).
type Value struct {
	KPI         ID
	Method      Method // service_level only
	Value       float64
	Numerator   float64
	Denominator float64
	Valid       bool
}

func ratio(id ID, num, den float64) Value {
	v := Value{KPI: id, Numerator: num, Denominator: den}
	if den > 0 {
		v.Value, v.Valid = num/den, true
	}
	return v
}

// ServiceLevel computes the service level by method m.
func (c ContactCounts) ServiceLevel(m Method) Value {
	o := c.Offered - c.ShortAbandoned - c.open()
	var v Value
	switch m {
	case MethodIgnore:
		v = ratio(ServiceLevel, c.AnsweredWithinT, o-c.AbandonedWithinT)
	case MethodPositive:
		v = ratio(ServiceLevel, c.AnsweredWithinT+c.AbandonedWithinT, o)
	default:
		m = MethodNegative
		v = ratio(ServiceLevel, c.AnsweredWithinT, o)
	}
	v.Method = m
	return v
}

// open is the number of contacts neither answered nor abandoned (written
// cases still open); they are offered but have no wait yet.
func (c ContactCounts) open() float64 {
	return c.Offered - c.Answered - c.Abandoned
}

// Values computes every contact KPI from the counts; service_level once per
// method in Methods.
func (c ContactCounts) Values() []Value {
	var out []Value
	for _, m := range Methods {
		out = append(out, c.ServiceLevel(m))
	}
	o := c.Offered - c.ShortAbandoned - c.open()
	out = append(out,
		ratio(AbandonRate, c.AbandonedNotShort, o),
		ratio(AnswerRate, c.Answered, c.Offered),
		ratio(ASASeconds, c.AnswerWaitSumS, c.Answered),
		ratio(AHTSeconds, c.HandleSumS, c.Handled),
		ratio(ACWSeconds, c.AcwSumS, c.AcwCounted),
		ratio(LongWaitShare, c.LongWaits, c.Offered),
	)
	mw := Value{KPI: MaxWaitSeconds, Value: c.MaxWaitS, Numerator: c.MaxWaitS, Denominator: 1, Valid: c.Offered > 0}
	out = append(out, mw, ratio(ContactsOffered, c.Offered, c.Days))
	return out
}
