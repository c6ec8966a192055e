// Package screening holds the rules of mental-health screening: the
// instruments as data, how answers are scored, which risk tier a score falls
// in, when a submission looks careless, which answers are a crisis, and how
// an alert moves from open to closed and up from school to district to city
// when nobody acts in time.
//
// Everything here is pure: no database, no clock, no network. Instruments
// are JSON files (the shipped ones are embedded from instruments/*.json, a
// bureau can load more with [Load]) so that cut-offs, wording and age bands
// are reviewed as data by the people who own them, not buried in code. The
// store, the web pages, imports and reports all call the same functions, so a
// score means the same thing everywhere.
//
// The safety rules, in one place:
//   - A critical answer (PHQ-9 item 9 above "not at all") forces the
//     assessment to [Red] and raises a [SevCritical] alert whatever the
//     total score (see [Assess] and [Policy.AlertFor]).
//   - A submission flagged as too fast or straight-lined is still scored,
//     tiered and alerted on; the flag only tells the counsellor to read it
//     with care (see [CheckValidity]).
//   - An alert nobody acknowledges climbs a level each time its deadline
//     passes (see [Escalate]); only an acknowledgement or a close with a
//     written outcome stops the clock.
package screening
