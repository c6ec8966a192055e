// Package programme holds the quantified targets of the city's school
// mental-health programme as data, and the rules that judge them: who is in
// a target's population, who meets its condition on a given date, whether a
// school, a district or the city has reached the threshold, and whether it
// is on track to reach it by the deadline.
//
// Two families of targets share the same machinery:
//   - the training targets of the 2021–2025 development plan (digest §2):
//     certificate levels held, principals trained, continuing-education
//     hours per school year ([Plan2021]);
//   - the home–school quotas (digest §3): parent-school activities per
//     semester by school type, home-visit coverage per semester
//     ([HomeSchoolQuotas]).
//
// Targets are JSON documents (the shipped ones are embedded from
// targets/*.json; a bureau adds the next plan's with [LoadTargets] or
// through the UI), so that the numbers are reviewed as data by the people
// who own them. [Evaluate] and [EvaluateAll] judge them over facts the
// store supplies ([Person] for staff, [School] for schools and their
// pupils); [Result.WithHistory] turns periodic snapshots into a forecast.
//
// Everything here is pure: no database, no clock, no network. The store, the
// pages, the API and the reports call the same functions, so a percentage
// means the same thing everywhere.
//
// Dates are calendar dates: a certificate, a training completion or a
// deadline is compared by its year, month and day in its own location, and a
// deadline is inclusive (a target due 2025-12-31 is missed from 2026-01-01).
package programme
