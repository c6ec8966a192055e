package importer

import (
	"os"
	"reflect"
	"testing"
	"time"

	"huhang/internal/model"
)

// fixedNow is the clock every test runs with: March 2026, so the current
// school year started on 1 September 2025.
var fixedNow = time.Date(2026, time.March, 15, 10, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	Now = func() time.Time { return fixedNow }
	os.Exit(m.Run())
}

func TestNormalizeText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ASCII is returned as is", "abc 123", "abc 123"},
		{"full-width digits become ASCII", "１２３４５６７８９０", "1234567890"},
		{"full-width letters become ASCII", "ＡＢＣｘｙｚ", "ABCxyz"},
		{"full-width parentheses become ASCII", "初二（３）班", "初二(3)班"},
		{"ideographic spaces around a value are trimmed", "\u3000张三\u3000", "张三"},
		{"non-breaking spaces are trimmed", "\u00a0李四\u00a0", "李四"},
		{"zero-width space inside a value is dropped", "王\u200b五", "王五"},
		{"zero-width joiner and non-joiner are dropped", "1\u200c2\u200d3", "123"},
		{"byte order mark and word joiner are dropped", "\ufeff赵\u2060六", "赵六"},
		{"runs of inner spaces collapse to one", "Ali   Khan", "Ali Khan"},
		{"tabs and line breaks become spaces", "留守\n单亲\t困难", "留守 单亲 困难"},
		{"leading and trailing ASCII spaces are trimmed", "  x  ", "x"},
		{"an only-space cell becomes empty", " \u3000\u00a0 ", ""},
		{"an empty cell stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeText(tt.in); got != tt.want {
				t.Errorf("NormalizeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		name, in, want string
		valid          bool
	}{
		{"a two-character name padded with a space is joined", "张 三", "张三", true},
		{"a name padded with an ideographic space is joined", "张\u3000三", "张三", true},
		{"a Latin name keeps its space", "Ali Khan", "Ali Khan", true},
		{"a minority name keeps its middle dot", "阿依古丽·买买提", "阿依古丽·买买提", true},
		{"a katakana middle dot becomes the standard dot", "阿依古丽・买买提", "阿依古丽·买买提", true},
		{"spaces around a middle dot are dropped", "阿依古丽 · 买买提", "阿依古丽·买买提", true},
		{"a name with a digit is not valid", "张三2", "张三2", false},
		{"a name with a symbol is not valid", "张三#", "张三#", false},
		{"a name of 31 characters is too long", "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸甲", "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸甲", false},
		{"a name of 30 characters is fine", "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸", "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizeName(tt.in)
			if got != tt.want || model.ValidPersonName(got) != tt.valid {
				t.Errorf("NormalizeName(%q) = %q (valid %v), want %q (valid %v)", tt.in, got, model.ValidPersonName(got), tt.want, tt.valid)
			}
		})
	}
}

