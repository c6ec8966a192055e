// Package privacy holds Huhang's protections for personal data of minors:
// validation and normalisation of resident ID numbers (GB 11643-1999),
// masking for display and logs, and authenticated field encryption with
// blind indexes so ID numbers can be stored and looked up without a
// plaintext column.
//
// Everything cryptographic is derived from one 32-byte master key kept in a
// key file outside the database (see [LoadKeyFile]), so a database dump on
// its own reveals no protected field. Both an international suite
// (AES-256-GCM, HMAC-SHA256) and the Chinese national suite required by many
// public-sector deployments (SM4-GCM, HMAC-SM3) are supported; see
// [Algorithm]. [SelfTest] should run at start-up so a broken build or
// platform fails loudly instead of writing unreadable data.
package privacy
