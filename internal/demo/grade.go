package demo

import "strconv"

// gradeNames holds the display name of grades -2 … 12, indexed by grade+2.
var gradeNames = [...]string{
	"小班", "中班", "大班",
	"一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
	"初一", "初二", "初三",
	"高一", "高二", "高三",
}

// GradeName returns the customary Chinese name of a grade as used by
// model.SchoolType.Grades: -2, -1 and 0 are the kindergarten years 小班, 中班
// and 大班; 1–6 are 一年级 … 六年级; 7–9 are 初一 … 初三 (also in nine-year and
// twelve-year schools); 10–12 are 高一 … 高三. Any other grade yields "".
func GradeName(grade int) string {
	if grade < -2 || grade > 12 {
		return ""
	}
	return gradeNames[grade+2]
}

// ClassName returns the name of class number n of a grade, e.g. "三年级(2)班".
func ClassName(grade, n int) string {
	g := GradeName(grade)
	if g == "" {
		return ""
	}
	return g + "(" + strconv.Itoa(n) + ")班"
}

var cnDigits = [...]string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// cnNumber writes n (1–99) in Chinese numerals, e.g. 2 → 二, 12 → 十二,
// 30 → 三十; larger or non-positive numbers fall back to Arabic digits.
func cnNumber(n int) string {
	switch {
	case n <= 0 || n >= 100:
		return strconv.Itoa(n)
	case n < 10:
		return cnDigits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + cnDigits[n%10]
	case n%10 == 0:
		return cnDigits[n/10] + "十"
	default:
		return cnDigits[n/10] + "十" + cnDigits[n%10]
	}
}
