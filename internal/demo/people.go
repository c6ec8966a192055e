package demo

import (
	"math/bits"
	"math/rand/v2"

	"huhang/internal/model"
)

// rng is a thin, allocation-free wrapper over a PCG source with the few
// draws the generator needs. Every draw is a pure function of the seed and
// the draws before it, so a run is reproducible.
type rng struct{ src *rand.PCG }

func newRNG(seed uint64) *rng {
	return &rng{src: rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)}
}

// intn returns a value in [0, n) for n > 0 (multiply-shift; the bias is far
// below anything a synthetic roster could show).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.src.Uint64(), uint64(n))
	return int(hi)
}

// float returns a value in [0, 1).
func (r *rng) float() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// surname is a family name with a relative frequency (per 10,000 people,
// rounded; plausible, not an official statistic).
type surname struct {
	name   string
	weight int
}

// surnames lists about a hundred common Chinese family names, a little
// weighted towards those frequent in Sichuan, and a few rare two-character ones.
var surnames = []surname{
	{"王", 710}, {"李", 700}, {"张", 650}, {"刘", 540}, {"陈", 460},
	{"杨", 310}, {"黄", 230}, {"赵", 220}, {"吴", 200}, {"周", 190},
	{"徐", 150}, {"孙", 150}, {"马", 140}, {"朱", 130}, {"胡", 130},
	{"何", 120}, {"郭", 110}, {"罗", 110}, {"高", 100}, {"林", 90},
	{"郑", 85}, {"谢", 85}, {"梁", 80}, {"唐", 80}, {"宋", 75},
	{"邓", 70}, {"许", 65}, {"韩", 60}, {"冯", 60}, {"彭", 60},
	{"曾", 60}, {"肖", 60}, {"曹", 55}, {"田", 50}, {"董", 50},
	{"袁", 50}, {"蒋", 50}, {"余", 50}, {"潘", 45}, {"于", 45},
	{"蔡", 45}, {"杜", 45}, {"任", 45}, {"叶", 40}, {"程", 40},
	{"苏", 40}, {"魏", 40}, {"吕", 40}, {"丁", 40}, {"沈", 35},
	{"姚", 35}, {"卢", 35}, {"姜", 35}, {"钟", 35}, {"谭", 35},
	{"廖", 35}, {"崔", 30}, {"陆", 30}, {"汪", 30}, {"范", 30},
	{"石", 30}, {"付", 30}, {"邹", 30}, {"熊", 30}, {"金", 25},
	{"贾", 25}, {"夏", 25}, {"方", 25}, {"白", 25}, {"邱", 25},
	{"江", 25}, {"雷", 25}, {"韦", 20}, {"孟", 20}, {"秦", 20},
	{"尹", 20}, {"段", 20}, {"龙", 20}, {"陶", 20}, {"薛", 15},
	{"闫", 15}, {"侯", 15}, {"史", 15}, {"黎", 15}, {"贺", 15},
	{"顾", 15}, {"毛", 15}, {"龚", 15}, {"邵", 15}, {"万", 15},
	{"严", 15}, {"戴", 15}, {"向", 15}, {"汤", 15}, {"郝", 10},
	{"钱", 10}, {"覃", 10}, {"武", 10}, {"莫", 10}, {"孔", 10},
	{"欧阳", 3}, {"司马", 1}, {"诸葛", 1}, {"上官", 1},
}

// Characters for given names, leaning male, leaning female, and neutral.
const (
	maleChars    = "伟强磊军洋勇杰涛超明刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳坤峰建成东亮博文鸿瑞锐晨轩睿泽宸铭航然哲翔炎豪毅志伦彬诚康剑锋鸣翰霖熙昊天佑硕逸骏驰嘉煜皓栋梁松柏山川海江河源晟昌盛德才武威雄振兴国庆安福贵祥顺鹤程远达迪旺坚勋卓宏晖朗楷钦琛璋瀚霆钧钰铎锦新元正义礼仁忠信廷延永奇杭岳恒彦言聪树森"
	femaleChars  = "芳娜敏静丽艳娟霞燕玲婷雪琳颖慧倩欣怡萱涵琪雅悦瑶妍婧璐彤佳诗梦晴蕾薇淑秀英兰凤红梅莉萍琴云洁珊娇露月莹岚蓉菲茜媛婉嫣妮娅婕柔舒馨蓓曼珍珠玉琼瑾瑜璇晶冰清卉芸芝茹蕊菁菊荷莲桐楠萌语诺依伊可心思霏霓雯姝姗娴妤婵黛若溪澜滢涓潇丹青素紫烟宛如畅蝶鹃岑笑歆漫沁"
	neutralChars = "子梓一雨欣宇思嘉可文佳晨诗睿奕锦若俊逸安然乐沐煜星辰"
)

// surnameTable maps a uniform draw in [0, len) to a surname index so that
// each surname comes up in proportion to its weight: one draw, no search.
var (
	surnameTable                    []uint8
	maleGiven, femaleGiven, neutral []string
)

func init() {
	total := 0
	for _, s := range surnames {
		total += s.weight
	}
	surnameTable = make([]uint8, 0, total)
	for i, s := range surnames {
		for range s.weight {
			surnameTable = append(surnameTable, uint8(i))
		}
	}
	maleGiven = splitChars(maleChars)
	femaleGiven = splitChars(femaleChars)
	neutral = splitChars(neutralChars)
}

// splitChars splits s into its distinct characters, in order.
func splitChars(s string) []string {
	seen := map[rune]bool{}
	var out []string
	for _, r := range s {
		if !seen[r] {
			seen[r] = true
			out = append(out, string(r))
		}
	}
	return out
}

// pickSurname draws a surname by frequency.
func (r *rng) pickSurname() string {
	return surnames[surnameTable[r.intn(len(surnameTable))]].name
}

// appendGiven appends a given name of one or two characters to buf; twoProb
// is the chance of two characters. Most characters lean to the gender, some
// are neutral.
func (r *rng) appendGiven(buf []byte, g model.Gender, twoProb float64) []byte {
	n := 1
	if r.chance(twoProb) {
		n = 2
	}
	list := femaleGiven
	if g == model.Male {
		list = maleGiven
	}
	for i := 0; i < n; i++ {
		if r.intn(100) < 15 {
			buf = append(buf, neutral[r.intn(len(neutral))]...)
		} else {
			buf = append(buf, list[r.intn(len(list))]...)
		}
	}
	return buf
}

// phonePrefixes are the second digits of mainland mobile numbers.
const phonePrefixes = "35789"

// appendPhone appends an 11-digit mobile number: "1", one of 3/5/7/8/9, and
// nine random digits.
func (r *rng) appendPhone(buf []byte) []byte {
	buf = append(buf, '1', phonePrefixes[r.intn(len(phonePrefixes))])
	return appendDigits(buf, uint64(r.intn(1_000_000_000)), 9)
}

// appendDigits appends v as exactly width decimal digits (zero-padded,
// truncated on the left).
func appendDigits(buf []byte, v uint64, width int) []byte {
	n := len(buf)
	for range width {
		buf = append(buf, 0)
	}
	for i := len(buf) - 1; i >= n; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return buf
}

// idWeights are the GB 11643 weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// idCheckChar returns the GB 11643 check character of the first 17 digits,
// or 0 if first17 is not 17 ASCII digits. (The same rule as
// privacy.IDCheckChar, kept here so this package does not depend on it.)
func idCheckChar(first17 []byte) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i, c := range first17 {
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}
