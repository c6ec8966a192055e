package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPasswordPolicy(t *testing.T) {
	tests := []struct {
		name     string
		pw, user string
		want     error
	}{
		{"a long random password is accepted", "Xq7#mP2!vL9@rT", "zhangsan", nil},
		{"a passphrase of ordinary words is accepted", "tea kettle on a rainy tuesday", "zhangsan", nil},
		{"a passphrase that happens to contain a common word is accepted", "my-password-is-long-and-odd", "zhangsan", nil},
		{"a password of Chinese characters is measured in characters", "我家门前有两棵枣树另一棵也是", "zhangsan", nil},
		{"eleven characters are too short", "abcdEFGH!9x", "zhangsan", ErrPasswordTooShort},
		{"six Chinese characters are too short even though they are 18 bytes", "床前明月光啊", "zhangsan", ErrPasswordTooShort},
		{"an empty password is too short", "", "zhangsan", ErrPasswordTooShort},
		{"exactly twelve characters are long enough", "kV8#pq2Lm!zR", "zhangsan", nil},
		{"exactly 128 characters are allowed", "a" + strings.Repeat("bc9x", 31) + "qrs", "zhangsan", nil},
		{"129 characters are too long", strings.Repeat("ab9x", 32) + "q", "zhangsan", ErrPasswordTooLong},
		{"the username as the password is refused", "wang.xiaoming", "wang.xiaoming", ErrPasswordHasUsername},
		{"the username is found case-insensitively", "MyNameIsZhangSan!!", "zhangsan", ErrPasswordHasUsername},
		{"the username inside a longer password is refused", "xx-zhangsan-2024", "ZhangSan", ErrPasswordHasUsername},
		{"the local part of an e-mail username is refused", "liming@2024-school", "liming@school.edu.cn", ErrPasswordHasUsername},
		{"a very short username is not searched for inside the password", "quiet river at dawn", "li", nil},
		{"an empty username is ignored", "quiet river at dawn", "", nil},
		{"a well-known long password is refused", "123456789012", "zhangsan", ErrPasswordCommon},
		{"password1234 is refused", "password1234", "zhangsan", ErrPasswordCommon},
		{"a common word padded with a year and symbols is refused", "Password2024!", "zhangsan", ErrPasswordCommon},
		{"leetspeak of a common word is refused", "P@ssw0rd123456", "zhangsan", ErrPasswordCommon},
		{"a keyboard walk is refused", "qwertyuiop12", "zhangsan", ErrPasswordCommon},
		{"a keyboard column pattern is refused", "1qaz2wsx3edc", "zhangsan", ErrPasswordCommon},
		{"the product name is refused", "huhang123456", "zhangsan", ErrPasswordCommon},
		{"admin with digits is refused", "admin1234567", "zhangsan", ErrPasswordCommon},
		{"a pinyin love phrase is refused", "woaini123456", "zhangsan", ErrPasswordCommon},
		{"woaini1314 decorated is refused", "WoAiNi1314!!", "zhangsan", ErrPasswordCommon},
		{"a common pinyin name is refused", "zhangwei1234", "lisi", ErrPasswordCommon},
		{"the education bureau's own words are refused", "jiaoyuju2024!", "lisi", ErrPasswordCommon},
		{"a single repeated character is refused", "aaaaaaaaaaaa", "zhangsan", ErrPasswordCommon},
		{"a repeated Chinese character is refused", "好好好好好好好好好好好好", "zhangsan", ErrPasswordCommon},
		{"a repeated short unit is refused", "abcabcabcabc", "zhangsan", ErrPasswordCommon},
		{"a word typed twice is refused", "woainiwoaini", "zhangsan", ErrPasswordCommon},
		{"a descending digit run is refused", "987654321098", "zhangsan", ErrPasswordCommon},
		{"an alphabet run is refused", "abcdefghijklm", "zhangsan", ErrPasswordCommon},
		{"a trivial stem padded with digits is refused", "aaa123456789", "zhangsan", ErrPasswordCommon},
		{"a random-looking digit string is accepted", "830152967413", "zhangsan", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPasswordPolicy(tc.pw, tc.user)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("CheckPasswordPolicy(%q, %q) = %v; want %v", tc.pw, tc.user, err, tc.want)
			}
			if err != nil && tc.pw != "" && strings.Contains(err.Error(), tc.pw) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

func TestCommonPasswordList(t *testing.T) {
	t.Run("the embedded list has a couple of hundred entries", func(t *testing.T) {
		if n := len(commonPasswords); n < 200 {
			t.Errorf("list has %d entries; want at least 200", n)
		}
	})
	t.Run("every list entry of policy length is refused as common", func(t *testing.T) {
		for pw := range commonPasswords {
			if len([]rune(pw)) < MinPasswordLen {
				continue
			}
			if err := CheckPasswordPolicy(pw, ""); !errors.Is(err, ErrPasswordCommon) {
				t.Errorf("%q: got %v; want ErrPasswordCommon", pw, err)
			}
		}
	})
	t.Run("comments and blank lines are not entries", func(t *testing.T) {
		for pw := range commonPasswords {
			if pw == "" || strings.HasPrefix(pw, "#") {
				t.Errorf("list contains %q", pw)
			}
		}
	})
}
