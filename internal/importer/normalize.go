package importer

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"huhang/internal/model"
	"huhang/internal/privacy"
)

// NormalizeText cleans one cell the way every field needs: zero-width
// characters (U+200B–U+200D, U+2060, U+FEFF, soft hyphen) are dropped,
// because they are invisible in Excel yet make "张三" differ from "张三";
// full-width ASCII (０-９, Ａ-Ｚ, （）…) becomes half-width, because Chinese
// input methods produce it by accident; every kind of white space
// (ideographic space U+3000, NBSP, tabs, line breaks from Alt+Enter) becomes
// an ASCII space; runs of spaces collapse to one and the ends are trimmed.
func NormalizeText(s string) string {
	if isPlainASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending, written only before the next visible rune
	for _, r := range s {
		switch {
		case isZeroWidth(r):
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000 || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isPlainASCII is the fast path for the common cell: printable ASCII with no
// doubled, leading or trailing spaces needs no work.
func isPlainASCII(s string) bool {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7E {
			if c != ' ' || prevSpace {
				return false
			}
			prevSpace = true
			continue
		}
		prevSpace = false
	}
	return !prevSpace || s == ""
}

func isZeroWidth(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD:
		return true
	}
	return false
}

// compact removes every space left by NormalizeText: inside numbers, codes
// and dates a space is always a typing slip.
func compact(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	return strings.ReplaceAll(s, " ", "")
}

// NormalizeName cleans a person's name: on top of NormalizeText it drops
// spaces between two Han characters (schools pad two-character names, "张
// 三", to line them up with three-character ones) while keeping the space
// in Latin names, and turns the look-alike middle dots input methods offer
// (・ U+30FB, ･ U+FF65, ‧ U+2027) into the standard · U+00B7 used in minority
// and transliterated names.
func NormalizeName(s string) string {
	s = NormalizeText(s)
	if isPlainASCII(s) {
		return s
	}
	rs := []rune(s)
	out := rs[:0]
	for i, r := range rs {
		switch r {
		case 0x30FB, 0xFF65, 0x2027:
			r = '·'
		case ' ':
			if i > 0 && i+1 < len(rs) && (isHan(rs[i-1]) || rs[i-1] == '·') && (isHan(rs[i+1]) || rs[i+1] == '·') {
				continue
			}
		}
		out = append(out, r)
	}
	return string(out)
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// normalizeStudentNo puts a student number in the store's canonical form:
// no spaces, half-width, upper case (so a typed "g" or "x" still matches).
func normalizeStudentNo(s string) string {
	return strings.ToUpper(privacy.NormalizeIDNumber(compact(NormalizeText(s))))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// normalizeIDNumber cleans a resident ID number cell.
func normalizeIDNumber(s string) string {
	return privacy.NormalizeIDNumber(compact(NormalizeText(s)))
}

// looksScientific reports a number Excel has turned into scientific
// notation, such as 5.10402E+17: the tell-tale sign of an ID number typed
// into a numeric column, whose last digits are already lost.
func looksScientific(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i <= 0 || i+1 >= len(s) {
		return false
	}
	mant, exp := s[:i], strings.TrimPrefix(s[i+1:], "+")
	return allDigits(strings.Replace(mant, ".", "", 1)) && allDigits(exp)
}

// NormalizePhone cleans a phone number and reports whether the result is a
// number the store accepts: an 11-digit mobile number starting with 1, or
// a landline of 7–12 digits starting with 0. Spaces, dashes, dots and
// parentheses are removed, and an international prefix (+86, 0086, or a
// bare 86 before an 11-digit mobile) is dropped; after +86 a landline
// regains its trunk 0 ("+86 816 2345678" → "08162345678").
func NormalizePhone(s string) (string, bool) {
	s = NormalizeText(s)
	p := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.', '—', '–':
			return -1
		}
		return r
	}, s)
	intl := false
	switch {
	case strings.HasPrefix(p, "+86"):
		p, intl = p[3:], true
	case strings.HasPrefix(p, "0086"):
		p, intl = p[4:], true
	case len(p) == 13 && strings.HasPrefix(p, "861"):
		p = p[2:]
	}
	if intl && p != "" && p[0] != '1' && p[0] != '0' {
		p = "0" + p
	}
	return p, model.ValidPhone(p)
}

