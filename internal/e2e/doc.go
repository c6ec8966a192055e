// Package e2e holds Huhang's browser tests. Each test builds the whole
// server in-process (a fresh SQLite file, the synthetic demo city at a small
// scale and the demo accounts), serves it on 127.0.0.1 and drives a headless
// Chromium through it with chromedp: typing into forms, clicking links and
// reading what a person would see.
//
// The tests need Chromium (/usr/bin/chromium, or "chromium" on PATH) and a
// CJK font (fonts-wqy-microhei). Without Chromium they skip, except when the
// environment variable CI is "true": then a missing browser fails the run,
// so CI never passes by skipping. Screenshots are written to the test's
// temporary directory and, when HUHANG_E2E_SHOTS names a directory, copied
// there for a person to look at.
//
// Run them with:
//
//	go test ./internal/e2e -v
//	HUHANG_E2E_SHOTS=/tmp/shots go test ./internal/e2e -v
package e2e
