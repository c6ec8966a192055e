// Package worker runs the server's background jobs: the [Escalator], which
// moves alerts nobody acknowledged in time up from the school to the
// district and the city, and the [Dispatcher], which delivers the
// notification outbox the store fills to the configured [Channel]s (a
// webhook, an SMS gateway).
//
// The store decides what must happen and records it in the same transaction
// as the change that caused it (an alert and its notifications commit
// together); this package only drives the clock and talks to the outside
// world. Nothing here holds a database transaction open while it waits on
// the network.
//
// A message that leaves the server carries ids, a severity, a level and a
// link — never a child's name, answers or scores: whoever receives it logs
// in to see more, and the web layer decides what they may see.
//
// The server starts both jobs with [Start] and stops them on shutdown:
//
//	st.SetNotifyChannels(worker.ChannelNames(channels)) // before serving
//	stop := worker.Start(ctx,
//		&worker.Escalator{Store: st, Policy: screening.DefaultPolicy(), Logger: log},
//		&worker.Dispatcher{Store: st, Channels: channels, Logger: log})
//	defer stop()
package worker
