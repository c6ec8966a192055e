package importer

import (
	"fmt"
	"strings"

	"huhang/internal/privacy"
)

// Synthetic people for tests and fixtures: names combine common surname
// and given-name characters, ID numbers use area code 510402 with real
// check digits. None of it describes anyone.

var (
	surnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	givenChars = []rune("明华伟芳娜敏静丽强磊军洋勇艳杰涛超秀英浩宇欣怡子轩梓涵")
)

// synthName returns a deterministic two- or three-character name for i.
func synthName(i int) string {
	s := surnames[i%len(surnames)]
	g1 := givenChars[(i/len(surnames))%len(givenChars)]
	if i%3 == 0 {
		return string([]rune{s, g1})
	}
	g2 := givenChars[(i*7+3)%len(givenChars)]
	return string([]rune{s, g1, g2})
}

// synthID builds a valid ID number for area 510402, a birth date YYYYMMDD,
// a sequence number and a gender (the 17th digit is odd for male).
func synthID(birth string, seq int, male bool) string {
	g := (seq % 5) * 2
	if male {
		g++
	}
	first17 := fmt.Sprintf("510402%s%02d%d", birth, seq%100, g)
	c, err := privacy.IDCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// wrongCheck returns id with a different, wrong check character.
func wrongCheck(id string) string {
	c := id[17]
	if c == '9' || c == 'X' {
		c = '0'
	} else {
		c++
	}
	return id[:17] + string(c)
}

// toFullWidth turns ASCII digits and letters into their full-width forms,
// as a Chinese input method in full-width mode types them.
func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '!' && r <= '~' {
			return r + 0xFEE0
		}
		return r
	}, s)
}

// synthPhone returns a mobile number in the 138 0000 xxxx block.
func synthPhone(i int) string { return fmt.Sprintf("1380000%04d", i%10000) }