// NormalizeGender reads a gender as schools write it: 男/女 (also 男性,
// 女性, 男生, 女生), M/F, male/female, boy/girl, and the national standard
// codes 1 (male) and 2 (female) of GB/T 2261.1.
func NormalizeGender(s string) (model.Gender, bool) {
	switch strings.ToLower(compact(NormalizeText(s))) {
	case "男", "男性", "男生", "m", "male", "boy", "1":
		return model.Male, true
	case "女", "女性", "女生", "f", "female", "girl", "2":
		return model.Female, true
	}
	return "", false
}

// genderFromID returns the gender an ID number encodes in its 17th digit:
// odd for male, even for female.
func genderFromID(id string) model.Gender {
	if (id[16]-'0')%2 == 1 {
		return model.Male
	}
	return model.Female
}

const dateLayout = "2006-01-02"

// NormalizeDate reads a date as it appears in rosters and returns it as
// YYYY-MM-DD: 2012-03-05, 2012/3/5, 2012.3.5, 2012年3月5日, 20120305, any of
// these followed by a time of day, or an Excel serial day number such as
// 40973 (what a date cell holds when a sheet is exported without its
// formatting). Years outside 1900–2100 are rejected.
func NormalizeDate(s string) (string, bool) {
	t, ok := parseDate(s, false)
	if !ok {
		return "", false
	}
	return t.Format(dateLayout), true
}

// parseDate is NormalizeDate for a workbook that may use the 1904 date
// system (old Mac Excel), where serial 0 is 1904-01-01.
func parseDate(s string, date1904 bool) (time.Time, bool) {
	s = NormalizeText(s)
	// A time of day after the date ("2012-03-05 00:00:00", ISO "…T00:00:00Z")
	// carries no information for a birth date.
	if i := strings.IndexAny(s, " Tt"); i > 0 {
		s = s[:i]
	}
	if s == "" {
		return time.Time{}, false
	}
	if allDigits(s) && len(s) == 8 {
		return civilDate(s[:4], s[4:6], s[6:])
	}
	if serial, ok := excelSerialText(s); ok {
		return excelSerial(serial, date1904)
	}
	if strings.ContainsRune(s, '年') {
		s = strings.NewReplacer("年", "-", "月", "-", "日", "", "号", "").Replace(s)
	}
	var parts [3]string
	n := 0
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' }) {
		if n == 3 {
			return time.Time{}, false
		}
		parts[n] = p
		n++
	}
	if n != 3 || len(parts[0]) != 4 || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return time.Time{}, false
	}
	return civilDate(parts[0], parts[1], parts[2])
}

// excelSerialText recognises an Excel serial day number: up to five digits
// (serial 99999 is in 2173), with a fractional time-of-day part allowed only
// on five-digit serials so that "2012.3" is not taken for day 2012.
func excelSerialText(s string) (int, bool) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(whole) || len(whole) > 5 || (hasFrac && (len(whole) != 5 || !allDigits(frac))) {
		return 0, false
	}
	n, err := strconv.Atoi(whole)
	return n, err == nil
}

// excelSerial converts an Excel serial day number to a date. In the 1900
// system Excel, copying Lotus 1-2-3, counts a 29 February 1900 that never
// existed: serials 1–59 are 1900-01-01 to 1900-02-28, serial 60 is the
// phantom leap day and is rejected, and every serial from 61 on is one day
// later than a plain count from 1900-01-01 would give. In the 1904 system
// serial 0 is 1904-01-01 and there is no phantom day.
func excelSerial(n int, date1904 bool) (time.Time, bool) {
	var t time.Time
	switch {
	case date1904:
		t = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
	case n < 1 || n == 60:
		return time.Time{}, false
	case n < 60:
		t = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
	default:
		t = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
	}
	if t.Year() < 1900 || t.Year() > 2100 {
		return time.Time{}, false
	}
	return t, true
}

