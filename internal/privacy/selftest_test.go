package privacy

import (
	"crypto/aes"
	"testing"
)

func TestSelfTest(t *testing.T) {
	if err := SelfTest(); err != nil {
		t.Fatal(err)
	}
}

// TestSelfTestDetectsWrongAnswers makes sure the comparison in checkGCM can
// fail, so a passing SelfTest means something.
func TestSelfTestDetectsWrongAnswers(t *testing.T) {
	v := gcmVector{
		key:        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		nonce:      "cafebabefacedbaddecaf888",
		aad:        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		plaintext:  "d9313225",
		ciphertext: "522dc1f0",
		tag:        "00000000000000000000000000000000",
	}
	if err := checkGCM(aes.NewCipher, v); err == nil {
		t.Error("checkGCM accepted a wrong tag")
	}
}
