package demo

import "strconv"

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