// civilDate builds a date from decimal year, month and day strings,
// rejecting impossible days (time.Date would quietly roll 2月30日 over).
func civilDate(ys, ms, ds string) (time.Time, bool) {
	if !allDigits(ys) || !allDigits(ms) || !allDigits(ds) {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	if y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(m) {
		return time.Time{}, false
	}
	return t, true
}

var cnDigits = map[rune]int{'〇': 0, '零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// smallNumber reads a number from 1 to 99 written in ASCII digits or in
// Chinese numerals (三, 十, 十二, 二十三, 两).
func smallNumber(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if allDigits(s) {
		if len(s) > 3 {
			return 0, false
		}
		n, _ := strconv.Atoi(s)
		return n, n >= 1
	}
	rs := []rune(s)
	if len(rs) > 3 {
		return 0, false
	}
	digit := func(r rune) (int, bool) {
		d, ok := cnDigits[r]
		return d, ok
	}
	switch len(rs) {
	case 1:
		if rs[0] == '十' {
			return 10, true
		}
		d, ok := digit(rs[0])
		return d, ok && d > 0
	case 2:
		if rs[0] == '十' { // 十二
			d, ok := digit(rs[1])
			return 10 + d, ok && d > 0
		}
		if rs[1] == '十' { // 二十
			d, ok := digit(rs[0])
			return 10 * d, ok && d > 1
		}
	case 3:
		if rs[1] == '十' { // 二十三
			t, ok1 := digit(rs[0])
			u, ok2 := digit(rs[2])
			return 10*t + u, ok1 && ok2 && t > 0 && u > 0
		}
	}
	return 0, false
}

// NormalizeGrade reads a grade and returns the model's grade number:
// 小班/中班/大班 (-2, -1, 0); 一年级…十二年级 or 1年级…; 初一…初三 and 七年级…
// 九年级 (7–9); 高一…高三 (10–12); with optional 小学/初中/高中 prefixes; and
// "Grade 8", "G8", "8" (1–12).
func NormalizeGrade(s string) (int, bool) {
	s = strings.ToLower(compact(NormalizeText(s)))
	s = strings.TrimPrefix(s, "幼儿园")
	switch s {
	case "小班":
		return -2, true
	case "中班":
		return -1, true
	case "大班", "学前班":
		return 0, true
	}
	for _, p := range []string{"grade", "g"} {
		if rest, ok := strings.CutPrefix(s, p); ok && allDigits(rest) {
			return gradeInRange(smallNumber(rest))
		}
	}
	base := 0
	switch {
	case strings.HasPrefix(s, "小学"):
		s = s[len("小学"):]
	case strings.HasPrefix(s, "初中"):
		s, base = s[len("初中"):], 6
	case strings.HasPrefix(s, "高中"):
		s, base = s[len("高中"):], 9
	case strings.HasPrefix(s, "初"):
		s, base = s[len("初"):], 6
	case strings.HasPrefix(s, "高"):
		s, base = s[len("高"):], 9
	}
	s = strings.TrimSuffix(s, "年级")
	n, ok := smallNumber(s)
	if !ok {
		return 0, false
	}
	if base > 0 {
		if n > 3 {
			return 0, false
		}
		return base + n, true
	}
	return gradeInRange(n, true)
}

func gradeInRange(n int, ok bool) (int, bool) {
	if !ok || n < 1 || n > 12 {
		return 0, false
	}
	return n, true
}

// NormalizeClass reads a class as schools write it and returns its number
// within the grade and, when the text names one, the grade: "3班", "(3)班",
// "三班", "3", "初二(3)班", "三年级3班", "八(3)班", "高一十二班", "Class 3".
// Class numbers run from 1 to 99.
func NormalizeClass(s string) (grade int, hasGrade bool, classNo int, ok bool) {
	s = strings.ToLower(compact(NormalizeText(s)))
	s = strings.NewReplacer("【", "(", "】", ")", "[", "(", "]", ")", "〔", "(", "〕", ")").Replace(s)
	s = strings.TrimPrefix(s, "class")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "班级"), "班")
	if s == "" {
		return 0, false, 0, false
	}
	var prefix, num string
	if strings.HasSuffix(s, ")") {
		i := strings.LastIndexByte(s, '(')
		if i < 0 {
			return 0, false, 0, false
		}
		prefix, num = s[:i], s[i+1:len(s)-1]
	} else if i := len(s) - trailingDigits(s); i < len(s) {
		prefix, num = s[:i], s[i:]
	} else {
		// Chinese numerals: try the longest numeral suffix whose prefix is a
		// grade, so that 高一十二 is grade 高一 class 12, not 高 + 一十二.
		rs := []rune(s)
		for k := max(0, len(rs)-3); k < len(rs); k++ {
			n, nok := smallNumber(string(rs[k:]))
			if !nok {
				continue
			}
			p := string(rs[:k])
			if p == "" {
				return 0, false, n, true
			}
			if g, gok := classGradePrefix(p); gok {
				return g, true, n, true
			}
		}
		return 0, false, 0, false
	}
	n, nok := smallNumber(num)
	if !nok || n > 99 {
		return 0, false, 0, false
	}
	if prefix == "" {
		return 0, false, n, true
	}
	g, gok := classGradePrefix(prefix)
	if !gok {
		return 0, false, 0, false
	}
	return g, true, n, true
}

