package model

import (
	"strconv"
	"time"
)

// The Chinese school calendar: a school year starts in September; semester 1
// runs September–January, semester 2 February–July. Bureaus publish exact
// dates each year; StandardSchoolYear gives the default a new year starts
// with, which an administrator can then correct.

// StandardSchoolYear returns the school year starting in September of
// startYear with its default semester dates.
func StandardSchoolYear(startYear int) SchoolYear {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	return SchoolYear{
		StartYear: startYear,
		Semesters: [2]Period{
			{Start: d(startYear, time.September, 1), End: d(startYear+1, time.January, 31)},
			{Start: d(startYear+1, time.February, 1), End: d(startYear+1, time.July, 31)},
		},
	}
}

// SchoolYearOf returns the start year of the school year a date belongs to.
// August, the summer holiday, already belongs to the year about to start.
func SchoolYearOf(t time.Time) int {
	if t.Month() >= time.August {
		return t.Year()
	}
	return t.Year() - 1
}

// SemesterOf returns 1 or 2 for a date under the standard calendar, and 0
// for August.
func SemesterOf(t time.Time) int {
	switch m := t.Month(); {
	case m >= time.September || m == time.January:
		return 1
	case m >= time.February && m <= time.July:
		return 2
	}
	return 0
}

// SchoolYearLabel formats a school year as "2026–2027".
func SchoolYearLabel(startYear int) string {
	return strconv.Itoa(startYear) + "–" + strconv.Itoa(startYear+1)
}

var gradeNames = map[int]string{
	-2: "小班", -1: "中班", 0: "大班",
	1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
	7: "初一", 8: "初二", 9: "初三", 10: "高一", 11: "高二", 12: "高三",
}

// GradeName returns the Chinese name of a grade level (see
// SchoolType.Grades): 小班, 中班, 大班; 一年级 … 六年级; 初一 … 初三 (also in
// nine- and twelve-year schools); 高一 … 高三. Any other grade yields "".
func GradeName(grade int) string { return gradeNames[grade] }

// ClassName is the conventional class name, e.g. "三年级(2)班"; "" for a
// grade that does not exist.
func ClassName(grade, number int) string {
	g := GradeName(grade)
	if g == "" {
		return ""
	}
	return g + "(" + strconv.Itoa(number) + ")班"
}
