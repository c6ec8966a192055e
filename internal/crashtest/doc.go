// Package crashtest checks the real huhang binary for crash safety
// (SECURITY-TESTS T8.1): the server is killed with SIGKILL while pupils'
// screening submissions arrive, restarted on the same data directory, and
// every submission that was answered 201 must be there with its alert.
//
// The package has tests only. They build the binary, so they are skipped
// unless HUHANG_CRASH=1 or CI=true; HUHANG_CRASH_ROUNDS sets the number of
// kill-and-restart rounds (default 3) and HUHANG_CRASH_SEED repeats a run's
// answers and kill times.
package crashtest