// classGradePrefix reads the grade part of a class name, which may end with
// a separator ("8-3") or be a bare numeral ("八(3)班").
func classGradePrefix(p string) (int, bool) {
	p = strings.TrimRight(p, "-._/")
	return NormalizeGrade(p)
}

func trailingDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[len(s)-1-n]) {
		n++
	}
	return n
}

// categoryWords maps words found in a family-circumstances cell to
// categories. A word is matched anywhere in a token, so "留守儿童" and
// "农村留守" both count; the English words are the model's own codes.
var categoryWords = []struct {
	word string
	cat  model.Category
}{
	{"留守", model.CatLeftBehind}, {"left_behind", model.CatLeftBehind}, {"left-behind", model.CatLeftBehind},
	{"单亲", model.CatSingleParent}, {"single_parent", model.CatSingleParent}, {"single-parent", model.CatSingleParent},
	{"困难", model.CatPoor}, {"贫困", model.CatPoor}, {"低保", model.CatPoor}, {"建档立卡", model.CatPoor},
	{"特困", model.CatPoor}, {"poor", model.CatPoor},
	{"随迁", model.CatMigrant}, {"流动", model.CatMigrant}, {"进城务工", model.CatMigrant}, {"migrant", model.CatMigrant},
	{"孤儿", model.CatOrphan}, {"orphan", model.CatOrphan},
	{"残疾", model.CatDisabled}, {"残障", model.CatDisabled}, {"disabled", model.CatDisabled},
}

// neutralWords are what schools write when a pupil is in no category; they
// are accepted and add nothing.
var neutralWords = map[string]bool{
	"无": true, "否": true, "没有": true, "暂无": true, "正常": true, "健全": true, "一般": true,
	"普通": true, "none": true, "no": true, "na": true, "n/a": true, "-": true, "—": true, "/": true,
}

// ParseCategories reads a 家庭情况 / 重点学生类别 cell holding any number of
// category words separated by 、,，;；/ | or spaces: 留守, 单亲, 困难/贫困/
// 低保/建档立卡, 随迁/流动, 孤儿, 残疾. Words meaning "none" (无, 正常…) and
// negated words (非留守, 不是低保) add nothing. ok is false when some word is
// not understood, so that no circumstance is silently dropped. The result is
// in the model's canonical order without repeats.
func ParseCategories(s string) (cats []model.Category, ok bool) {
	s = strings.ToLower(NormalizeText(s))
	if neutralWords[s] {
		return nil, true
	}
	var set model.CategorySet
	ok = true
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune("、,，;；/|\\ ", r)
	}) {
		if neutralWords[tok] || strings.HasPrefix(tok, "非") || strings.HasPrefix(tok, "不是") || strings.HasPrefix(tok, "否") {
			continue
		}
		found := false
		for _, w := range categoryWords {
			if strings.Contains(tok, w.word) {
				set, found = set.With(w.cat), true
			}
		}
		if !found {
			ok = false
		}
	}
	return set.List(), ok
}