func TestNormalizeDate(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"ISO dates are accepted", "2012-03-05", "2012-03-05", true},
		{"slashes without leading zeros are accepted", "2012/3/5", "2012-03-05", true},
		{"dots are accepted", "2012.3.5", "2012-03-05", true},
		{"Chinese dates are accepted", "2012年3月5日", "2012-03-05", true},
		{"Chinese dates with 号 are accepted", "2012年03月05号", "2012-03-05", true},
		{"eight digits are read as YYYYMMDD", "20120305", "2012-03-05", true},
		{"full-width digits are accepted", "２０１２－０３－０５", "2012-03-05", true},
		{"a time of day after the date is ignored", "2012-03-05 00:00:00", "2012-03-05", true},
		{"an ISO timestamp is accepted", "2012-03-05T00:00:00Z", "2012-03-05", true},
		{"spaces around the date are ignored", " 2012-3-5 ", "2012-03-05", true},
		{"Excel serial 40973 is 2012-03-05", "40973", "2012-03-05", true},
		{"Excel serial with a time fraction is accepted", "40973.5", "2012-03-05", true},
		{"Excel serial 1 is 1900-01-01", "1", "1900-01-01", true},
		{"Excel serial 59 is 1900-02-28", "59", "1900-02-28", true},
		{"Excel serial 60 is the phantom 1900-02-29 and is refused", "60", "", false},
		{"Excel serial 61 is 1900-03-01", "61", "1900-03-01", true},
		{"Excel serial 0 is refused", "0", "", false},
		{"a serial with six digits is refused", "409730", "", false},
		{"a year with a fraction is not a serial", "2012.3", "", false},
		{"the 30th of February is refused", "2012-02-30", "", false},
		{"the 29th of February in a leap year is accepted", "2012-02-29", "2012-02-29", true},
		{"the 29th of February in 2013 is refused", "2013-02-29", "", false},
		{"month 13 is refused", "2012-13-01", "", false},
		{"a two-digit year is refused", "12-3-5", "", false},
		{"a year before 1900 is refused", "1899-12-31", "", false},
		{"a year after 2100 is refused", "2101-01-01", "", false},
		{"a day-first date is refused", "05/03/2012", "", false},
		{"too many parts are refused", "2012-3-5-1", "", false},
		{"text is refused", "三月五日", "", false},
		{"an empty cell is refused", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeDate(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeDate(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestExcelSerialDates(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		serial   int
		date1904 bool
		want     time.Time
		ok       bool
	}{
		{"serial 1 in the 1900 system is New Year's Day 1900", 1, false, d(1900, 1, 1), true},
		{"serial 59 is the last real day of February 1900", 59, false, d(1900, 2, 28), true},
		{"serial 60 is Lotus's non-existent 29 February 1900", 60, false, time.Time{}, false},
		{"serial 61 is 1 March 1900, one day after a plain count", 61, false, d(1900, 3, 1), true},
		{"serial 40973 is 5 March 2012", 40973, false, d(2012, 3, 5), true},
		{"serial 0 in the 1904 system is New Year's Day 1904", 0, true, d(1904, 1, 1), true},
		{"the 1904 system has no phantom day", 60, true, d(1904, 3, 1), true},
		{"the same day is 1462 serials lower in the 1904 system", 40973 - 1462, true, d(2012, 3, 5), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := excelSerial(tt.serial, tt.date1904)
			if !got.Equal(tt.want) || ok != tt.ok {
				t.Errorf("excelSerial(%d, %v) = %v, %v; want %v, %v", tt.serial, tt.date1904, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeGender(t *testing.T) {
	tests := []struct {
		name, in string
		want     model.Gender
		ok       bool
	}{
		{"男 is male", "男", model.Male, true},
		{"女 is female", "女", model.Female, true},
		{"男性 is male", "男性", model.Male, true},
		{"女生 is female", "女生", model.Female, true},
		{"upper-case M is male", "M", model.Male, true},
		{"lower-case f is female", "f", model.Female, true},
		{"male is male", "Male", model.Male, true},
		{"female is female", "FEMALE", model.Female, true},
		{"code 1 is male", "1", model.Male, true},
		{"code 2 is female", "2", model.Female, true},
		{"full-width Ｍ is male", "Ｍ", model.Male, true},
		{"a padded value is accepted", " 女 ", model.Female, true},
		{"code 0 (unknown) is refused", "0", "", false},
		{"a blank is refused", "", "", false},
		{"other text is refused", "未知", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeGender(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeGender(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeGrade(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		ok       bool
	}{
		{"小班 is grade -2", "小班", -2, true},
		{"中班 is grade -1", "中班", -1, true},
		{"大班 is grade 0", "大班", 0, true},
		{"幼儿园大班 is grade 0", "幼儿园大班", 0, true},
		{"一年级 is grade 1", "一年级", 1, true},
		{"六年级 is grade 6", "六年级", 6, true},
		{"小学三年级 is grade 3", "小学三年级", 3, true},
		{"3年级 is grade 3", "3年级", 3, true},
		{"初一 is grade 7", "初一", 7, true},
		{"初二 is grade 8", "初二", 8, true},
		{"初三 is grade 9", "初三", 9, true},
		{"初中二年级 is grade 8", "初中二年级", 8, true},
		{"初一年级 is grade 7", "初一年级", 7, true},
		{"七年级 is grade 7", "七年级", 7, true},
		{"八年级 is grade 8", "八年级", 8, true},
		{"九年级 is grade 9", "九年级", 9, true},
		{"高一 is grade 10", "高一", 10, true},
		{"高三 is grade 12", "高三", 12, true},
		{"高中二年级 is grade 11", "高中二年级", 11, true},
		{"十年级 is grade 10", "十年级", 10, true},
		{"十一年级 is grade 11", "十一年级", 11, true},
		{"十二年级 is grade 12", "十二年级", 12, true},
		{"Grade 8 is grade 8", "Grade 8", 8, true},
		{"grade8 is grade 8", "grade8", 8, true},
		{"G8 is grade 8", "G8", 8, true},
		{"g12 is grade 12", "g12", 12, true},
		{"a bare 8 is grade 8", "8", 8, true},
		{"a full-width ８ is grade 8", "８", 8, true},
		{"a bare 13 is refused", "13", 0, false},
		{"a bare 0 is refused", "0", 0, false},
		{"初四 is refused", "初四", 0, false},
		{"高四 is refused", "高四", 0, false},
		{"十三年级 is refused", "十三年级", 0, false},
		{"an entry-year cohort is refused", "2023级", 0, false},
		{"a blank is refused", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizeGrade(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeGrade(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeClass(t *testing.T) {
	tests := []struct {
		name, in string
		grade    int
		hasGrade bool
		class    int
		ok       bool
	}{
		{"3班 is class 3", "3班", 0, false, 3, true},
		{"(3)班 is class 3", "(3)班", 0, false, 3, true},
		{"full-width （３）班 is class 3", "（３）班", 0, false, 3, true},
		{"三班 is class 3", "三班", 0, false, 3, true},
		{"十二班 is class 12", "十二班", 0, false, 12, true},
		{"a bare 3 is class 3", "3", 0, false, 3, true},
		{"03 is class 3", "03", 0, false, 3, true},
		{"初二(3)班 is grade 8 class 3", "初二(3)班", 8, true, 3, true},
		{"初二3班 is grade 8 class 3", "初二3班", 8, true, 3, true},
		{"三年级3班 is grade 3 class 3", "三年级3班", 3, true, 3, true},
		{"三年级(2)班 is grade 3 class 2", "三年级(2)班", 3, true, 2, true},
		{"八(3)班 is grade 8 class 3", "八(3)班", 8, true, 3, true},
		{"七年级三班 is grade 7 class 3", "七年级三班", 7, true, 3, true},
		{"高一十二班 is grade 10 class 12", "高一十二班", 10, true, 12, true},
		{"初二三班 is grade 8 class 3", "初二三班", 8, true, 3, true},
		{"高一(10)班 is grade 10 class 10", "高一(10)班", 10, true, 10, true},
		{"大班(2)班 is grade 0 class 2", "大班(2)班", 0, true, 2, true},
		{"8-3 is grade 8 class 3", "8-3", 8, true, 3, true},
		{"Class 3 is class 3", "Class 3", 0, false, 3, true},
		{"a padded 初二 ( 3 ) 班 is grade 8 class 3", "初二 ( 3 ) 班", 8, true, 3, true},
		{"class 0 is refused", "0班", 0, false, 0, false},
		{"class 100 is refused", "100班", 0, false, 0, false},
		{"an unknown grade prefix is refused", "火箭(3)班", 0, false, 0, false},
		{"an unclosed parenthesis is refused", "初二3)班", 0, false, 0, false},
		{"text is refused", "实验班", 0, false, 0, false},
		{"a blank is refused", "", 0, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, hg, c, ok := NormalizeClass(tt.in)
			if g != tt.grade || hg != tt.hasGrade || c != tt.class || ok != tt.ok {
				t.Errorf("NormalizeClass(%q) = %d, %v, %d, %v; want %d, %v, %d, %v", tt.in, g, hg, c, ok, tt.grade, tt.hasGrade, tt.class, tt.ok)
			}
		})
	}
}

func TestClassFromCode(t *testing.T) {
	tests := []struct {
		name, in string
		grade    int
		hasGrade bool
		want     int
		ok       bool
	}{
		{"703 in grade 7 is class 3", "703", 7, true, 3, true},
		{"703班 in grade 7 is class 3", "703班", 7, true, 3, true},
		{"1215 in grade 12 is class 15", "1215", 12, true, 15, true},
		{"703 in grade 8 is refused", "703", 8, true, 0, false},
		{"703 without a grade is refused", "703", 0, false, 0, false},
		{"700 in grade 7 is refused", "700", 7, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := classFromCode(tt.in, tt.grade, tt.hasGrade)
			if got != tt.want || ok != tt.ok {
				t.Errorf("classFromCode(%q, %d) = %d, %v; want %d, %v", tt.in, tt.grade, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"a mobile number is accepted", "13800000001", "13800000001", true},
		{"spaces inside a mobile number are removed", "138 0000 0001", "13800000001", true},
		{"dashes inside a mobile number are removed", "138-0000-0001", "13800000001", true},
		{"a +86 prefix is removed", "+86 138 0000 0001", "13800000001", true},
		{"a +86- prefix is removed", "+86-13800000001", "13800000001", true},
		{"a 0086 prefix is removed", "008613800000001", "13800000001", true},
		{"a bare 86 before a mobile number is removed", "8613800000001", "13800000001", true},
		{"full-width digits are accepted", "１３８００００００01", "13800000001", true},
		{"a landline with area code is accepted", "0816-2345678", "08162345678", true},
		{"a landline in parentheses is accepted", "(0816)2345678", "08162345678", true},
		{"a landline after +86 regains its trunk zero", "+86 816 2345678", "08162345678", true},
		{"a seven-digit number starting with 0 is a landline", "0123456", "0123456", true},
		{"a landline without area code is refused", "2345678", "2345678", false},
		{"ten digits are refused", "1380000000", "1380000000", false},
		{"twelve digits starting with 1 are refused", "138000000011", "138000000011", false},
		{"two numbers in one cell are refused", "13800000001/13800000002", "13800000001/13800000002", false},
		{"letters are refused", "1380000000a", "1380000000a", false},
		{"a blank is refused", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NormalizePhone(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeIDAndStudentNo(t *testing.T) {
	id := synthID("20120305", 1, true)
	lower := id[:17] + "x"
	tests := []struct {
		name, in, want string
		valid          bool
	}{
		{"a G number is upper-cased", "g" + id, "G" + id, true},
		{"a full-width G number is folded", "Ｇ" + toFullWidth(id), "G" + id, true},
		{"spaces inside a student number are removed", "G " + id[:6] + " " + id[6:], "G" + id, true},
		{"a lower-case x in a J number becomes X", "j" + lower, "J" + lower[:17] + "X", true},
		{"an L number is 18 digits", "L202300000000000001", "L202300000000000001", true},
		{"an L number with an X is refused", "L20230000000000000X", "L20230000000000000X", false},
		{"a G number with a wrong check digit is refused", "G" + wrongCheck(id), "G" + wrongCheck(id), false},
		{"a school's own number is refused", "20230101", "20230101", false},
		{"a lone prefix is refused", "G", "G", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalizeStudentNo(tt.in)
			if got != tt.want || model.ValidStudentNo(got) != tt.valid {
				t.Errorf("normalizeStudentNo(%q) = %q (valid %v), want %q (valid %v)", tt.in, got, model.ValidStudentNo(got), tt.want, tt.valid)
			}
		})
	}
	if got := normalizeIDNumber(" " + id[:17] + "x\u200b"); got != id[:17]+"X" {
		t.Errorf("normalizeIDNumber with lower-case x and zero-width space = %q", got)
	}
	for _, s := range []string{"5.10402E+17", "5.1040220120305101E+17", "5E17"} {
		if !looksScientific(s) {
			t.Errorf("looksScientific(%q) = false", s)
		}
	}
	for _, s := range []string{id, "E+17", "5.1E", "510402201203050011"} {
		if looksScientific(s) {
			t.Errorf("looksScientific(%q) = true", s)
		}
	}
}

func TestParseCategories(t *testing.T) {
	L, S, P, M, O, D := model.CatLeftBehind, model.CatSingleParent, model.CatPoor, model.CatMigrant, model.CatOrphan, model.CatDisabled
	tests := []struct {
		name, in string
		want     []model.Category
		ok       bool
	}{
		{"留守 is left behind", "留守", []model.Category{L}, true},
		{"留守儿童 is left behind", "留守儿童", []model.Category{L}, true},
		{"单亲 is single parent", "单亲家庭", []model.Category{S}, true},
		{"困难 is poor", "家庭困难", []model.Category{P}, true},
		{"贫困 is poor", "贫困", []model.Category{P}, true},
		{"低保 is poor", "低保户", []model.Category{P}, true},
		{"建档立卡 is poor", "建档立卡", []model.Category{P}, true},
		{"随迁 is migrant", "随迁子女", []model.Category{M}, true},
		{"流动 is migrant", "流动儿童", []model.Category{M}, true},
		{"孤儿 is orphan", "孤儿", []model.Category{O}, true},
		{"残疾 is disabled", "残疾", []model.Category{D}, true},
		{"words separated by 、 are all read", "留守、单亲", []model.Category{L, S}, true},
		{"words separated by full-width commas are all read", "困难，孤儿", []model.Category{P, O}, true},
		{"words separated by semicolons are all read", "随迁;残疾；留守", []model.Category{L, M, D}, true},
		{"words separated by slashes are all read", "单亲/低保", []model.Category{P, S}, true},
		{"words separated by spaces are all read", "留守 单亲\u3000困难", []model.Category{P, L, S}, true},
		{"two words run together are both read", "留守单亲", []model.Category{L, S}, true},
		{"repeats are dropped", "困难、低保、贫困", []model.Category{P}, true},
		{"the model's codes are read", "left_behind,poor", []model.Category{P, L}, true},
		{"无 means none", "无", nil, true},
		{"正常 means none", "正常", nil, true},
		{"an empty cell means none", "", nil, true},
		{"a negated word adds nothing", "非留守", nil, true},
		{"an unknown word is reported", "离异", nil, false},
		{"an unknown word beside a known one is reported and the known one kept", "留守、离异", []model.Category{L}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseCategories(tt.in)
			if !reflect.DeepEqual(got, tt.want) || ok != tt.ok {
				t.Errorf("ParseCategories(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseYesNo(t *testing.T) {
	tests := []struct {
		name, in string
		yes, ok  bool
	}{
		{"是 is yes", "是", true, true},
		{"否 is no", "否", false, true},
		{"Y is yes", "Y", true, true},
		{"n is no", "n", false, true},
		{"1 is yes", "1", true, true},
		{"0 is no", "0", false, true},
		{"a tick is yes", "√", true, true},
		{"a check mark is yes", "✓", true, true},
		{"a cross is no", "×", false, true},
		{"yes is yes", "Yes", true, true},
		{"an empty cell is no", "", false, true},
		{"有 is yes", "有", true, true},
		{"other text is refused", "也许", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yes, ok := ParseYesNo(tt.in)
			if yes != tt.yes || ok != tt.ok {
				t.Errorf("ParseYesNo(%q) = %v, %v; want %v, %v", tt.in, yes, ok, tt.yes, tt.ok)
			}
		})
	}
}

func TestParseRelation(t *testing.T) {
	tests := []struct {
		name, in string
		want     model.Relation
	}{
		{"父亲 is father", "父亲", model.RelFather},
		{"爸爸 is father", "爸爸", model.RelFather},
		{"母亲 is mother", "母亲", model.RelMother},
		{"妈妈 is mother", "妈妈", model.RelMother},
		{"爷爷 is grandfather", "爷爷", model.RelGrandfather},
		{"外公 is grandfather", "外公", model.RelGrandfather},
		{"奶奶 is grandmother", "奶奶", model.RelGrandmother},
		{"外婆 is grandmother", "外婆", model.RelGrandmother},
		{"English words are read", "Mother", model.RelMother},
		{"any other relative is other", "姑姑", model.RelOther},
		{"a blank is other", "", model.RelOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseRelation(tt.in); got != tt.want {
				t.Errorf("ParseRelation(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePosts(t *testing.T) {
	tests := []struct {
		name, in string
		want     []model.Post
		ok       bool
	}{
		{"校长 is principal", "校长", []model.Post{model.PostPrincipal}, true},
		{"园长 is principal", "园长", []model.Post{model.PostPrincipal}, true},
		{"班主任 and 学科教师 are both read", "班主任、学科教师", []model.Post{model.PostClassTeacher, model.PostSubjectTeacher}, true},
		{"专职心理教师 is full-time psychology", "专职心理教师", []model.Post{model.PostPsychFullTime}, true},
		{"兼职心理教师 is part-time psychology", "兼职心理教师", []model.Post{model.PostPsychPartTime}, true},
		{"a bare 心理教师 is refused as ambiguous", "心理教师", nil, false},
		{"德育干部 is moral cadre", "德育干部", []model.Post{model.PostMoralCadre}, true},
		{"政教主任 is moral cadre", "政教主任", []model.Post{model.PostMoralCadre}, true},
		{"团委干部 is league cadre", "团委干部", []model.Post{model.PostLeagueCadre}, true},
		{"少先队辅导员 is league cadre", "少先队辅导员", []model.Post{model.PostLeagueCadre}, true},
		{"辅导员 is counsellor", "辅导员", []model.Post{model.PostCounsellor}, true},
		{"a subject teacher named by subject is a subject teacher", "语文老师", []model.Post{model.PostSubjectTeacher}, true},
		{"任课教师 is a subject teacher", "任课教师", []model.Post{model.PostSubjectTeacher}, true},
		{"repeats are dropped", "班主任,班主任", []model.Post{model.PostClassTeacher}, true},
		{"the model's codes are read", "class_teacher;psych_parttime", []model.Post{model.PostClassTeacher, model.PostPsychPartTime}, true},
		{"副校长 is refused", "副校长", nil, false},
		{"an unknown word beside a known one is reported", "班主任、保安", []model.Post{model.PostClassTeacher}, false},
		{"a blank is refused", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParsePosts(tt.in)
			if !reflect.DeepEqual(got, tt.want) || ok != tt.ok {
				t.Errorf("ParsePosts(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestHeaderAliases(t *testing.T) {
	tests := []struct {
		name, in string
		kind     Kind
		want     field
	}{
		{"学籍号 is the student number", "学籍号", Students, fStudentNo},
		{"a starred required column is recognised", "*学籍号", Students, fStudentNo},
		{"a remark in full-width brackets is ignored", "出生日期（yyyy-mm-dd）", Students, fBirth},
		{"a 必填 remark is ignored", "姓名(必填)", Students, fName},
		{"English is recognised regardless of case and spacing", "Date of Birth", Students, fBirth},
		{"an underscore name is recognised", "student_no", Students, fStudentNo},
		{"是否 before a category is ignored", "是否留守儿童", Students, fCatLeftBehind},
		{"a numbered guardian in brackets is recognised", "监护人(2)姓名", Students, fG2Name},
		{"电话 in a student file is the guardian's phone", "电话", Students, fG1Phone},
		{"电话 in a staff file is the staff member's phone", "电话", Staff, fPhone},
		{"班级 in a staff file is the class taught", "班级", Staff, fTeachClass},
		{"学校代码 is recognised in both kinds", "学校代码", Staff, fSchoolCode},
		{"序号 is not a field", "序号", Students, fNone},
		{"岗位 is not a student field", "岗位", Students, fNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lookupHeader(tt.kind, tt.in); got != tt.want {
				t.Errorf("lookupHeader(%s, %q) = %d, want %d", tt.kind, tt.in, got, tt.want)
			}
		})
	}
}

func TestAgeOnFirstSeptember(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		birth time.Time
		want  int
	}{
		{"born on 1 September turns the age that day", d(2019, 9, 1), 6},
		{"born on 2 September is still a year younger", d(2019, 9, 2), 5},
		{"born in March has had the birthday", d(2019, 3, 5), 6},
		{"born on 31 August has had the birthday", d(2019, 8, 31), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ageOn(tt.birth, 2025); got != tt.want {
				t.Errorf("ageOn(%v, 2025) = %d, want %d", tt.birth, got, tt.want)
			}
		})
	}
}
