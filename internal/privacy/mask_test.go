package privacy

import "testing"

func TestMaskName(t *testing.T) {
	// Names are generic textbook examples, not real people.
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"张", "*"},
		{"张三", "张*"},
		{"张小明", "张*明"},
		{"欧阳小明", "欧**明"},
		{"阿依·买买提", "阿****提"},
		{"Li", "L*"},
		{"Ann Lee", "A*****e"},
		{"🙂x", "🙂*"},
	} {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskIDNumber(t *testing.T) {
	id := makeID(t, fakeArea, "20100101", "123")
	for _, tt := range []struct{ in, want string }{
		{id, "**************" + id[14:]},
		{"99999920100101123X", "**************123X"},
		{"999999100101123", "***********1123"},
		{"12345", "*2345"},
		{"1234", "****"},
		{"12", "**"},
		{"", ""},
		{"１２３４５６", "**３４５６"}, // rune-aware on un-normalised input
	} {
		if got := MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"13800005678", "138****5678"},
		{"+8613800005678", "**********5678"},
		{"010-12345678", "********5678"},
		{"1380000567", "******0567"}, // 10 digits is not a mobile number
		{"1380000567a", "*******567a"},
		{"5678", "****"},
		{"", ""},
	} {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