// ParseYesNo reads a yes/no cell: 是/否, 有/无, Y/N, yes/no, 1/0, true/false,
// √/✓/✔ for yes and ×/✗/✘/x for no. An empty cell is no.
func ParseYesNo(s string) (yes, ok bool) {
	switch strings.ToLower(compact(NormalizeText(s))) {
	case "是", "有", "y", "yes", "1", "true", "√", "✓", "✔", "是的", "对":
		return true, true
	case "", "否", "无", "不是", "n", "no", "0", "false", "×", "✗", "✘", "x", "-", "/":
		return false, true
	}
	return false, false
}

// ParseRelation maps a guardian's relation to the model's vocabulary. Any
// other relative or carer (姑姑, 舅舅, 哥哥 …) and an empty cell are
// RelOther, which is what the relation means: not a parent or grandparent.
func ParseRelation(s string) model.Relation {
	switch strings.ToLower(compact(NormalizeText(s))) {
	case "父亲", "父", "爸爸", "爸", "father", "dad":
		return model.RelFather
	case "母亲", "母", "妈妈", "妈", "mother", "mom", "mum":
		return model.RelMother
	case "祖父", "爷爷", "外祖父", "外公", "姥爷", "grandfather", "grandpa":
		return model.RelGrandfather
	case "祖母", "奶奶", "外祖母", "外婆", "姥姥", "grandmother", "grandma":
		return model.RelGrandmother
	}
	return model.RelOther
}

// ParsePosts reads a 岗位/职务 cell listing one or more posts separated by
// 、,，;；/ or spaces: 校长/园长, 专职心理教师, 兼职心理教师, 班主任,
// 学科教师 (also 任课教师, 语文老师 …), 德育干部/德育主任/政教主任,
// 团委干部/团委书记/少先队辅导员, 辅导员, or the model's codes. A bare
// 心理教师 is refused because full-time and part-time posts carry
// different duties. ok is false when any word is not understood.
func ParsePosts(s string) (posts []model.Post, ok bool) {
	s = strings.ToLower(NormalizeText(s))
	ok = true
	seen := map[model.Post]bool{}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune("、,，;；/|\\ ", r)
	}) {
		p, pok := parsePost(tok)
		if !pok {
			ok = false
			continue
		}
		if !seen[p] {
			seen[p] = true
			posts = append(posts, p)
		}
	}
	return posts, ok && len(posts) > 0
}

func parsePost(tok string) (model.Post, bool) {
	if p := model.Post(tok); p.Valid() {
		return p, true
	}
	switch {
	case tok == "校长" || tok == "园长" || tok == "principal":
		return model.PostPrincipal, true
	case strings.Contains(tok, "心理"):
		switch {
		case strings.Contains(tok, "专职"):
			return model.PostPsychFullTime, true
		case strings.Contains(tok, "兼职"):
			return model.PostPsychPartTime, true
		}
		return "", false
	case strings.HasPrefix(tok, "班主任"):
		return model.PostClassTeacher, true
	case strings.Contains(tok, "德育") || strings.Contains(tok, "政教"):
		return model.PostMoralCadre, true
	case strings.Contains(tok, "团委") || strings.Contains(tok, "少先队") || tok == "大队辅导员":
		return model.PostLeagueCadre, true
	case strings.HasSuffix(tok, "辅导员"):
		return model.PostCounsellor, true
	case strings.HasSuffix(tok, "教师") || strings.HasSuffix(tok, "老师"):
		return model.PostSubjectTeacher, true
	}
	return "", false
}
