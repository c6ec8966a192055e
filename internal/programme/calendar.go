package programme

import (
	"time"

	"huhang/internal/model"
)

// Term is one semester: the start year of its school year and 1 or 2.
// Semester 1 of 2025 runs from September 2025 to January 2026.
type Term struct {
	Year     int
	Semester int
}

// Calendar holds the school years whose semester dates a bureau published;
// any year it does not list follows model.StandardSchoolYear. A nil
// Calendar is the standard calendar.
type Calendar []model.SchoolYear

// year returns the published dates of the school year starting in start, or
// the standard ones.
func (c Calendar) year(start int) model.SchoolYear {
	for _, y := range c {
		if y.StartYear == start {
			return y
		}
	}
	return model.StandardSchoolYear(start)
}

// Period returns the first and last day of a term.
func (c Calendar) Period(t Term) model.Period {
	i := 0
	if t.Semester == 2 {
		i = 1
	}
	return c.year(t.Year).Semesters[i]
}

// TermOf returns the term a date belongs to. A date inside a term belongs to
// it; a date in a holiday belongs to the term about to start (the winter
// holiday to semester 2, the summer to semester 1 of the next year), just
// as model.SchoolYearOf counts August in the year about to start: what a
// school does in the holiday prepares the coming term.
func (c Calendar) TermOf(at time.Time) Term {
	y := model.SchoolYearOf(at)
	sy := c.year(y)
	d := dateKey(at)
	switch {
	case d <= dateKey(sy.Semesters[0].End):
		return Term{y, 1}
	case d <= dateKey(sy.Semesters[1].End):
		return Term{y, 2}
	}
	return Term{y + 1, 1}
}

// schoolYearPeriod is the span model.SchoolYearOf gives a school year:
// 1 August to 31 July. Continuing-education hours are credited to it.
func schoolYearPeriod(start int) (time.Time, time.Time) {
	return time.Date(start, time.August, 1, 0, 0, 0, 0, time.UTC),
		time.Date(start+1, time.July, 31, 0, 0, 0, 0, time.UTC)
}

// dateLayout is how dates appear in target definitions.
const dateLayout = "2006-01-02"

// dateKey is t's calendar date in its own location as yyyymmdd: it orders
// dates and costs one t.Date() call, so the evaluation's inner loops use it.
func dateKey(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// dayNumber is t's calendar date as days since 1970-01-01, for measuring
// elapsed time.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// civil returns t's calendar date at midnight UTC.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
