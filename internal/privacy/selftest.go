package privacy

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// SelfTest runs known-answer tests of every primitive the package relies
// on and returns an error naming the first one that fails. Run it at
// start-up and refuse to serve on error: a miscompiled or mis-vendored
// cipher would otherwise write data that no correct build can read.
//
// The vectors come from the standards, not from this code:
//   - AES-256-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation
//     (GCM)", test case 16 (256-bit key, 96-bit IV, AAD, 60-byte message),
//     also in NIST's GCM validation suite.
//   - SM4-GCM: RFC 8998 appendix A.1.
//   - SM4 block: GB/T 32907-2016 appendix A, example 1.
//   - SM3: GB/T 32905-2016 appendix A, example 1 ("abc").
//   - HKDF-SHA256: RFC 5869 appendix A.1, test case 1.
func SelfTest() error {
	for _, t := range []struct {
		name string
		run  func() error
	}{
		{"AES-256-GCM (McGrew-Viega test case 16)", selfTestAESGCM},
		{"SM4-GCM (RFC 8998 A.1)", selfTestSM4GCM},
		{"SM4 (GB/T 32907 example 1)", selfTestSM4Block},
		{"SM3 (GB/T 32905 example 1)", selfTestSM3},
		{"HKDF-SHA256 (RFC 5869 test case 1)", selfTestHKDF},
	} {
		if err := t.run(); err != nil {
			return fmt.Errorf("privacy: self-test %s failed: %w", t.name, err)
		}
	}
	return nil
}

// gcmVector is one AEAD known answer.
type gcmVector struct {
	key, nonce, aad, plaintext, ciphertext, tag string // hex
}

func selfTestAESGCM() error {
	return checkGCM(aes.NewCipher, gcmVector{
		key:   "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		nonce: "cafebabefacedbaddecaf888",
		aad:   "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
			"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
			"8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		tag: "76fc6ece0f4e1768cddf8853bb2d551b",
	})
}

func selfTestSM4GCM() error {
	return checkGCM(sm4.NewCipher, gcmVector{
		key:   "0123456789abcdeffedcba9876543210",
		nonce: "00001234567800000000abcd",
		aad:   "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		plaintext: "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd" +
			"eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
		ciphertext: "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735" +
			"d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
		tag: "83de3541e4c2b58177e065a9bf7b62ec",
	})
}

// checkGCM encrypts the vector, compares ciphertext and tag, decrypts it
// back, and confirms that a corrupted tag is rejected, because an AEAD that
// decrypts without verifying would pass the first two checks.
func checkGCM(newBlock func([]byte) (cipher.Block, error), v gcmVector) error {
	key, nonce, aad := mustHex(v.key), mustHex(v.nonce), mustHex(v.aad)
	pt := mustHex(v.plaintext)
	want := append(mustHex(v.ciphertext), mustHex(v.tag)...)

	block, err := newBlock(key)
	if err != nil {
		return err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	if got := aead.Seal(nil, nonce, pt, aad); !bytes.Equal(got, want) {
		return fmt.Errorf("encryption gave %x, want %x", got, want)
	}
	got, err := aead.Open(nil, nonce, want, aad)
	if err != nil {
		return fmt.Errorf("decryption: %w", err)
	}
	if !bytes.Equal(got, pt) {
		return fmt.Errorf("decryption gave %x, want %x", got, pt)
	}
	bad := bytes.Clone(want)
	bad[len(bad)-1] ^= 1
	if _, err := aead.Open(nil, nonce, bad, aad); err == nil {
		return fmt.Errorf("corrupted tag was accepted")
	}
	return nil
}

func selfTestSM4Block() error {
	key := mustHex("0123456789abcdeffedcba9876543210")
	pt := key // the standard's example encrypts the key with itself
	want := mustHex("681edf34d206965e86b3e94f536e4246")
	block, err := sm4.NewCipher(key)
	if err != nil {
		return err
	}
	got := make([]byte, sm4.BlockSize)
	block.Encrypt(got, pt)
	if !bytes.Equal(got, want) {
		return fmt.Errorf("encryption gave %x, want %x", got, want)
	}
	block.Decrypt(got, want)
	if !bytes.Equal(got, pt) {
		return fmt.Errorf("decryption gave %x, want %x", got, pt)
	}
	return nil
}

func selfTestSM3() error {
	want := mustHex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
	h := sm3.New() // the hash.Hash form is what HMAC-SM3 uses
	h.Write([]byte("abc"))
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return fmt.Errorf("digest %x, want %x", got, want)
	}
	return nil
}

func selfTestHKDF() error {
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	salt := mustHex("000102030405060708090a0b0c")
	info := string(mustHex("f0f1f2f3f4f5f6f7f8f9"))
	want := mustHex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
	got, err := hkdf.Key(sha256.New, ikm, salt, info, len(want))
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("output %x, want %x", got, want)
	}
	return nil
}

// mustHex decodes a hex constant written in this file; a typo is a
// programming error caught by the tests, hence the panic.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("privacy: bad hex constant in self-test: " + err.Error())
	}
	return b
}
